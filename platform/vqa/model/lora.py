"""Module groups, freezing and LoRA, declared once (LLaMA-Factory style): the composite model
names its groups, the config says which are trainable and which carry LoRA adapters.

Rule: a group with LoRA trains only its adapters (base frozen); any other group trains fully when
its `<group>_trainable` flag is on and is frozen otherwise."""

from __future__ import annotations

from torch import nn

from vqa.model.config import LoRAConfig

GROUPS = ("vision", "motion", "projector", "language", "head")
FLAG = {"vision": "vision_trainable", "motion": "motion_trainable",
        "projector": "projector_trainable", "language": "llm_trainable",
        "head": "head_trainable"}


def wrap_lora(module: nn.Module, cfg: LoRAConfig, group: str, causal_lm: bool) -> nn.Module:
    from peft import LoraConfig, get_peft_model

    lc = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                    target_modules=list(cfg.modules[group]),
                    task_type="CAUSAL_LM" if causal_lm else None)
    # adapters in the base layer's dtype (peft would keep them fp32 beside a bf16 base): one
    # dtype per optimizer group, as DeepSpeed's ZeRO-3 partitions need
    return get_peft_model(module, lc, autocast_adapter_dtype=False)


def set_trainable(groups: dict[str, list[nn.Module]], flags: dict[str, bool],
                  lora_groups: list[str]) -> None:
    for name, modules in groups.items():
        for m in modules:
            for pname, p in m.named_parameters():
                if name in lora_groups:
                    p.requires_grad = "lora_" in pname
                else:
                    p.requires_grad = flags[name]


def count_trainable(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
