import pandas as pd
import pytest

from vqa.subjective.ratings import RatingsError, check_ratings, read_ratings


def table(**cols):
    return pd.DataFrame(cols)


def test_read_csv_with_aliases_and_no_dimension_means_overall(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Rater,video_name,Rating\na,v1,3\nb,v1,4\n")
    df = check_ratings(read_ratings(path), (1, 5))
    assert list(df.columns[:4]) == ["subject", "video", "dimension", "score"]
    assert set(df["dimension"]) == {"overall"} and df["score"].tolist() == [3.0, 4.0]
    df.to_parquet(tmp_path / "r.parquet")
    assert len(read_ratings(tmp_path / "r.parquet")) == 2


def test_missing_file_and_columns_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="ratings file not found"):
        read_ratings(tmp_path / "nope.csv")
    with pytest.raises(RatingsError, match=r"missing column\(s\) \['score'\]"):
        check_ratings(table(subject=["a"], video=["v"], dimension=["noise"]), (1, 5))


def test_unknown_dimension_out_of_range_duplicates_and_non_numeric():
    base = dict(subject=["a", "b"], video=["v", "v"])
    with pytest.raises(RatingsError, match=r"unknown dimension\(s\) \['sharpness'\]"):
        check_ratings(table(**base, dimension=["noise", "sharpness"], score=[1, 2]), (1, 5))
    with pytest.raises(RatingsError, match=r"outside the scale \[1, 5\].*subject 'b'.*: 7"):
        check_ratings(table(**base, dimension=["noise", "noise"], score=[1, 7]), (1, 5))
    with pytest.raises(RatingsError, match="repeat a"):
        check_ratings(table(subject=["a", "a"], video=["v", "v"], dimension=["noise"] * 2,
                            score=[1, 2]), (1, 5))
    with pytest.raises(RatingsError, match="not numeric"):
        check_ratings(table(**base, dimension=["noise"] * 2, score=["1", "x"]), (1, 5))
    with pytest.raises(RatingsError, match=r"requested dimension\(s\) \['blur'\] have no"):
        check_ratings(table(**base, dimension=["noise"] * 2, score=[1, 2]), (1, 5), ["blur"])


def test_dimension_filter_keeps_only_requested():
    df = table(subject=["a", "a"], video=["v", "v"], dimension=["Noise", "blur"], score=[1, 2])
    got = check_ratings(df, (1, 5), ["noise"])
    assert got["dimension"].tolist() == ["noise"]
