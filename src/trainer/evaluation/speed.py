"""Training and inference speed of our model against a plain Hugging Face baseline, and how much of the machine it uses.

Same encoder, same data, same batch size, same trainable parameters (word
embeddings frozen on both sides when the config says so):

- training: our loop's step (encoder + entity/status/relation heads, fused
  AdamW) vs ``AutoModelForTokenClassification`` trained by ``Trainer``, on the
  same windows in the same batches;
- inference on two workloads, whole articles (the annotated documents) and
  many short texts (sentences): ``Predictor.predict_documents`` (fp32, and
  int8) vs ``pipeline("token-classification")`` with the same batch size and
  stride. Our side also runs the status and relation heads and the
  constrained decoding;
- model FLOPs utilization (MFU): the encoder's FLOPs per token times tokens/s,
  divided by this machine's fp32 matmul peak, measured in the same run.

Each measurement runs in its own process, so its peak memory is its own, and
each inference workload is timed ``INFERENCE_REPEATS`` times, keeping the
fastest pass: a pass takes seconds, and on a shared machine a single pass moved
the ratios by a factor of two between runs. Quote the ratios, not the absolute
numbers.
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

WORKLOADS = ("articles", "short texts")
INFERENCE_REPEATS = 3


@dataclass
class Measurement:
    name: str
    tokens_per_second: float
    peak_memory_mb: float
    # Tokens the encoder ran over per second, padding and overlaps included (for the MFU).
    encoder_tokens_per_second: float = 0.0


def _fastest(run) -> float:
    """Seconds of the fastest of ``INFERENCE_REPEATS`` calls of ``run``."""
    seconds = []
    for _ in range(INFERENCE_REPEATS):
        start = time.perf_counter()
        run()
        seconds.append(time.perf_counter() - start)
    return min(seconds)


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
    from trainer.optimization import make_optimizer
    from trainer.training import build_model

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
    rate = tokens / (time.perf_counter() - start)
    return Measurement("ours: train", rate, _peak_mb(), rate)


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

    from trainer.training import encoder_settings

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
    rate = tokens / (clock.end - clock.start)
    return Measurement("baseline: Trainer", rate, _peak_mb(), rate)


def workload_texts(config: RunConfig, workload: str, short_texts: str | None) -> list[str]:
    """Whole articles: the config's annotated documents. Short texts: one per line of ``short_texts``
    (a CoNLL file gives its sentences), else the sentences of the annotated documents."""
    from trainer.data.loading import read_documents
    from trainer.formats.conll import read_conll
    from trainer.schema import load_schema
    from trainer.text import sentence_starts

    documents = read_documents(config.data, load_schema(config.data.schema))
    if workload == "articles":
        return [d.text for d in documents]
    if short_texts:
        return [" ".join(word for word, _, _ in sentence) for sentence in read_conll(short_texts)]
    texts = []
    for document in documents:
        starts = sentence_starts(document.text)
        texts += [document.text[a:b].strip() for a, b in zip(starts, [*starts[1:], len(document.text)], strict=True)]
    return [text for text in texts if text]


def _encoder_tokens(windows_per_text: list[list]) -> int:
    return sum(len(window) for windows in windows_per_text for window in windows)


def ours_inference(
    config: RunConfig, model_dir: str, batch_size: int, workload: str, short_texts: str | None, quantize: bool = False
) -> Measurement:
    from trainer.data.windows import make_windows, tokenize_document
    from trainer.documents import Document
    from trainer.inference.predictor import load_predictor

    predictor = load_predictor(model_dir, batch_size=batch_size, quantize=quantize)
    texts = workload_texts(config, workload, short_texts)
    tokenized = [tokenize_document(Document("", t), predictor.tokenizer) for t in texts]
    tokens = sum(len(t.input_ids) for t in tokenized)
    windows = [make_windows(t, predictor.tokenizer, predictor.max_length, predictor.stride) for t in tokenized]
    predictor.predict(texts[:batch_size])
    seconds = _fastest(lambda: predictor.predict(texts))
    name = f"ours: predict {'int8' if quantize else 'fp32'}, {workload}"
    return Measurement(name, tokens / seconds, _peak_mb(), _encoder_tokens(windows) / seconds)


def baseline_inference(
    config: RunConfig, model_dir: str, batch_size: int, workload: str, short_texts: str | None
) -> Measurement:
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
    tokenizer.model_max_length = ours.config.window_length
    tagger = pipeline(
        "token-classification",
        model=model.eval(),
        tokenizer=tokenizer,
        aggregation_strategy="simple",
        stride=ours.config.window_stride,
        device=-1 if not torch.cuda.is_available() else 0,
    )
    texts = workload_texts(config, workload, short_texts)
    tokens = sum(len(tokenizer(t, add_special_tokens=False, verbose=False)["input_ids"]) for t in texts)
    tagger(texts[:batch_size], batch_size=batch_size)
    seconds = _fastest(lambda: tagger(texts, batch_size=batch_size))
    return Measurement(f"baseline: pipeline, {workload}", tokens / seconds, _peak_mb())


def int8_entity_f1(config: RunConfig, model_dir: str, batch_size: int) -> dict[str, float]:
    """Entity F1 of fp32 and int8 inference on the config's dev documents (the seeds' dev article)."""
    from trainer.data.loading import read_documents, split_documents
    from trainer.evaluation.metrics import entity_scores
    from trainer.inference.predictor import load_predictor
    from trainer.schema import load_schema

    schema = load_schema(config.data.schema)
    _, dev = split_documents(read_documents(config.data, schema), config.data)
    scores = {}
    for name, quantize in (("fp32", False), ("int8", True)):
        predictor = load_predictor(model_dir, batch_size=batch_size, quantize=quantize)
        scores[name] = entity_scores(dev, list(predictor.predict_documents(dev)), schema)["micro"]["f1"]
    return scores


def matmul_peak(size: int = 1024, repeats: int = 20) -> float:
    """This machine's fp32 matrix-multiply rate now, in FLOP/s (the best of several timed runs)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def encoder_flops_per_token(model_dir: str, sequence: int) -> float:
    """Forward FLOPs of the encoder per token: 2 per weight of every layer, plus attention over ``sequence``."""
    from trainer.model import EventExtractorConfig

    encoder = EventExtractorConfig.from_pretrained(model_dir).encoder_config()
    hidden, layers = encoder.hidden_size, encoder.num_hidden_layers
    per_layer = 2 * (4 * hidden * hidden + 2 * hidden * encoder.intermediate_size) + 4 * sequence * hidden
    return layers * per_layer


def _run(function, *args) -> Measurement:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)


def machine() -> str:
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return (
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), {device}"
    )


@dataclass
class SpeedReport:
    measurements: dict[str, Measurement]
    matmul_peak: float
    flops_per_token: float
    int8_f1: dict[str, float]


def benchmark_speed(
    config: RunConfig, model_dir: str, steps: int, batch_size: int, short_texts: str | None = None
) -> SpeedReport:
    measured = [
        _run(ours_training, config, steps, batch_size),
        _run(baseline_training, config, steps, batch_size),
    ]
    for workload in WORKLOADS:
        measured += [
            _run(ours_inference, config, model_dir, batch_size, workload, short_texts),
            _run(baseline_inference, config, model_dir, batch_size, workload, short_texts),
            _run(ours_inference, config, model_dir, batch_size, workload, short_texts, True),
        ]
    return SpeedReport(
        {m.name: m for m in measured},
        matmul_peak(),
        encoder_flops_per_token(model_dir, config.data.max_length),
        _run(int8_entity_f1, config, model_dir, batch_size),
    )


def format_speed(report: SpeedReport, config: RunConfig, steps: int, batch_size: int) -> str:
    m = report.measurements
    rate = {name: measurement.tokens_per_second for name, measurement in m.items()}

    def mfu(measurement: Measurement, training: bool) -> float:
        flops = report.flops_per_token * (3 if training else 1)  # backward: twice the forward
        return measurement.encoder_tokens_per_second * flops / report.matmul_peak

    lines = [
        f"machine: {machine()}; fp32 matmul peak measured now: {report.matmul_peak / 1e9:.0f} GFLOP/s",
        f"encoder {config.model.encoder}, data {', '.join(config.data.annotations)}, windows of "
        f"{config.data.max_length} tokens, batch size {batch_size}, {steps} timed training steps",
        "",
        *(
            f"{name:<38} {x.tokens_per_second:9.0f} tokens/s   peak memory {x.peak_memory_mb:6.0f} MB"
            for name, x in m.items()
        ),
        "",
        f"training speed ratio (ours / Trainer):                 {rate['ours: train'] / rate['baseline: Trainer']:.2f}",
    ]
    for workload in WORKLOADS:
        fp32, int8 = rate[f"ours: predict fp32, {workload}"], rate[f"ours: predict int8, {workload}"]
        pipeline = rate[f"baseline: pipeline, {workload}"]
        lines += [
            f"inference speed ratio, {workload} (ours / pipeline): {fp32 / pipeline:.2f}",
            f"int8 speed-up, {workload} (int8 / fp32):             {int8 / fp32:.2f}",
        ]
    lines += [
        # Four decimals: a tiny test encoder uses well under 1% of the machine, which two would print as 0.00.
        f"model FLOPs utilization, training:                    {mfu(m['ours: train'], True):.4f}",
        f"model FLOPs utilization, inference (articles, fp32):  {mfu(m['ours: predict fp32, articles'], False):.4f}",
        f"entity F1 on the dev documents, fp32 / int8:          {report.int8_f1['fp32']:.4f} / "
        f"{report.int8_f1['int8']:.4f}",
    ]
    return "\n".join(lines)
