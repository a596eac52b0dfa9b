"""Talk to a running Label Studio with ``label-studio-sdk`` 2.x: projects, imports, predictions, exports.

- :func:`connect` checks that the server answers and accepts the token, with
  errors that name the URL (never the token).
- :func:`init_project` creates the project from the schema's labeling config,
  or finds it by title (and brings its config up to date).
- :func:`import_tasks` imports text files, folders of ``.txt``, JSONL with a
  ``text`` field and Label Studio JSON exports (their annotations included).
- :func:`upload_predictions` / :func:`preannotate_project` add model
  predictions (with ``model_version`` and a score) and make that model version
  the one Label Studio pre-fills the labeling screen with.
- :func:`export_project` writes the full JSON export, but only after it
  validated against the schema: a bad export never replaces a good file.

The server stores whatever results it is given (wrong offsets, unknown labels,
dangling relations): validation is ours, at export time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from label_studio_sdk import LabelStudio
from label_studio_sdk.core.api_error import ApiError

from trainer.documents import Document
from trainer.errors import TrainerError
from trainer.fileio import write_json_atomic
from trainer.formats.inputs import tasks_from_paths
from trainer.formats.labelstudio import TEXT_NAME, prediction_from_document, read_tasks
from trainer.labelstudio.labeling_config import labeling_config
from trainer.schema import Schema
from trainer.validation import Problem, ValidationReport

IMPORT_BATCH = 500


class LabelStudioClientError(TrainerError):
    """A Label Studio call failed; the message names the server URL, never the token."""


class LabelStudioConnectionError(LabelStudioClientError):
    """The server cannot be reached (or is not Label Studio)."""


class LabelStudioAuthError(LabelStudioClientError):
    """The server refused the API token."""


class ExportValidationError(LabelStudioClientError):
    """An export with schema errors: nothing was written. The message names the first, ``problems`` has all."""

    def __init__(self, message: str, report: ValidationReport) -> None:
        super().__init__(message)
        self.report = report
        self.problems: list[Problem] = report.problems


# -- connection --------------------------------------------------------------------


def base_url_of(client: LabelStudio) -> str:
    try:
        return client._client_wrapper.get_base_url()  # noqa: SLF001 (only for messages)
    except AttributeError:
        return "<Label Studio>"


def connect(base_url: str, api_key: str | None, timeout: float = 60.0) -> LabelStudio:
    """A client for ``base_url`` after checking ``/health/`` and the token (``whoami``)."""
    base_url = base_url.rstrip("/")
    if not api_key:
        raise LabelStudioAuthError(
            f"no API token for Label Studio at {base_url}: pass --api-key or set LABEL_STUDIO_API_KEY"
        )
    try:
        response = httpx.get(f"{base_url}/health/", timeout=min(timeout, 10.0))
    except httpx.HTTPError as error:
        raise LabelStudioConnectionError(
            f"cannot reach Label Studio at {base_url} ({type(error).__name__}: {error}). "
            "Is the server running? Start one with `python scripts/labelstudio.py serve`."
        ) from None
    if response.status_code != 200 or '"UP"' not in response.text:
        raise LabelStudioConnectionError(
            f"{base_url} does not look like Label Studio: GET /health/ answered HTTP {response.status_code}"
        )
    client = LabelStudio(base_url=base_url, api_key=api_key, timeout=timeout)
    try:
        client.users.whoami()
    except ApiError as error:
        if error.status_code in (401, 403):
            raise LabelStudioAuthError(
                f"Label Studio at {base_url} rejected the API token (HTTP {error.status_code}). "
                "Check LABEL_STUDIO_API_KEY / --api-key: use the token from Account & Settings "
                "(legacy tokens must be enabled for the organization) or a personal access token."
            ) from None
        raise LabelStudioClientError(f"Label Studio at {base_url}: whoami failed (HTTP {error.status_code})") from None
    except httpx.HTTPError as error:
        raise LabelStudioConnectionError(f"Label Studio at {base_url} stopped answering ({error})") from None
    return client


# -- projects ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectRef:
    id: int
    title: str
    created: bool = False
    config_updated: bool = False


def find_project(client: LabelStudio, title: str) -> int | None:
    """The id of the project titled exactly ``title`` (the oldest if several), or None."""
    matches = [project.id for project in client.projects.list(title=title) if project.title == title]
    return min(matches) if matches else None


def init_project(client: LabelStudio, title: str, schema: Schema) -> ProjectRef:
    """Create the project with ``labeling_config(schema)``, or find it by title and sync its config.

    Label Studio refuses a config change that would orphan existing annotations
    (a removed label still in use); that error is raised as is.
    """
    if len(title) < 3:
        raise LabelStudioClientError(f"project title {title!r}: Label Studio needs at least 3 characters")
    config = labeling_config(schema)
    existing = find_project(client, title)
    if existing is None:
        try:
            project = client.projects.create(title=title, label_config=config, description=schema.description)
        except ApiError as error:
            raise LabelStudioClientError(
                f"Label Studio at {base_url_of(client)} refused to create project {title!r} "
                f"(HTTP {error.status_code}): {error.body}"
            ) from None
        return ProjectRef(project.id, title, created=True)
    current = client.projects.get(existing).label_config or ""
    if _normalise_xml(current) == _normalise_xml(config):
        return ProjectRef(existing, title)
    try:
        client.projects.update(existing, label_config=config)
    except ApiError as error:
        raise LabelStudioClientError(
            f"project {existing} ({title!r}) at {base_url_of(client)} has another labeling config and "
            f"refused the schema's (HTTP {error.status_code}): {error.body}"
        ) from None
    return ProjectRef(existing, title, config_updated=True)


def _normalise_xml(xml: str) -> str:
    return "".join(line.strip() for line in xml.splitlines())


# -- import --------------------------------------------------------------------------


@dataclass
class ImportResult:
    task_ids: list[int] = field(default_factory=list)
    annotations: int = 0
    predictions: int = 0
    sources: list[str] = field(default_factory=list)


def import_tasks(
    client: LabelStudio, project_id: int, paths: Iterable[str | Path], with_annotations: bool = True
) -> ImportResult:
    """Import files (see :func:`tasks_from_paths`) into a project; returns the new task ids and counts.

    Importing the same file twice makes duplicate tasks: Label Studio has no key to deduplicate on.
    """
    paths = list(paths)
    tasks = tasks_from_paths(paths, with_annotations)
    result = ImportResult(sources=[str(path) for path in paths])
    for start in range(0, len(tasks), IMPORT_BATCH):
        batch = tasks[start : start + IMPORT_BATCH]
        try:
            response = client.projects.import_tasks(id=project_id, request=batch, return_task_ids=True)
        except ApiError as error:
            raise LabelStudioClientError(
                f"Label Studio at {base_url_of(client)} refused the import into project {project_id} "
                f"(HTTP {error.status_code}): {error.body}"
            ) from None
        result.task_ids += list(response.task_ids or [])
        result.annotations += response.annotation_count or 0
        result.predictions += response.prediction_count or 0
    return result


# -- predictions ---------------------------------------------------------------------


def upload_predictions(
    client: LabelStudio,
    project_id: int,
    documents_by_task_id: Mapping[int, Document],
    model_version: str,
    schema: Schema,
    activate: bool = True,
) -> int:
    """One prediction per task (results from :func:`document_results`); returns how many were created.

    With ``activate`` the project's ``model_version`` is set to this one and
    predictions are switched on, so the labeling screen starts from them.
    """
    if not model_version:
        raise ValueError("model_version must be a non-empty string")
    predictions = [
        {"task": int(task_id), **prediction_from_document(document, schema, model_version)}
        for task_id, document in documents_by_task_id.items()
    ]
    created = 0
    for start in range(0, len(predictions), IMPORT_BATCH):
        try:
            response = client.projects.import_predictions(
                id=project_id, request=predictions[start : start + IMPORT_BATCH]
            )
        except ApiError as error:
            raise LabelStudioClientError(
                f"Label Studio at {base_url_of(client)} refused predictions for project {project_id} "
                f"(HTTP {error.status_code}): {error.body}"
            ) from None
        created += response.created or 0
    if activate and predictions:
        client.projects.update(project_id, model_version=model_version, show_collab_predictions=True)
    return created


@dataclass
class ProjectTask:
    id: int
    text: str
    data: dict[str, Any]
    model_versions: set[str] = field(default_factory=set)
    annotations: int = 0
    # The lowest prediction score per model version (the task-level confidence of each model).
    scores: dict[str, float] = field(default_factory=dict)


def project_tasks(client: LabelStudio, project_id: int) -> list[ProjectTask]:
    """Every task of a project with its text, its annotation count, and its predictions' versions and scores."""
    tasks = []
    for task in client.tasks.list(project=project_id, fields="all", page_size=100):
        data = dict(task.data or {})
        scores: dict[str, float] = {}
        for prediction in getattr(task, "predictions", None) or []:
            version, score = _field(prediction, "model_version"), _field(prediction, "score")
            if version:
                scores[version] = min(scores.get(version, float("inf")), float(score) if score is not None else 1.0)
        annotations = getattr(task, "total_annotations", None) or len(getattr(task, "annotations", None) or [])
        tasks.append(ProjectTask(task.id, data.get(TEXT_NAME, ""), data, set(scores), annotations, scores))
    return sorted(tasks, key=lambda task: task.id)


def _field(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, dict) else getattr(item, name, None)


def least_confident(tasks: list[ProjectTask], count: int, model_version: str | None = None) -> list[ProjectTask]:
    """The ``count`` unannotated tasks whose prediction (of ``model_version``, else any) has the lowest score."""

    def score(task: ProjectTask) -> float:
        if model_version is not None:
            return task.scores.get(model_version, float("inf"))
        return min(task.scores.values(), default=float("inf"))

    candidates = [task for task in tasks if not task.annotations and score(task) != float("inf")]
    return sorted(candidates, key=lambda task: (score(task), task.id))[:count]


def connect_backend(client: LabelStudio, project_id: int, url: str, title: str) -> Any:
    """Register an ML backend with the project (once) and pre-annotate every opened task with it.

    Label Studio checks the backend (health, setup) when it is registered: an unreachable one, or one
    refusing the project's labeling config, is an error here.
    """
    url = url.rstrip("/")
    existing = [b for b in client.ml.list(project=project_id) if (b.url or "").rstrip("/") == url]
    try:
        backend = (
            existing[0] if existing else client.ml.create(project=project_id, url=url, title=title, is_interactive=True)
        )
    except ApiError as error:
        raise LabelStudioClientError(
            f"Label Studio at {base_url_of(client)} refused the ML backend {url} for project {project_id} "
            f"(HTTP {error.status_code}): {error.body}"
        ) from None
    client.projects.update(
        project_id, show_collab_predictions=True, evaluate_predictions_automatically=True, model_version=backend.title
    )
    return backend


def preannotate_project(
    client: LabelStudio,
    project_id: int,
    predict: Callable[[list[str]], Sequence[Document]],
    model_version: str,
    schema: Schema,
    batch_size: int = 16,
    skip_existing: bool = True,
    log: Callable[[str], None] = lambda message: None,
) -> int:
    """Predict every task's text with ``predict(texts) -> documents`` and upload the predictions.

    Tasks that already have a prediction from ``model_version`` are skipped
    (``skip_existing``), so a rerun after an interruption does not duplicate.
    Returns the number of predictions created.
    """
    tasks = [
        task
        for task in project_tasks(client, project_id)
        if not (skip_existing and model_version in task.model_versions)
    ]
    created = 0
    for start in range(0, len(tasks), batch_size):
        batch = tasks[start : start + batch_size]
        documents = list(predict([task.text for task in batch]))
        if len(documents) != len(batch):
            raise LabelStudioClientError(f"predict returned {len(documents)} documents for {len(batch)} texts")
        for task, document in zip(batch, documents, strict=True):
            if document.text != task.text:
                raise LabelStudioClientError(
                    f"task {task.id}: the predicted document's text differs from the task text "
                    "(offsets would point elsewhere)"
                )
        created += upload_predictions(
            client,
            project_id,
            {task.id: doc for task, doc in zip(batch, documents, strict=True)},
            model_version,
            schema,
        )
        log(f"predicted {min(start + batch_size, len(tasks))}/{len(tasks)} tasks")
    return created


# -- export --------------------------------------------------------------------------


def fetch_export(client: LabelStudio, project_id: int, all_tasks: bool = False) -> list[dict[str, Any]]:
    """The project's JSON export (annotations with relations and choices; predictions as ids)."""
    try:
        raw = b"".join(
            client.projects.exports.download_sync(project_id, export_type="JSON", download_all_tasks=all_tasks)
        )
    except ApiError as error:
        raise LabelStudioClientError(
            f"export of project {project_id} from {base_url_of(client)} failed (HTTP {error.status_code})"
        ) from None
    return json.loads(raw)


def snapshot_export(
    client: LabelStudio, project_id: int, predictions: bool = True, timeout: float = 120.0
) -> list[dict[str, Any]]:
    """All tasks through an export snapshot, with full predictions (the plain export has ids only)."""
    export = client.projects.exports.create(
        project_id,
        title="trainer snapshot",
        serialization_options={"predictions": {"only_id": not predictions}},
        task_filter_options={"only_with_annotations": False},
    )
    deadline = time.monotonic() + timeout
    try:
        while export.status != "completed":
            if export.status == "failed":
                raise LabelStudioClientError(f"snapshot export {export.id} of project {project_id} failed")
            if time.monotonic() > deadline:
                raise LabelStudioClientError(
                    f"snapshot export {export.id} of project {project_id} not done after {timeout:.0f} s"
                )
            time.sleep(0.5)
            export = client.projects.exports.get(project_id, export.id)
        return json.loads(b"".join(client.projects.exports.download(project_id, export.id, export_type="JSON")))
    finally:
        try:
            client.projects.exports.delete(project_id, export.id)
        except (ApiError, httpx.HTTPError):
            pass


def export_project(
    client: LabelStudio, project_id: int, output_path: str | Path, schema: Schema, all_tasks: bool = False
) -> ValidationReport:
    """Download the JSON export, validate it and write it atomically; never overwrite with a bad one.

    Raises :class:`ExportValidationError` listing every error; ``output_path``
    is then left exactly as it was; so it is when no task has a usable
    annotation. Warnings (e.g. unannotated tasks with ``all_tasks``) do not
    block. Returns the validation report.
    """
    output_path = Path(output_path)
    tasks = fetch_export(client, project_id, all_tasks)
    source = f"{base_url_of(client)} project {project_id}"
    report = read_tasks(tasks, schema, source=source)
    if report.errors:
        raise ExportValidationError(
            f"export of project {project_id} has {len(report.errors)} error(s), the first: {report.errors[0]}; "
            f"{output_path} not written (left unchanged). Fix them in Label Studio and export again",
            report,
        )
    if not report.documents:
        raise LabelStudioClientError(
            f"project {project_id} at {base_url_of(client)} has no annotated task: {output_path} not written "
            "(an empty export never replaces annotations)"
        )
    write_json_atomic(output_path, tasks)
    return report


# -- comparing annotations by content -------------------------------------------------


def content_of(documents: Iterable[Document]) -> list[tuple]:
    """What an annotation says, without any id: per text, its spans (with status) and relations.

    Two exports with equal ``content_of`` have the same texts, spans, labels,
    statuses and relations, whatever their task, annotation and region ids.
    """
    contents = []
    for document in documents:
        by_id = {entity.id: entity for entity in document.entities}
        key = partial(_entity_key, by_id)
        entities = tuple(sorted((e.start, e.end, e.label, e.text, e.status or "") for e in document.entities))
        relations = tuple(sorted((key(r.head), r.label, key(r.tail)) for r in document.relations))
        contents.append((document.text, entities, relations))
    return sorted(contents)


def _entity_key(by_id: dict, entity_id: str) -> tuple:
    entity = by_id.get(entity_id)
    if entity is None:
        return (-1, -1, f"missing {entity_id}")
    return (entity.start, entity.end, entity.label)
