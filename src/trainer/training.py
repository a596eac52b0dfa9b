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
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from accelerate import Accelerator
from accelerate.utils import broadcast_object_list, set_seed
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from trainer.config import RunConfig
from trainer.data.augmentation import augment
from trainer.data.batching import collate, length_grouped_batches
from trainer.data.loading import read_documents, split_documents
from trainer.data.windows import training_windows
from trainer.documents import Document
from trainer.errors import OutputExistsError
from trainer.evaluation.metrics import summary_scores
from trainer.evaluation.plots import plot_learning_curve
from trainer.fileio import atomic_directory, write_text_atomic
from trainer.inference.predictor import Predictor, load_predictor
from trainer.inference.thresholds import tune_relation_thresholds
from trainer.model import EventExtractor
from trainer.optimization import make_optimizer, make_scheduler
from trainer.schema import Schema, load_schema

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
    # The best model's dev scores with its relation thresholds tuned on dev (empty until then).
    tuned: dict = field(default_factory=dict)


def encoder_settings(config: RunConfig) -> dict:
    """What the run config changes in the encoder's own config."""
    return {
        **config.model.encoder_overrides,
        "hidden_dropout_prob": config.model.hidden_dropout,
        "attention_probs_dropout_prob": config.model.attention_dropout,
    }


def build_model(config: RunConfig, schema: Schema) -> EventExtractor:
    """A new model for a run: the configured encoder, fresh heads, word embeddings frozen if asked."""
    settings = config.model
    model = EventExtractor.from_encoder(
        settings.encoder,
        schema,
        random_init=settings.random_init,
        encoder_overrides=encoder_settings(config),
        span_hidden=settings.span_hidden,
        relation_hidden=settings.relation_hidden,
        width_embedding=settings.width_embedding,
        distance_embedding=settings.distance_embedding,
        head_dropout=settings.head_dropout,
        entity_loss_weight=settings.entity_loss_weight,
        status_loss_weight=settings.status_loss_weight,
        relation_loss_weight=settings.relation_loss_weight,
        status_context=settings.status_context,
        relation_encoder=settings.relation_encoder,
        window_length=config.data.max_length,
        window_stride=config.data.stride,
    )
    if settings.freeze_word_embeddings:
        model.encoder.get_input_embeddings().weight.requires_grad_(False)
    return model


def balanced_weights(counts: Counter, values: tuple[str, ...]) -> list[float]:
    """Inverse-frequency loss weights (a value unseen in training gets the rarest value's weight)."""
    total = sum(counts.values())
    weights = [total / (len(values) * counts[v]) if counts[v] else 0.0 for v in values]
    return [w or max(weights) for w in weights]


class RunExistsError(OutputExistsError):
    """A new run would start in a folder that already holds one."""


def evaluate(
    model: EventExtractor, tokenizer: PreTrainedTokenizerBase, documents: list[Document], batch_size: int
) -> dict:
    """The evaluation hook of every epoch: the dev documents predicted whole, scored strictly."""
    predictor = Predictor(model, tokenizer, batch_size=batch_size)
    predictions = [predictor.predict_document(document) for document in documents]
    return summary_scores(documents, predictions, model.config.parsed_schema)


def save_best(model: EventExtractor, tokenizer, config: RunConfig, metrics: dict, directory: Path) -> None:
    """Save the model next to its config and dev scores; a crash never leaves a half-saved best model."""
    with atomic_directory(directory) as temporary:
        model.save_pretrained(temporary)
        tokenizer.save_pretrained(temporary)
        config.save(temporary / "run_config.yaml")
        write_text_atomic(temporary / "dev_metrics.json", json.dumps(metrics, indent=2) + "\n")


def tune_thresholds(best_dir: Path, dev_documents: list[Document], batch_size: int) -> dict:
    """Choose the best model's relation thresholds on dev and store them in its config.json.

    Returns its dev scores with them, and the thresholds. The weights are untouched.
    """
    predictor = load_predictor(best_dir, batch_size=batch_size)
    model = predictor.model
    model.config.relation_thresholds = tune_relation_thresholds(predictor, dev_documents)
    scores = evaluate(model, predictor.tokenizer, dev_documents, batch_size)
    write_text_atomic(best_dir / "config.json", model.config.to_json_string())
    metrics = json.loads((best_dir / "dev_metrics.json").read_text())
    tuned = {**scores, "relation_thresholds": model.config.relation_thresholds}
    write_text_atomic(best_dir / "dev_metrics.json", json.dumps({**metrics, "tuned": tuned}, indent=2) + "\n")
    return tuned


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest checkpoint whose state file was written (a crash mid-save leaves none)."""
    complete = [c for c in _checkpoints(run_dir) if (c / STATE_FILE).exists()]
    return complete[-1] if complete else None


def _checkpoints(run_dir: Path) -> list[Path]:
    return sorted((run_dir / "checkpoints").glob("step-*"), key=lambda p: int(p.name.split("-")[1]))


def start_or_resume(run_dir: Path, resume: bool) -> Path | None:
    """The checkpoint to resume from, None to start anew; refuses to start a run on top of another.

    A second run in the same folder would mix its checkpoints with the first
    one's (pruning keeps the highest steps, a later resume the wrong run).
    """
    checkpoint = latest_checkpoint(run_dir)
    holds_run = (run_dir / STATE_FILE).exists() or bool(_checkpoints(run_dir)) or (run_dir / "best").exists()
    if not resume and holds_run:
        raise RunExistsError(
            f"{run_dir} already holds a run: continue it with --resume, or start a new one in another "
            f"output_dir (--set output_dir=...)"
        )
    if resume and checkpoint is None and holds_run:
        raise RunExistsError(
            f"{run_dir} holds a run with no complete checkpoint to resume from: start a new one in another "
            f"output_dir (--set output_dir=...), or delete {run_dir}"
        )
    if resume and checkpoint is None:
        print(f"no run in {run_dir} yet: starting a new one")
    return checkpoint


def train(config: RunConfig, resume: bool = False) -> dict:
    """Train, evaluate every epoch, keep the best model; returns the best dev metrics (or the last epoch's)."""
    if config.train.num_threads:
        torch.set_num_threads(config.train.num_threads)
    run_dir = Path(config.output_dir)
    if resume and (run_dir / STATE_FILE).exists():
        state = TrainerState(**json.loads((run_dir / STATE_FILE).read_text()))
        print(f"{run_dir} is a finished run (best epoch {state.best_epoch}); nothing to resume")
        return _best_record(state)
    checkpoint = start_or_resume(run_dir, resume)
    accelerator = Accelerator(
        gradient_accumulation_steps=config.train.gradient_accumulation_steps, mixed_precision="no"
    )
    if accelerator.is_main_process:
        run_dir.mkdir(parents=True, exist_ok=True)
        config.save(run_dir / "run_config.yaml")
    set_seed(config.train.seed)
    schema = load_schema(config.data.schema)
    train_documents, dev_documents = split_documents(read_documents(config.data, schema), config.data)
    train_documents = augment(train_documents, schema, config.data.augment_copies, config.train.seed)
    tokenizer = AutoTokenizer.from_pretrained(config.model.encoder)
    markers = config.model.relation_encoder == "markers"
    windows = training_windows(train_documents, tokenizer, schema, config.data.max_length, config.data.stride, markers)
    lengths = [len(w) for w in windows]
    model = build_model(config, schema)
    status_counts = Counter(e.status for d in train_documents for e in d.entities if e.status)
    model.config.training_status_counts = dict(status_counts)
    if config.model.balance_status_classes and schema.status:
        model.config.status_class_weights = balanced_weights(status_counts, schema.status_values)
    optimizer = make_optimizer(model, config)
    batches_per_epoch = math.ceil(len(windows) / config.train.batch_size)
    scheduler = make_scheduler(optimizer, config, batches_per_epoch)
    model, optimizer, scheduler = accelerator.prepare(model, optimizer, scheduler)

    state = TrainerState()
    if checkpoint is not None:
        accelerator.load_state(str(checkpoint))
        state = TrainerState(**json.loads((checkpoint / STATE_FILE).read_text()))
        accelerator.print(f"resumed from {checkpoint} (epoch {state.epoch}, step {state.global_step})")
    if accelerator.is_main_process:
        _write_history(run_dir, state.history)
    accelerator.print(
        f"{len(train_documents)} train / {len(dev_documents)} dev documents, {len(windows)} windows, "
        f"{sum(p.numel() for p in model.parameters() if p.requires_grad):,} trainable parameters, "
        f"{accelerator.num_processes} process(es)"
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
        # Each process saw its own shard of the batches: the logged numbers are their averages.
        loss, speed = (
            accelerator.gather(
                torch.tensor(
                    [[state.epoch_loss_sum / max(state.batches_done, 1), tokens / seconds if seconds else 0.0]],
                    dtype=torch.float64,
                    device=accelerator.device,
                )
            )
            .mean(dim=0)
            .tolist()
        )
        record = {
            "epoch": state.epoch + 1,
            "step": state.global_step,
            "train_loss": loss,
            "train_tokens_per_second": speed,
            **{f"lr_{group['name']}": group["lr"] for group in optimizer.param_groups if group["weight_decay"]},
        }
        improved = True
        if dev_documents:
            # The main process evaluates; every process gets the scores, so all stop at the same epoch.
            scores = [None]
            if accelerator.is_main_process:
                scores = [evaluate(accelerator.unwrap_model(model), tokenizer, dev_documents, config.train.batch_size)]
            record.update(broadcast_object_list(scores)[0])
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
        if accelerator.is_main_process:
            _write_history(run_dir, state.history)
        _save_checkpoint(accelerator, run_dir, state, config)
        if dev_documents and state.epochs_without_improvement >= config.train.early_stopping_patience:
            accelerator.print(
                f"early stopping: no {config.train.early_stopping_metric} gain in "
                f"{config.train.early_stopping_patience} epochs"
            )
            break
    progress.close()
    if accelerator.is_main_process:
        if dev_documents and schema.relations:
            state.tuned = tune_thresholds(run_dir / "best", dev_documents, config.train.batch_size)
            accelerator.print(f"relation thresholds tuned on dev: {json.dumps(state.tuned)}")
        write_text_atomic(run_dir / STATE_FILE, json.dumps(asdict(state), indent=2) + "\n")
    accelerator.wait_for_everyone()
    best = _best_record(state)
    accelerator.print(f"best epoch {state.best_epoch}: {json.dumps(best)}; model in {run_dir / 'best'}")
    return best


def _best_record(state: TrainerState) -> dict:
    """The best epoch's record, its dev scores after tuning the relation thresholds when they were tuned."""
    record = state.history[state.best_epoch - 1] if state.best_epoch > 0 else state.history[-1]
    return {**record, **state.tuned}


def _save_checkpoint(accelerator: Accelerator, run_dir: Path, state: TrainerState, config: RunConfig) -> None:
    """Every process saves its part (its RNG states); then the main one completes the checkpoint and prunes.

    The barriers keep a process from pruning or resuming past a checkpoint another is still writing.
    """
    directory = run_dir / "checkpoints" / f"step-{state.global_step}"
    accelerator.save_state(str(directory))
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        config.save(directory / "run_config.yaml")
        # Written last: a checkpoint without it is incomplete and never resumed from.
        write_text_atomic(directory / STATE_FILE, json.dumps(asdict(state), indent=2) + "\n")
        for old in _checkpoints(run_dir)[: -config.train.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)
    accelerator.wait_for_everyone()


def _write_history(run_dir: Path, history: list[dict]) -> None:
    write_text_atomic(run_dir / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in history))
    if history:
        plot_learning_curve(history, run_dir / "learning_curve.png")
