"""The training job's one YAML, validated into dataclasses before Ray starts.

A strategy is data, not a code path: `stages` is an ordered list, each stage naming its datasets
and its optimisation. OmniVQA's direct / mix / complementary (both orders) are stage lists in
`configs/local-*.yaml`; a later stage starts from the previous stage's weights."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from vqa.data import TASKS
from vqa.errors import ConfigError
from vqa.model.lora import GROUPS

CHECKPOINTABLE = ("vision", "language")  # groups with transformer layers to recompute


@dataclass
class ModelSpec:
    PATHS = ('init_from',)  # storage paths: vqa.storage.resolve at load
    preset: str = "tiny"
    overrides: dict[str, Any] = field(default_factory=dict)  # VQAConfig keys, e.g. lora: {r: 8}
    init_from: str | None = None  # a saved folder or models:/NAME/VERSION to start from
    seed: int = 0  # random init of a preset


@dataclass
class DatasetSpec:
    PATHS = ('path',)  # storage paths: vqa.storage.resolve at load
    path: str  # instruction samples (JSONL / parquet), as `vqa.data.read_samples` reads them
    tasks: list[str] = field(default_factory=list)  # keep only these tasks (empty: all)
    meta: dict[str, list] = field(default_factory=dict)  # keep rows whose meta has key ∈ values
    max_samples: int | None = None
    # times each row is drawn per epoch: the dataset's weight in a stage's mixture (the integer
    # part repeats every row, the fraction draws a seeded subset), e.g. the "where" questions
    # again beside the whole in-context set
    repeat: float = 1.0

    def check(self, name: str) -> None:  # named: the key in `datasets` is not its own
        bad = set(self.tasks) - set(TASKS)
        if bad:
            raise ConfigError(f"datasets.{name}.tasks: unknown {sorted(bad)}; known {TASKS}")
        if not self.repeat > 0:
            raise ConfigError(f"datasets.{name}.repeat must be > 0, got {self.repeat}")
        for key, values in self.meta.items():
            if not isinstance(values, list) or not values:
                raise ConfigError(f"datasets.{name}.meta.{key}: give a non-empty list of the "
                                  f"values to keep, e.g. {{aspect: [where, when]}}")


@dataclass
class OptimConfig:
    lr: float = 1e-5  # OmniVQA Table 5
    group_lr: dict[str, float] = field(default_factory=dict)  # e.g. {vision: 2.0e-6}
    weight_decay: float = 0.0
    warmup_ratio: float = 0.03
    scheduler: Literal["cosine", "linear", "constant"] = "cosine"
    epochs: float = 1.0
    max_steps: int | None = None  # optimizer steps; wins over epochs
    batch_size: int = 1  # samples per worker per micro-batch
    grad_accum: int = 1
    max_grad_norm: float = 1.0
    betas: list[float] = field(default_factory=lambda: [0.9, 0.999])
    precision: Literal["fp32", "bf16", "fp16"] = "bf16"

    def validate(self) -> None:
        if self.lr <= 0 or any(v <= 0 for v in self.group_lr.values()):
            raise ConfigError("optim: lr and group_lr values must be > 0")
        bad = set(self.group_lr) - set(GROUPS)
        if bad:
            raise ConfigError(f"optim.group_lr: unknown groups {sorted(bad)}; known {GROUPS}")
        if not 0 <= self.warmup_ratio < 1:
            raise ConfigError(f"optim.warmup_ratio must be in [0, 1), got {self.warmup_ratio}")
        if self.batch_size < 1 or self.grad_accum < 1:
            raise ConfigError("optim: batch_size and grad_accum must be >= 1")
        if self.max_steps is None and self.epochs <= 0:
            raise ConfigError("optim: set epochs > 0 or max_steps")
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError("optim.max_steps must be >= 1")


@dataclass
class StageConfig:
    name: str
    datasets: list[str]
    optim: OptimConfig = field(default_factory=OptimConfig)
    trainable: dict[str, bool] = field(default_factory=dict)  # per-stage group flags override


@dataclass
class DeepSpeedConfig:
    zero_stage: Literal[0, 1, 2, 3] = 2
    offload_optimizer: bool = False
    offload_params: bool = False  # ZeRO-3 only
    extra: dict[str, Any] = field(default_factory=dict)  # merged into the generated config

    def validate(self) -> None:
        if self.offload_params and self.zero_stage != 3:
            raise ConfigError("deepspeed.offload_params needs zero_stage 3")
        if self.offload_optimizer and self.zero_stage == 0:
            raise ConfigError("deepspeed.offload_optimizer needs zero_stage >= 1")


@dataclass
class CheckpointConfig:
    every_steps: int | None = 50  # plus one at every stage end
    keep: int = 2


@dataclass
class ScalingConfig:
    workers: int = 2
    gpus_per_worker: float = 0.0  # > 0: use GPUs (NCCL), else CPU workers (gloo)
    cpus_per_worker: float = 1.0


@dataclass
class FramesSpec:
    """Pre-decoded frame shards (`vqa frames`): workers never decode. `root: null` decodes each
    clip in the worker (fine for small runs)."""
    PATHS = ('root',)  # storage paths: vqa.storage.resolve at load

    root: str | None = None
    build: bool = True  # decode what the shards lack before training (a Ray Data step)


@dataclass
class ValidationConfig:
    """Held-out rating correlation during training (`vqa.train.validation`): a curve in MLflow
    and the number Ray Tune's scheduler ranks trials by."""
    dataset: str  # a name in `datasets`, or a samples file (rows with a `mos`)
    every_steps: int = 50  # global optimizer steps between validations (and at stage ends)
    max_videos: int | None = None  # the first N distinct videos


@dataclass
class TrainConfig:
    PATHS = ('out', 'storage_path')  # storage paths: vqa.storage.resolve at load
    name: str  # fixed run name: the same name and storage resume the same run
    datasets: dict[str, DatasetSpec]
    stages: list[StageConfig]
    model: ModelSpec = field(default_factory=ModelSpec)
    strategy: str = ""  # a label for the stage list (direct | mix | complementary …)
    out: str = "train_out"  # final model folder + summary
    storage_path: str | None = None  # Ray Train storage; default OUT/ray
    deepspeed: DeepSpeedConfig = field(default_factory=DeepSpeedConfig)
    checkpoint: CheckpointConfig = field(default_factory=CheckpointConfig)
    scaling: ScalingConfig = field(default_factory=ScalingConfig)
    frames: FramesSpec = field(default_factory=FramesSpec)
    seed: int = 0
    max_failures: int = 1  # Ray Train FailureConfig: restarts from the latest checkpoint
    log_every: int = 5  # steps between metric reports / progress lines
    register_as: str | None = None  # MLflow registered model name (None: log, not register)
    validation: ValidationConfig | None = None  # held-out SRCC / PLCC while training
    # recompute these groups' layer activations in the backward pass (vision, language):
    # activation memory of a layer's inputs only, for about a third more compute per step
    activation_checkpointing: list[str] = field(default_factory=list)

    def validate(self) -> None:
        if not self.stages:
            raise ConfigError("stages: a training job needs at least one stage")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise ConfigError(f"stages: names must be unique, got {names}")
        for s in self.stages:
            if not s.datasets:
                raise ConfigError(f"stages.{s.name}.datasets: empty")
            missing = [d for d in s.datasets if d not in self.datasets]
            if missing:
                raise ConfigError(f"stages.{s.name}.datasets: unknown {missing}; defined "
                                  f"datasets: {sorted(self.datasets)}")
            bad = set(s.trainable) - set(GROUPS)
            if bad:
                raise ConfigError(f"stages.{s.name}.trainable: unknown groups {sorted(bad)}; "
                                  f"known {GROUPS}")
        for name, d in self.datasets.items():
            d.check(name)
        if self.scaling.workers < 1:
            raise ConfigError("scaling.workers must be >= 1")
        if self.checkpoint.every_steps is not None and self.checkpoint.every_steps < 1:
            raise ConfigError("checkpoint.every_steps must be >= 1 (or null)")
        if self.checkpoint.keep < 1:
            raise ConfigError("checkpoint.keep must be >= 1")
        if self.log_every < 1:
            raise ConfigError("log_every must be >= 1")
        if self.validation is not None:
            if self.validation.every_steps < 1:
                raise ConfigError("validation.every_steps must be >= 1")
        bad = set(self.activation_checkpointing) - set(CHECKPOINTABLE)
        if bad:
            raise ConfigError(f"activation_checkpointing: unknown groups {sorted(bad)}; known "
                              f"{list(CHECKPOINTABLE)}")
        if self.deepspeed.zero_stage == 3 and len({s.optim.precision for s in self.stages}) > 1:
            raise ConfigError("stages.*.optim.precision: under ZeRO-3 every stage trains in one "
                              "precision (the partitioned weights are built in it)")
        for s in self.stages:
            if s.optim.precision == "fp16" and self.scaling.gpus_per_worker <= 0:
                raise ConfigError(f"stages.{s.name}.optim.precision: fp16 needs GPU workers "
                                  f"(DeepSpeed has no fp16 on CPU); use bf16 or fp32, or set "
                                  f"scaling.gpus_per_worker")
        if "/" in self.name or not self.name:
            raise ConfigError(f"name: {self.name!r} must be a non-empty name without '/'")
