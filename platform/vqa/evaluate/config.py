"""`vqa evaluate`'s config: which model, which labels and benchmarks, how many actors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from vqa.errors import ConfigError
from vqa.evaluate.judge import JudgeConfig


@dataclass
class EvaluateConfig:
    PATHS = ("model", "labels", "benchmarks", "attributes", "out", "video_root")  # vqa.storage.resolve at load
    model: str | None = None          # saved model folder or models:/NAME/VERSION (runs:/…)
    labels: list[str] = field(default_factory=list)      # rating labels files (any form)
    benchmarks: list[str] = field(default_factory=list)  # Q-Bench-Video .json / FG .jsonl
    attributes: list[str] = field(default_factory=list)  # FineVD-style instruction files
    subsets: list[str] = field(default_factory=list)     # keep only these (e.g. [test])
    video_root: str | None = None     # relative video names resolve here (else beside the file)
    out: str | None = None            # also keep the outputs here (MLflow always gets them)
    actors: int = 1                   # Ray Data actors, each holding one model
    actor_cpus: float = 1.0
    actor_gpus: float | None = None   # None: 1 per actor when the cluster has GPUs, else 0
    batch_size: int = 2               # items per actor call
    # greedy text; the likeliest option letter's first token ("likelihood"); or the likeliest
    # whole option answer, "B. the 2nd second" ("answer_likelihood", lm-evaluation-harness's
    # multiple-choice scoring). Both likelihoods always give a letter: no judge needed
    answer: Literal["generate", "likelihood", "answer_likelihood"] = "generate"
    max_new_tokens: int = 64
    bootstrap: int = 1000             # resamples for the CIs (0: none)
    confidence: float = 0.95
    seed: int = 0
    judge: JudgeConfig = field(default_factory=JudgeConfig)

    def validate(self) -> None:
        if not self.model:
            raise ConfigError("evaluate: give a model (a saved folder or models:/NAME/VERSION)")
        if not self.labels and not self.benchmarks and not self.attributes:
            raise ConfigError("evaluate: give labels (rating), benchmarks and/or attributes")
        if self.actors < 1 or self.batch_size < 1 or self.max_new_tokens < 1:
            raise ConfigError("evaluate: actors, batch_size and max_new_tokens must be >= 1")
        if self.bootstrap < 0 or not 0 < self.confidence < 1:
            raise ConfigError("evaluate: need bootstrap >= 0 and 0 < confidence < 1")
        self.judge.validate()
