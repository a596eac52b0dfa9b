"""The training loop: ``train(config)`` fine-tunes the joint model with accelerate.

The same code runs on this CPU and on several GPUs (``accelerate launch
scripts/train.py ...``). Each epoch ends with an evaluation on the dev
documents; the best model is saved with ``save_pretrained`` (+ tokenizer and
the resolved config) in ``<output_dir>/best``; checkpoints (model, optimizer,
scheduler, RNG states, step) every ``checkpoint_every_steps`` let
``resume=True`` continue exactly where a run stopped.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import AutoTokenizer, get_constant_schedule_with_warmup, get_linear_schedule_with_warmup

from trainer.annotations import load_documents
from trainer.config import RunConfig
from trainer.conll import conll_documents
from trainer.data.batching import collate, length_grouped_batches
from trainer.data.windows import labelled_windows, tokenize_document
from trainer.documents import Document
from trainer.inference import Predictor
from trainer.io import atomic_directory, write_text_atomic
from trainer.metrics import score_documents
from trainer.model import EventExtractor
from trainer.plots import plot_learning_curve
from trainer.schema import load_schema

STATE_FILE = "trainer_state.json"


@dataclass
class TrainerState:
    """What a checkpoint needs beyond model/optimizer/scheduler/RNG to resume exactly."""

    epoch: int = 0
    batches_done: int = 0  # in the current epoch
    epoch_loss_sum: float = 0.0  # over the batches done in the current epoch
    global_step: int = 0
    best_metric: float = -1.0
    best_epoch: int = -1
    epochs_without_improvement: int = 0
    history: list[dict] = field(default_factory=list)


def read_documents(config: RunConfig, schema) -> list[Document]:
    if config.data.format == "conll":
        return [d for path in config.data.annotations for d in conll_documents(path, schema)]
    return load_documents(config.data.annotations, schema)


def split_documents(
    documents: list[Document], dev_ids: list[str], dev_fraction: float = 0.0
) -> tuple[list[Document], list[Document]]:
    """Document-level split: whole articles go to dev, never windows of them."""
    if not dev_ids and dev_fraction:
        cut = len(documents) - max(1, round(dev_fraction * len(documents)))
        return documents[:cut], documents[cut:]
    known = {d.id for d in documents} | {str(d.meta.get("task_id")) for d in documents}
    missing = [i for i in dev_ids if i not in known]
    if missing:
        raise ValueError(
            f"data.dev_documents names unknown documents {missing}; known: {sorted(d.id for d in documents)}"
        )
    is_dev = lambda d: d.id in dev_ids or str(d.meta.get("task_id")) in dev_ids  # noqa: E731
    return [d for d in documents if not is_dev(d)], [d for d in documents if is_dev(d)]


def encoder_settings(config: RunConfig) -> dict:
    """What the run config changes in the encoder's own config."""
    return {
        **config.model.encoder_overrides,
        "hidden_dropout_prob": config.model.hidden_dropout,
        "attention_probs_dropout_prob": config.model.attention_dropout,
    }


def build_model(config: RunConfig, schema) -> EventExtractor:
    model_config = config.model
    overrides = encoder_settings(config)
    model = EventExtractor.from_encoder(
        model_config.encoder,
        schema,
        random_init=model_config.random_init,
        encoder_overrides=overrides,
        span_hidden=model_config.span_hidden,
        relation_hidden=model_config.relation_hidden,
        width_embedding=model_config.width_embedding,
        distance_embedding=model_config.distance_embedding,
        head_dropout=model_config.head_dropout,
        entity_loss_weight=model_config.entity_loss_weight,
        status_loss_weight=model_config.status_loss_weight,
        relation_loss_weight=model_config.relation_loss_weight,
        window_length=config.data.max_length,
        window_stride=config.data.stride,
    )
    if model_config.freeze_word_embeddings:
        model.encoder.get_input_embeddings().weight.requires_grad_(False)
    return model


def make_optimizer(model: EventExtractor, config: RunConfig) -> torch.optim.Optimizer:
    """AdamW, fused where supported; encoder and heads get their own learning rates; no decay on biases/norms."""
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
    return torch.optim.AdamW(param_groups, fused=True)


def make_scheduler(optimizer, config: RunConfig, batches_per_epoch: int):
    steps_per_epoch = math.ceil(batches_per_epoch / config.train.gradient_accumulation_steps)
    total = steps_per_epoch * config.train.epochs
    warmup = int(config.train.warmup_ratio * total)
    if config.train.schedule == "constant":
        return get_constant_schedule_with_warmup(optimizer, warmup)
    return get_linear_schedule_with_warmup(optimizer, warmup, total)


def evaluate(model: EventExtractor, tokenizer, documents: list[Document], config: RunConfig) -> dict[str, float]:
    predictor = Predictor(model, tokenizer, batch_size=config.train.batch_size)
    predictions = [predictor.predict_document(d) for d in documents]
    scores = score_documents(documents, predictions, model.config.parsed_schema)
    metrics = {
        "entity_f1": scores["entities"]["micro"]["f1"],
        "relation_f1": scores["relations"]["micro"]["f1"],
        "status_accuracy": scores["status"]["accuracy"],
    }
    metrics["combined_f1"] = (metrics["entity_f1"] + metrics["relation_f1"]) / 2
    return metrics


def save_best(model: EventExtractor, tokenizer, config: RunConfig, metrics: dict, directory: Path) -> None:
    """Save the model next to its config and dev scores; a crash never leaves a half-saved best model."""
    with atomic_directory(directory) as temporary:
        model.save_pretrained(temporary)
        tokenizer.save_pretrained(temporary)
        config.save(temporary / "run_config.yaml")
        write_text_atomic(temporary / "dev_metrics.json", json.dumps(metrics, indent=2) + "\n")


def latest_checkpoint(run_dir: Path) -> Path | None:
    checkpoints = sorted((run_dir / "checkpoints").glob("step-*"), key=lambda p: int(p.name.split("-")[1]))
    complete = [c for c in checkpoints if (c / STATE_FILE).exists()]
    return complete[-1] if complete else None


def train(config: RunConfig, resume: bool = False) -> dict:
    """Train, evaluate every epoch, keep the best model; returns the best dev metrics (or the last epoch's)."""
    if config.train.num_threads:
        torch.set_num_threads(config.train.num_threads)
    run_dir = Path(config.output_dir)
    if resume and (run_dir / STATE_FILE).exists():
        state = TrainerState(**json.loads((run_dir / STATE_FILE).read_text()))
        print(f"{run_dir} is a finished run (best epoch {state.best_epoch}); nothing to resume")
        return _best_record(state)
    checkpoint = latest_checkpoint(run_dir) if resume else None
    if resume and checkpoint is None:
        print(f"no checkpoint under {run_dir}/checkpoints: starting a new run")
    if checkpoint is None and (run_dir / STATE_FILE).exists():
        raise FileExistsError(f"{run_dir} holds a finished or running run; use --resume or another output_dir")
    run_dir.mkdir(parents=True, exist_ok=True)
    config.save(run_dir / "run_config.yaml")

    accelerator = Accelerator(
        gradient_accumulation_steps=config.train.gradient_accumulation_steps, mixed_precision="no"
    )
    set_seed(config.train.seed)
    schema = load_schema(config.data.schema)
    train_documents, dev_documents = split_documents(
        read_documents(config, schema), config.data.dev_documents, config.data.dev_fraction
    )
    tokenizer = AutoTokenizer.from_pretrained(config.model.encoder)
    windows = [
        window
        for index, document in enumerate(train_documents)
        for window in labelled_windows(
            tokenize_document(document, tokenizer), index, tokenizer, schema, config.data.max_length, config.data.stride
        )
    ]
    lengths = [len(w) for w in windows]
    model = build_model(config, schema)
    optimizer = make_optimizer(model, config)
    batches_per_epoch = math.ceil(len(windows) / config.train.batch_size)
    scheduler = make_scheduler(optimizer, config, batches_per_epoch)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)

    state = TrainerState()
    if checkpoint is not None:
        accelerator.load_state(str(checkpoint))
        state = TrainerState(**json.loads((checkpoint / STATE_FILE).read_text()))
        accelerator.print(f"resumed from {checkpoint} (epoch {state.epoch}, step {state.global_step})")
    _write_history(run_dir, state.history)
    accelerator.print(
        f"{len(train_documents)} train / {len(dev_documents)} dev documents, {len(windows)} windows, "
        f"{sum(p.numel() for p in model.parameters() if p.requires_grad):,} trainable parameters"
    )

    progress = tqdm(
        total=batches_per_epoch * config.train.epochs,
        initial=state.epoch * batches_per_epoch + state.batches_done,
        desc="train",
        disable=not accelerator.is_main_process,
        dynamic_ncols=True,
    )
    while state.epoch < config.train.epochs:
        batches = length_grouped_batches(lengths, config.train.batch_size, config.train.seed, state.epoch)
        # Its own generator: a DataLoader draws a seed from the global RNG each time it is
        # iterated, which would make a resumed run's dropout masks differ from an uninterrupted one.
        loader = accelerator.prepare(
            DataLoader(
                windows,
                batch_sampler=batches,
                collate_fn=lambda b: collate(b, tokenizer.pad_token_id),
                generator=torch.Generator().manual_seed(config.train.seed + state.epoch),
            )
        )
        loader = accelerator.skip_first_batches(loader, state.batches_done)
        model.train()
        epoch_start, tokens = time.perf_counter(), 0
        for batch in loader:
            with accelerator.accumulate(model):
                output = model(**batch)
                accelerator.backward(output.loss)
                if accelerator.sync_gradients:
                    accelerator.clip_grad_norm_(model.parameters(), config.train.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
            state.batches_done += 1
            tokens += int(batch["attention_mask"].sum())
            loss = output.loss.item()
            state.epoch_loss_sum += loss
            progress.update(1)
            progress.set_postfix(loss=f"{loss:.3f}")
            if accelerator.sync_gradients:
                state.global_step += 1
                if state.global_step % config.train.checkpoint_every_steps == 0:
                    _save_checkpoint(accelerator, run_dir, state, config)
                if config.train.stop_after_steps and state.global_step >= config.train.stop_after_steps:
                    _save_checkpoint(accelerator, run_dir, state, config)
                    accelerator.print(f"stopped after {state.global_step} steps as asked; continue with --resume")
                    return {}
        seconds = time.perf_counter() - epoch_start
        record = {
            "epoch": state.epoch + 1,
            "step": state.global_step,
            "train_loss": state.epoch_loss_sum / max(state.batches_done, 1),
            "train_tokens_per_second": tokens / seconds if seconds else 0.0,
            **{f"lr_{group['name']}": group["lr"] for group in optimizer.param_groups if group["weight_decay"]},
        }
        improved = True
        if dev_documents:
            record.update(evaluate(accelerator.unwrap_model(model), tokenizer, dev_documents, config))
            score = record[config.train.early_stopping_metric]
            improved = score > state.best_metric
        if improved:
            state.best_metric = record.get(config.train.early_stopping_metric, 0.0)
            state.best_epoch = state.epoch + 1
            state.epochs_without_improvement = 0
            if accelerator.is_main_process:
                save_best(accelerator.unwrap_model(model), tokenizer, config, record, run_dir / "best")
        else:
            state.epochs_without_improvement += 1
        state.history.append(record)
        state.epoch += 1
        state.batches_done, state.epoch_loss_sum = 0, 0.0
        accelerator.print(json.dumps(record))
        _write_history(run_dir, state.history)
        _save_checkpoint(accelerator, run_dir, state, config)
        if dev_documents and state.epochs_without_improvement >= config.train.early_stopping_patience:
            accelerator.print(
                f"early stopping: no {config.train.early_stopping_metric} gain in "
                f"{config.train.early_stopping_patience} epochs"
            )
            break
    progress.close()
    write_text_atomic(run_dir / STATE_FILE, json.dumps(asdict(state), indent=2) + "\n")
    best = _best_record(state)
    accelerator.print(f"best epoch {state.best_epoch}: {json.dumps(best)}; model in {run_dir / 'best'}")
    return best


def _best_record(state: TrainerState) -> dict:
    return state.history[state.best_epoch - 1] if state.best_epoch > 0 else state.history[-1]


def _save_checkpoint(accelerator: Accelerator, run_dir: Path, state: TrainerState, config: RunConfig) -> None:
    directory = run_dir / "checkpoints" / f"step-{state.global_step}"
    accelerator.save_state(str(directory))
    if accelerator.is_main_process:
        config.save(directory / "run_config.yaml")
        # Written last: a checkpoint without it is incomplete and never resumed from.
        write_text_atomic(directory / STATE_FILE, json.dumps(asdict(state), indent=2) + "\n")
        checkpoints = sorted((run_dir / "checkpoints").glob("step-*"), key=lambda p: int(p.name.split("-")[1]))
        for old in checkpoints[: -config.train.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)


def _write_history(run_dir: Path, history: list[dict]) -> None:
    write_text_atomic(run_dir / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in history))
    if history:
        plot_learning_curve(history, run_dir / "learning_curve.png")
