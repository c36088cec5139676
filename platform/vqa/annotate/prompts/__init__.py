"""Versioned prompt templates: `<name>.<version>.txt` files rendered with `str.format`.

A prompt set's hash (over every template's name and text) goes into every output row and into
MLflow, so an instruction sample can always be traced to the exact wording that produced it.
Point `prompts_dir` at a folder of your own `<name>.<version>.txt` files to change the wording
without touching code; missing names fall back to the packaged ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from vqa.errors import ConfigError

PACKAGED = Path(__file__).resolve().parent
NAMES = ("questions", "expert_system", "summarizer", "judge_vote", "writer_technical",
         "aesthetic_aspect", "writer_aesthetic")


@dataclass(frozen=True)
class PromptSet:
    version: str
    templates: dict[str, str]
    hashes: dict[str, str]  # per template, 12 hex digits

    @property
    def hash(self) -> str:
        """One hash over the whole set (what output rows carry)."""
        h = hashlib.sha256()
        for name in sorted(self.templates):
            h.update(name.encode() + b"\0" + self.templates[name].encode() + b"\0")
        return h.hexdigest()[:12]

    def render(self, name: str, **values) -> str:
        try:
            return self.templates[name].format(**values).strip()
        except KeyError as exc:
            raise ConfigError(f"prompt {name}.{self.version}: unknown placeholder {exc}") from exc

    def questions(self, factor: str, k: int) -> list[str]:
        """K paraphrases of the same question (cycled if the file has fewer lines than K)."""
        lines = [q.strip() for q in self.templates["questions"].splitlines() if q.strip()]
        return [lines[i % len(lines)].format(factor=factor) for i in range(k)]


def load_prompts(version: str = "v1", directory: str | None = None) -> PromptSet:
    templates = {}
    for name in NAMES:
        candidates = ([Path(directory) / f"{name}.{version}.txt"] if directory else []) + [
            PACKAGED / f"{name}.{version}.txt"]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            raise ConfigError(f"prompt template {name}.{version}.txt not found in "
                              f"{directory or PACKAGED}")
        templates[name] = path.read_text()
    hashes = {n: hashlib.sha256(t.encode()).hexdigest()[:12] for n, t in templates.items()}
    return PromptSet(version, templates, hashes)
