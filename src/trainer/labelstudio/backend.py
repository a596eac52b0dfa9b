"""A trained model inside the annotation loop: Label Studio's ML backend protocol, served with Flask.

Label Studio (1.23; ``label_studio/ml/api_connector.py``) calls:

- ``GET /health``: is the backend up;
- ``POST /setup`` with the project, its labeling config (``schema``), Label Studio's
  address and an API token: the backend checks the config has the model's labels and
  answers its ``model_version``;
- ``POST /predict`` with tasks and the labeling config: one prediction per task, its
  spans, statuses and relations named as the config names its controls, with the
  ``model_version`` and a task-level confidence ``score`` (uncertainty ordering);
- ``POST /webhook`` with ``{"action": "START_TRAINING"}`` (the "Start training"
  button): the backend exports the project's annotations through Label Studio's API,
  validates them (an invalid export trains nothing and says why), trains with its run
  config, and serves the new model only once it is complete. Annotation events
  arrive here too; they start a training only with ``train_on_annotations``;
- ``POST /train`` (older servers): the same, with the annotations in the request;
- ``GET /versions``, ``POST /job_status``: the versions served so far, a training's state.

One training runs at a time; a second request is answered 409 with the running
job. A failed or interrupted training leaves the old model serving.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request

from trainer.config import RunConfig
from trainer.documents import Document
from trainer.errors import TrainerError
from trainer.fileio import write_json_atomic
from trainer.formats.labelstudio import prediction_from_document, read_tasks
from trainer.inference.predictor import Predictor, load_predictor
from trainer.labelstudio.labeling_config import control_names

TRAINING_EVENTS = ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_CREATED")


class BackendBusyError(TrainerError):
    """A training is already running."""


@dataclass
class Served:
    """The model answering predictions now, and its version string."""

    predictor: Predictor
    version: str
    dev_scores: dict = field(default_factory=dict)


@dataclass
class TrainingJob:
    id: str
    project: int
    status: str = "queued"  # queued | started | completed | failed
    message: str = ""
    version: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None


class Backend:
    """The served model, the connections Label Studio set up, and the training jobs."""

    def __init__(
        self,
        model_dir: str | Path,
        train_config: RunConfig,
        work_dir: str | Path,
        train_on_annotations: bool = False,
        log: Callable[[str], None] = print,
    ) -> None:
        predictor = load_predictor(model_dir)
        self.served = Served(predictor, Path(model_dir).resolve().name)
        self.schema = predictor.schema
        self.train_config = train_config
        self.work_dir = Path(work_dir)
        self.train_on_annotations = train_on_annotations
        self.log = log
        self.connections: dict[int, tuple[str, str]] = {}  # project id -> (Label Studio URL, API token)
        self.jobs: dict[str, TrainingJob] = {}
        self.versions = [self.served.version]
        self._training = threading.Lock()

    # -- the protocol ----------------------------------------------------------------

    def health(self) -> dict:
        return {"status": "UP", "model_class": "EventExtractor", "model_version": self.served.version}

    def setup(self, payload: dict) -> dict:
        control_names(payload.get("schema") or "", self.schema)  # refuses a config without our labels
        project = _project_id(payload.get("project"))
        if payload.get("hostname") and payload.get("access_token"):
            self.connections[project] = (payload["hostname"], payload["access_token"])
        return {"model_version": self.served.version}

    def predict(self, payload: dict) -> dict:
        names = control_names(payload.get("label_config") or "", self.schema)
        served = self.served  # one version for the whole request, even if a new one arrives meanwhile
        tasks = payload.get("tasks") or []
        texts = [(task.get("data") or {}).get(names.data_field) for task in tasks]
        missing = [task.get("id") for task, text in zip(tasks, texts, strict=True) if not isinstance(text, str)]
        if missing:
            raise TrainerError(f"tasks {missing} have no text in data.{names.data_field}")
        documents = served.predictor.predict_documents(
            Document(str(task.get("id")), text) for task, text in zip(tasks, texts, strict=True)
        )
        return {
            "results": [prediction_from_document(d, self.schema, served.version, names) for d in documents],
            "model_version": served.version,
        }

    def webhook(self, payload: dict) -> tuple[dict, int]:
        action = payload.get("action")
        project = (payload.get("project") or {}).get("id")
        if action == "START_TRAINING" or (self.train_on_annotations and action in TRAINING_EVENTS):
            return self.start_training(project), 201
        return {"status": "ignored", "action": action}, 200

    def start_training(self, project: int | None, tasks: list[dict] | None = None) -> dict:
        """Start a training on the project's annotations (exported from Label Studio, or given)."""
        if project is None:
            raise TrainerError("a training request must name its project")
        if not self._training.acquire(blocking=False):
            running = next(j for j in self.jobs.values() if j.status in ("queued", "started"))
            raise BackendBusyError(f"a training is already running: job {running.id} for project {running.project}")
        job = TrainingJob(f"train-{time.strftime('%Y%m%dT%H%M%S')}-{len(self.jobs) + 1}", int(project))
        self.jobs[job.id] = job
        threading.Thread(target=self._train, args=(job, tasks), daemon=True).start()
        self.log(f"{job.id}: training requested for project {job.project}")
        return {"job": job.id, "status": job.status}

    def job_status(self, job_id: str) -> dict:
        job = self.jobs.get(job_id)
        if job is None:
            raise KeyError(job_id)
        return {"job_status": job.status, "message": job.message, "model_version": job.version}

    # -- training ----------------------------------------------------------------------

    def _train(self, job: TrainingJob, tasks: list[dict] | None) -> None:
        from trainer.labelstudio.client import connect, fetch_export
        from trainer.training import train

        try:
            job.status = "started"
            if tasks is None:
                if job.project not in self.connections:
                    raise TrainerError(
                        f"project {job.project} never called /setup: no Label Studio address to export from"
                    )
                url, token = self.connections[job.project]
                tasks = fetch_export(connect(url, token), job.project)
            report = read_tasks(tasks, self.schema, source=f"project {job.project} export")
            if report.errors:
                for problem in report.errors:
                    self.log(f"{job.id}: {problem}")
                raise TrainerError(
                    f"the export has {len(report.errors)} error(s), the first: {report.errors[0]}; nothing trained"
                )
            if not report.documents:
                raise TrainerError("the project has no annotated task: nothing to train on")
            run_dir = self.work_dir / "runs" / job.id
            export = self.work_dir / "exports" / f"{job.id}.json"
            write_json_atomic(export, tasks)
            data = dataclasses.replace(
                self.train_config.data, annotations=[*self.train_config.data.annotations, str(export)]
            )
            also = ", ".join(data.annotations[:-1]) or "nothing else"
            self.log(f"{job.id}: training on {len(report.documents)} annotated tasks and {also}, in {run_dir}")
            scores = train(dataclasses.replace(self.train_config, data=data, output_dir=str(run_dir)))
            if not scores:
                raise TrainerError("training stopped before its end")
            version = _version_name(len(self.versions), scores)
            self.served = Served(load_predictor(run_dir / "best"), version, scores)  # one assignment: the swap
            self.versions.append(version)
            job.version, job.status = version, "completed"
            self.log(f"{job.id}: serving {version}")
        except Exception as error:  # noqa: BLE001 - any failure leaves the old model serving, and says why
            job.status, job.message = "failed", str(error)
            self.log(f"{job.id}: failed, still serving {self.served.version}: {error}")
            if not isinstance(error, TrainerError):
                self.log(traceback.format_exc())
        finally:
            job.finished = time.time()
            self._training.release()


def _project_id(value: Any) -> int:
    """Label Studio names a project ``"<id>.<creation time>"`` in setup and predict requests."""
    try:
        return int(str(value).split(".")[0])
    except ValueError:
        raise TrainerError(f"not a Label Studio project reference: {value!r}") from None


def _version_name(number: int, scores: dict) -> str:
    """``v2 dev E0.61 R0.35 S0.93``: the version and its dev scores, visible in Label Studio."""
    return (
        f"v{number + 1} dev E{scores.get('entity_f1', 0):.2f} R{scores.get('relation_f1', 0):.2f} "
        f"S{scores.get('status_accuracy', 0):.2f}"
    )


def create_app(backend: Backend) -> Flask:
    app = Flask("conflict-events-backend")

    @app.errorhandler(TrainerError)
    def refused(error: TrainerError):
        status = 409 if isinstance(error, BackendBusyError) else 400
        backend.log(f"{request.path}: {error}")
        return jsonify({"error": str(error)}), status

    @app.get("/health")
    @app.get("/")
    def health():
        return jsonify(backend.health())

    @app.post("/setup")
    def setup():
        return jsonify(backend.setup(request.get_json(force=True)))

    @app.post("/predict")
    def predict():
        return jsonify(backend.predict(request.get_json(force=True)))

    @app.post("/webhook")
    def webhook():
        body, status = backend.webhook(request.get_json(force=True))
        return jsonify(body), status

    @app.post("/train")
    def train():
        payload = request.get_json(force=True)
        return jsonify(backend.start_training(_project_id(payload.get("project")), payload.get("annotations"))), 201

    @app.get("/versions")
    def versions():
        return jsonify({"versions": backend.versions, "model_version": backend.served.version})

    @app.post("/job_status")
    def job_status():
        try:
            return jsonify(backend.job_status(str(request.get_json(force=True).get("job"))))
        except KeyError:
            return jsonify({"error": "unknown job"}), 410

    return app


def serve_backend(backend: Backend, host: str, port: int):
    """A threaded HTTP server for the backend (``serve_forever`` to run it, ``shutdown`` to stop it)."""
    from werkzeug.serving import make_server

    if host not in ("127.0.0.1", "localhost", "::1"):
        backend.log(f"warning: the backend listens on {host}, beyond this machine")
    return make_server(host, port, create_app(backend), threaded=True)
