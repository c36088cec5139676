"""The 7B job rehearsed on CPU at a real architecture's shape: a Qwen2 LLM of the 0.5 B shape and
a SigLIP-base-shape tower with random weights, saved as real checkpoint folders (config.json,
safetensors in shards with their index, a tokenizer beside them), pointed at by `pretrained:`
paths in a config shaped like configs/cluster-omnivqa-7b.yaml, exactly as a team points at
/models/... Then, through the `vqa` commands: the memory plan, training with 2 workers (ZeRO-3,
activation checkpointing, LoRA, bf16), the same without checkpointing and with ZeRO-2,
registration, serving (rater + chatter) and one chat through the `openai` client.

    python benchmarks/rehearsal.py --out /tmp/rehearsal            # ~15 min on 2 CPUs

Prints one JSON object: the plan's per-worker figures beside each run's measured peak (resident
set above the worker's start, `memory_peak_gib - memory_start_gib`), seconds per step, and the
served answers. Results: docs/BENCHMARKS.md, "Real-size rehearsal on CPU"."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import yaml

QWEN2_05B = {"model_type": "qwen2", "hidden_size": 896, "intermediate_size": 4864,
             "num_hidden_layers": 24, "num_attention_heads": 14, "num_key_value_heads": 2,
             "vocab_size": 151936, "max_position_embeddings": 32768, "rope_theta": 1e6,
             "tie_word_embeddings": True}
SIGLIP_BASE = {"model_type": "siglip_vision_model", "hidden_size": 768,
               "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12,
               "image_size": 224, "patch_size": 16, "vision_use_head": False}
LEVELS = ["excellent", "good", "fair", "poor", "low"]


def checkpoints(root: Path) -> dict[str, str]:
    """The folders a team keeps under /models, made once (random weights)."""
    from transformers import AutoModel, AutoModelForCausalLM

    from vqa.model.components import hf_config
    from vqa.model.slowfast import SlowFast, SlowFastConfig
    from vqa.model.tokenizer import build_tiny_tokenizer

    out = {k: root / k for k in ("llm", "vision", "tokenizer")}
    out["slowfast"] = root / "SLOWFAST_8x8_R50.pyth"
    if not (out["llm"] / "config.json").exists():
        torch.manual_seed(0)
        AutoModelForCausalLM.from_config(hf_config(QWEN2_05B)).save_pretrained(
            out["llm"], max_shard_size="400MB")
        AutoModel.from_config(hf_config(SIGLIP_BASE)).save_pretrained(out["vision"],
                                                                      max_shard_size="200MB")
        build_tiny_tokenizer().save_pretrained(out["tokenizer"])
        torch.save(SlowFast(SlowFastConfig()).state_dict(), out["slowfast"])
    return {k: str(v) for k, v in out.items()}


def samples(root: Path, n: int = 8) -> Path:
    """n real-content 4 s clips and their rating samples."""
    from vqa.corpus import pan_zoom, photo
    from vqa.video import write_video

    root.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n):
        clip = root / f"clip{i}.mp4"
        if not clip.exists():
            frames = pan_zoom(photo("hubble_deep_field" if i % 2 else "retina"), 320, 240, 100,
                              np.random.default_rng(i))
            write_video(frames, 25, clip, quality=20 + 4 * i, preset="veryfast")
        lv = LEVELS[i % 5]
        rows.append({"id": f"r{i}", "video": str(clip), "task": "rating", "mos": 90.0 - 20 * (i % 5),
                     "conversations": [
                         {"from": "human", "value": "<video>\nHow would you rate the quality of "
                                                    "this video?"},
                         {"from": "gpt", "value": f"The quality of this video is {lv}."}]})
    path = root / "rating.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def job(out: Path, models: dict, data: Path, name: str, zero: int, checkpointing: bool,
        steps: int, keyframes: int) -> Path:
    cfg = {
        "name": name, "strategy": "direct", "out": str(out / name),
        "model": {"preset": "omnivqa-7b", "overrides": {
            "vision": {"pretrained": models["vision"]}, "llm": {"pretrained": models["llm"]},
            "motion": {"pretrained": models["slowfast"]}, "tokenizer": models["tokenizer"],
            "frames": {"keyframe_size": 224, "max_keyframes": keyframes, "motion_size": 64},
            "lora": {"targets": ["vision", "language"], "r": 8, "alpha": 16}}},
        "datasets": {"rating": {"path": str(data)}},
        "stages": [{"name": "rating", "datasets": ["rating"],
                    "optim": {"lr": 1e-4, "max_steps": steps, "batch_size": 1,
                              "precision": "bf16", "warmup_ratio": 0.0}}],
        "deepspeed": {"zero_stage": zero},
        "scaling": {"workers": 2, "cpus_per_worker": 1},
        "activation_checkpointing": ["vision", "language"] if checkpointing else [],
        "checkpoint": {"every_steps": None, "keep": 1}, "log_every": 1,
        "register_as": "rehearsal-05b" if name == "zero3-ckpt" else None}
    path = out / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def vqa(*args: str, env: dict) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "vqa.cli", *args]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode:
        raise SystemExit(f"{' '.join(args)} → exit {res.returncode}\n{res.stderr[-3000:]}")
    return res


def train_run(out: Path, path: Path, env: dict) -> dict:
    t0 = time.perf_counter()
    vqa("train", "--config", str(path), env=env)
    name = path.stem
    s = json.loads((out / name / "summary.json").read_text())
    per_step = 2 / s["samples_per_s"]  # the last step's window: 2 workers × batch 1
    return {"wall_s": round(time.perf_counter() - t0, 1), "s_per_step": round(per_step, 1),
            "peak_gib": round(s["memory_peak_gib"], 2),
            "above_start_gib": round(s["memory_peak_gib"] - s["memory_start_gib"], 2),
            "model_uri": s.get("model_uri")}


def serve_and_chat(model_uri: str, clip: str, media: str, env: dict) -> dict:
    import openai
    import requests

    port = 8765
    proc = subprocess.Popen([sys.executable, "-m", "vqa.cli", "serve", "--model", model_uri,
                             "--port", str(port), "--media-root", media], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/v1/models", timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # starting, or busy loading
                pass
            if proc.poll() is not None:
                raise SystemExit(f"vqa serve exited {proc.returncode}: {proc.stdout.read()}")
            time.sleep(2)
        t0 = time.perf_counter()
        rated = requests.post(f"{base}/rate", json={"uri": Path(clip).as_uri()},
                              timeout=600).json()
        rate_s = time.perf_counter() - t0
        client = openai.OpenAI(base_url=f"{base}/v1", api_key="none", max_retries=0,
                               timeout=600)
        t0 = time.perf_counter()
        resp = client.chat.completions.create(
            model=client.models.list().data[0].id, max_tokens=8,
            messages=[{"role": "user", "content": [
                {"type": "video_url", "video_url": {"url": Path(clip).as_uri()}},
                {"type": "text", "text": "How would you rate the quality of this video?"}]}])
        return {"rate": {k: rated.get(k) for k in ("score", "level")},
                "rate_s": round(rate_s, 1), "chat_s": round(time.perf_counter() - t0, 1),
                "chat": resp.choices[0].message.content,
                "finish_reason": resp.choices[0].finish_reason}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=120)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=Path("rehearsal_out"))
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--keyframes", type=int, default=2)
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    # glibc's dynamic mmap threshold rises after large frees and keeps later large blocks in
    # the heap, which it does not hand back: measured here, a ZeRO-3 worker's RSS grew to 2.5×
    # its live tensors over two steps. A fixed threshold hands them back, so the RSS measures
    # what training holds (what the plan predicts); the workers inherit it through Ray.
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{a.out.resolve()}/mlruns.db",
           "MALLOC_MMAP_THRESHOLD_": "65536"}
    models = checkpoints(a.out / "models")
    data = samples(a.out / "data")
    report: dict = {"models": models}
    first = job(a.out, models, data, "zero3-ckpt", 3, True, a.steps, a.keyframes)
    plan = json.loads(vqa("train", "--plan", "--json", "--config", str(first), env=env).stdout)
    report["plan"] = {k: v for k, v in plan[0].items() if k.startswith(("gpu_gib", "tokens",
                                                                         "activations_gib"))}
    report["params"] = {k: v for k, v in plan[0].items() if k.startswith(("params", "trainable"))}
    runs = {}
    for name, zero, ck in (("zero3-ckpt", 3, True), ("zero3-no-ckpt", 3, False),
                           ("zero2-ckpt", 2, True)):
        path = job(a.out, models, data, name, zero, ck, a.steps, a.keyframes)
        if name != "zero3-ckpt":
            p = json.loads(vqa("train", "--plan", "--json", "--config", str(path),
                               env=env).stdout)[0]
        else:
            p = plan[0]
        runs[name] = {**train_run(a.out, path, env), "plan_gib": p["gpu_gib.total"]}
        print(name, json.dumps(runs[name]), file=sys.stderr, flush=True)
    report["runs"] = runs
    report["serve"] = serve_and_chat(runs["zero3-ckpt"]["model_uri"],
                                     json.loads(data.read_text().splitlines()[0])["video"],
                                     str(data.parent), env)
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
