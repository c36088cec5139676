import pytest

from vqa.errors import ConfigError
from vqa.subjective.splits import largest_remainder, split_videos


@pytest.mark.parametrize("ratios,expect", [((8, 2), {"train": 80, "test": 20}),
                                           ((4, 1, 1), {"train": 67, "val": 17, "test": 16})])
def test_split_sizes_disjoint_and_deterministic(ratios, expect):
    videos = [f"v{i:03d}" for i in range(100)] * 3      # repeats: one split per video
    a = split_videos(videos, ratios, seed=1)
    assert set(a) == set(videos) and len(a) == 100       # every video exactly once
    counts = {n: sum(s == n for s in a.values()) for n in expect}
    assert counts == expect
    assert split_videos(list(reversed(videos)), ratios, seed=1) == a
    assert split_videos(videos, ratios, seed=2) != a


def test_largest_remainder_and_bad_ratios():
    assert largest_remainder(10, [1, 1, 1]).tolist() == [4, 3, 3]
    assert largest_remainder(7, [0, 1]).tolist() == [0, 7]
    with pytest.raises(ConfigError):
        split_videos(["a"], (1, 1, 1, 1))
