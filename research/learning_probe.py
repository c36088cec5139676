"""Does a preset learn to rate quality? A plain-torch probe of `VQAModel` on synthetic ratings.

    python research/learning_probe.py                      # tiny preset, 2 threads, seed 0
    python research/learning_probe.py --steps 600 --batch 8 --lr 1e-3
    python research/learning_probe.py --override '{"frames": {"fragments": 4}}'

Data (in memory, no files): pan/zoom clips over scikit-image photographs (`vqa.corpus`), each a
reference or 1–2 global degradations at severities 1..5 (blur, noise, JPEG, over/under-exposure,
colour cast/desaturation, stutter), labelled with a monotone synthetic MOS (100 − 12·severity
per degradation, clipped at 0) and per-dimension scores (the same losses, per dimension) — the
shape of `vqa synthesize --mode rating`. Whole photos are held out: the test clips' photographs
are never seen in training. Frames are decoded once (`dict[str, Sampled]`, as from shards) and
go through `prepare_sample` / `loss_on` every step, exactly as the Ray Train loop will; AdamW,
linear warm-up then cosine. Prints SRCC/PLCC on the held-out clips before and after training:
the rated overall score (level-logit softmax, `rate`) and the score head per dimension.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import sys
import time

import cv2
import numpy as np
import torch
from scipy import stats

from vqa.config import from_dict
from vqa.corpus import pan_zoom, photo
from vqa.model import build_model
from vqa.model.batch import loss_on, prepare_sample
from vqa.model.config import VQAConfig
from vqa.model.inference import rate
from vqa.model.presets import PRESET_DIR
from vqa.video import KeyframeSpec, MotionSpec, Sampled, VideoInfo

TRAIN_PHOTOS = ("astronaut", "chelsea", "hubble_deep_field", "immunohistochemistry", "retina",
                "camera", "brick", "grass", "gravel", "coins", "moon", "clock")
TEST_PHOTOS = ("coffee", "rocket", "page", "cell")
KINDS = ("blur", "noise", "jpeg", "exposure", "color", "stutter")
DIM_OF = {"blur": "blur", "noise": "noise", "jpeg": "artifact", "exposure": "color",
          "color": "color", "stutter": "temporal"}
LEVELS = ("excellent", "good", "fair", "poor", "low")
LOSS_PER_SEVERITY = 12.0


def degrade(frames: np.ndarray, kind: str, sev: int, rng: np.random.Generator) -> np.ndarray:
    """One global degradation at severity 1..5 on uint8 (T, H, W, 3) RGB frames."""
    x = frames
    if kind == "blur":
        sigma = (0.7, 1.1, 1.6, 2.3, 3.2)[sev - 1]
        return np.stack([cv2.GaussianBlur(f, (0, 0), sigma) for f in x])
    if kind == "noise":
        sigma = (4, 8, 13, 20, 30)[sev - 1]
        return np.clip(x + rng.normal(0, sigma, x.shape), 0, 255).astype(np.uint8)
    if kind == "jpeg":
        q = (40, 24, 14, 8, 4)[sev - 1]
        enc = lambda f: cv2.imdecode(cv2.imencode(".jpg", f, [cv2.IMWRITE_JPEG_QUALITY, q])[1],  # noqa: E731
                                     cv2.IMREAD_UNCHANGED)
        return np.stack([enc(f) for f in x])
    if kind == "exposure":
        gain = 1 + 0.22 * sev if rng.random() < 0.5 else 1 - 0.15 * sev
        return np.clip(x.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    if kind == "color":
        f = x.astype(np.float32)
        if rng.random() < 0.5:  # desaturate toward grey
            grey = f.mean(axis=3, keepdims=True)
            a = 1 - 0.19 * sev
            f = grey + a * (f - grey)
            f[..., int(rng.integers(3))] += 4 * sev  # and a slight cast (grey content too)
        else:  # colour cast
            cast = np.zeros(3, np.float32)
            cast[int(rng.integers(3))] = 9 * sev
            cast[int(rng.integers(3))] -= 5 * sev
            f = f + cast
        return np.clip(f, 0, 255).astype(np.uint8)
    if kind == "stutter":  # hold every frame for sev+1 frames (duplicates, same length)
        idx = (np.arange(len(x)) // (sev + 1)) * (sev + 1)
        return x[idx]
    raise ValueError(kind)


def level_of(mos: float) -> str:
    return LEVELS[min(4, int((100 - mos) // 20))]


def make_clips(photos, per_photo: int, seed: int, width: int, height: int, frames: int,
               fps: float) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    for name in photos:
        img = photo(name)
        for _ in range(per_photo):
            ref = pan_zoom(img, width, height, frames, rng)
            r = rng.random()
            n = 0 if r < 0.12 else (1 if r < 0.62 else 2)
            kinds = list(rng.choice(KINDS, size=n, replace=False))
            kinds.sort(key=KINDS.index)  # colour/exposure before blur/noise before jpeg
            order = ["exposure", "color", "blur", "noise", "jpeg", "stutter"]
            kinds.sort(key=order.index)
            sevs = {k: int(rng.integers(1, 6)) for k in kinds}
            x = ref
            for k in kinds:
                x = degrade(x, k, sevs[k], rng)
            loss = {d: 0.0 for d in ("color", "noise", "artifact", "blur", "temporal")}
            for k, s in sevs.items():
                loss[DIM_OF[k]] += LOSS_PER_SEVERITY * s
            scores = {d: 100.0 - min(100.0, v) for d, v in loss.items()}
            mos = max(0.0, 100.0 - sum(loss.values()))
            scores["overall"] = mos
            out.append({"photo": name, "frames": x, "fps": fps, "mos": mos, "scores": scores,
                        "degradations": sevs})
    return out


def sampled(cfg: VQAConfig, clip: dict) -> dict[str, Sampled]:
    """What decoding the clip would give the model (keyframes native when fragments are on,
    else resized; motion frames resized): the pre-decoded `dict[str, Sampled]` form."""
    x, f = clip["frames"], cfg.frames
    info = VideoInfo(frames=len(x), fps=clip["fps"], duration=len(x) / clip["fps"],
                     width=x.shape[2], height=x.shape[1], codec="raw")
    kidx = KeyframeSpec(max_frames=f.max_keyframes, uniform=f.uniform).indices(info)
    resize = lambda fr, s: np.stack([cv2.resize(a, (s, s), interpolation=cv2.INTER_AREA)  # noqa: E731
                                     for a in fr])
    kf = x[kidx] if f.fragments else resize(x[kidx], f.keyframe_size)
    out = {"keyframes": Sampled(np.ascontiguousarray(kf), np.asarray(kidx), info)}
    if cfg.motion.enabled:
        midx = MotionSpec(multiple_of=f.motion_multiple_of, min_frames=f.motion_min_frames
                          ).indices(info)
        out["motion"] = Sampled(resize(x[midx], f.motion_size), np.asarray(midx), info)
    return out


def jittered(cfg: VQAConfig, s: dict[str, Sampled], rng) -> dict[str, Sampled]:
    """Native keyframes → fragment mosaics at random offsets (unchanged without an rng)."""
    from vqa.video.fragments import fragments

    f, k = cfg.frames, s["keyframes"]
    if rng is None or not f.fragments:
        return s
    return {**s, "keyframes": Sampled(fragments(k.frames, f.fragments, f.fragment_size, rng),
                                      k.indices, k.info)}


def sample_of(clip: dict) -> dict:
    return {"video": None, "mos": clip["mos"], "scores": clip["scores"], "conversations": [
        {"from": "human", "value": "<video>\nHow would you rate the quality of this video?"},
        {"from": "gpt", "value": f"The quality of this video is {level_of(clip['mos'])}."}]}


def evaluate(model, clips, videos) -> dict:
    model.eval()
    rated = [rate(model, v) for v in videos]
    res = {}
    y = [c["mos"] for c in clips]
    s = [r["score"] for r in rated]
    res["overall_rated"] = _corr(s, y)
    for d in model.cfg.head.dimensions:
        res[f"head_{d}"] = _corr([r["dimensions"][d] for r in rated],
                                 [c["scores"][d] for c in clips])
    return res


def _corr(a, b) -> dict:
    if np.std(a) == 0 or np.std(b) == 0:
        return {"srcc": 0.0, "plcc": 0.0}
    return {"srcc": round(float(stats.spearmanr(a, b)[0]), 3),
            "plcc": round(float(stats.pearsonr(a, b)[0]), 3)}


def _merge(a: dict, b: dict) -> dict:
    out = copy.deepcopy(a)
    for k, v in b.items():
        deep = isinstance(v, dict) and isinstance(out.get(k), dict) and "model_type" not in v
        out[k] = _merge(out[k], v) if deep else v  # a new model_type replaces the hf_config
    return out


def config(preset: str, override: dict) -> VQAConfig:
    import yaml

    data = yaml.safe_load((PRESET_DIR / f"{preset}.yaml").read_text())
    return from_dict(VQAConfig, _merge(data, override), where=preset)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", default="tiny")
    ap.add_argument("--override", default="{}", help="JSON merged into the preset YAML")
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--minutes", type=float, default=None, help="stop training after this long")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--train-per-photo", type=int, default=40)
    ap.add_argument("--test-per-photo", type=int, default=20)
    ap.add_argument("--size", default="192x144", help="clip WxH (native resolution)")
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--fps", type=float, default=8.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jitter", action="store_true",
                    help="training fragments at random offsets in their cells (FAST-VQA)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    w, h = map(int, a.size.split("x"))

    cfg = config(a.preset, json.loads(a.override))
    model = build_model(cfg)
    t0 = time.perf_counter()
    train = make_clips(TRAIN_PHOTOS, a.train_per_photo, a.seed, w, h, a.frames, a.fps)
    test = make_clips(TEST_PHOTOS, a.test_per_photo, a.seed + 1000, w, h, a.frames, a.fps)
    train_v = [sampled(model.cfg, c) for c in train]
    test_v = [sampled(model.cfg, c) for c in test]
    data_s = time.perf_counter() - t0
    samples = [sample_of(c) for c in train]
    unk = model.tokenizer.unk_token_id
    for lvl in LEVELS:
        ids = model.tokenizer(f"The quality of this video is {lvl}.")["input_ids"]
        assert unk not in ids, f"[UNK] in the answer for {lvl!r}"
    n_params = sum(p.numel() for p in model.parameters())
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"data: {len(train)} train clips ({len(TRAIN_PHOTOS)} photos), {len(test)} held-out "
          f"({len(TEST_PHOTOS)} photos: {', '.join(TEST_PHOTOS)}), {w}x{h}, {a.frames} frames; "
          f"built in {data_s:.0f}s; params {n_params:,} ({n_train:,} trainable)", flush=True)

    before = evaluate(model, test, test_v)
    print("before:", json.dumps(before), flush=True)

    opt = torch.optim.AdamW(model.param_groups(a.lr, weight_decay=a.weight_decay), lr=a.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / a.warmup) * 0.5 * (
        1 + math.cos(math.pi * min(1.0, s / a.steps))))
    rng = np.random.default_rng(a.seed)
    model.train()
    t0, step, log = time.perf_counter(), 0, []
    while step < a.steps:
        if a.minutes and time.perf_counter() - t0 > a.minutes * 60:
            break
        idx = rng.choice(len(train), size=a.batch, replace=False)
        out = loss_on(model, [prepare_sample(model, samples[i], jittered(model.cfg, train_v[i],
                                                                          rng if a.jitter else None))
                              for i in idx])
        opt.zero_grad()
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        step += 1
        log.append((out["lm_loss"].item(), out.get("score_loss", torch.zeros(())).item()))
        if step % 50 == 0 or step == a.steps:
            lm, sc = np.mean(log[-50:], axis=0)
            print(f"step {step}: lm {lm:.3f} score {sc:.3f} "
                  f"({step / (time.perf_counter() - t0):.2f} steps/s)", flush=True)
    train_s = time.perf_counter() - t0
    after = evaluate(model, test, test_v)
    seen = evaluate(model, train[::10], train_v[::10])
    result = {"preset": a.preset, "override": json.loads(a.override), "steps": step,
              "batch": a.batch, "lr": a.lr, "train_s": round(train_s, 1),
              "steps_per_s": round(step / train_s, 2), "before": before, "after": after,
              "train_subset_after": seen}
    print("after (held-out):", json.dumps(after))
    print("after (train subset):", json.dumps(seen))
    print(f"trained {step} steps × batch {a.batch} in {train_s:.0f}s "
          f"({step / train_s:.2f} steps/s)")
    if a.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
