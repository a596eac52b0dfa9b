"""Read Label Studio JSON exports into documents and report every problem in them.

Every problem names the file, the task id, the region id and the offsets, so an
annotator can find it in Label Studio. Choices made where Label Studio allows
more than the schema does:

- A cancelled annotation, or one with an empty result, is skipped with a warning.
- Several annotations on one task: the one marked ``ground_truth`` wins, else
  the most recently updated (the last one in the list when there are no
  timestamps); the others are skipped with a warning. Gold data has one
  annotation per task; review the others in Label Studio, don't average them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trainer.documents import Document, Entity, Relation
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

    def __str__(self) -> str:
        where = [self.source] if self.source else []
        if self.task_id is not None:
            where.append(f"task {self.task_id}")
        if self.region_id is not None:
            where.append(f"region {self.region_id}")
        if self.span is not None:
            where.append(f"[{self.span[0]}:{self.span[1]}]")
        return f"{self.level}: {', '.join(where)}: {self.message}"


class AnnotationError(ValueError):
    """Raised by :func:`load_documents` when an export has errors; lists all of them."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [p for p in problems if p.level == "error"]
        shown = "\n".join(f"  {p}" for p in errors[:50])
        more = f"\n  ... and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{len(errors)} annotation error(s):\n{shown}{more}")


@dataclass
class ValidationReport:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "warning"]

    def counts(self) -> dict[str, Counter]:
        """Entities by label, statuses and relations by type over all documents."""
        entities, statuses, relations = Counter(), Counter(), Counter()
        for document in self.documents:
            entities.update(entity.label for entity in document.entities)
            statuses.update(entity.status for entity in document.entities if entity.status)
            relations.update(relation.label for relation in document.relations)
        return {"entities": entities, "statuses": statuses, "relations": relations}


def read_export(path: str | Path) -> list[dict[str, Any]]:
    """The tasks of a Label Studio JSON export file (a list of tasks, or a single task)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"annotation file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise AnnotationError(
            [Problem("error", f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}", str(path))]
        ) from None
    return data if isinstance(data, list) else [data]


def validate_tasks(tasks: Any, schema: Schema, source: str = "") -> ValidationReport:
    """Parse tasks into documents and collect every problem; never raises on bad content."""
    report = ValidationReport()
    if not isinstance(tasks, list):
        report.problems.append(Problem("error", "an export must be a JSON list of tasks", source))
        return report
    seen_task_ids = set()
    for position, task in enumerate(tasks):
        task_id = task.get("id", f"#{position}") if isinstance(task, dict) else f"#{position}"
        if task_id in seen_task_ids:
            report.problems.append(Problem("error", "duplicate task id", source, task_id))
        seen_task_ids.add(task_id)
        document = _TaskReader(task, task_id, schema, source, report.problems).read()
        if document is not None:
            report.documents.append(document)
    return report


def validate_files(paths: list[str | Path], schema: Schema) -> ValidationReport:
    report = ValidationReport()
    for path in paths:
        try:
            part = validate_tasks(read_export(path), schema, source=str(path))
        except AnnotationError as error:
            report.problems.extend(error.problems)
            continue
        report.documents += part.documents
        report.problems += part.problems
    return report


def load_documents(paths: list[str | Path] | str | Path, schema: Schema) -> list[Document]:
    """Documents of one or more exports; raises :class:`AnnotationError` listing every error."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    report = validate_files(list(paths), schema)
    if report.errors:
        raise AnnotationError(report.problems)
    return report.documents


class _TaskReader:
    """Reads one task; appends problems instead of raising so that all of them are reported."""

    def __init__(self, task: Any, task_id: Any, schema: Schema, source: str, problems: list[Problem]):
        self.task, self.task_id, self.schema, self.source = task, task_id, schema, source
        self.problems = problems

    def problem(self, message: str, region_id: str | None = None, span=None, level: str = "error") -> None:
        self.problems.append(Problem(level, message, self.source, self.task_id, region_id, span))

    def read(self) -> Document | None:
        task = self.task
        if not isinstance(task, dict):
            self.problem(f"a task must be a JSON object, got {type(task).__name__}")
            return None
        text = (task.get("data") or {}).get("text") if isinstance(task.get("data"), dict) else None
        if not isinstance(text, str) or not text.strip():
            self.problem("task has no text: data.text is missing, empty or not a string")
            return None
        annotation = self.choose_annotation(task.get("annotations"))
        if annotation is None:
            return None
        entities = self.read_entities(text, annotation["result"])
        relations = self.read_relations(text, annotation["result"], entities)
        article = task["data"].get("article", str(self.task_id))
        return Document(
            id=str(article),
            text=text,
            entities=sorted(entities.values(), key=lambda e: (e.start, e.end)),
            relations=relations,
            meta={"task_id": self.task_id, "annotation_id": annotation.get("id"), "source": self.source},
        )

    def choose_annotation(self, annotations: Any) -> dict | None:
        if annotations is None:
            annotations = []
        if not isinstance(annotations, list):
            self.problem("`annotations` must be a list")
            return None
        usable = []
        for annotation in annotations:
            if not isinstance(annotation, dict) or not isinstance(annotation.get("result"), list):
                self.problem(f"annotation {_id_of(annotation)} has no `result` list")
            elif annotation.get("was_cancelled"):
                self.problem(f"annotation {annotation.get('id')} was cancelled: skipped", level="warning")
            elif not annotation["result"]:
                self.problem(f"annotation {annotation.get('id')} is empty: skipped", level="warning")
            else:
                usable.append(annotation)
        if not usable:
            self.problem("no usable annotation: task skipped", level="warning")
            return None
        if len(usable) == 1:
            return usable[0]
        chosen = max(
            enumerate(usable),
            key=lambda item: (bool(item[1].get("ground_truth")), str(item[1].get("updated_at") or ""), item[0]),
        )[1]
        others = [a.get("id") for a in usable if a is not chosen]
        self.problem(
            f"{len(usable)} annotations: using {chosen.get('id')} (ground truth or latest), ignoring {others}",
            level="warning",
        )
        return chosen

    def read_entities(self, text: str, results: list) -> dict[str, Entity]:
        spans: dict[str, dict] = {}
        choices: dict[str, dict] = {}
        for result in results:
            if not isinstance(result, dict):
                self.problem(f"result must be an object, got {result!r:.60}")
                continue
            kind = result.get("type")
            if kind == "relation":
                continue
            region_id = result.get("id")
            if not isinstance(region_id, str) or not region_id:
                self.problem(f"{kind} result without a region id")
                continue
            if kind == "labels":
                if region_id in spans:
                    self.problem("duplicate region id", region_id)
                    continue
                spans[region_id] = result
            elif kind == "choices":
                if region_id in choices:
                    self.problem("two status choices for one region", region_id)
                    continue
                choices[region_id] = result
            else:
                self.problem(f"unknown result type {kind!r} (from_name {result.get('from_name')!r})", region_id)

        entities: dict[str, Entity] = {}
        for region_id, result in spans.items():
            entity = self.read_span(text, region_id, result.get("value"))
            if entity is not None:
                status = self.read_status(entity, choices.get(region_id))
                entities[region_id] = Entity(entity.id, entity.start, entity.end, entity.label, entity.text, status)
        for region_id in choices.keys() - spans.keys():
            self.problem("status choice refers to no labelled span (dangling region id)", region_id)
        self.check_overlaps(entities)
        return entities

    def read_span(self, text: str, region_id: str, value: Any) -> Entity | None:
        if not isinstance(value, dict):
            self.problem("span result has no `value` object", region_id)
            return None
        start, end = value.get("start"), value.get("end")
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            self.problem(f"span offsets must be integers, got start={start!r} end={end!r}", region_id)
            return None
        span = (start, end)
        if not 0 <= start < end <= len(text):
            self.problem(f"offsets outside the text (length {len(text)}) or empty span", region_id, span)
            return None
        labels = value.get("labels")
        if not isinstance(labels, list) or len(labels) != 1:
            self.problem(f"a span needs exactly one label, got {labels!r}", region_id, span)
            return None
        label = labels[0]
        if label not in self.schema.entity_labels:
            self.problem(
                f"unknown label {label!r} (schema {self.schema.name}: {list(self.schema.entity_labels)})",
                region_id,
                span,
            )
            return None
        surface = text[start:end]
        if "text" in value and value["text"] != surface:
            self.problem(
                f"text/offset mismatch: value.text {value['text']!r} but text[{start}:{end}] is {surface!r}",
                region_id,
                span,
            )
            return None
        if not is_word_span(text, start, end):
            if is_boundary_char(surface[0]) or is_boundary_char(surface[-1]):
                reason = f"span {surface!r} starts or ends with whitespace/punctuation"
            else:
                context = text[max(0, start - 3) : end + 3]
                reason = f"span {surface!r} does not start and end on word boundaries (context {context!r})"
            self.problem(reason, region_id, span)
        return Entity(region_id, start, end, label, surface)

    def read_status(self, entity: Entity, choice: dict | None) -> str | None:
        status = self.schema.status
        span = entity.span
        if status is None or status.label != entity.label:
            if choice is not None:
                self.problem(f"{entity.label} takes no status, got {choice.get('value')!r}", entity.id, span)
            return None
        if choice is None:
            self.problem(f"missing {status.name} for {entity.label} {entity.text!r}", entity.id, span)
            return None
        if choice.get("from_name") not in (None, status.name):
            self.problem(f"choice from {choice.get('from_name')!r}, expected {status.name!r}", entity.id, span)
        values = (choice.get("value") or {}).get("choices") if isinstance(choice.get("value"), dict) else None
        if not isinstance(values, list) or len(values) != 1 or values[0] not in status.values:
            self.problem(f"invalid {status.name} {values!r}: expected one of {list(status.values)}", entity.id, span)
            return None
        return values[0]

    def check_overlaps(self, entities: dict[str, Entity]) -> None:
        ordered = sorted(entities.values(), key=lambda e: (e.start, e.end))
        for previous, current in zip(ordered, ordered[1:], strict=False):
            if current.start < previous.end:
                self.problem(
                    f"overlaps region {previous.id} [{previous.start}:{previous.end}] {previous.text!r}",
                    current.id,
                    current.span,
                )

    def read_relations(self, text: str, results: list, entities: dict[str, Entity]) -> list[Relation]:
        relations: list[Relation] = []
        seen = set()
        sentences = SentenceIndex(text)
        for result in results:
            if not isinstance(result, dict) or result.get("type") != "relation":
                continue
            head_id, tail_id, labels = result.get("from_id"), result.get("to_id"), result.get("labels")
            where = f"{head_id}->{tail_id}"
            if not isinstance(labels, list) or len(labels) != 1:
                self.problem(f"relation needs exactly one label, got {labels!r}", where)
                continue
            name = labels[0]
            relation_type = self.schema.relation_named(name)
            if relation_type is None:
                self.problem(f"unknown relation {name!r} (schema: {list(self.schema.relation_names)})", where)
                continue
            if head_id not in entities or tail_id not in entities:
                missing = [i for i in (head_id, tail_id) if i not in entities]
                self.problem(f"{name} refers to missing region(s) {missing} (dangling relation)", where)
                continue
            head, tail = entities[head_id], entities[tail_id]
            if head_id == tail_id:
                self.problem(f"{name} links a region to itself", where, head.span)
                continue
            if (head.label, tail.label) != (relation_type.head, relation_type.tail):
                self.problem(
                    f"{name} must go {relation_type.head} -> {relation_type.tail}, "
                    f"got {head.label} {head.text!r} -> {tail.label} {tail.text!r}",
                    where,
                    (min(head.start, tail.start), max(head.end, tail.end)),
                )
                continue
            if (head_id, tail_id) in seen:
                self.problem(f"duplicate relation {name} {head.text!r} -> {tail.text!r}", where)
                continue
            seen.add((head_id, tail_id))
            distance = sentences.distance(head.span, tail.span)
            if distance > self.schema.max_sentence_distance:
                self.problem(
                    f"{name} {head.text!r} -> {tail.text!r} spans {distance} sentences "
                    f"(schema allows {self.schema.max_sentence_distance})",
                    where,
                    (min(head.start, tail.start), max(head.end, tail.end)),
                )
                continue
            relations.append(Relation(head_id, tail_id, name))
        return relations


def _id_of(annotation: Any) -> Any:
    return annotation.get("id") if isinstance(annotation, dict) else repr(annotation)[:40]


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
