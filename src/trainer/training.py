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
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from trainer.config import RunConfig
from trainer.data.batching import collate, length_grouped_batches
from trainer.data.loading import read_documents, split_documents
from trainer.data.windows import training_windows
from trainer.documents import Document
from trainer.errors import OutputExistsError
from trainer.evaluation.metrics import summary_scores
from trainer.evaluation.plots import plot_learning_curve
from trainer.fileio import atomic_directory, write_text_atomic
from trainer.inference.predictor import Predictor
from trainer.model import EventExtractor, build_model
from trainer.optimization import make_optimizer, make_scheduler
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
    run_dir.mkdir(parents=True, exist_ok=True)
    config.save(run_dir / "run_config.yaml")

    accelerator = Accelerator(
        gradient_accumulation_steps=config.train.gradient_accumulation_steps, mixed_precision="no"
    )
    set_seed(config.train.seed)
    schema = load_schema(config.data.schema)
    train_documents, dev_documents = split_documents(read_documents(config.data, schema), config.data)
    tokenizer = AutoTokenizer.from_pretrained(config.model.encoder)
    windows = training_windows(train_documents, tokenizer, schema, config.data.max_length, config.data.stride)
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
            record.update(evaluate(accelerator.unwrap_model(model), tokenizer, dev_documents, config.train.batch_size))
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
        for old in _checkpoints(run_dir)[: -config.train.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)


def _write_history(run_dir: Path, history: list[dict]) -> None:
    write_text_atomic(run_dir / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in history))
    if history:
        plot_learning_curve(history, run_dir / "learning_curve.png")
