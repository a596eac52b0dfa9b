"""The events table for analysts: one row per event record, as CSV or Parquet.

Columns: the document id; the actors, weapons and locations (mention texts
joined by `` | ``); the victims' text, status, normalized value, lower bound
and approximate flag (empty for an event with no victims); and ``min_score``,
the lowest model score among the event's mentions and the relations that tie
them together, to sort out the least certain records first.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any

COLUMNS = (
    "document_id",
    "actors",
    "weapons",
    "locations",
    "victims",
    "status",
    "value",
    "lower_bound",
    "approximate",
    "min_score",
)
ROLES = ("actors", "weapons", "locations")
SEPARATOR = " | "


def event_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows of one prediction record (``trainer.formats.jsonl.prediction_record``)."""
    by_span = {(e["start"], e["end"]): e for e in record["entities"]}
    rows = []
    for event in record["events"]:
        mentions = [m for role in (*ROLES, "victims") for m in event[role]]
        ids = {by_span[m["start"], m["end"]]["id"] for m in mentions}
        scores = [by_span[m["start"], m["end"]]["score"] for m in mentions]
        scores += [r["score"] for r in record["relations"] if r["head"] in ids and r["tail"] in ids]
        victim = event["victims"][0] if event["victims"] else {}
        rows.append(
            {
                "document_id": record["id"],
                **{role: SEPARATOR.join(m["text"] for m in event[role]) for role in ROLES},
                "victims": victim.get("text", ""),
                "status": victim.get("status"),
                "value": victim.get("value"),
                "lower_bound": victim.get("lower_bound"),
                "approximate": victim.get("approximate"),
                "min_score": min((s for s in scores if s is not None), default=None),
            }
        )
    return rows


def write_csv(rows: Iterable[dict[str, Any]], path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def write_parquet(rows: Iterable[dict[str, Any]], path: Path, group_size: int = 10_000) -> None:
    """Written in row groups as rows come, so a large corpus never sits in memory whole."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("document_id", pa.string()),
            *((role, pa.string()) for role in (*ROLES, "victims", "status")),
            ("value", pa.int64()),
            ("lower_bound", pa.int64()),
            ("approximate", pa.bool_()),
            ("min_score", pa.float64()),
        ]
    )
    with pq.ParquetWriter(path, schema) as writer:
        group: list[dict[str, Any]] = []
        for row in rows:
            group.append(row)
            if len(group) == group_size:
                writer.write_table(pa.Table.from_pylist(group, schema=schema))
                group = []
        writer.write_table(pa.Table.from_pylist(group, schema=schema))
