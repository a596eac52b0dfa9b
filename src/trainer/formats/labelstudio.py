"""Label Studio's JSON task format: the one place it is read and written.

A task is ``{"id", "data": {"text": ...}, "meta", "annotations": [...], "predictions": [...]}``;
an annotation's ``result`` holds one ``labels`` result per span, a ``choices``
result with the same id for a span's status, and ``relation`` results between
span ids. The control names are the ones :mod:`trainer.labelstudio.labeling_config`
generates, so tasks written here open in a project made from that config.

Reading turns an export into :class:`Document` objects; what the format itself
gets wrong (a result without an id, two annotations on one task, a choice for
no span) is reported here, what the schema forbids by :func:`trainer.validation.validate`.
Choices made where Label Studio allows more than the schema does:

- A cancelled (skipped) annotation is left out with a warning. A submitted one with an
  empty result is a text with nothing to annotate: a document without entities.
- Several annotations on one task: the one marked ``ground_truth`` wins, else
  the most recently updated (the last one in the list when there are no
  timestamps); the others are skipped with a warning. Gold data has one
  annotation per task; review the others in Label Studio, don't average them.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.documents import Document, Entity, Relation
from trainer.errors import InputError, MissingFileError
from trainer.schema import Schema
from trainer.validation import AnnotationError, Problem, ValidationReport, validate

TEXT_NAME = "text"
LABELS_NAME = "label"


@dataclass(frozen=True)
class ControlNames:
    """The names results refer to: the Labels control, the Text object, its data field, the status Choices.

    The defaults are the ones :mod:`trainer.labelstudio.labeling_config` generates; a project with its
    own config has its names read from it (:func:`trainer.labelstudio.labeling_config.control_names`).
    """

    labels: str = LABELS_NAME
    text: str = TEXT_NAME
    data_field: str = TEXT_NAME
    status: str | None = None  # None: the schema's status name


GENERATED_NAMES = ControlNames()
# What an imported task keeps of an exported one (ids, users and timestamps are the server's own).
ANNOTATION_KEYS = ("result", "was_cancelled", "ground_truth", "lead_time")
PREDICTION_KEYS = ("result", "score", "model_version")


# -- reading -----------------------------------------------------------------------------


def read_export(path: str | Path) -> list[dict[str, Any]]:
    """The tasks of a Label Studio JSON export file (a list of tasks, or a single task)."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"annotation file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise AnnotationError(
            [Problem("error", f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}", str(path))]
        ) from None
    return data if isinstance(data, list) else [data]


def read_tasks(tasks: Any, schema: Schema, source: str = "") -> ValidationReport:
    """Documents of the tasks' chosen annotations, and every problem; never raises on bad content."""
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
        problems: list[Problem] = []
        document = _TaskReader(task, schema, problems).read()
        if document is not None:
            document.meta.update(task_id=task_id, source=source)
            problems += validate(document, schema)
            report.documents.append(document)
        report.problems += [problem.at(source, task_id) for problem in problems]
    return report


def validate_files(paths: list[str | Path], schema: Schema) -> ValidationReport:
    report = ValidationReport()
    for path in paths:
        try:
            report.extend(read_tasks(read_export(path), schema, source=str(path)))
        except AnnotationError as error:
            report.problems += error.problems
    return report


def load_documents(paths: list[str | Path] | str | Path, schema: Schema) -> list[Document]:
    """Documents of one or more exports; raises :class:`AnnotationError` when any has an error."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    report = validate_files(list(paths), schema)
    report.raise_for_errors()
    return report.documents


class _TaskReader:
    """Reads one task into a document; appends format problems instead of raising."""

    def __init__(self, task: Any, schema: Schema, problems: list[Problem]):
        self.task, self.schema, self.problems = task, schema, problems

    def problem(self, message: str, region_id: str | None = None, span=None, level: str = "error") -> None:
        self.problems.append(Problem(level, message, region_id=region_id, span=span))

    def read(self) -> Document | None:
        task = self.task
        if not isinstance(task, dict):
            self.problem(f"a task must be a JSON object, got {type(task).__name__}")
            return None
        data = task.get("data")
        text = data.get(TEXT_NAME) if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            self.problem(f"task has no text: data.{TEXT_NAME} is missing, empty or not a string")
            return None
        annotation = self.choose_annotation(task.get("annotations"))
        if annotation is None:
            return None
        results = [r for r in annotation["result"] if self.is_object(r)]
        entities = self.read_entities(text, results)
        return Document(
            id=str(data.get("article", task.get("id"))),
            text=text,
            entities=sorted(entities, key=lambda e: (e.start, e.end)),
            relations=self.read_relations(results),
            meta={**(task.get("meta") or {}), "annotation_id": annotation.get("id")},
        )

    def is_object(self, result: Any) -> bool:
        if not isinstance(result, dict):
            self.problem(f"result must be an object, got {result!r:.60}")
        return isinstance(result, dict)

    def choose_annotation(self, annotations: Any) -> dict | None:
        if annotations is None:
            annotations = []
        if not isinstance(annotations, list):
            self.problem("`annotations` must be a list")
            return None
        usable = []
        for annotation in annotations:
            if not isinstance(annotation, dict) or not isinstance(annotation.get("result"), list):
                annotation_id = annotation.get("id") if isinstance(annotation, dict) else repr(annotation)[:40]
                self.problem(f"annotation {annotation_id} has no `result` list")
            elif annotation.get("was_cancelled"):
                self.problem(f"annotation {annotation.get('id')} was cancelled: skipped", level="warning")
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

    def read_entities(self, text: str, results: list[dict]) -> list[Entity]:
        spans: dict[str, dict] = {}
        choices: dict[str, dict] = {}
        for result in results:
            kind = result.get("type")
            if kind == "relation":
                continue
            region_id = result.get("id")
            if not isinstance(region_id, str) or not region_id:
                self.problem(f"{kind} result without a region id")
            elif kind == "labels":
                if region_id in spans:
                    self.problem("duplicate region id", region_id)
                else:
                    spans[region_id] = result
            elif kind == "choices":
                if region_id in choices:
                    self.problem("two status choices for one region", region_id)
                else:
                    choices[region_id] = result
            else:
                self.problem(f"unknown result type {kind!r} (from_name {result.get('from_name')!r})", region_id)
        for region_id in choices.keys() - spans.keys():
            self.problem("status choice refers to no labelled span (dangling region id)", region_id)
        entities = []
        for region_id, result in spans.items():
            entity = self.read_span(text, region_id, result.get("value"))
            if entity is not None:
                entities.append(dataclasses.replace(entity, status=self.read_status(entity, choices.get(region_id))))
        return entities

    def read_span(self, text: str, region_id: str, value: Any) -> Entity | None:
        if not isinstance(value, dict):
            self.problem("span result has no `value` object", region_id)
            return None
        start, end = value.get("start"), value.get("end")
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            self.problem(f"span offsets must be integers, got start={start!r} end={end!r}", region_id)
            return None
        labels = value.get("labels")
        if not isinstance(labels, list) or len(labels) != 1 or not isinstance(labels[0], str):
            self.problem(f"a span needs exactly one label, got {labels!r}", region_id, (start, end))
            return None
        surface = value.get("text", text[start:end])
        return Entity(region_id, start, end, labels[0], surface if isinstance(surface, str) else repr(surface))

    def read_status(self, entity: Entity, choice: dict | None) -> str | None:
        if choice is None:
            return None
        status = self.schema.status
        if status is not None and choice.get("from_name") not in (None, status.name):
            self.problem(f"choice from {choice.get('from_name')!r}, expected {status.name!r}", entity.id, entity.span)
        value = choice.get("value")
        values = value.get("choices") if isinstance(value, dict) else None
        if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
            self.problem(f"a status choice needs exactly one value, got {values!r}", entity.id, entity.span)
            return None
        return values[0]

    def read_relations(self, results: list[dict]) -> list[Relation]:
        relations = []
        for result in results:
            if result.get("type") != "relation":
                continue
            head, tail, labels = result.get("from_id"), result.get("to_id"), result.get("labels")
            if not isinstance(labels, list) or len(labels) != 1:
                self.problem(f"relation needs exactly one label, got {labels!r}", f"{head}->{tail}")
                continue
            relations.append(Relation(str(head), str(tail), str(labels[0])))
        return relations


# -- writing -----------------------------------------------------------------------------


def document_results(document: Document, schema: Schema, names: ControlNames = GENERATED_NAMES) -> list[dict[str, Any]]:
    """Span results, per-region status choices and relation results, as Label Studio stores them."""
    results: list[dict[str, Any]] = []
    for entity in document.entities:
        span_value = {"start": entity.start, "end": entity.end, "text": entity.text}
        results.append(
            {
                "id": entity.id,
                "from_name": names.labels,
                "to_name": names.text,
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
                    "from_name": names.status or schema.status.name,
                    "to_name": names.text,
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


def task_data(document: Document) -> dict[str, Any]:
    """The task's ``data``: the exact text and the article id (or the data the document was read with)."""
    return dict(document.meta.get("data") or {TEXT_NAME: document.text, "article": document.id})


def task_from_document(document: Document, task_id: int, schema: Schema, meta: dict | None = None) -> dict[str, Any]:
    """A task with one completed annotation, in the shape of Label Studio's JSON export."""
    task = {
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
    if meta:
        task["meta"] = meta
    return task


def prediction_score(document: Document) -> float | None:
    """How sure the model is of a predicted document, from 0 (not at all) to 1.

    The lower of the mean token margin (the probability of each token's best tag minus its second
    best, averaged) and the lowest relation margin (how far the least clear candidate pair is from its
    threshold), as the predictor records them; else the mean entity score. Label Studio orders tasks
    by it: the least confident first is uncertainty sampling.
    """
    confidence = document.meta.get("confidence")
    if confidence:
        return min(confidence.values())
    scores = [entity.score for entity in document.entities if entity.score is not None]
    return sum(scores) / len(scores) if scores else None


def prediction_from_document(
    document: Document, schema: Schema, model_version: str, names: ControlNames = GENERATED_NAMES
) -> dict[str, Any]:
    """A Label Studio prediction: the results, the model version and the task-level confidence score."""
    prediction: dict[str, Any] = {"result": document_results(document, schema, names), "model_version": model_version}
    score = prediction_score(document)
    if score is not None:
        prediction["score"] = score
    return prediction


def prediction_task(document: Document, schema: Schema, model_version: str) -> dict[str, Any]:
    """A task to import into Label Studio, the model's output attached as a prediction to accept or correct."""
    return {"data": task_data(document), "predictions": [prediction_from_document(document, schema, model_version)]}


def import_task(task: dict[str, Any], where: str, with_annotations: bool) -> dict[str, Any]:
    """An exported task made importable: its data and meta, and (optionally) its annotations and full predictions."""
    if not isinstance(task["data"].get(TEXT_NAME), str):
        raise InputError(f"{where}: data.{TEXT_NAME} is missing or not a string")
    clean: dict[str, Any] = {"data": task["data"]}
    if task.get("meta"):
        clean["meta"] = task["meta"]
    if with_annotations:
        annotations = [
            {key: annotation[key] for key in ANNOTATION_KEYS if annotation.get(key) is not None}
            for annotation in task.get("annotations") or []
            if isinstance(annotation, dict) and isinstance(annotation.get("result"), list)
        ]
        predictions = [
            {key: prediction[key] for key in PREDICTION_KEYS if prediction.get(key) is not None}
            for prediction in task.get("predictions") or []
            if isinstance(prediction, dict) and isinstance(prediction.get("result"), list)
        ]  # an export without full predictions lists them as ids: nothing to import
        if annotations:
            clean["annotations"] = annotations
        if predictions:
            clean["predictions"] = predictions
    return clean
