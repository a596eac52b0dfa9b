"""Write gold annotations by surface string, never by counted offsets.

A draft (YAML) lists an article's mentions in reading order; each one is found
in the text at the first whole-word match after the previous mention, so
offsets are derived, not typed. A mention may carry context in brackets when
the bare string would match too early: ``"في [قصف جوي] روسي"`` locates the
whole string and keeps only the bracketed part as the span.

Draft format::

    article: seeds/000_5769bc202851a151.txt
    entities:
      - [a1, ACTOR, "فصائل المعارضة السورية"]
      - [v1, VICTIM_COUNT, "30 شخصا", killed]       # status for VICTIM_COUNT
    relations:
      - [a1, acts_at, l1]

The result is one Label Studio task per draft, in Label Studio's JSON export
format, ready for :mod:`trainer.annotations` and for import into Label Studio.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from trainer.documents import Document, Entity, Relation
from trainer.labelstudio_format import task_from_document
from trainer.schema import Schema
from trainer.text import is_word_span


class DraftError(ValueError):
    """A draft that cannot be turned into a task; the message names the draft and the mention."""


@dataclass(frozen=True)
class Draft:
    path: Path
    article: Path
    entities: list[list[Any]]
    relations: list[list[Any]]


def read_draft(path: str | Path, root: Path) -> Draft:
    path = Path(path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    unknown = set(data) - {"article", "entities", "relations"}
    if unknown:
        raise DraftError(f"{path}: unknown keys {sorted(unknown)}")
    return Draft(path, root / data["article"], data.get("entities") or [], data.get("relations") or [])


def _split_context(surface: str) -> tuple[str, int, int]:
    """``"a [b c] d"`` -> (``"a b c d"``, offset of the span in it, its length)."""
    if "[" not in surface:
        return surface, 0, len(surface)
    before, rest = surface.split("[", 1)
    span, after = rest.split("]", 1)
    return before + span + after, len(before), len(span)


def locate(text: str, surface: str, cursor: int) -> tuple[int, int]:
    """(start, end) of the first whole-word match of ``surface`` at or after ``cursor``."""
    needle, span_offset, span_length = _split_context(surface)
    search_from = cursor
    while True:
        found = text.find(needle, search_from)
        if found < 0:
            raise LookupError(f"{surface!r} not found after offset {cursor}")
        start = found + span_offset
        end = start + span_length
        if start >= cursor and is_word_span(text, start, end):
            return start, end
        search_from = found + 1


def draft_to_document(draft: Draft, schema: Schema) -> Document:
    """Resolve every mention of a draft to offsets, in order; errors name the mention."""
    text = draft.article.read_text(encoding="utf-8")
    entities: list[Entity] = []
    cursor = 0
    for item in draft.entities:
        if not isinstance(item, list) or len(item) not in (3, 4):
            raise DraftError(f"{draft.path}: entity must be [id, LABEL, text(, status)], got {item!r}")
        region_id, label, surface = str(item[0]), str(item[1]), str(item[2])
        status = str(item[3]) if len(item) == 4 else None
        try:
            start, end = locate(text, surface, cursor)
        except LookupError as error:
            context = text[max(0, cursor - 40) : cursor]
            raise DraftError(f"{draft.path}: entity {region_id}: {error} (text before cursor: …{context!r})") from None
        entities.append(Entity(region_id, start, end, label, text[start:end], status))
        cursor = end
    relations = []
    for item in draft.relations:
        if not isinstance(item, list) or len(item) != 3:
            raise DraftError(f"{draft.path}: relation must be [from_id, type, to_id], got {item!r}")
        relations.append(Relation(head=str(item[0]), tail=str(item[2]), label=str(item[1])))
    return Document(id=draft.article.stem, text=text, entities=entities, relations=relations)


def drafts_to_tasks(paths: list[Path], schema: Schema, root: Path) -> list[dict[str, Any]]:
    """One Label Studio task per draft, numbered 1..N in the given order."""
    tasks = []
    for task_id, path in enumerate(paths, start=1):
        document = draft_to_document(read_draft(path, root), schema)
        tasks.append(task_from_document(document, task_id=task_id, schema=schema))
    return tasks


def review_lines(document: Document, width: int = 30) -> list[str]:
    """Each span in context, for reading the annotation next to the text."""
    lines = []
    for entity in document.entities:
        left = document.text[max(0, entity.start - width) : entity.start].replace("\n", " ")
        right = document.text[entity.end : entity.end + width].replace("\n", " ")
        status = f" ({entity.status})" if entity.status else ""
        lines.append(f"{entity.id:>6} {entity.label:<12}{status:<11} …{left}【{entity.text}】{right}…")
    by_id = {entity.id: entity for entity in document.entities}
    for relation in document.relations:
        head, tail = by_id.get(relation.head), by_id.get(relation.tail)
        lines.append(
            f"{relation.label:>12}: {head.text if head else '??' + relation.head} -> "
            f"{tail.text if tail else '??' + relation.tail}"
        )
    return lines
