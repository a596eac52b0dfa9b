"""Label Studio's JSON result format, written from and read into :class:`Document`.

The control names here are the ones :mod:`trainer.labeling_config` generates,
so tasks written by this module open in a project made from that config.
"""

from __future__ import annotations

from typing import Any

from trainer.documents import Document
from trainer.schema import Schema

TEXT_NAME = "text"
LABELS_NAME = "label"


def document_results(document: Document, schema: Schema) -> list[dict[str, Any]]:
    """Span results, per-region status choices and relation results, as Label Studio stores them."""
    results: list[dict[str, Any]] = []
    for entity in document.entities:
        span_value = {"start": entity.start, "end": entity.end, "text": entity.text}
        results.append(
            {
                "id": entity.id,
                "from_name": LABELS_NAME,
                "to_name": TEXT_NAME,
                "type": "labels",
                "origin": "manual",
                "value": {**span_value, "labels": [entity.label]},
                **({"score": entity.score} if entity.score is not None else {}),
            }
        )
        if entity.status is not None and schema.status is not None:
            results.append(
                {
                    "id": entity.id,
                    "from_name": schema.status.name,
                    "to_name": TEXT_NAME,
                    "type": "choices",
                    "origin": "manual",
                    "value": {**span_value, "choices": [entity.status]},
                }
            )
    for relation in document.relations:
        results.append(
            {
                "from_id": relation.head,
                "to_id": relation.tail,
                "type": "relation",
                "direction": "right",
                "labels": [relation.label],
            }
        )
    return results


def task_from_document(document: Document, task_id: int, schema: Schema) -> dict[str, Any]:
    """A task with one completed annotation, in the shape of Label Studio's JSON export."""
    return {
        "id": task_id,
        "data": {TEXT_NAME: document.text, "article": document.id},
        "annotations": [
            {
                "id": task_id,
                "completed_by": 1,
                "was_cancelled": False,
                "ground_truth": True,
                "result": document_results(document, schema),
            }
        ],
        "predictions": [],
    }


def prediction_score(document: Document) -> float | None:
    """The mean entity score of a predicted document (None when no entity has a score)."""
    scores = [entity.score for entity in document.entities if entity.score is not None]
    return sum(scores) / len(scores) if scores else None


def prediction_from_document(document: Document, schema: Schema, model_version: str) -> dict[str, Any]:
    """A Label Studio prediction: the results, the model version and the mean entity score."""
    prediction: dict[str, Any] = {"result": document_results(document, schema), "model_version": model_version}
    score = prediction_score(document)
    if score is not None:
        prediction["score"] = score
    return prediction
