"""Predictions in the format asked for: JSONL records, Label Studio tasks, or the events table (CSV, Parquet).

Each predicted document becomes a *payload* (its JSONL record, its Label Studio
task, or its event rows) as soon as it is predicted; payloads are streamed into
the output file, which appears (by rename) only once it is complete.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from trainer.documents import Document
from trainer.fileio import atomic_file
from trainer.formats.jsonl import prediction_record, record_line
from trainer.formats.labelstudio import prediction_task
from trainer.formats.table import event_rows, write_csv, write_parquet
from trainer.schema import Schema
from trainer.validation import validate

FORMATS = ("jsonl", "labelstudio", "csv", "parquet")


def payload(document: Document, schema: Schema, output_format: str, model_version: str) -> Any:
    """What one predicted document contributes to an output of ``output_format``."""
    check_prediction(document, schema)
    if output_format == "labelstudio":
        return prediction_task(document, schema, model_version)
    record = prediction_record(document, schema)
    return record if output_format == "jsonl" else event_rows(record)


def write_output(payloads: Iterable[Any], path: str | Path, output_format: str) -> None:
    """Stream the payloads, in order, into ``path`` (a temp file renamed when done)."""
    if output_format not in FORMATS:
        raise ValueError(f"unknown output format {output_format!r}; expected one of {FORMATS}")
    with atomic_file(path) as temporary:
        if output_format in ("csv", "parquet"):
            rows = (row for rows in payloads for row in rows)
            (write_csv if output_format == "csv" else write_parquet)(rows, temporary)
            return
        with open(temporary, "w", encoding="utf-8") as file:
            if output_format == "jsonl":
                file.writelines(record_line(p) for p in payloads)
                return
            file.write("[")  # a Label Studio import file: one JSON list, written item by item
            for index, task in enumerate(payloads):
                file.write(("\n" if index == 0 else ",\n") + json.dumps(task, ensure_ascii=False))
            file.write("\n]\n")


def check_prediction(document: Document, schema: Schema) -> None:
    """The model's output must itself be a valid annotation; anything else is a bug, not bad input."""
    errors = [problem for problem in validate(document, schema) if problem.level == "error"]
    if errors:
        raise RuntimeError(f"prediction for document {document.id!r} is not a valid annotation: {errors[0]}")
