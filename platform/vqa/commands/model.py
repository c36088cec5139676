"""`vqa model init`: build a model from a preset and save it as a folder `vqa score` can load."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from vqa.errors import InputError

UNTRAINED = "random init, untrained: its scores are NOT quality judgements"


def register(sub: argparse._SubParsersAction) -> None:
    from vqa.model.presets import names

    p = sub.add_parser("model", help="make VQA model folders: `vqa model init` (the only action "
                                     "so far) builds a preset and saves it",
                       description="Actions: init — build a preset (tiny: random init) and save "
                                   "it as a folder `vqa score` and `vqa train` load.")
    msub = p.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    init = msub.add_parser(
        "init", help="build a preset and save it (save_pretrained folder)",
        description="Build the preset (tiny: random init from config, no download; real "
                    "presets load their checkpoints by path or hub id) and save it to OUT.")
    init.add_argument("--preset", default="tiny", choices=names())
    init.add_argument("--out", required=True, help="folder to write")
    init.add_argument("--seed", type=int, default=0, help="seed of the random init")
    init.add_argument("--overwrite", action="store_true",
                      help="replace a saved model already in OUT (refused without it)")
    init.add_argument("--json", action="store_true", help="print the summary as JSON")
    init.set_defaults(func=main_init)


def main_init(args: argparse.Namespace) -> int:
    import torch

    from vqa.commands.common import print_summary
    from vqa.model.lora import count_trainable
    from vqa.model.presets import build_model, preset_config

    from vqa.model.checkpoint import CONFIG
    from vqa.outputs import check_out_dir

    check_out_dir(args.out, args.overwrite)
    if (Path(args.out) / CONFIG).exists() and not args.overwrite:
        raise InputError(f"--out {args.out}: holds a saved model ({CONFIG})",
                         "pass --overwrite to replace it, or choose another --out")
    torch.manual_seed(args.seed)
    cfg = preset_config(args.preset)
    if cfg.vision.pretrained is None and cfg.llm.pretrained is None:
        cfg.note = UNTRAINED
    model = build_model(cfg)
    model.save_pretrained(args.out)
    summary = {"preset": args.preset, "out": args.out, "note": cfg.note or "-",
               "parameters": sum(p.numel() for p in model.parameters()),
               "trainable": count_trainable(model)}
    summary["mlflow_run_id"] = track_init(args, summary)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print_summary("model init", summary)
    return 0


def track_init(args: argparse.Namespace, summary: dict) -> str:
    """An MLflow run `model init: <preset> → <out>` with the flags and the printed summary."""
    from vqa.storage import short_name
    from vqa.tracking import record_run

    return record_run("model-init", {"preset": args.preset, "out": args.out, "seed": args.seed},
                      summary, f"model init: {args.preset} → {short_name(args.out)}")
