"""Corpus prediction: streamed, resumable, tolerant of bad lines when asked, shared between real processes."""

import csv
import json

import pyarrow.parquet as pq
import pytest

import trainer
from tests.helpers import TORCHRUN, TWO_CPU_PROCESSES, run_script
from trainer.errors import InputError, OutputExistsError
from trainer.formats.jsonl import prediction_record
from trainer.formats.table import COLUMNS
from trainer.inference.corpus import part_path, predict_corpus

TEXTS = [
    "قتل {n} شخصا في قصف جوي على مدينة الرقة.",
    "وشن الطيران الروسي غارات على حلب وأصيب {n} مدنيا.",
    "أعلنت فصائل المعارضة السيطرة على حي الراموسة.",
]


@pytest.fixture(scope="module")
def predictor(smoke_model):
    return trainer.load(smoke_model)


@pytest.fixture
def corpus(tmp_path):
    path = tmp_path / "corpus.jsonl"
    lines = [json.dumps({"id": f"d{i}", "text": TEXTS[i % 3].format(n=i + 2)}, ensure_ascii=False) for i in range(90)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def records(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_streamed_output_is_the_prediction_of_every_document_in_order(predictor, corpus, tmp_path):
    output = tmp_path / "out.jsonl"
    assert predict_corpus(predictor, [corpus], output, "jsonl", "smoke", log=lambda m: None) == 90
    written = records(output)
    assert [r["id"] for r in written] == [f"d{i}" for i in range(90)]
    texts = [json.loads(line)["text"] for line in corpus.read_text(encoding="utf-8").splitlines()]
    expected = [prediction_record(d, predictor.schema) for d in predictor.predict(texts)]
    assert [{**r, "id": None} for r in written] == [{**r, "id": None} for r in expected]
    assert not list(tmp_path.glob("out.jsonl.part*"))  # merged and removed


def test_an_interrupted_run_resumes_where_it_stopped(predictor, corpus, tmp_path):
    straight = tmp_path / "straight.jsonl"
    predict_corpus(predictor, [corpus], straight, "jsonl", "smoke", log=lambda m: None)
    output = tmp_path / "out.jsonl"
    # A crash after 40 documents, in the middle of writing the 41st line.
    part = part_path(output, 0, 1)
    predict_corpus(predictor, [corpus], tmp_path / "first.jsonl", "jsonl", "smoke", log=lambda m: None)
    lines = [
        json.dumps({"position": i, "payload": r}, ensure_ascii=False)
        for i, r in enumerate(records(tmp_path / "first.jsonl"))
    ]
    part.write_text("\n".join(lines[:40]) + "\n" + lines[40][:25], encoding="utf-8")
    with pytest.raises(OutputExistsError, match="--resume"):
        predict_corpus(predictor, [corpus], output, "jsonl", "smoke", log=lambda m: None)
    messages = []
    assert predict_corpus(predictor, [corpus], output, "jsonl", "smoke", resume=True, log=messages.append) == 50
    assert "50 documents predicted (40 done before)" in messages[0]
    assert output.read_bytes() == straight.read_bytes()


def test_bad_lines_stop_the_run_or_are_skipped_and_nothing_written_is_lost(predictor, corpus, tmp_path):
    lines = corpus.read_text(encoding="utf-8").splitlines()
    lines[70:70] = ["{not json", json.dumps({"title": "no text"})]
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    with pytest.raises(InputError, match=r"corpus.jsonl:71: not valid JSON"):
        predict_corpus(predictor, [corpus], output, "jsonl", "smoke", log=lambda m: None)
    assert len(records(part_path(output, 0, 1))) == 64  # the first chunk was predicted and kept
    messages = []
    predict_corpus(predictor, [corpus], output, "jsonl", "smoke", resume=True, skip_bad=True, log=messages.append)
    assert messages[:2] == [
        f"{corpus}:71: not valid JSON (Expecting property name enclosed in double quotes)",
        f"{corpus}:72: expected an object with a non-empty string `text`",
    ]
    assert [r["id"] for r in records(output)] == [f"d{i}" for i in range(90)]


def test_the_events_table_has_a_row_per_event_record(predictor, corpus, tmp_path):
    predict_corpus(predictor, [corpus], tmp_path / "out.csv", "csv", "smoke", log=lambda m: None)
    predict_corpus(predictor, [corpus], tmp_path / "out.parquet", "parquet", "smoke", log=lambda m: None)
    predict_corpus(predictor, [corpus], tmp_path / "out.jsonl", "jsonl", "smoke", log=lambda m: None)
    events = [(r["id"], e) for r in records(tmp_path / "out.jsonl") for e in r["events"]]
    with open(tmp_path / "out.csv", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    table = pq.read_table(tmp_path / "out.parquet").to_pylist()
    assert events and len(rows) == len(table) == len(events)
    assert tuple(rows[0]) == COLUMNS and list(table[0]) == list(COLUMNS)
    for row, (document_id, event) in zip(table, events, strict=True):
        assert row["document_id"] == document_id
        assert row["weapons"] == " | ".join(m["text"] for m in event["weapons"])
        victim = event["victims"][0] if event["victims"] else {}
        assert row["victims"] == victim.get("text", "") and row["value"] == victim.get("value")
        assert 0 <= row["min_score"] <= 1


@pytest.mark.slow
def test_two_processes_share_the_corpus_and_merge_it_in_input_order(smoke_model, corpus, tmp_path):
    arguments = ["--model", smoke_model, "--input", corpus]
    single = run_script("predict.py", *arguments, "--output", tmp_path / "single.jsonl")
    assert single.returncode == 0, single.stderr[-2000:]
    two = run_script(
        "predict.py", *arguments, "--output", tmp_path / "two.jsonl", python=TORCHRUN, env=TWO_CPU_PROCESSES
    )
    assert two.returncode == 0, two.stderr[-3000:]
    output = two.stdout + two.stderr
    assert "process 0 of 2: 45 documents predicted" in output and "process 1 of 2: 45 documents predicted" in output
    merged, expected = records(tmp_path / "two.jsonl"), records(tmp_path / "single.jsonl")
    assert [r["id"] for r in merged] == [f"d{i}" for i in range(90)]
    # Batches of another composition: the same decisions, scores equal to the last digit (test_predictor.py).
    assert [decisions(r) for r in merged] == [decisions(r) for r in expected]


def decisions(record):
    entities = [(e["start"], e["end"], e["label"], e.get("status")) for e in record["entities"]]
    return entities, [(r["head"], r["tail"], r["label"]) for r in record["relations"]]
