"""Training and inference speed of our model against a plain Hugging Face baseline.

Same encoder, same windows of the same data, same batch size, same trainable
parameters (word embeddings frozen on both sides when the config says so):

- training: our loop's step (encoder + entity/status/relation heads, fused
  AdamW) vs ``AutoModelForTokenClassification`` trained by ``Trainer``;
- inference: ``Predictor.predict`` (fp32, and int8 with ``quantize``) on whole articles (windows, decoding,
  statuses, relations) vs ``pipeline("token-classification")`` with the same
  stride.

Each measurement runs in its own process, so its peak memory is its own.
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import resource
import time
from dataclasses import dataclass

import torch
from transformers import TrainerCallback

from trainer.config import RunConfig


@dataclass
class Measurement:
    name: str
    tokens_per_second: float
    peak_memory_mb: float


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _training_windows(config: RunConfig):
    """The windows of every annotated document (the dev ones too: both sides get the same data)."""
    from transformers import AutoTokenizer

    from trainer.data.loading import read_documents
    from trainer.data.windows import training_windows
    from trainer.schema import load_schema

    schema = load_schema(config.data.schema)
    tokenizer = AutoTokenizer.from_pretrained(config.model.encoder)
    documents = read_documents(config.data, schema)
    return schema, tokenizer, training_windows(documents, tokenizer, schema, config.data.max_length, config.data.stride)


def _batches(windows, batch_size: int, steps: int) -> list[list]:
    ordered = sorted(windows, key=len, reverse=True)  # full-length windows first: the same work on both sides
    chunks = [ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)]
    return [chunks[i % len(chunks)] for i in range(steps)]


def ours_training(config: RunConfig, steps: int, batch_size: int) -> Measurement:
    from trainer.data.batching import collate
    from trainer.model import build_model
    from trainer.optimization import make_optimizer

    schema, tokenizer, windows = _training_windows(config)
    model = build_model(config, schema).train()
    optimizer = make_optimizer(model, config)
    batches = [collate(b, tokenizer.pad_token_id) for b in _batches(windows, batch_size, steps + 1)]
    tokens, start = 0, 0.0
    for index, batch in enumerate(batches):
        if index == 1:  # the first step warms up allocators and kernels
            start = time.perf_counter()
        model(**batch).loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.train.max_grad_norm)
        optimizer.step()
        optimizer.zero_grad()
        tokens += int(batch["attention_mask"].sum()) if index else 0
    return Measurement("ours: train", tokens / (time.perf_counter() - start), _peak_mb())


class _StepClock(TrainerCallback):
    """Times Trainer steps after the first (warm-up), like our side."""

    start = end = 0.0

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 1:
            self.start = time.perf_counter()
        self.end = time.perf_counter()


def baseline_training(config: RunConfig, steps: int, batch_size: int) -> Measurement:
    from datasets import Dataset
    from transformers import (
        AutoConfig,
        AutoModelForTokenClassification,
        DataCollatorForTokenClassification,
        Trainer,
        TrainingArguments,
    )

    from trainer.model import encoder_settings

    schema, tokenizer, windows = _training_windows(config)
    labels = dict(enumerate(schema.bio_tags))
    settings = {**encoder_settings(config), "id2label": labels, "label2id": {t: i for i, t in labels.items()}}
    model_config = AutoConfig.from_pretrained(config.model.encoder, **settings)
    if config.model.random_init:
        model = AutoModelForTokenClassification.from_config(model_config)
    else:
        model = AutoModelForTokenClassification.from_pretrained(config.model.encoder, config=model_config)
    if config.model.freeze_word_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    batches = _batches(windows, batch_size, steps + 1)
    dataset = Dataset.from_list([{"input_ids": w.input_ids, "labels": w.tag_ids} for batch in batches for w in batch])
    arguments = TrainingArguments(
        output_dir=os.path.join(os.environ.get("TMPDIR", "/tmp"), "speed-baseline"),
        per_device_train_batch_size=batch_size,
        max_steps=steps + 1,
        learning_rate=config.train.learning_rate,
        report_to=[],
        save_strategy="no",
        logging_strategy="no",
        disable_tqdm=True,
        use_cpu=not torch.cuda.is_available(),
    )
    clock = _StepClock()
    trainer = Trainer(
        model=model,
        args=arguments,
        train_dataset=dataset,
        data_collator=DataCollatorForTokenClassification(tokenizer),
        callbacks=[clock],
    )
    trainer.get_train_dataloader = lambda: torch.utils.data.DataLoader(  # same batches, same order as ours
        dataset, batch_size=batch_size, shuffle=False, collate_fn=trainer.data_collator
    )
    trainer.train()
    tokens = sum(len(w) for batch in batches[1:] for w in batch)
    return Measurement("baseline: Trainer", tokens / (clock.end - clock.start), _peak_mb())


def _article_texts(config: RunConfig) -> list[str]:
    from trainer.data.loading import read_documents
    from trainer.schema import load_schema

    return [d.text for d in read_documents(config.data, load_schema(config.data.schema))]


def ours_inference(config: RunConfig, model_dir: str, batch_size: int, quantize: bool = False) -> Measurement:
    from trainer.data.windows import tokenize_document
    from trainer.documents import Document
    from trainer.inference.predictor import load_predictor

    predictor = load_predictor(model_dir, batch_size=batch_size, quantize=quantize)
    texts = _article_texts(config)
    tokens = sum(len(tokenize_document(Document("", t), predictor.tokenizer).input_ids) for t in texts)
    predictor.predict(texts[:1])
    start = time.perf_counter()
    predictor.predict(texts)
    name = "ours: predict int8" if quantize else "ours: predict"
    return Measurement(name, tokens / (time.perf_counter() - start), _peak_mb())


def baseline_inference(config: RunConfig, model_dir: str, batch_size: int) -> Measurement:
    """The same trained encoder and tag head as a plain token-classification model in a pipeline."""
    from transformers import AutoModelForTokenClassification, AutoTokenizer, pipeline

    from trainer.model import EventExtractor

    ours = EventExtractor.from_pretrained(model_dir)
    model = AutoModelForTokenClassification.from_config(
        ours.encoder.config.__class__(**{**ours.encoder.config.to_dict(), "num_labels": len(ours.config.id2label)})
    )
    model.bert.load_state_dict(ours.encoder.state_dict(), strict=False)
    model.classifier.load_state_dict(ours.tag_classifier.state_dict())
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tagger = pipeline(
        "token-classification",
        model=model.eval(),
        tokenizer=tokenizer,
        aggregation_strategy="simple",
        stride=ours.config.window_stride,
        device=-1 if not torch.cuda.is_available() else 0,
    )
    tokenizer.model_max_length = ours.config.window_length
    texts = _article_texts(config)
    tokens = sum(len(tokenizer(t, add_special_tokens=False, verbose=False)["input_ids"]) for t in texts)
    tagger(texts[:1], batch_size=batch_size)
    start = time.perf_counter()
    tagger(texts, batch_size=batch_size)
    return Measurement("baseline: pipeline", tokens / (time.perf_counter() - start), _peak_mb())


def _run(function, *args) -> Measurement:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def machine() -> str:
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), {device}"
    )


def benchmark_speed(config: RunConfig, model_dir: str, steps: int, batch_size: int) -> list[Measurement]:
    return [
        _run(ours_training, config, steps, batch_size),
        _run(baseline_training, config, steps, batch_size),
        _run(ours_inference, config, model_dir, batch_size),
        _run(baseline_inference, config, model_dir, batch_size),
        _run(ours_inference, config, model_dir, batch_size, True),
    ]


def format_speed(measurements: list[Measurement], config: RunConfig, steps: int, batch_size: int) -> str:
    ours_train, base_train, ours_infer, base_infer, ours_int8 = measurements
    lines = [
        f"machine: {machine()}",
        f"encoder {config.model.encoder}, data {', '.join(config.data.annotations)}, windows of "
        f"{config.data.max_length} tokens, batch size {batch_size}, {steps} timed training steps",
        "",
    ]
    lines += [
        f"{m.name:<20} {m.tokens_per_second:10.0f} tokens/s   peak memory {m.peak_memory_mb:8.0f} MB"
        for m in measurements
    ]
    lines += [
        "",
        f"training speed ratio (ours / Trainer):   {ours_train.tokens_per_second / base_train.tokens_per_second:.2f}",
        f"inference speed ratio (ours / pipeline): {ours_infer.tokens_per_second / base_infer.tokens_per_second:.2f}",
        f"int8 speed-up of our inference:         {ours_int8.tokens_per_second / ours_infer.tokens_per_second:.2f}",
    ]
    return "\n".join(lines)
