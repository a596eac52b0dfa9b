"""Read articles to import or to predict on: text files, folders, JSONL and Label Studio JSON.

Everything becomes a Label Studio task dict (``data`` + optional annotations
and predictions) so that importing and predicting read files the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from trainer.documents import Document
from trainer.labelstudio_format import TEXT_NAME

_ANNOTATION_KEYS = ("result", "was_cancelled", "ground_truth", "lead_time")
_PREDICTION_KEYS = ("result", "score", "model_version")


class ImportFormatError(ValueError):
    """A file :func:`import_tasks` cannot read; the message names the file (and line)."""


def tasks_from_paths(paths: Iterable[str | Path], with_annotations: bool = True) -> list[dict[str, Any]]:
    """Label Studio import tasks (``data`` + optional annotations/predictions) from files and folders.

    - ``X.txt``: one task, the exact file text, ``article`` = file stem;
    - a folder: every ``*.txt`` in it (sorted, recursive);
    - ``.jsonl``: one task per line, an object with a string ``text`` (other fields kept in ``data``);
    - ``.json``: a list of tasks (a Label Studio export: ``data`` + ``annotations``) or of
      objects with ``text``. Annotations (and full predictions) are kept when ``with_annotations``;
      ids, users and timestamps are dropped, region ids inside results are kept.
    """
    tasks: list[dict[str, Any]] = []
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(path.rglob("*.txt"))
            if not files:
                raise ImportFormatError(f"{path}: folder has no .txt files")
            tasks += [_text_task(file) for file in files]
        elif not path.is_file():
            raise ImportFormatError(f"{path}: no such file or folder")
        elif path.suffix == ".txt":
            tasks.append(_text_task(path))
        elif path.suffix == ".jsonl":
            tasks += _jsonl_tasks(path)
        elif path.suffix == ".json":
            tasks += _json_tasks(path, with_annotations)
        else:
            raise ImportFormatError(f"{path}: expected .txt, .jsonl, .json or a folder of .txt")
    return tasks


def _text_task(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise ImportFormatError(f"{path}: empty text")
    return {"data": {TEXT_NAME: text, "article": path.stem}}


def _record_task(record: Any, where: str) -> dict[str, Any]:
    if not isinstance(record, dict) or not isinstance(record.get(TEXT_NAME), str) or not record[TEXT_NAME].strip():
        raise ImportFormatError(f"{where}: expected an object with a non-empty string `{TEXT_NAME}`")
    data = dict(record)
    if "article" not in data and "id" in data:
        data["article"] = str(data["id"])
    return {"data": data}


def _jsonl_tasks(path: Path) -> list[dict[str, Any]]:
    tasks = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise ImportFormatError(f"{path}:{number}: not valid JSON ({error.msg})") from None
        tasks.append(_record_task(record, f"{path}:{number}"))
    return tasks


def _json_tasks(path: Path, with_annotations: bool) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ImportFormatError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    items = data if isinstance(data, list) else [data]
    tasks = []
    for position, item in enumerate(items):
        where = f"{path} item {position}"
        if isinstance(item, dict) and isinstance(item.get("data"), dict):
            tasks.append(_export_task(item, where, with_annotations))
        else:
            tasks.append(_record_task(item, where))
    return tasks


def _export_task(task: dict[str, Any], where: str, with_annotations: bool) -> dict[str, Any]:
    if not isinstance(task["data"].get(TEXT_NAME), str):
        raise ImportFormatError(f"{where}: data.{TEXT_NAME} is missing or not a string")
    clean: dict[str, Any] = {"data": task["data"]}
    if task.get("meta"):
        clean["meta"] = task["meta"]
    if with_annotations:
        annotations = [
            {key: annotation[key] for key in _ANNOTATION_KEYS if annotation.get(key) is not None}
            for annotation in task.get("annotations") or []
            if isinstance(annotation, dict) and isinstance(annotation.get("result"), list)
        ]
        predictions = [
            {key: prediction[key] for key in _PREDICTION_KEYS if prediction.get(key) is not None}
            for prediction in task.get("predictions") or []
            if isinstance(prediction, dict) and isinstance(prediction.get("result"), list)
        ]  # an export without full predictions lists them as ids: nothing to import
        if annotations:
            clean["annotations"] = annotations
        if predictions:
            clean["predictions"] = predictions
    return clean


def documents_from_paths(paths: Iterable[str | Path]) -> list[Document]:
    """The texts of :func:`tasks_from_paths` as documents (annotations ignored), ids from ``article`` or order."""
    tasks = tasks_from_paths(paths, with_annotations=False)
    return [
        Document(id=str(task["data"].get("article", index)), text=task["data"][TEXT_NAME], meta={"data": task["data"]})
        for index, task in enumerate(tasks)
    ]
