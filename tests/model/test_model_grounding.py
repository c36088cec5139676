"""Grounding: each keyframe token carries its cell's and its second's learned embedding, so
in-context questions (where / when) have something to find."""

import numpy as np
import pytest
import torch

from vqa.errors import ConfigError
from vqa.model.inference import keyframe_seconds
from vqa.model.quality import quality_features
from vqa.video import Sampled, VideoInfo


def _model(**grounding):
    from vqa.model.presets import build_model, tiny

    cfg = tiny()
    for k, v in grounding.items():
        setattr(cfg.grounding, k, v)
    torch.manual_seed(0)
    return build_model(cfg)


def test_keyframe_seconds_count_whole_seconds_from_the_start():
    info = VideoInfo(frames=48, fps=12.0, duration=4.0, width=64, height=48, codec="h264")
    k = Sampled(np.zeros((5, 4, 4, 3), np.uint8), np.array([0, 11, 12, 30, 47]), info)
    assert keyframe_seconds(k).tolist() == [0, 0, 1, 2, 3]


def test_tokens_carry_their_cell_and_second(tmp_path):
    from vqa.model.vqa_model import VQAModel

    m = _model(max_seconds=4, words=None, salience=False)  # free embeddings
    flat = np.full((2, 64, 64, 3), 128, np.uint8)  # every cell and frame alike
    q = quality_features(flat, None, 4)
    with torch.no_grad():
        a = m.encode_keyframes(flat, q, [0, 0])
        b = m.encode_keyframes(flat, q, [0, 2])
        late = m.encode_keyframes(flat, q, [9, 40])  # past max_seconds: the last embedding
        assert torch.equal(a[0], b[0]) and not torch.allclose(a[1], b[1])  # the second
        assert not torch.allclose(a[0, 0], a[0, 5])  # the cell, on identical content
        assert torch.equal(late[0], late[1])
    m.save_pretrained(tmp_path / "m")
    back = VQAModel.from_pretrained(tmp_path / "m")
    assert back.cfg.grounding.max_seconds == 4
    assert torch.equal(back.places.cell, m.places.cell)
    assert torch.equal(back.places.second, m.places.second)
    with pytest.raises(ValueError, match="keyframe_seconds"):
        back.encode_keyframes(flat, q)


def test_off_means_no_embeddings_and_no_seconds_needed():
    m = _model(enabled=False)
    assert m.places is None
    flat = np.full((1, 64, 64, 3), 128, np.uint8)
    with torch.no_grad():
        assert m.encode_keyframes(flat, quality_features(flat, None, 4)).shape[:2] == (1, 16)


def test_grounding_needs_a_token_grid():
    from vqa.model.presets import tiny

    cfg = tiny()
    cfg.quality.enabled = False
    cfg.vision.tokens_per_frame = None
    cfg.grounding.enabled = True
    with pytest.raises(ConfigError, match="grounding.enabled"):
        cfg.validate()


def test_named_places_are_the_llm_embeddings_of_their_words(tmp_path):
    """`grounding.words` (tiny's): a cell's embedding is its row's words plus its column's, a
    second's its ordinal's, read live from the LLM's input embedding — so training the words
    moves the places with them, and nothing extra is saved."""
    from vqa.model.vqa_model import VQAModel

    m = _model(salience=False)  # only the places here (the salience: below)
    assert m.places.tied
    assert [k for k in m.state_dict() if k.startswith("places.")] == ["places.scale"]
    emb = m.llm.get_input_embeddings()

    def word(w):
        return emb.weight[m.tokenizer(w, add_special_tokens=False)["input_ids"]].mean(0)

    flat = np.full((2, 64, 64, 3), 128, np.uint8)  # every cell alike: only the place differs
    q = quality_features(flat, None, 4)
    with torch.no_grad():
        a = m.encode_keyframes(flat, q, [0, 1])
        s = float(m.places.scale)
        # top-left cell of the 1st second minus the bottom-right cell of the 1st second
        want = s * ((word("top") + word("up")) / 2 + word("left")
                    - (word("bottom") + word("down")) / 2 - word("right"))
        assert torch.allclose(a[0, 0] - a[0, 15], want, atol=1e-5)
        assert torch.allclose(a[1, 0] - a[0, 0], s * (word("2nd") - word("1st")), atol=1e-5)
        emb.weight[m.tokenizer("left", add_special_tokens=False)["input_ids"]] += 1.0
        b = m.encode_keyframes(flat, q, [0, 1])
        assert torch.allclose(b[0, 0] - a[0, 0], torch.full_like(a[0, 0], s), atol=1e-5)
        assert torch.equal(b[0, 15], a[0, 15])  # the right column does not say "left"
    m.save_pretrained(tmp_path / "m")
    back = VQAModel.from_pretrained(tmp_path / "m")
    with torch.no_grad():
        assert torch.allclose(back.encode_keyframes(flat, q, [0, 1]), b, atol=1e-6)


def test_place_words_must_fit_the_grid_and_the_vocabulary():
    from vqa.config import from_dict, to_dict
    from vqa.model.config import VQAConfig
    from vqa.model.presets import build_model, tiny

    data = to_dict(tiny())
    data["grounding"]["words"]["rows"] = [["top"], ["bottom"]]
    with pytest.raises(ConfigError, match=r"grounding.words: 2 rows and 4 cols .* 4×4"):
        from_dict(VQAConfig, data)
    data = to_dict(tiny())
    data["grounding"]["words"]["cols"][1] = []
    with pytest.raises(ConfigError, match="grounding.words.cols"):
        from_dict(VQAConfig, data)
    cfg = tiny()
    cfg.grounding.words.seconds = ["1st", "zeroth-ish"]
    with pytest.raises(ConfigError, match="does not know 'zeroth-ish'"):
        build_model(cfg)


def test_salience_tells_every_token_where_and_when_the_odd_cell_is(tmp_path):
    """`grounding.salience`: at init the weights follow the fixed rule (a cell whose statistics
    lie far from the clip's other cells), and every token gets the same vector: the weighted
    place and second, here the bottom-right cell's in the 2nd second."""
    from vqa.model.salience import cell_z
    from vqa.model.vqa_model import VQAModel

    m = _model(salience=True)
    frames = np.full((3, 64, 64, 3), 128, np.uint8)
    frames[1, 48:, 48:] = np.random.default_rng(0).integers(0, 256, (16, 16, 3))  # one noisy cell
    q = quality_features(frames, None, 4)
    w = m.places.salience.weights(torch.as_tensor(q)).detach()
    assert divmod(int(w.flatten().argmax()), 16) == (1, 15) and float(w.sum()) == pytest.approx(1)
    assert float(w[1, 15]) > 0.9
    assert cell_z(torch.as_tensor(q)).abs().sum(-1).flatten().argmax() == 16 + 15
    with torch.no_grad():
        on = m.encode_keyframes(frames, q, [0, 1, 2])
        sal, m.places.salience = m.places.salience, None
        off = m.encode_keyframes(frames, q, [0, 1, 2])
        m.places.salience = sal
        added = on - off
        assert torch.allclose(added, added[0, 0].expand_as(added), atol=1e-5)  # the same for all
        emb = m.llm.get_input_embeddings()

        def word(w):
            return emb.weight[m.tokenizer(w, add_special_tokens=False)["input_ids"]].mean(0)

        want = float(m.places.scale) * ((word("bottom") + word("down")) / 2 + word("right")
                                        + word("2nd"))
        assert float((added[0, 0] - want).norm()) < 0.1 * float(want.norm())
    m.save_pretrained(tmp_path / "m")
    back = VQAModel.from_pretrained(tmp_path / "m")
    assert back.cfg.grounding.salience and back.places.salience is not None
    with torch.no_grad():
        assert torch.allclose(back.encode_keyframes(frames, q, [0, 1, 2]), on, atol=1e-6)


def test_salience_needs_quality_features_and_overrides_merge_into_the_preset():
    from vqa.model.presets import tiny

    cfg = tiny(grounding={"salience": True})  # merged: tiny's words and `enabled` stay
    assert cfg.grounding.enabled and cfg.grounding.words is not None
    with pytest.raises(ConfigError, match="grounding.salience needs quality.enabled"):
        tiny(grounding={"salience": True}, quality={"enabled": False})
