"""The optimizer and the learning-rate schedule of a run."""

from __future__ import annotations

import math

import torch
from transformers import get_constant_schedule_with_warmup, get_linear_schedule_with_warmup

from trainer.config import RunConfig


def make_optimizer(model: torch.nn.Module, config: RunConfig) -> torch.optim.Optimizer:
    """Fused AdamW with four parameter groups: encoder or heads (own learning rates) x decay or not.

    Biases, LayerNorms and embeddings get no weight decay; frozen parameters
    (the word embeddings by default) are left out.
    """
    groups: dict[tuple[bool, bool], list] = {}
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            is_encoder = name.startswith("encoder.")
            decays = parameter.ndim > 1 and "LayerNorm" not in name and "embedding" not in name.lower()
            groups.setdefault((is_encoder, decays), []).append(parameter)
    train = config.train
    param_groups = [
        {
            "name": "encoder" if is_encoder else "heads",
            "params": params,
            "lr": train.learning_rate if is_encoder else train.head_learning_rate,
            "weight_decay": train.weight_decay if decays else 0.0,
        }
        for (is_encoder, decays), params in sorted(groups.items())
    ]
    # Fused: one kernel for the whole step (measured 1.6 s -> 0.14 s for BERT-base on this CPU).
    return torch.optim.AdamW(param_groups, fused=True)


def make_scheduler(optimizer: torch.optim.Optimizer, config: RunConfig, batches_per_epoch: int):
    """Warmup, then linear decay to 0 (or constant) over every optimizer step of the run."""
    steps_per_epoch = math.ceil(batches_per_epoch / config.train.gradient_accumulation_steps)
    total = steps_per_epoch * config.train.epochs
    warmup = int(config.train.warmup_ratio * total)
    if config.train.schedule == "constant":
        return get_constant_schedule_with_warmup(optimizer, warmup)
    return get_linear_schedule_with_warmup(optimizer, warmup, total)
