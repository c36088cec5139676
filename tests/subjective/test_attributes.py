import pandas as pd

from vqa.subjective.attributes import attribute_labels


def test_options_chosen_by_more_than_half():
    df = pd.DataFrame({
        "subject": list("abcd") + list("abcd"), "video": ["v"] * 4 + ["w"] * 4,
        "dimension": ["noise"] * 8,
        "attributes": ["grain;low-light noise", "grain", "Grain ; other", "none",
                       "none", "none", "grain", "grain"]})
    got = attribute_labels(df).set_index("video")
    assert got.loc["v", "labels"] == "grain"          # 3 of 4; low-light 1, other 1
    assert got.loc["w", "labels"] == ""               # 2 of 4 is not more than half
    assert got["voters"].tolist() == [4, 4]
