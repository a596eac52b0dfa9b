"""Parameter groups of the optimizer and the learning-rate schedules."""

import pytest
import torch

from tests.helpers import REPO_ROOT
from trainer.config import load_config
from trainer.optimization import make_optimizer, make_scheduler
from trainer.training import build_model

SMOKE = REPO_ROOT / "configs" / "smoke.yaml"


@pytest.fixture(scope="module")
def model(encoder_dir, schema):
    return build_model(load_config(SMOKE, ["model.freeze_word_embeddings=true"]), schema)


def test_parameter_groups_decay_only_matrices_and_leave_frozen_embeddings_out(model):
    config = load_config(SMOKE, ["train.weight_decay=0.05"])
    optimizer = make_optimizer(model, config)
    names = {id(p): n for n, p in model.named_parameters()}
    groups = {(g["name"], g["weight_decay"]): [names[id(p)] for p in g["params"]] for g in optimizer.param_groups}
    assert set(groups) == {("encoder", 0.0), ("encoder", 0.05), ("heads", 0.0), ("heads", 0.05)}
    for (_, decay), members in groups.items():
        for name in members:
            no_decay = name.endswith("bias") or "LayerNorm" in name or "embedding" in name.lower()
            assert no_decay == (decay == 0.0), name
    grouped = {n for members in groups.values() for n in members}
    assert "encoder.embeddings.word_embeddings.weight" not in grouped
    assert grouped == {n for n, p in model.named_parameters() if p.requires_grad}
    rates = {g["name"]: g["lr"] for g in optimizer.param_groups}
    assert rates == {"encoder": config.train.learning_rate, "heads": config.train.head_learning_rate}


def rates(config, model, steps):
    optimizer = make_optimizer(model, config)
    scheduler = make_scheduler(optimizer, config, batches_per_epoch=10)
    seen = []
    for _ in range(steps):
        seen.append(scheduler.get_last_lr()[0] / optimizer.param_groups[0]["initial_lr"])
        optimizer.step()
        scheduler.step()
    return seen


def test_linear_and_constant_schedules_with_warmup(model):
    # 10 batches per epoch, accumulation 2 -> 5 steps per epoch, 2 epochs -> 10 steps, 2 of warmup.
    overrides = ["train.epochs=2", "train.gradient_accumulation_steps=2", "train.warmup_ratio=0.2"]
    linear = rates(load_config(SMOKE, overrides), model, 10)
    assert linear[:3] == pytest.approx([0.0, 0.5, 1.0]) and linear[-1] == pytest.approx(1 / 8)
    constant = rates(load_config(SMOKE, [*overrides, "train.schedule=constant"]), model, 10)
    assert constant == pytest.approx([0.0, 0.5] + [1.0] * 8)


def test_the_optimizer_is_fused_adamw(model):
    optimizer = make_optimizer(model, load_config(SMOKE))
    assert isinstance(optimizer, torch.optim.AdamW) and optimizer.defaults["fused"]
