"""Every `configs/local-*.yaml` runs after `make demo` as written: each input path it names under
demo_out/ is one the demo writes. What the demo writes is read from its own config
(configs/local-pipeline.yaml, what `vqa.demo` runs): each step's folder, and every step output a
later step reads there ({rating}/labels.csv, {train}/model, …) — so the demo itself proves they
exist. Keys named `out` are where a job writes: anywhere under demo_out/ is fine."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = ROOT / "configs" / "local-pipeline.yaml"
OUTPUT_KEYS = {"out", "storage_path"}


def strings(value, key=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from strings(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v, key)
    elif isinstance(value, str):
        yield key, value


def demo_writes() -> set[str]:
    from vqa.demo import CONFIG

    assert Path(CONFIG).resolve() == PIPELINE
    cfg = yaml.safe_load(PIPELINE.read_text())
    out = cfg["out"]
    steps = {s["name"] for s in cfg["steps"] if "run" in s}
    written = {f"{out}/{s}" for s in steps}
    for _, text in strings(cfg["steps"]):
        for name, rest in re.findall(r"\{([\w-]+)\}(/[^\s\"']*)?", text):
            if name == "out" and rest:
                written.add(out + rest.rstrip("/"))
            elif name in steps and rest:
                written.add(f"{out}/{name}{rest.rstrip('/')}")
    from vqa.distort.rating import SPLITS  # the rating mode writes one samples file per split

    for s in cfg["steps"]:
        if s.get("run", [])[:3] == ["synthesize", "--mode", "rating"]:
            written |= {f"{out}/{s['name']}/{split}/samples.jsonl" for split in SPLITS}
    return written


def test_every_local_config_reads_only_what_the_demo_writes():
    written = demo_writes()
    assert {"demo_out/train/model", "demo_out/rating/labels.csv"} <= written  # the reading works
    wrong = []
    for path in sorted((ROOT / "configs").glob("local-*.yaml")):
        if path == PIPELINE:
            continue
        for key, value in strings(yaml.safe_load(path.read_text())):
            if value.startswith("demo_out/") and key not in OUTPUT_KEYS \
                    and value.rstrip("/") not in written:
                wrong.append(f"{path.name}: {key}: {value}")
    assert not wrong, f"not written by `make demo`: {wrong}"
