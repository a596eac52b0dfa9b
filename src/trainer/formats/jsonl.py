"""JSON Lines: one JSON object per line, for article inputs and for prediction records.

An input line is an object with a string ``text`` (other fields are kept). A
prediction record holds everything predicted for one article, offsets into its
exact text: entities (with scores and statuses), relations and event records.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from trainer.documents import Document
from trainer.errors import InputError
from trainer.events.records import build_events
from trainer.schema import Schema


def read_jsonl(path: str | Path, on_bad: Callable[[str], None] | None = None) -> Iterator[tuple[int, Any]]:
    """(line number, object) for every non-empty line, read lazily.

    A line that is not JSON is an error naming it, or, with ``on_bad``, reported to it and skipped.
    """
    path = Path(path)
    with open(path, encoding="utf-8") as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                message = f"{path}:{number}: not valid JSON ({error.msg})"
                if on_bad is None:
                    raise InputError(message) from None
                on_bad(message)
                continue
            yield number, record


def prediction_record(document: Document, schema: Schema) -> dict[str, Any]:
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


def record_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False) + "\n"
