"""Write predictions: JSONL records (entities, statuses, relations, events) or Label Studio tasks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trainer.documents import Document
from trainer.events import build_events
from trainer.io import write_json_atomic, write_text_atomic
from trainer.labelstudio_format import TEXT_NAME, prediction_from_document
from trainer.schema import Schema

FORMATS = ("jsonl", "labelstudio")


def document_record(document: Document, schema: Schema) -> dict[str, Any]:
    """One JSONL record: everything predicted for one article, offsets into its exact text."""
    return {
        "id": document.id,
        "entities": [
            {
                "id": e.id,
                "label": e.label,
                "start": e.start,
                "end": e.end,
                "text": e.text,
                "score": e.score,
                **({"status": e.status} if e.status is not None else {}),
            }
            for e in document.entities
        ],
        "relations": [{"head": r.head, "tail": r.tail, "label": r.label, "score": r.score} for r in document.relations],
        "events": build_events(document, schema),
    }


def labelstudio_task(document: Document, schema: Schema, model_version: str) -> dict[str, Any]:
    """A task to import into Label Studio, the output attached as a prediction to accept or correct."""
    data = dict(document.meta.get("data") or {TEXT_NAME: document.text, "article": document.id})
    return {"data": data, "predictions": [prediction_from_document(document, schema, model_version)]}


def write_predictions(
    documents: list[Document], path: str | Path, schema: Schema, output_format: str, model_version: str
) -> None:
    if output_format == "jsonl":
        lines = (json.dumps(document_record(d, schema), ensure_ascii=False) + "\n" for d in documents)
        write_text_atomic(path, "".join(lines))
    elif output_format == "labelstudio":
        write_json_atomic(path, [labelstudio_task(d, schema, model_version) for d in documents])
    else:
        raise ValueError(f"unknown output format {output_format!r}; expected one of {FORMATS}")
