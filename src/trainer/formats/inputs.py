"""Read articles to import or to predict on: text files, folders, JSONL and Label Studio JSON.

Everything becomes a Label Studio task dict (``data`` + optional annotations
and predictions), so that importing and predicting read files the same way.
Files are read lazily, one after the other, JSONL line by line.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from trainer.documents import Document
from trainer.errors import InputError
from trainer.formats.jsonl import read_jsonl
from trainer.formats.labelstudio import TEXT_NAME, import_task

SUFFIXES = (".txt", ".jsonl", ".json")


def iter_tasks(
    paths: Iterable[str | Path], with_annotations: bool = True, on_bad: Callable[[str], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Label Studio import tasks (``data`` + optional annotations/predictions) from files and folders, lazily.

    - ``X.txt``: one task, the exact file text, ``article`` = file stem;
    - a folder: every ``*.txt`` in it (sorted, recursive);
    - ``.jsonl``: one task per line, an object with a string ``text`` (other fields kept in ``data``);
    - ``.json``: a list of tasks (a Label Studio export: ``data`` + ``annotations``) or of
      objects with ``text``. Annotations (and full predictions) are kept when ``with_annotations``;
      ids, users and timestamps are dropped, region ids inside results are kept.

    A bad JSONL line is an error naming its file and line, or, with ``on_bad``, reported to it and skipped.
    """
    for path in map(Path, paths):
        if path.is_dir():
            files = sorted(path.rglob("*.txt"))
            if not files:
                raise InputError(f"{path}: folder has no .txt files")
            yield from (_text_task(file) for file in files)
        elif not path.is_file():
            raise InputError(f"{path}: no such file or folder")
        elif path.suffix == ".txt":
            yield _text_task(path)
        elif path.suffix == ".jsonl":
            yield from _jsonl_tasks(path, on_bad)
        elif path.suffix == ".json":
            yield from _json_tasks(path, with_annotations)
        else:
            raise InputError(f"{path}: expected {', '.join(SUFFIXES)} or a folder of .txt")


def tasks_from_paths(paths: Iterable[str | Path], with_annotations: bool = True) -> list[dict[str, Any]]:
    return list(iter_tasks(paths, with_annotations))


def iter_documents(paths: Iterable[str | Path], on_bad: Callable[[str], None] | None = None) -> Iterator[Document]:
    """The texts of :func:`iter_tasks` as documents (annotations ignored), ids from ``article`` or position."""
    for position, task in enumerate(iter_tasks(paths, with_annotations=False, on_bad=on_bad)):
        data = task["data"]
        yield Document(id=str(data.get("article", position)), text=data[TEXT_NAME], meta={"data": data})


def documents_from_paths(paths: Iterable[str | Path]) -> list[Document]:
    return list(iter_documents(paths))


def _jsonl_tasks(path: Path, on_bad: Callable[[str], None] | None) -> Iterator[dict[str, Any]]:
    for number, record in read_jsonl(path, on_bad):
        try:
            yield _record_task(record, f"{path}:{number}")
        except InputError as error:
            if on_bad is None:
                raise
            on_bad(str(error))


def _text_task(path: Path) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        raise InputError(f"{path}: empty text")
    return {"data": {TEXT_NAME: text, "article": path.stem}}


def _record_task(record: Any, where: str) -> dict[str, Any]:
    if not isinstance(record, dict) or not isinstance(record.get(TEXT_NAME), str) or not record[TEXT_NAME].strip():
        raise InputError(f"{where}: expected an object with a non-empty string `{TEXT_NAME}`")
    data = dict(record)
    if "article" not in data and "id" in data:
        data["article"] = str(data["id"])
    return {"data": data}


def _json_tasks(path: Path, with_annotations: bool) -> Iterator[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    for position, item in enumerate(data if isinstance(data, list) else [data]):
        where = f"{path} item {position}"
        if isinstance(item, dict) and isinstance(item.get("data"), dict):
            yield import_task(item, where, with_annotations)
        else:
            yield _record_task(item, where)
