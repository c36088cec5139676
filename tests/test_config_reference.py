import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from vqa import config_reference
from vqa.pipelines.jobs import JOB_CONFIGS, config_class
from vqa.config_reference import COMMAND, example_configs, main, render, section

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def text() -> str:
    return render()


def test_docs_config_md_is_current(text):
    doc = ROOT / "docs" / "CONFIG.md"
    assert doc.is_file() and doc.read_text() == text, (
        f"docs/CONFIG.md is out of date (a config field changed): run {COMMAND}")


def dotted_keys(cls: type, prefix: str = "", seen: set | None = None):
    """Every key a YAML file can set, as the reference spells it; a class met again in the same
    job is documented once (at its first key), so its fields are not expected twice."""
    seen = {cls} if seen is None else seen
    hints, children = typing.get_type_hints(cls), []
    for f in dataclasses.fields(cls):
        key, tp = prefix + f.name, hints[f.name]
        yield key
        while typing.get_origin(tp) in (list, tuple, dict, typing.Union, types.UnionType):
            origin, args = typing.get_origin(tp), typing.get_args(tp)
            if origin in (typing.Union, types.UnionType):
                tp = next(a for a in args if a is not type(None))
            else:
                tp = args[-1] if origin is dict else args[0]
                key += ".<name>" if origin is dict else "[]"
        if dataclasses.is_dataclass(tp) and tp not in seen:
            seen.add(tp)
            children.append((key, tp))
    for key, tp in children:
        yield from dotted_keys(tp, key + ".", seen)


def sections(text: str) -> dict[str, str]:
    return {part.split("\n", 1)[0]: part for part in text.split("\n## ")[1:]}


def test_every_field_of_every_job_config_is_documented_under_its_dotted_key(text):
    parts, first = sections(text), {}
    assert list(parts) == [*JOB_CONFIGS, "serve"]
    for kind, ref in JOB_CONFIGS.items():
        if ref in first:  # synthesize-rating: the same class as synthesize
            assert f"Keys as [{first[ref]}](#{first[ref]})" in parts[kind]
            continue
        first[ref] = kind
        missing = [k for k in dotted_keys(config_class(kind)) if f"| `{k}` |" not in parts[kind]]
        assert not missing, f"{kind}: {missing}"
    assert "| `datasets.<name>.path` | str | required |" in parts["train"]
    assert "| `stages[].optim.lr` | float | `1.0e-05` |" in parts["train"]
    from vqa.serving.config import AppArgs
    assert all(f"| `{k}` |" in parts["serve"] for k in dotted_keys(AppArgs))


def test_every_repo_config_is_listed_under_the_kind_it_loads_into(text):
    for path in (ROOT / "configs").glob("*.yaml"):
        assert f"`configs/{path.name}`" in text
    names = ["local-ingest.yaml", "cluster-ingest.yaml", "local-mix.yaml",
             "local-tune-train.yaml", "local-synthesize-rating.yaml"]
    assert example_configs("ingest", names) == ["configs/cluster-ingest.yaml",
                                                "configs/local-ingest.yaml"]
    assert example_configs("train", names) == ["configs/local-mix.yaml",
                                               "configs/local-tune-train.yaml"]
    assert example_configs("synthesize", names) == []
    assert example_configs("synthesize-rating", names) == ["configs/local-synthesize-rating.yaml"]


@dataclass
class Inner:
    rank: int = 8  # LoRA rank


@dataclass
class Knobs:
    """Knobs of a test job."""

    name: str  # what the run is called
    rate: float = 0.5  # how fast; a long comment that
    # goes on here
    mode: Literal["fast", "slow"] = "fast"  # fast: skips checks
    # Depth of the search, in levels.
    depth: int = 3
    limit: int | None = None  # none: unbounded
    tags: list[str] = field(default_factory=lambda: ["a", "b"])
    inner: Inner = field(default_factory=lambda: Inner(rank=4))
    others: dict[str, Inner] = field(default_factory=dict)  # by name


def test_a_dataclass_renders_its_comments_defaults_required_and_choices():
    lines = section("knobs", "Command: `vqa knobs`", Knobs)
    assert lines[:4] == ["## knobs", "", "Command: `vqa knobs`", ""]
    assert "Knobs of a test job." in lines
    rows = [line for line in lines if line.startswith("| `")]
    assert rows == [
        "| `name` | str | required | what the run is called |",
        "| `rate` | float | `0.5` | how fast; a long comment that goes on here |",
        "| `mode` | one of `fast`, `slow` | `fast` | fast: skips checks |",
        "| `depth` | int | `3` | Depth of the search, in levels. |",
        "| `limit` | int \\| null | `null` | none: unbounded |",
        "| `tags` | list[str] | `[a, b]` |  |",
        "| `inner` | Inner | see table, except `{rank: 4}` |  |",
        "| `others` | dict[str, Inner] (as `inner`) | `{}` | by name |",
        "| `inner.rank` | int | `8` | LoRA rank |",
    ]
    assert "### `inner` — `Inner`" in lines and not any("### `others" in x for x in lines)


def test_check_fails_on_a_stale_file_with_the_command_to_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(config_reference, "render", lambda: "# new\n")
    out = tmp_path / "CONFIG.md"
    out.write_text("# old\n")
    assert main(["--out", str(out), "--check"]) == 1
    assert capsys.readouterr().err.strip() == (
        f"{out} is out of date: run python -m vqa.config_reference --out {out}")
    assert main(["--out", str(out)]) == 0 and out.read_text() == "# new\n"
    assert main(["--out", str(out), "--check"]) == 0
