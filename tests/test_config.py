from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest
import yaml

from vqa.config import from_dict, load
from vqa.pipelines.jobs import JOB_CONFIGS, config_class
from vqa.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Inner:
    rank: int = 8


@dataclass
class Outer:
    name: str = "x"
    lr: float = 1e-5
    mode: Literal["a", "b"] = "a"
    inner: Inner = field(default_factory=Inner)
    tags: list[str] = field(default_factory=list)


def test_unknown_key_is_named_with_suggestion():
    with pytest.raises(ConfigError, match=r"unknown key 'naem'.*did you mean 'name'"):
        from_dict(Outer, {"naem": 1})
    with pytest.raises(ConfigError, match=r"config.inner: unknown key 'rnak'.*'rank'"):
        from_dict(Outer, {"inner": {"rnak": 4}})


def test_types_are_checked_and_coerced():
    cfg = from_dict(Outer, {"lr": 1, "inner": {"rank": 16}, "tags": ["a"]})
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float) and cfg.inner.rank == 16
    with pytest.raises(ConfigError, match="config.inner.rank: expected int"):
        from_dict(Outer, {"inner": {"rank": "big"}})
    with pytest.raises(ConfigError, match="not one of"):
        from_dict(Outer, {"mode": "c"})


def test_overrides_win_and_none_is_ignored(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: file\nlr: 0.1\n")
    cfg = load(Outer, path, {"lr": 0.5, "name": None})
    assert (cfg.name, cfg.lr) == ("file", 0.5)
    with pytest.raises(ConfigError, match="not found"):
        load(Outer, tmp_path / "missing.yaml")


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.yaml")), ids=lambda p: p.name)
def test_every_config_in_repo_loads(path):
    """`<local|cluster>-<job kind>.yaml`; any other name is a training config (a strategy's stage
    list or a paper's recipe: local-complementary.yaml, cluster-omnivqa-7b.yaml)."""
    kind = path.stem.split("-", 1)[1]
    kind = kind if kind in JOB_CONFIGS else "train"
    cfg = load(config_class(kind), path)
    assert cfg is not None
    assert yaml.safe_load(path.read_text())  # not an empty file


def test_cluster_yaml_has_cpu_head_gpu_workers_and_installs_project():
    cfg = yaml.safe_load((ROOT / "cluster.yaml").read_text())
    types = cfg["available_node_types"]
    head = cfg["head_node_type"]
    assert head in types and types[head]["max_workers"] == 0
    gpu_types = [name for name, t in types.items()
                 if name != head and t["node_config"]["InstanceType"].startswith(("p", "g"))]
    assert gpu_types, "no GPU worker type"
    assert any("pip install -e ." in c for c in cfg["setup_commands"])
