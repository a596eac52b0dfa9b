from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT
from trainer.errors import InputError
from trainer.formats.inputs import documents_from_paths, tasks_from_paths
from trainer.formats.labelstudio import read_export

SEEDS = REPO_ROOT / "seeds"
GOLD_EXPORT = REPO_ROOT / "annotations" / "seeds.json"


@pytest.fixture
def gold_path() -> Path:
    return GOLD_EXPORT


def test_tasks_from_paths_reads_every_format(tmp_path, gold_path):
    jsonl = tmp_path / "more.jsonl"
    jsonl.write_text('{"text": "نص أول", "id": 7}\n\n{"text": "نص ثان"}\n', encoding="utf-8")
    tasks = tasks_from_paths([SEEDS, SEEDS / "000_5769bc202851a151.txt", jsonl, gold_path])
    gold_count = len(read_export(gold_path))
    assert len(tasks) == 5 + 1 + 2 + gold_count
    assert tasks[0]["data"]["text"] == (SEEDS / "000_5769bc202851a151.txt").read_text(encoding="utf-8")
    assert tasks[0]["data"]["article"] == "000_5769bc202851a151"
    assert tasks[6]["data"] == {"text": "نص أول", "id": 7, "article": "7"}
    exported = tasks[8:]
    assert all(set(task) <= {"data", "meta", "annotations", "predictions"} for task in exported)
    assert all("id" not in annotation for task in exported for annotation in task.get("annotations", []))
    assert all("annotations" not in task for task in tasks_from_paths([gold_path], with_annotations=False))


def test_tasks_from_paths_names_the_bad_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"title": "no text"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl:2: .*`text`"):
        tasks_from_paths([bad])


def test_documents_from_paths_keep_exact_texts_and_ids(tmp_path):
    documents = documents_from_paths([SEEDS, GOLD_EXPORT])
    assert len(documents) == 10
    for document in documents:
        assert document.text == (SEEDS / f"{document.id}.txt").read_text(encoding="utf-8")
        assert document.entities == []  # predicting never reads the gold


def test_missing_and_unknown_inputs_are_named(tmp_path):
    with pytest.raises(InputError, match="nope.txt: no such file"):
        tasks_from_paths([tmp_path / "nope.txt"])
    (tmp_path / "x.csv").write_text("a,b")
    with pytest.raises(InputError, match="x.csv: expected .txt, .jsonl, .json"):
        tasks_from_paths([tmp_path / "x.csv"])
