"""Evaluate a trained model on annotated articles and write a report folder.

``report.json`` (every score, with bootstrap intervals over documents),
``report.md`` (the tables), ``confusion.png`` (entity labels on exactly
matched spans, plus missed and spurious ones) and ``predictions.json`` (Label
Studio tasks holding the gold annotation and the model's prediction, to open
side by side in Label Studio).
"""

from __future__ import annotations

from pathlib import Path

from trainer.documents import Document
from trainer.evaluation.metrics import (
    bootstrap_interval,
    entity_scores,
    event_scores,
    relation_scores,
    score_documents,
    seqeval_scores,
)
from trainer.evaluation.plots import plot_confusion
from trainer.fileio import write_json_atomic, write_text_atomic
from trainer.formats.labelstudio import load_documents, prediction_from_document, task_from_document
from trainer.inference.predictor import Predictor, load_predictor
from trainer.schema import Schema

NONE = "(none)"


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


def evaluate_documents(
    predictor: Predictor, gold: list[Document], bootstrap_samples: int = 1000
) -> tuple[dict, list[Document]]:
    """(report, predicted documents): every score, end to end and with the gold entities given
    (the relation head alone), events, bootstrap intervals and the entity confusion matrix."""
    schema = predictor.schema
    predicted = [predictor.predict_document(document) for document in gold]
    with_gold_entities = [predictor.predict_document(document, gold_entities=True) for document in gold]
    report = score_documents(gold, predicted, schema)
    report["entities_seqeval"] = seqeval_scores(gold, predicted)
    report["relations_given_gold_entities"] = relation_scores(gold, with_gold_entities, schema)
    report["events"] = event_scores(gold, predicted, schema)
    micro = lambda scores: lambda g, p: scores(g, p, schema)["micro"]["f1"]  # noqa: E731
    report["confidence_intervals_95"] = {
        "entity_f1": bootstrap_interval(gold, predicted, micro(entity_scores), bootstrap_samples),
        "relation_f1": bootstrap_interval(gold, predicted, micro(relation_scores), bootstrap_samples),
        "relation_f1_given_gold_entities": bootstrap_interval(
            gold, with_gold_entities, micro(relation_scores), bootstrap_samples
        ),
    }
    report["documents"] = len(gold)
    report["confusion"] = {
        "labels": [*schema.entity_labels, NONE],
        "matrix": entity_confusion(gold, predicted, schema.entity_labels),
    }
    return report, predicted


def markdown_report(report: dict, schema: Schema, model: str, data: list[str]) -> str:
    def row(name: str, scores: dict) -> str:
        return (
            f"| {name} | {scores['precision']:.3f} | {scores['recall']:.3f} | {scores['f1']:.3f} | {scores['gold']} |"
        )

    intervals = report["confidence_intervals_95"]
    lines = [
        f"# Evaluation of `{model}`",
        "",
        f"Data: {', '.join(f'`{d}`' for d in data)} ({report['documents']} documents). Strict matching: exact "
        "character spans and labels; relations need both argument spans and the type exact.",
        "",
        "| | precision | recall | F1 | gold |",
        "|---|---|---|---|---|",
        row("**entities (micro)**", report["entities"]["micro"]),
        *(row(label, report["entities"]["per_label"][label]) for label in schema.entity_labels),
        row("**relations, end to end (micro)**", report["relations"]["micro"]),
        *(row(name, report["relations"]["per_label"][name]) for name in schema.relation_names),
        row("**relations, gold entities given**", report["relations_given_gold_entities"]["micro"]),
        row("events (anchor)", report["events"]["anchor"]),
        row("events (strict)", report["events"]["strict"]),
        "",
        f"- entity macro F1 {report['entities']['macro']['f1']:.3f}; seqeval strict IOB2 micro F1 "
        f"{report['entities_seqeval']['micro avg']['f1-score']:.3f}",
        f"- status accuracy {report['status']['accuracy']:.3f} on {report['status']['matched']} matched victim counts",
        *(f"- 95% bootstrap interval of {name}: [{low:.3f}, {high:.3f}]" for name, (low, high) in intervals.items()),
    ]
    return "\n".join(lines) + "\n"


def evaluate_model(
    model_dir: str | Path, data: list[str], output_dir: str | Path, bootstrap_samples: int = 1000
) -> dict:
    predictor = load_predictor(model_dir)
    schema = predictor.schema
    gold = load_documents(data, schema)
    report, predicted = evaluate_documents(predictor, gold, bootstrap_samples)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(output_dir / "report.json", report)
    write_text_atomic(output_dir / "report.md", markdown_report(report, schema, str(model_dir), data))
    plot_confusion(report["confusion"]["matrix"], report["confusion"]["labels"], output_dir / "confusion.png")
    model_version = Path(model_dir).resolve().name
    tasks = []
    for task_id, (gold_document, predicted_document) in enumerate(zip(gold, predicted, strict=True), start=1):
        task = task_from_document(gold_document, task_id, schema)
        task["predictions"] = [prediction_from_document(predicted_document, schema, model_version)]
        tasks.append(task)
    write_json_atomic(output_dir / "predictions.json", tasks)
    return report
