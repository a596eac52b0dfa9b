"""Write predictions in a chosen format: JSONL records or Label Studio tasks to import."""

from __future__ import annotations

from pathlib import Path

from trainer.documents import Document
from trainer.fileio import write_json_atomic, write_text_atomic
from trainer.formats.jsonl import prediction_record, record_line
from trainer.formats.labelstudio import prediction_task
from trainer.schema import Schema
from trainer.validation import validate

FORMATS = ("jsonl", "labelstudio")


def write_predictions(
    documents: list[Document], path: str | Path, schema: Schema, output_format: str, model_version: str
) -> None:
    if output_format == "jsonl":
        write_text_atomic(path, "".join(record_line(prediction_record(d, schema)) for d in documents))
    elif output_format == "labelstudio":
        write_json_atomic(path, [prediction_task(d, schema, model_version) for d in documents])
    else:
        raise ValueError(f"unknown output format {output_format!r}; expected one of {FORMATS}")


def check_prediction(document: Document, schema: Schema) -> None:
    """The model's output must itself be a valid annotation; anything else is a bug, not bad input."""
    errors = [problem for problem in validate(document, schema) if problem.level == "error"]
    if errors:
        raise RuntimeError(f"prediction for document {document.id!r} is not a valid annotation: {errors[0]}")
