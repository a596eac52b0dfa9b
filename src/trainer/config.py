"""Run configuration: one YAML file per run, validated into typed dataclasses.

Unknown or mistyped keys are errors that name the key; ``--set a.b=value``
overrides are applied before validation (values are parsed as YAML, so
``--set train.learning_rate=3e-5`` gives a float). The resolved config is saved
next to every checkpoint, so a run can always be reproduced from its folder.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from trainer.errors import MissingFileError, TrainerError
from trainer.fileio import write_text_atomic


class ConfigError(TrainerError, ValueError):
    """A config that cannot be used; the message names the file and the dotted key."""


@dataclass
class ModelConfig:
    # A local encoder directory or a hub id (AutoModel / AutoTokenizer).
    encoder: str = "models/base/multilingual-e5-small"
    # Build the encoder from its config with random weights (smoke tests): the
    # real tokenizer of `encoder` is kept, `encoder_overrides` shrink it.
    random_init: bool = False
    encoder_overrides: dict[str, Any] = field(default_factory=dict)
    hidden_dropout: float = 0.1
    # 0 measured 1.85x faster on this CPU at seq 512 (shared/notes/cpu-performance.md).
    attention_dropout: float = 0.0
    head_dropout: float = 0.1
    span_hidden: int = 256
    relation_hidden: int = 256
    width_embedding: int = 32
    distance_embedding: int = 32
    # With a 250k vocabulary the embedding table dominates the optimizer step,
    # and five articles cannot retrain it anyway.
    freeze_word_embeddings: bool = True
    entity_loss_weight: float = 1.0
    status_loss_weight: float = 1.0
    relation_loss_weight: float = 1.0
    # Tokens on each side of a victim count the status head reads besides the span (0: the span alone).
    status_context: int = 0
    # Weigh the status loss by inverse class frequency in the training data.
    balance_status_classes: bool = False
    # What the relation head reads: "spans" (pooled span representations) or "markers" (a second
    # encoder pass over each window with typed markers around its entities, as in PURE).
    relation_encoder: str = "spans"


@dataclass
class DataConfig:
    schema: str = "conflict_events"  # a packaged schema (trainer/schemas/) or a YAML file path
    # labelstudio: JSON exports; conll: `word TAG` files, one document per sentence.
    format: str = "labelstudio"
    annotations: list[str] = field(default_factory=lambda: ["annotations/seeds.json"])
    # Documents (article ids = data.article of the task, or task ids) held out for dev.
    dev_documents: list[str] = field(default_factory=list)
    # Without dev_documents: hold out this fraction of the documents (the last ones) as dev.
    dev_fraction: float = 0.0
    # Documents left out of both training and dev (cross-validation holds out each fold's this way).
    held_out_documents: list[str] = field(default_factory=list)
    # Augmented copies of each training document (other mentions of the same label, other numbers).
    augment_copies: int = 0
    max_length: int = 256
    stride: int = 64


@dataclass
class TrainConfig:
    epochs: int = 10
    batch_size: int = 8
    learning_rate: float = 5e-5
    head_learning_rate: float = 1e-3
    schedule: str = "linear"  # linear | constant
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    max_grad_norm: float = 1.0
    gradient_accumulation_steps: int = 1
    seed: int = 13
    early_stopping_patience: int = 3
    early_stopping_metric: str = "combined_f1"  # entity_f1 | relation_f1 | status_accuracy | combined_f1
    checkpoint_every_steps: int = 50
    keep_checkpoints: int = 2
    # Stop as if interrupted after this many optimizer steps (the schedule is
    # unchanged, so `--resume` continues the very same run). None: run to the end.
    stop_after_steps: int | None = None
    num_threads: int | None = None


@dataclass
class RunConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    output_dir: str = "models/runs/default"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def save(self, path: str | Path) -> None:
        write_text_atomic(path, yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True))


SCHEDULES = ("linear", "constant")
RELATION_ENCODERS = ("spans", "markers")
DATA_FORMATS = ("labelstudio", "conll")
METRICS = ("entity_f1", "relation_f1", "status_accuracy", "combined_f1")


def load_config(path: str | Path, overrides: list[str] = ()) -> RunConfig:
    """Read a YAML run config, apply ``key.sub=value`` overrides, validate."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"config file not found: {path}")
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    for override in overrides:
        apply_override(data, override, source=str(path))
    config = _build(RunConfig, data, prefix="", source=str(path))
    _check_values(config, str(path))
    return config


def apply_override(data: dict[str, Any], override: str, source: str = "--set") -> None:
    key, separator, raw_value = override.partition("=")
    if not separator or not key:
        raise ConfigError(f"{source}: override {override!r} must look like section.key=value")
    *parents, leaf = key.split(".")
    node = data
    for parent in parents:
        node = node.setdefault(parent, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{source}: override {override!r}: {parent!r} is not a section")
    node[leaf] = yaml.safe_load(raw_value)


def _build(cls: type, data: Any, prefix: str, source: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {prefix.rstrip('.') or 'config'} must be a mapping, got {data!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(
            f"{source}: unknown key {prefix}{unknown[0]!s} (known in {prefix.rstrip('.') or 'top level'}: "
            f"{', '.join(fields)})"
        )
    hints = typing.get_type_hints(cls)
    values = {}
    for name, value in data.items():
        values[name] = _coerce(hints[name], value, f"{prefix}{name}", source)
    return cls(**values)


def _coerce(hint: Any, value: Any, key: str, source: str) -> Any:
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, key + ".", source)
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        hint = next(option for option in options if option is not type(None))
        origin = typing.get_origin(hint)
    wrong = ConfigError(f"{source}: {key} must be {_describe(hint)}, got {value!r}")
    if origin is list:
        (item,) = typing.get_args(hint)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, item) for v in value):
            raise wrong
        return value
    if origin is dict:
        if not isinstance(value, dict):
            raise wrong
        return value
    if hint is float and isinstance(value, str):
        # YAML 1.1 reads `3e-5` (no dot) as a string.
        try:
            value = float(value)
        except ValueError:
            raise wrong from None
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    is_bool = isinstance(value, bool)
    if not isinstance(value, hint) or (is_bool and hint is not bool):
        raise wrong
    return value


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if origin is list:
        return f"a list of {typing.get_args(hint)[0].__name__}"
    if origin is dict:
        return "a mapping"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(hint, hint.__name__)


def _check_values(config: RunConfig, source: str) -> None:
    train, data = config.train, config.data
    checks = [
        (train.schedule in SCHEDULES, f"train.schedule must be one of {SCHEDULES}"),
        (
            config.model.relation_encoder in RELATION_ENCODERS,
            f"model.relation_encoder must be one of {RELATION_ENCODERS}",
        ),
        (train.early_stopping_metric in METRICS, f"train.early_stopping_metric must be one of {METRICS}"),
        (train.epochs >= 1 and train.batch_size >= 1, "train.epochs and train.batch_size must be >= 1"),
        (train.gradient_accumulation_steps >= 1, "train.gradient_accumulation_steps must be >= 1"),
        (0 <= train.warmup_ratio < 1, "train.warmup_ratio must be in [0, 1)"),
        (train.learning_rate > 0 and train.head_learning_rate > 0, "learning rates must be > 0"),
        (8 <= data.max_length <= 512, "data.max_length must be in [8, 512]"),
        (0 <= data.stride < data.max_length // 2, "data.stride must be in [0, max_length / 2)"),
        (train.checkpoint_every_steps >= 1 and train.keep_checkpoints >= 1, "checkpointing values must be >= 1"),
        (bool(data.annotations), "data.annotations must name at least one file"),
        (data.format in DATA_FORMATS, f"data.format must be one of {DATA_FORMATS}"),
        (0 <= data.dev_fraction < 1, "data.dev_fraction must be in [0, 1)"),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(f"{source}: {message}")
