"""Annotate in a local Label Studio: serve, create the project, import, pre-annotate, train from the UI, export.

    python scripts/labelstudio.py serve                      # foreground; Ctrl-C stops it
    python scripts/labelstudio.py backend --model models/runs/default/best   # the model as ML backend (port 9090)
    python scripts/labelstudio.py init --ml-backend http://127.0.0.1:9090    # project from the schema, backend on
    python scripts/labelstudio.py import seeds/              # .txt, folders, .jsonl, Label Studio .json
    python scripts/labelstudio.py preannotate --model models/runs/X   # or: predictions in one batch, no backend
    python scripts/labelstudio.py next --count 10            # the least confident unannotated tasks
    python scripts/labelstudio.py export --output annotations/gold.json

The server URL and API token come from --url / --api-key, else LABEL_STUDIO_URL
(default http://127.0.0.1:8080) / LABEL_STUDIO_API_KEY, else the credentials
`serve` generated in .labelstudio/credentials.env (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from trainer import cli
from trainer.config import load_config
from trainer.labelstudio.client import (
    ExportValidationError,
    LabelStudioClientError,
    connect_backend,
    export_project,
    find_project,
    import_tasks,
    init_project,
    least_confident,
    preannotate_project,
    project_tasks,
)
from trainer.labelstudio.client import connect as connect_client
from trainer.labelstudio.server import (
    CREDENTIALS_FILE,
    DEFAULT_DATA_DIR,
    DEFAULT_PORT,
    ENV_URL,
    Credentials,
    LabelStudioServer,
    default_api_key,
)
from trainer.schema import DEFAULT_SCHEMA, load_schema
from trainer.validation import format_report


def serve(args: argparse.Namespace) -> int:
    credentials, origin = Credentials.load_or_create(CREDENTIALS_FILE)
    server = LabelStudioServer(port=args.port, data_dir=args.data_dir, credentials=credentials)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even when started with `&`
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # `finally` below stops the server
    try:
        server.start()
        print(f"Label Studio {server.url} (ready in {server.startup_seconds:.0f} s; data {server.data_dir})")
        print(f"log in as {credentials.username}; password and API token: {origin}")
        print(f"log: {server.log_path}\nCtrl-C to stop")
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()


def _client(args: argparse.Namespace):
    return connect_client(args.url, args.api_key or default_api_key())


def _project_id(client, args: argparse.Namespace, schema, create: bool = False) -> int:
    if args.project is not None:
        return args.project
    title = args.title or schema.name
    if create:
        return init_project(client, title, schema).id
    found = find_project(client, title)
    if found is None:
        raise LabelStudioClientError(f"no project titled {title!r} at {args.url}: run `init` first or pass --project")
    return found


def init(args: argparse.Namespace) -> int:
    schema = load_schema(args.schema)
    client = _client(args)
    ref = init_project(client, args.title or schema.name, schema)
    state = "created" if ref.created else "labeling config updated" if ref.config_updated else "found"
    print(f"project {ref.id} {ref.title!r}: {state} ({args.url}/projects/{ref.id})")
    if args.ml_backend:
        _connect(client, ref.id, args)
    return 0


def connect(args: argparse.Namespace) -> int:
    schema = load_schema(args.schema)
    client = _client(args)
    _connect(client, _project_id(client, args, schema), args)
    return 0


def _connect(client, project_id: int, args: argparse.Namespace) -> None:
    backend = connect_backend(client, project_id, args.ml_backend, args.backend_title)
    print(
        f"project {project_id}: ML backend {backend.url} connected ({backend.title!r}, model version "
        f"{backend.model_version!r}); opened tasks are pre-annotated, 'Start training' retrains it"
    )


def backend(args: argparse.Namespace) -> int:
    from trainer.labelstudio.backend import Backend, serve_backend

    config = load_config(args.config, args.overrides)
    model = Backend(args.model, config, args.work_dir, train_on_annotations=args.train_on_annotations)
    server = serve_backend(model, args.host, args.port)
    print(f"ML backend for {args.model} (model version {model.served.version!r}) at http://{args.host}:{args.port}")
    print(f"connect it: python scripts/labelstudio.py connect --ml-backend http://{args.host}:{args.port}")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def next_(args: argparse.Namespace) -> int:
    schema = load_schema(args.schema)
    client = _client(args)
    project_id = _project_id(client, args, schema)
    tasks = least_confident(project_tasks(client, project_id), args.count, args.model_version)
    if not tasks:
        print(f"project {project_id}: no unannotated task with a prediction (pre-annotate or connect a backend first)")
    for task in tasks:
        version, score = min(task.scores.items(), key=lambda item: item[1])
        print(f"task {task.id}\tscore {score:.4f}\t{version}\t{args.url}/projects/{project_id}/data?task={task.id}")
    return 0


def import_(args: argparse.Namespace) -> int:
    schema = load_schema(args.schema)
    client = _client(args)
    project_id = _project_id(client, args, schema, create=True)
    result = import_tasks(client, project_id, args.paths, with_annotations=not args.texts_only)
    print(
        f"project {project_id}: imported {len(result.task_ids)} tasks, {result.annotations} annotations, "
        f"{result.predictions} predictions from {len(result.sources)} path(s)"
    )
    return 0


def preannotate(args: argparse.Namespace) -> int:
    import trainer  # the trained-model API; imported here so the other commands never load torch

    schema = load_schema(args.schema)
    client = _client(args)
    project_id = _project_id(client, args, schema)
    predictor = trainer.load(args.model)
    model_schema = predictor.schema
    if model_schema.to_dict() != schema.to_dict():
        raise LabelStudioClientError(
            f"the model in {args.model} was trained on schema {model_schema.name!r}, which differs from "
            f"{args.schema} (the project's labeling config): pass the model's schema with --schema"
        )
    version = args.model_version or Path(args.model).resolve().name
    created = preannotate_project(
        client, project_id, predictor.predict, version, schema, batch_size=args.batch_size, log=print
    )
    print(f"project {project_id}: {created} predictions from model version {version!r}")
    return 0


def export(args: argparse.Namespace) -> int:
    schema = load_schema(args.schema)
    client = _client(args)
    project_id = _project_id(client, args, schema)
    try:
        report = export_project(client, project_id, args.output, schema, all_tasks=args.all_tasks)
    except ExportValidationError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        raise
    for problem in report.warnings:
        print(problem)
    print(format_report(report, str(args.output)))
    print(f"wrote {args.output}")
    return 0


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)

    client_options = argparse.ArgumentParser(add_help=False)
    client_options.add_argument("--url", default=os.environ.get(ENV_URL, f"http://127.0.0.1:{DEFAULT_PORT}"))
    client_options.add_argument("--api-key", help="default: $LABEL_STUDIO_API_KEY or .labelstudio/credentials.env")
    client_options.add_argument("--schema", default=DEFAULT_SCHEMA, help="packaged schema name or YAML file")
    project_options = argparse.ArgumentParser(add_help=False)
    project_options.add_argument("--title", help="project title (default: the schema name)")
    project_options.add_argument("--project", type=int, help="project id (instead of --title)")

    command = commands.add_parser("serve", help="run Label Studio on 127.0.0.1 until Ctrl-C")
    command.add_argument("--port", type=int, default=DEFAULT_PORT)
    command.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    command.set_defaults(run=serve)

    backend_options = argparse.ArgumentParser(add_help=False)
    backend_options.add_argument("--backend-title", default="conflict-events", help="the backend's name in the project")

    command = commands.add_parser("init", parents=[client_options, backend_options], help="create or find the project")
    command.add_argument("--title", help="project title (default: the schema name)")
    command.add_argument("--ml-backend", metavar="URL", help="also connect this ML backend (see `backend`)")
    command.set_defaults(run=init)

    command = commands.add_parser(
        "connect", parents=[client_options, project_options, backend_options], help="connect an ML backend"
    )
    command.add_argument("--ml-backend", metavar="URL", required=True, help="e.g. http://127.0.0.1:9090")
    command.set_defaults(run=connect)

    command = commands.add_parser("backend", help="serve a trained model as Label Studio's ML backend")
    command.add_argument("--model", required=True, type=Path, help="trained model directory to serve first")
    command.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    command.add_argument("--port", type=int, default=9090)
    command.add_argument("--config", default="configs/default.yaml", help="run config of trainings from the UI")
    command.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    command.add_argument("--work-dir", type=Path, default=Path(".labelstudio/backend"), help="exports and runs")
    command.add_argument(
        "--train-on-annotations", action="store_true", help="also retrain when annotations are created or updated"
    )
    command.set_defaults(run=backend)

    command = commands.add_parser("next", parents=[client_options, project_options], help="least confident tasks")
    command.add_argument("--count", type=int, default=10)
    command.add_argument("--model-version", help="rank by this model version's predictions (default: any)")
    command.set_defaults(run=next_)

    command = commands.add_parser("import", parents=[client_options, project_options], help="import tasks")
    command.add_argument("paths", nargs="+", type=Path, help=".txt files, folders of .txt, .jsonl, .json exports")
    command.add_argument("--texts-only", action="store_true", help="ignore annotations in .json exports")
    command.set_defaults(run=import_)

    command = commands.add_parser("preannotate", parents=[client_options, project_options], help="upload predictions")
    command.add_argument("--model", required=True, type=Path, help="trained model directory")
    command.add_argument("--model-version", help="default: the model directory name")
    command.add_argument("--batch-size", type=int, default=16)
    command.set_defaults(run=preannotate)

    command = commands.add_parser("export", parents=[client_options, project_options], help="validated JSON export")
    command.add_argument("--output", required=True, type=Path)
    command.add_argument("--all-tasks", action="store_true", help="also tasks without annotations")
    command.set_defaults(run=export)

    return parser


if __name__ == "__main__":
    cli.run(lambda args: args.run(args), parser())
