"""Annotation drafts: gold annotations written by surface string, never by counted offsets.

A draft (YAML) lists a text's mentions in reading order; each one is found at
the first whole-word match after the previous mention, so offsets are derived,
not typed. A mention may carry context in brackets when the bare string would
match too early: ``"في [قصف جوي] روسي"`` locates the whole string and keeps
only the bracketed part as the span.

An article draft annotates one file::

    article: seeds/000_5769bc202851a151.txt
    entities:
      - [a1, ACTOR, "فصائل المعارضة السورية"]
      - [v1, VICTIM_COUNT, "30 شخصا", killed]       # status for VICTIM_COUNT
    relations:
      - [a1, acts_at, l1]

A corpus draft annotates sentences of a CoNLL corpus (their tokens joined by
single spaces, as :mod:`trainer.formats.conll` reads them)::

    corpus: ../shared/data/anercorp/ANERCorp_CamelLab_train.txt
    tasks:
      - sentence: 666                                 # 0-based sentence index in the corpus
        selection: event                              # optional: why the sentence was chosen (kept in meta)
        entities: [[v1, VICTIM_COUNT, "نحو 70 قتيلا", killed]]
        relations: []

Paths are relative to the folder the build runs in (the repository root).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from trainer.data.splits import assign_splits
from trainer.documents import Document, Entity, Relation
from trainer.errors import MissingFileError, TrainerError
from trainer.formats.conll import read_conll
from trainer.formats.labelstudio import task_from_document
from trainer.schema import Schema
from trainer.text import is_word_span
from trainer.validation import Problem, ValidationReport, validate


class DraftError(TrainerError, ValueError):
    """A draft that cannot be turned into documents; the message names the draft and the mention."""


def read_draft(path: str | Path, root: str | Path = ".") -> list[Document]:
    """The documents of one draft, offsets resolved; structure errors raise :class:`DraftError`.

    Whether the result is a valid annotation is for :func:`trainer.validation.validate` to say.
    """
    path, root = Path(path), Path(root)
    if not path.is_file():
        raise MissingFileError(f"draft not found: {path}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise DraftError(f"{path}: expected a mapping at the top level")
    if "article" in data:
        _check_keys(data, {"article", "entities", "relations"}, str(path))
        article = root / data["article"]
        if not article.is_file():
            raise MissingFileError(f"{path}: article {article} not found")
        return [_resolve(data, article.read_text(encoding="utf-8"), article.stem, {}, str(path))]
    if "corpus" in data:
        _check_keys(data, {"corpus", "tasks"}, str(path))
        return list(_corpus_documents(data, root / data["corpus"], path))
    raise DraftError(f"{path}: a draft names an `article` or a `corpus`")


def _corpus_documents(data: dict, corpus: Path, path: Path) -> Iterator[Document]:
    sentences = corpus_sentences(corpus)
    for position, task in enumerate(data.get("tasks") or []):
        where = f"{path} task #{position}"
        if not isinstance(task, dict):
            raise DraftError(f"{where}: a task is a mapping with `sentence`, `entities`, `relations`")
        _check_keys(task, {"sentence", "selection", "entities", "relations"}, where)
        index = task.get("sentence")
        if not isinstance(index, int) or not 0 <= index < len(sentences):
            raise DraftError(f"{where}: `sentence` must be a sentence index of {corpus} (0-{len(sentences) - 1})")
        meta = {"corpus": corpus.name, "sentence_index": index}
        if "selection" in task:
            meta["selection"] = str(task["selection"])
        yield _resolve(task, sentences[index], f"{corpus.stem}-{index:05d}", meta, f"{where} (sentence {index})")


def corpus_sentences(corpus: Path) -> list[str]:
    """The corpus's sentences as texts: their tokens joined by single spaces."""
    return [" ".join(word for word, _, _ in sentence) for sentence in read_conll(corpus)]


def _check_keys(data: dict, known: set[str], where: str) -> None:
    unknown = set(data) - known
    if unknown:
        raise DraftError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(known)})")


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


def _resolve(data: dict[str, Any], text: str, document_id: str, meta: dict, where: str) -> Document:
    """Every mention resolved to offsets, in order; errors name the mention."""
    entities: list[Entity] = []
    cursor = 0
    for item in data.get("entities") or []:
        if not isinstance(item, list) or len(item) not in (3, 4):
            raise DraftError(f"{where}: entity must be [id, LABEL, text(, status)], got {item!r}")
        region_id, label, surface = str(item[0]), str(item[1]), str(item[2])
        status = str(item[3]) if len(item) == 4 else None
        try:
            start, end = locate(text, surface, cursor)
        except LookupError as error:
            context = text[max(0, cursor - 40) : cursor]
            raise DraftError(f"{where}: entity {region_id}: {error} (text before cursor: …{context!r})") from None
        entities.append(Entity(region_id, start, end, label, text[start:end], status))
        cursor = end
    relations = []
    for item in data.get("relations") or []:
        if not isinstance(item, list) or len(item) != 3:
            raise DraftError(f"{where}: relation must be [from_id, type, to_id], got {item!r}")
        relations.append(Relation(head=str(item[0]), tail=str(item[2]), label=str(item[1])))
    return Document(id=document_id, text=text, entities=entities, relations=relations, meta=meta)


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


def build_gold(
    paths: list[str | Path], schema: Schema, root: str | Path = ".", split_block_size: int | None = None
) -> tuple[list[dict], ValidationReport]:
    """Label Studio tasks of the drafts' documents (ids 1..N in order) and every problem found in them.

    ``split_block_size``: give every corpus sentence a train/dev/test ``split`` in its task's
    ``meta``, by blocks of that many consecutive sentence indices (:mod:`trainer.data.splits`).
    """
    report = ValidationReport()
    first_of_text: dict[str, str] = {}
    for path in paths:
        for document in read_draft(path, root):
            report.documents.append(document)
            report.problems += [problem.at(str(path), document.id) for problem in validate(document, schema)]
            if first_of_text.setdefault(document.text, document.id) != document.id:
                duplicate = f"the same text as {first_of_text[document.text]}: a gold file holds one copy of each text"
                report.problems.append(Problem("error", duplicate, str(path), document.id))
    if split_block_size:
        assign_splits([d for d in report.documents if "sentence_index" in d.meta], split_block_size)
    tasks = [task_from_document(d, i, schema, meta=d.meta) for i, d in enumerate(report.documents, start=1)]
    return tasks, report
