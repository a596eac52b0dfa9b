"""Small builders and paths shared by the tests."""

import os
import subprocess
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from trainer.documents import Document, Entity, Relation

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS = REPO_ROOT / "seeds"
SEED_GOLD = REPO_ROOT / "annotations" / "seeds.json"
ANERCORP = REPO_ROOT.parent / "shared" / "data" / "anercorp"

# Two real CPU processes (gloo) for the multi-process tests.
TORCHRUN = (sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2")
TWO_CPU_PROCESSES = {**os.environ, "ACCELERATE_USE_CPU": "true", "OMP_NUM_THREADS": "1"}


def run_script(
    script: str, *args, python: Sequence[str] = (sys.executable,), cwd: Path = REPO_ROOT, env: dict | None = None
) -> subprocess.CompletedProcess:
    """``scripts/<script> ARGS`` in a subprocess, as a user runs it (arguments may be paths)."""
    command = [*python, str(REPO_ROOT / "scripts" / script), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, env=env)


def mention(
    text: str, entity_id: str, surface: str, label: str, status: str | None = None, start_from: int = 0
) -> Entity:
    """The entity at the first occurrence of ``surface`` in ``text`` at or after ``start_from``."""
    start = text.index(surface, start_from)
    return Entity(entity_id, start, start + len(surface), label, surface, status)


# One short annotated text, valid under the conflict_events schema: three sentences, every entity type,
# a status on each victim count, relations of four types. Tests corrupt copies of it.
ANNOTATED_TEXT = (
    "قتل 30 شخصا واصيب سبعون آخرون بجروح في قصف جوي روسي على مدينة الرقة. "
    "وأعلنت فصائل المعارضة استعادة حي الراموسة. وقال المرصد إن الطيران الروسي شن غارات على حلب."
)


def annotated_document() -> Document:
    span = partial(mention, ANNOTATED_TEXT)
    entities = [
        span("v1", "30 شخصا", "VICTIM_COUNT", "killed"),
        span("v2", "سبعون آخرون", "VICTIM_COUNT", "injured"),
        span("w1", "قصف جوي", "WEAPON"),
        span("l1", "مدينة الرقة", "LOCATION"),
        span("a1", "فصائل المعارضة", "ACTOR"),
        span("l2", "حي الراموسة", "LOCATION"),
        span("a2", "الطيران الروسي", "ACTOR"),
        span("w2", "غارات", "WEAPON"),
        span("l3", "حلب", "LOCATION"),
    ]
    relations = [
        Relation("v1", "w1", "harmed_by"),
        Relation("v2", "w1", "harmed_by"),
        Relation("w1", "l1", "strikes"),
        Relation("v1", "l1", "victims_at"),
        Relation("a1", "l2", "acts_at"),
        Relation("a2", "w2", "uses_weapon"),
        Relation("w2", "l3", "strikes"),
    ]
    return Document("doc", ANNOTATED_TEXT, entities, relations)
