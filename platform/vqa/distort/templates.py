"""Template files (question phrasings are data, many per question, so a model does not learn
one sentence)."""

from __future__ import annotations

import functools
from importlib import resources

import yaml


@functools.cache
def load_templates(name: str) -> dict:
    """`vqa/distort/templates/<name>.yaml`, or a path to a user's own file."""
    if name.endswith((".yaml", ".yml")):
        with open(name) as f:
            return yaml.safe_load(f)
    text = resources.files("vqa.distort").joinpath("templates").joinpath(f"{name}.yaml").read_text()
    return yaml.safe_load(text)


def fill(template: str, values: dict) -> str:
    return template.format(**values)
