import numpy as np
import pytest

from vqa.video import keyframe_indices, motion_indices, uniform_indices


def test_keyframes_one_per_second_first_frame_of_each_second():
    assert keyframe_indices(250, 25.0).tolist() == list(range(0, 250, 25))
    # 23.976 fps, 240 frames = 10.01 s: ten whole seconds, the 0.01 s tail has no frame 240
    assert keyframe_indices(240, 24000 / 1001).tolist() == [round(s * 24000 / 1001)
                                                           for s in range(10)]
    assert keyframe_indices(10, 25.0).tolist() == [0]  # shorter than a second: one keyframe
    assert keyframe_indices(26, 25.0).tolist() == [0, 25]


def test_keyframes_capped_spread_uniformly():
    idx = keyframe_indices(25 * 30, 25.0, max_frames=8)
    assert len(idx) == 8 and np.all(np.diff(idx) > 0) and idx[0] >= 0 and idx[-1] < 750


def test_uniform_matches_finevq_segment_midpoints():
    # InternVL/FineVQ get_index: int(seg/2 + round(seg*i)) with seg = n / num_segments
    for n in (8, 50, 97, 240):
        seg = n / 8
        assert uniform_indices(n, 8).tolist() == [int(seg / 2 + round(seg * i)) for i in range(8)]
    assert uniform_indices(3, 8).max() <= 2  # fewer frames than segments stays in range


def test_motion_trim_to_multiple_and_pad():
    assert len(motion_indices(250, multiple_of=4)) == 248
    assert motion_indices(10, min_frames=32).tolist() == list(range(10)) + [9] * 22
    assert motion_indices(250).tolist() == list(range(250))


@pytest.mark.parametrize("bad", [(0, 25.0), (10, 0.0)])
def test_bad_inputs_raise(bad):
    with pytest.raises(ValueError):
        keyframe_indices(*bad)
