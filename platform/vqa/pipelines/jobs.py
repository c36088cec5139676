"""Job kind → its config dataclass ("module:Class", so that reading one kind's config imports
only its module); `configs/{local,cluster}-<kind>.yaml` load into these, and a test loads every
config in the repo through this table. Each class sits beside the code it configures (a library
room's config module, or the job's pipeline here); the table sits on the floor of the jobs it
names, so `vqa.config` below it knows no job."""

from __future__ import annotations

import importlib

from vqa.errors import ConfigError

JOB_CONFIGS = {
    "ingest": "vqa.pipelines.ingest:IngestConfig",
    "label": "vqa.pipelines.label:LabelConfig",
    "mos": "vqa.pipelines.mos:MosJobConfig",
    "synthesize": "vqa.pipelines.synthesize:SynthesizeConfig",
    "synthesize-rating": "vqa.pipelines.synthesize:SynthesizeConfig",  # its --mode rating
    "annotate": "vqa.annotate.config:AnnotateConfig",
    "train": "vqa.train.config:TrainConfig",
    "frames": "vqa.pipelines.frames:FramesJobConfig",
    "evaluate": "vqa.evaluate.config:EvaluateConfig",
    "tune": "vqa.train.search:TuneJobConfig",
    "pipeline": "vqa.pipeline.config:PipelineConfig",
}


def config_class(kind: str) -> type:
    if kind not in JOB_CONFIGS:
        raise ConfigError(f"unknown job kind '{kind}'; known: {sorted(JOB_CONFIGS)}")
    module, name = JOB_CONFIGS[kind].split(":")
    return getattr(importlib.import_module(module), name)


def config_of(kind: str) -> type | None:
    """The config class of a `vqa` command's job kind; None for a command without one."""
    return config_class(kind) if kind in JOB_CONFIGS else None
