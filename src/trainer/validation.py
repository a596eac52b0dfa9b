"""Is a document a valid annotation under the schema? One validator for every source.

:func:`validate` checks a :class:`Document` whatever it came from: a Label
Studio export, a CoNLL file, a draft, or the model's own predictions. Each
:class:`Problem` names the region (or ``head->tail`` relation) and the
offsets; readers add the file and task they read it from.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from trainer.documents import Document, Entity
from trainer.errors import TrainerError
from trainer.schema import Schema
from trainer.text import SentenceIndex, is_boundary_char, is_word_span


@dataclass(frozen=True)
class Problem:
    level: str  # "error" or "warning"
    message: str
    source: str = ""
    task_id: Any = None
    region_id: str | None = None
    span: tuple[int, int] | None = None

    def at(self, source: str, task_id: Any) -> Problem:
        """The same problem, located in a file and task."""
        return dataclasses.replace(self, source=source, task_id=task_id)

    def __str__(self) -> str:
        where = [self.source] if self.source else []
        if self.task_id is not None:
            where.append(f"task {self.task_id}")
        if self.region_id is not None:
            where.append(f"region {self.region_id}")
        if self.span is not None:
            where.append(f"[{self.span[0]}:{self.span[1]}]")
        return f"{self.level}: {', '.join(where)}: {self.message}"


def validate(document: Document, schema: Schema, whole_words: bool = True) -> list[Problem]:
    """Every way ``document`` breaks the schema's rules; an empty list when it is valid.

    ``whole_words=False`` skips the rule that spans start and end on word edges
    without punctuation, for data whose units are another tokenization's tokens.
    """
    problems: list[Problem] = []

    def error(message: str, region_id: str | None = None, span: tuple[int, int] | None = None) -> None:
        problems.append(Problem("error", message, region_id=region_id, span=span))

    valid: dict[str, Entity] = {}
    seen_ids: set[str] = set()
    for entity in document.entities:
        if entity.id in seen_ids:
            error("duplicate region id", entity.id)
            continue
        seen_ids.add(entity.id)
        if _check_entity(document.text, entity, schema, whole_words, error):
            valid[entity.id] = entity
    _check_overlaps(list(valid.values()), error)
    _check_relations(document, valid, seen_ids, schema, error)
    return problems


def _check_entity(text: str, entity: Entity, schema: Schema, whole_words: bool, error) -> bool:
    """Offsets, label, surface text, word edges and status; False when the span itself is unusable."""
    span = entity.span
    if not 0 <= entity.start < entity.end <= len(text):
        error(f"offsets outside the text (length {len(text)}) or empty span", entity.id, span)
        return False
    if entity.label not in schema.entity_labels:
        error(f"unknown label {entity.label!r} (schema {schema.name}: {list(schema.entity_labels)})", entity.id, span)
        return False
    surface = text[entity.start : entity.end]
    if entity.text != surface:
        error(
            f"text/offset mismatch: value.text {entity.text!r} but text[{entity.start}:{entity.end}] is {surface!r}",
            entity.id,
            span,
        )
        return False
    if whole_words and not is_word_span(text, entity.start, entity.end):
        if is_boundary_char(surface[0]) or is_boundary_char(surface[-1]):
            error(f"span {surface!r} starts or ends with whitespace/punctuation", entity.id, span)
        else:
            context = text[max(0, entity.start - 3) : entity.end + 3]
            error(f"span {surface!r} does not start and end on word boundaries (context {context!r})", entity.id, span)
    status = schema.status
    if not schema.has_status(entity.label):
        if entity.status is not None:
            error(f"{entity.label} takes no status, got {entity.status!r}", entity.id, span)
    elif entity.status is None:
        error(f"missing {status.name} for {entity.label} {entity.text!r}", entity.id, span)
    elif entity.status not in status.values:
        error(f"invalid {status.name} {entity.status!r}: expected one of {list(status.values)}", entity.id, span)
    return True


def _check_overlaps(entities: list[Entity], error) -> None:
    ordered = sorted(entities, key=lambda e: (e.start, e.end))
    for previous, current in zip(ordered, ordered[1:], strict=False):
        if current.start < previous.end:
            error(
                f"overlaps region {previous.id} [{previous.start}:{previous.end}] {previous.text!r}",
                current.id,
                current.span,
            )


def _check_relations(
    document: Document, entities: dict[str, Entity], known_ids: set[str], schema: Schema, error
) -> None:
    sentences = SentenceIndex(document.text)
    seen = set()
    for relation in document.relations:
        name, where = relation.label, f"{relation.head}->{relation.tail}"
        relation_type = schema.relation_named(name)
        if relation_type is None:
            error(f"unknown relation {name!r} (schema: {list(schema.relation_names)})", where)
            continue
        missing = [i for i in (relation.head, relation.tail) if i not in known_ids]
        if missing:
            error(f"{name} refers to missing region(s) {missing} (dangling relation)", where)
            continue
        if relation.head not in entities or relation.tail not in entities:
            continue  # an argument with an invalid span is already reported
        head, tail = entities[relation.head], entities[relation.tail]
        around = (min(head.start, tail.start), max(head.end, tail.end))
        if relation.head == relation.tail:
            error(f"{name} links a region to itself", where, head.span)
            continue
        if (head.label, tail.label) != (relation_type.head, relation_type.tail):
            error(
                f"{name} must go {relation_type.head} -> {relation_type.tail}, "
                f"got {head.label} {head.text!r} -> {tail.label} {tail.text!r}",
                where,
                around,
            )
            continue
        if (relation.head, relation.tail) in seen:
            error(f"duplicate relation {name} {head.text!r} -> {tail.text!r}", where)
            continue
        seen.add((relation.head, relation.tail))
        distance = sentences.distance(head.span, tail.span)
        if distance > schema.max_sentence_distance:
            error(
                f"{name} {head.text!r} -> {tail.text!r} spans {distance} sentences "
                f"(schema allows {schema.max_sentence_distance})",
                where,
                around,
            )


@dataclass
class ValidationReport:
    """Documents read from one or more sources, and every problem found on the way."""

    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    def extend(self, other: ValidationReport) -> None:
        self.documents += other.documents
        self.problems += other.problems

    def counts(self) -> dict[str, Counter]:
        """Entities by label, statuses and relations by type over all documents."""
        entities, statuses, relations = Counter(), Counter(), Counter()
        for document in self.documents:
            entities.update(entity.label for entity in document.entities)
            statuses.update(entity.status for entity in document.entities if entity.status)
            relations.update(relation.label for relation in document.relations)
        return {"entities": entities, "statuses": statuses, "relations": relations}

    def by_split(self) -> dict[str, ValidationReport]:
        """The documents grouped by their ``meta["split"]`` (``none`` for documents without one)."""
        parts: dict[str, ValidationReport] = {}
        for document in self.documents:
            parts.setdefault(document.meta.get("split", "none"), ValidationReport()).documents.append(document)
        return parts

    def raise_for_errors(self) -> None:
        if self.errors:
            raise AnnotationError(self.problems)


class AnnotationError(TrainerError, ValueError):
    """Annotations with errors; the message is one line, ``problems`` holds all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.level == "error"]
        sources = sorted({p.source for p in errors if p.source})
        where = f" in {', '.join(sources)}" if sources else ""
        check = f" (all of them: python scripts/validate_annotations.py {' '.join(sources)})" if sources else ""
        super().__init__(f"{len(errors)} annotation error(s){where}; the first: {errors[0]}{check}")


def format_report(report: ValidationReport, source: str) -> str:
    """Per-file counts (entities by label, statuses, relations by type) as printed by the validator."""
    counts = report.counts()
    lines = [
        f"{source}: {len(report.documents)} documents, {sum(counts['entities'].values())} entities, "
        f"{sum(counts['relations'].values())} relations, {len(report.errors)} errors, {len(report.warnings)} warnings"
    ]
    for title, counter in counts.items():
        if counter:
            lines.append(f"  {title:<10} " + ", ".join(f"{key} {value}" for key, value in sorted(counter.items())))
    return "\n".join(lines)
