"""The annotation config: four roles and the two branches, with OmniVQA's constants as defaults
(K = 5 paraphrases, >= 3 of 5 agree, 3 voting rounds on 0/1/2, 3 + 1 technical and 6 + 1
aesthetic Q&A per video)."""

from __future__ import annotations

from dataclasses import dataclass, field

from vqa.annotate.endpoints import EndpointConfig
from vqa.annotate.voting import VotingConfig
from vqa.errors import ConfigError

FACTORS = ["sharpness", "light", "compression", "color", "noise", "fluency", "motion blur",
           "camera shake"]
TECHNICAL_QUESTION = ("Please describe the overall quality of this video, please evaluate as many "
                      "quality factors as possible.")
AESTHETIC_QUESTION = "Please give a detailed description of the aesthetic effects of the video."
ASPECTS = {  # OmniVQA §3.4, after AesExpert
    "aesthetic style": "Label the aesthetic style of the video.",
    "spatiotemporal analysis": "Perform a detailed aesthetic analysis of the video from the "
                               "spatial and temporal perspectives.",
    "emotional repercussions": "Describe the emotional experience that the video may evoke in "
                               "viewers.",
}


@dataclass
class Roles:
    expert: EndpointConfig = field(default_factory=lambda: EndpointConfig(
        model="expert", media="video_url", temperature=0.7))
    summarizer: EndpointConfig = field(default_factory=lambda: EndpointConfig(
        model="summarizer", temperature=0.2, json_mode=True))
    judge: EndpointConfig = field(default_factory=lambda: EndpointConfig(
        model="judge", media="image_url", temperature=0.7, json_mode=True))
    writer: EndpointConfig = field(default_factory=lambda: EndpointConfig(
        model="writer", temperature=0.2, json_mode=True, max_tokens=2048))


@dataclass
class TechnicalConfig:
    factors: list[str] = field(default_factory=lambda: list(FACTORS))
    k: int = 5  # paraphrased questions → expert answers per factor
    min_agree: int = 3  # answers sharing a verdict for it to be positive
    voting: VotingConfig = field(default_factory=VotingConfig)
    qa_pairs: int = 3  # per video, besides the summary question
    qa_types: list[str] = field(default_factory=lambda: ["binary", "mcq", "open"])
    summary_question: str = TECHNICAL_QUESTION

    def validate(self) -> None:
        if not self.factors or self.k < 1 or not 1 <= self.min_agree <= self.k:
            raise ConfigError(f"technical: need factors, k >= 1 and 1 <= min_agree <= k "
                              f"(k={self.k}, min_agree={self.min_agree})")


@dataclass
class AestheticConfig:
    aspects: dict[str, str] = field(default_factory=lambda: dict(ASPECTS))
    qa_pairs: int = 6
    qa_types: list[str] = field(default_factory=lambda: ["binary", "mcq", "open"])
    summary_question: str = AESTHETIC_QUESTION


@dataclass
class AnnotateConfig:
    PATHS = ('manifest', 'out', 'prompts_dir')  # storage paths: vqa.storage.resolve at load
    manifest: str = ""  # an ingest manifest (parquet); status=ok rows are annotated
    out: str = ""
    roles: Roles = field(default_factory=Roles)
    branches: list[str] = field(default_factory=lambda: ["technical", "aesthetic"])
    technical: TechnicalConfig = field(default_factory=TechnicalConfig)
    aesthetic: AestheticConfig = field(default_factory=AestheticConfig)
    prompts_version: str = "v1"
    prompts_dir: str | None = None  # your own `<name>.<version>.txt` templates
    keyframe_size: int = 384  # 1 fps keyframes for image-only endpoints and the judge
    max_keyframes: int = 15
    actors: int = 2  # endpoint actors (each: one event loop, its own in-flight bound per role)
    max_in_flight: int = 64  # requests in flight per actor, all roles together (each role
    # also has its own `max_in_flight`, to spare one server); the job's bound: actors × this
    actor_cpus: float = 0.25  # the work is waiting on HTTP; decoding keyframes is the CPU part
    batch_size: int = 2  # videos per batch
    batches_per_actor: int = 8  # batches one actor works on at once
    retry_errors: bool = True  # a re-run retries error rows (done rows are always skipped)
    min_reviewers: int = 1  # human decisions needed per review item
    limit: int | None = None  # annotate at most this many videos (smoke runs)
    seed: int = 0  # judge rounds send seed + round; back-off jitter

    def validate(self) -> None:
        if not self.manifest or not self.out:
            raise ConfigError("manifest and out are required (--manifest / --out or the config)")
        bad = set(self.branches) - {"technical", "aesthetic"}
        if bad or not self.branches:
            raise ConfigError(f"branches: choose from technical, aesthetic; got {self.branches}")
        if min(self.actors, self.batch_size, self.batches_per_actor, self.max_in_flight) < 1:
            raise ConfigError("actors, batch_size, batches_per_actor, max_in_flight must be >= 1")
        if self.min_reviewers < 1:
            raise ConfigError("min_reviewers must be >= 1")
