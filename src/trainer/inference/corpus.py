"""Predict a whole corpus: read lazily, write as you go, resume after a crash, share the work between processes.

Documents are read one by one from the inputs and predicted in chunks
(:meth:`Predictor.predict_documents`); each one's payload is appended at once
to a part file, ``OUTPUT.partK-of-N.jsonl`` for process K of N, and flushed.
Memory therefore stays flat however large the corpus. With several processes
(``accelerate launch --num_processes N scripts/predict.py ...``) process K
takes the documents at positions K, K+N, K+2N, ...; once all are done, the
main process merges the part files in input order into OUTPUT (written to a
temp file and renamed) and removes them.

``resume``: positions already in the part files are skipped (a line cut short
by a crash is dropped first), so a rerun after an interruption continues where
it stopped. Without it, leftover part files are refused rather than mixed in.
"""

from __future__ import annotations

import heapq
import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from trainer.documents import Document
from trainer.errors import OutputExistsError, TrainerError
from trainer.formats.inputs import iter_documents
from trainer.formats.outputs import payload, write_output
from trainer.inference.predictor import Predictor

PART_NAME = re.compile(r"\.part(\d+)-of-(\d+)\.jsonl$")


def part_path(output: Path, process: int, processes: int) -> Path:
    return output.with_name(f"{output.name}.part{process}-of-{processes}.jsonl")


def existing_parts(output: Path) -> list[Path]:
    return sorted(output.parent.glob(f"{output.name}.part*-of-*.jsonl"))


def done_positions(part: Path) -> set[int]:
    """Positions already written to a part file, after cutting off a last line a crash left incomplete."""
    positions, keep = set(), 0
    with open(part, "rb") as file:
        for line in file:
            if not line.endswith(b"\n"):
                break
            try:
                positions.add(json.loads(line)["position"])
            except (json.JSONDecodeError, KeyError):
                break
            keep += len(line)
    with open(part, "r+b") as file:
        file.truncate(keep)
    return positions


def predict_corpus(
    predictor: Predictor,
    inputs: Iterable[str | Path],
    output: str | Path,
    output_format: str,
    model_version: str,
    resume: bool = False,
    skip_bad: bool = False,
    process: int = 0,
    processes: int = 1,
    wait_for_everyone: Callable[[], None] = lambda: None,
    log: Callable[[str], None] = print,
    progress: Callable[[int], None] = lambda done: None,
) -> int:
    """Predict this process's share of the inputs into its part file; the main process then merges.

    Returns how many documents this process predicted in this call; ``progress`` gets that count
    after every document.
    """
    output = Path(output)
    parts = existing_parts(output)
    if parts and not resume:
        raise OutputExistsError(
            f"{parts[0]} is left from an unfinished run: continue it with --resume, or remove "
            f"{output.name}.part*-of-*.jsonl to start again"
        )
    foreign = [p for p in parts if int(PART_NAME.search(p.name).group(2)) != processes]
    if foreign:
        raise TrainerError(f"{foreign[0]} was written by another number of processes: resume with the same number")
    mine = part_path(output, process, processes)
    done = done_positions(mine) if mine.exists() else set()
    wait_for_everyone()  # every process has looked for leftovers before any starts its part
    on_bad = (log if process == 0 else _quiet) if skip_bad else None  # every process reads every line
    todo = (
        (position, document)
        for position, document in islice(enumerate(iter_documents(inputs, on_bad)), process, None, processes)
        if position not in done
    )
    predicted = 0
    with open(mine, "a", encoding="utf-8") as part:
        positions: deque[int] = deque()
        for document in predictor.predict_documents(_remember_positions(todo, positions)):
            record = payload(document, predictor.schema, output_format, model_version)
            line = {"position": positions.popleft(), "payload": record}
            part.write(json.dumps(line, ensure_ascii=False) + "\n")
            part.flush()
            predicted += 1
            progress(predicted)
    log(f"process {process} of {processes}: {predicted} documents predicted ({len(done)} done before)")
    wait_for_everyone()
    if process == 0:
        parts = [part_path(output, k, processes) for k in range(processes)]
        write_output(_merged_payloads(parts), output, output_format)
        for path in parts:
            path.unlink(missing_ok=True)
    wait_for_everyone()
    return predicted


def _quiet(message: str) -> None:
    pass


def _remember_positions(items: Iterator[tuple[int, Document]], positions: deque[int]) -> Iterator[Document]:
    """The documents of ``(position, document)`` pairs, noting each position as the document is read."""
    for position, document in items:
        positions.append(position)
        yield document


def _merged_payloads(parts: list[Path]) -> Iterator[Any]:
    """The payloads of all part files in input order: each part is in order, so a streaming merge does."""
    streams = [_lines(path) for path in parts if path.exists()]
    for line in heapq.merge(*streams, key=lambda item: item["position"]):
        yield line["payload"]


def _lines(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as file:
        for line in file:
            yield json.loads(line)
