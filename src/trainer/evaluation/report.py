"""Evaluate a trained model on annotated data and write a report folder.

Each annotation file is scored on its own, and a corpus whose tasks carry a
``split`` (the ANERcorp conflict corpus) once per split: the seeds, the
corpus's dev part and its test part are never pooled. For every part:

- entities, statuses, relations end to end and with the gold entities given
  (the relation head alone), event records, seqeval;
- the simplest baselines (every allowed pair for relations, the training
  majority for statuses);
- 95% bootstrap intervals over documents for every headline number.

The folder gets ``report.json``, ``report.md``, ``confusion.png`` (entity
labels on exactly matched spans, over all parts) and ``predictions.json``
(Label Studio tasks with the gold annotation and the model's prediction side
by side, to inspect errors in Label Studio).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from trainer.documents import Document
from trainer.evaluation.baselines import all_allowed_pairs, majority_status
from trainer.evaluation.metrics import (
    bootstrap_interval,
    entity_scores,
    event_scores,
    relation_scores,
    score_documents,
    seqeval_scores,
    status_scores,
)
from trainer.evaluation.plots import plot_confusion
from trainer.fileio import write_json_atomic, write_text_atomic
from trainer.formats.labelstudio import load_documents, prediction_from_document, task_from_document
from trainer.inference.predictor import Predictor, load_predictor
from trainer.schema import Schema

NONE = "(none)"
HEADLINE = ("entity_f1", "relation_f1", "relation_f1_given_gold_entities", "status_accuracy", "event_strict_f1")


def entity_confusion(gold: list[Document], predicted: list[Document], labels: tuple[str, ...]) -> list[list[int]]:
    """Rows: gold label or (none); columns: predicted label or (none); spans matched exactly."""
    names = [*labels, NONE]
    matrix = [[0] * len(names) for _ in names]
    for gold_document, predicted_document in zip(gold, predicted, strict=True):
        gold_spans = {(e.start, e.end): e.label for e in gold_document.entities}
        predicted_spans = {(e.start, e.end): e.label for e in predicted_document.entities}
        for span in gold_spans.keys() | predicted_spans.keys():
            row = names.index(gold_spans.get(span, NONE))
            column = names.index(predicted_spans.get(span, NONE))
            matrix[row][column] += 1
    return matrix


def headline_statistics(schema: Schema) -> dict[str, Callable[[list[Document], list[Document]], float]]:
    """Each headline number as a function of (gold, predicted) documents, for scores and bootstrap alike."""
    return {
        "entity_f1": lambda g, p: entity_scores(g, p, schema)["micro"]["f1"],
        "relation_f1": lambda g, p: relation_scores(g, p, schema)["micro"]["f1"],
        "status_accuracy": lambda g, p: status_scores(g, p, schema)["accuracy"],
        "event_strict_f1": lambda g, p: event_scores(g, p, schema)["strict"]["f1"],
    }


def score_part(
    gold: list[Document],
    predicted: list[Document],
    with_gold_entities: list[Document],
    schema: Schema,
    majority: str | None,
    bootstrap_samples: int,
) -> dict:
    """Every score of one part of the data, its baselines and its intervals."""
    report = score_documents(gold, predicted, schema)
    report["entities_seqeval"] = seqeval_scores(gold, predicted)
    report["relations_given_gold_entities"] = relation_scores(gold, with_gold_entities, schema)
    report["events"] = event_scores(gold, predicted, schema)
    report["baselines"] = {
        "relations_all_allowed_pairs": relation_scores(gold, [all_allowed_pairs(d, schema) for d in predicted], schema),
        "relations_all_allowed_pairs_given_gold_entities": relation_scores(
            gold, [all_allowed_pairs(d, schema) for d in gold], schema
        ),
    }
    if majority is not None:
        report["baselines"]["status_majority"] = {
            "status": majority,
            **status_scores(gold, [majority_status(d, schema, majority) for d in predicted], schema),
        }
    statistics = headline_statistics(schema)
    pairs = {name: (gold, predicted) for name in statistics}
    statistics["relation_f1_given_gold_entities"] = statistics["relation_f1"]
    pairs["relation_f1_given_gold_entities"] = (gold, with_gold_entities)
    report["headline"] = {name: statistics[name](*pairs[name]) for name in HEADLINE}
    report["confidence_intervals_95"] = {
        name: bootstrap_interval(*pairs[name], statistics[name], bootstrap_samples) for name in HEADLINE
    }
    report["documents"] = len(gold)
    return report


def evaluate_documents(
    predictor: Predictor, gold: list[Document], bootstrap_samples: int = 1000
) -> tuple[dict, list[Document], list[Document]]:
    """(report, predicted documents, predictions given the gold entities) for one part of the data."""
    predicted = [predictor.predict_document(document) for document in gold]
    with_gold_entities = [predictor.predict_document(document, gold_entities=True) for document in gold]
    schema = predictor.schema
    report = score_part(gold, predicted, with_gold_entities, schema, predictor.majority_status, bootstrap_samples)
    return report, predicted, with_gold_entities


def parts_of(gold: list[Document]) -> dict[str, list[Document]]:
    """The documents by file, and by split for files whose tasks carry one: ``seeds``, ``anercorp_conflict:test``."""
    parts: dict[str, list[Document]] = {}
    for document in gold:
        name = Path(document.meta.get("source", "data")).stem
        if "split" in document.meta:
            name = f"{name}:{document.meta['split']}"
        parts.setdefault(name, []).append(document)
    return parts


def _row(name: str, scores: dict) -> str:
    return f"| {name} | {scores['precision']:.3f} | {scores['recall']:.3f} | {scores['f1']:.3f} | {scores['gold']} |"


def _with_interval(report: dict, name: str) -> str:
    low, high = report["confidence_intervals_95"][name]
    return f"{report['headline'][name]:.3f} [{low:.3f}, {high:.3f}]"


def markdown_report(report: dict, schema: Schema) -> str:
    lines = [
        f"# Evaluation of `{report['model']}`",
        "",
        "Strict matching: exact character spans and labels; relations need both argument spans and the type. "
        "Brackets: 95% bootstrap interval over documents.",
        "",
        "| part | documents | entity F1 | relation F1 | relation F1, gold entities | status accuracy | "
        "event strict F1 |",
        "|---|---:|---|---|---|---|---|",
    ]
    for name, part in report["parts"].items():
        cells = " | ".join(_with_interval(part, metric) for metric in HEADLINE)
        lines.append(f"| {name} | {part['documents']} | {cells} |")
    lines += ["", "Baselines (the same entities, the simplest decision):", ""]
    lines += ["| part | relation F1, all allowed pairs | ... given gold entities | status accuracy, majority |"]
    lines += ["|---|---|---|---|"]
    for name, part in report["parts"].items():
        baselines = part["baselines"]
        majority = baselines.get("status_majority")
        status = f"{majority['accuracy']:.3f} (`{majority['status']}`)" if majority else "n/a"
        lines.append(
            f"| {name} | {baselines['relations_all_allowed_pairs']['micro']['f1']:.3f} | "
            f"{baselines['relations_all_allowed_pairs_given_gold_entities']['micro']['f1']:.3f} | {status} |"
        )
    for name, part in report["parts"].items():
        lines += [
            "",
            f"## {name}",
            "",
            "| | precision | recall | F1 | gold |",
            "|---|---|---|---|---|",
            _row("**entities (micro)**", part["entities"]["micro"]),
            *(_row(label, part["entities"]["per_label"][label]) for label in schema.entity_labels),
            _row("**relations, end to end (micro)**", part["relations"]["micro"]),
            *(_row(name, part["relations"]["per_label"][name]) for name in schema.relation_names),
            _row("**relations, gold entities given**", part["relations_given_gold_entities"]["micro"]),
            _row("events (anchor)", part["events"]["anchor"]),
            _row("events (strict)", part["events"]["strict"]),
            "",
            f"- entity macro F1 {part['entities']['macro']['f1']:.3f}; seqeval strict IOB2 micro F1 "
            f"{part['entities_seqeval']['micro avg']['f1-score']:.3f}",
            f"- status accuracy {part['status']['accuracy']:.3f} on {part['status']['matched']} matched victim "
            f"counts; confusion (gold -> predicted): {part['status']['confusion']}",
        ]
    return "\n".join(lines) + "\n"


def evaluate_model(
    model_dir: str | Path, data: list[str], output_dir: str | Path, bootstrap_samples: int = 1000
) -> dict:
    predictor = load_predictor(model_dir)
    schema = predictor.schema
    gold = load_documents(data, schema)
    report: dict = {"model": str(model_dir), "data": list(data), "parts": {}}
    predicted_by_id: dict[int, Document] = {}
    for name, documents in parts_of(gold).items():
        report["parts"][name], predicted, _ = evaluate_documents(predictor, documents, bootstrap_samples)
        predicted_by_id.update({id(g): p for g, p in zip(documents, predicted, strict=True)})
    predicted = [predicted_by_id[id(document)] for document in gold]
    report["confusion"] = {
        "labels": [*schema.entity_labels, NONE],
        "matrix": entity_confusion(gold, predicted, schema.entity_labels),
    }
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(output_dir / "report.json", report)
    write_text_atomic(output_dir / "report.md", markdown_report(report, schema))
    plot_confusion(report["confusion"]["matrix"], report["confusion"]["labels"], output_dir / "confusion.png")
    model_version = Path(model_dir).resolve().name
    tasks = []
    for task_id, (gold_document, predicted_document) in enumerate(zip(gold, predicted, strict=True), start=1):
        task = task_from_document(gold_document, task_id, schema, meta=_task_meta(gold_document))
        task["predictions"] = [prediction_from_document(predicted_document, schema, model_version)]
        tasks.append(task)
    write_json_atomic(output_dir / "predictions.json", tasks)
    return report


def _task_meta(document: Document) -> dict:
    """The task meta a document was read with (its split and origin), without the reader's bookkeeping."""
    return {k: v for k, v in document.meta.items() if k not in ("source", "task_id", "annotation_id")}
