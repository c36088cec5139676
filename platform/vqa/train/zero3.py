"""DeepSpeed ZeRO-3 in the training recipe. While a `Zero3` lives, transformers' DeepSpeed
integration builds the vision tower and the LLM already partitioned (`from_pretrained` and
`from_config` enter `deepspeed.zero.Init`; a checkpoint's shards load into the partitions layer
by layer), so no worker holds their whole weights; the small modules (projectors, SlowFast, the
head) are partitioned by `deepspeed.initialize`, which broadcasts rank 0's values first. Saves
gather the whole weights onto rank 0 (`full_state_dict`): a partitioned parameter is an empty
placeholder."""

from __future__ import annotations

from pathlib import Path

import torch

_DTYPES = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16,
           "I64": torch.int64, "I32": torch.int32, "BOOL": torch.bool, "U8": torch.uint8}


class Zero3:
    """Holds transformers' `HfDeepSpeedConfig` for the run: transformers reads it through a weak
    reference, so ZeRO-3 model building is on exactly as long as this object is alive."""

    def __init__(self, ds_config: dict):
        from transformers.integrations import HfDeepSpeedConfig

        self.hf_config = HfDeepSpeedConfig(ds_config)


def is_partitioned(model) -> bool:
    return any(hasattr(p, "ds_id") for p in model.parameters())


def load_partitioned(model, file: Path) -> None:
    """A `model.safetensors` file into a model whose parameters ZeRO-3 partitions: rank 0 reads
    the values, the other ranks only the shapes (meta tensors); each module's parameters are
    gathered, filled on rank 0 and re-partitioned (transformers' own ZeRO-3 loader)."""
    import torch.distributed as dist
    from safetensors import safe_open
    from transformers.integrations.deepspeed import _load_state_dict_into_zero3_model

    rank0 = not dist.is_initialized() or dist.get_rank() == 0
    state = {}
    with safe_open(str(file), "pt") as f:
        for key in f.keys():
            if rank0:
                state[key] = f.get_tensor(key)
            else:
                s = f.get_slice(key)
                state[key] = torch.empty(s.get_shape(), dtype=_DTYPES[s.get_dtype()],
                                         device="meta")
    _errors, missing = _load_state_dict_into_zero3_model(model, state)
    aliases: dict = {}  # a tied weight is saved once, under any one of its names
    for name, p in model.named_parameters(remove_duplicate=False):
        aliases.setdefault(id(p), set()).add(name)
    loaded = {n for names in aliases.values() if names & state.keys() for n in names}
    missing = sorted(set(missing) - loaded - _non_persistent(model))
    if missing:
        raise ValueError(f"{file}: no weights for {missing[:5]} ({len(missing)} in all)")


def _non_persistent(model) -> set[str]:
    out = set()
    for prefix, m in model.named_modules():
        out |= {f"{prefix}.{b}" if prefix else b for b in m._non_persistent_buffers_set}
    return out


def full_state_dict(engine) -> dict | None:
    """The whole weights on rank 0 (None on the others), gathered module by module; every rank
    must call it (the gathers are collective)."""
    return engine._zero3_consolidated_16bit_state_dict()
