"""predict.py and the Python API on every input format, with a really trained (smoke) model."""

import json

import pytest

import trainer
from tests.helpers import REPO_ROOT, run_script
from trainer.documents import Document
from trainer.formats.labelstudio import read_tasks

SEEDS = REPO_ROOT / "seeds"


def run_predict(*args):
    result = run_script("predict.py", *args)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def predictor(smoke_model):
    return trainer.load(smoke_model)


def test_python_api_predicts_valid_spans_on_articles_of_any_length(predictor, schema):
    texts = [(SEEDS / "004_4d13b451b7838b18.txt").read_text(encoding="utf-8"), "قصف جوي على حلب."]
    documents = predictor.predict(texts)
    assert len(documents) == 2 and documents[0].entities
    assert any(predictor.events(document) for document in documents)
    for document, text in zip(documents, texts, strict=True):
        assert document.text == text
        for entity in document.entities:
            assert text[entity.start : entity.end] == entity.text and 0 <= entity.score <= 1
            assert (entity.status is not None) == schema.has_status(entity.label)
        check_events(document, predictor.events(document))


def check_events(document, events):
    """One event per victim count and per weapon without victims; roles hold only related mentions."""
    victims = [e for e in document.entities if e.label == "VICTIM_COUNT"]
    linked = {(r.head, r.tail) for r in document.relations} | {(r.tail, r.head) for r in document.relations}
    by_span = {(e.start, e.end): e for e in document.entities}
    lonely_weapons = [
        e for e in document.entities if e.label == "WEAPON" and not any((e.id, v.id) in linked for v in victims)
    ]
    assert len(events) == len(victims) + len(lonely_weapons)
    for event in events:
        anchor = by_span[
            (event["victims"] or event["weapons"])[0]["start"], (event["victims"] or event["weapons"])[0]["end"]
        ]
        for role in ("actors", "weapons", "locations"):
            for mention in event[role]:
                entity = by_span[(mention["start"], mention["end"])]
                assert mention["text"] == entity.text
                via_weapon = any((entity.id, by_span[(w["start"], w["end"])].id) in linked for w in event["weapons"])
                assert entity is anchor or (anchor.id, entity.id) in linked or via_weapon


@pytest.mark.slow
@pytest.mark.parametrize("source", ["folder", "txt", "jsonl", "labelstudio"])
def test_predict_script_on_every_input_format(smoke_model, tmp_path, source, schema):
    inputs = {
        "folder": SEEDS,
        "txt": SEEDS / "001_3fa513781c5a54af.txt",
        "jsonl": tmp_path / "in.jsonl",
        "labelstudio": REPO_ROOT / "annotations" / "seeds.json",
    }
    (tmp_path / "in.jsonl").write_text(
        json.dumps({"id": "a1", "text": (SEEDS / "002_6d5e46cf97462cbf.txt").read_text(encoding="utf-8")}) + "\n",
        encoding="utf-8",
    )
    output = tmp_path / "out.jsonl"
    run_predict("--model", smoke_model, "--input", inputs[source], "--output", output)
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert len(records) == {"folder": 5, "txt": 1, "jsonl": 1, "labelstudio": 5}[source]
    assert set(records[0]) == {"id", "entities", "relations", "events"}
    assert any(record["entities"] for record in records)


@pytest.mark.slow
def test_labelstudio_output_is_importable_with_valid_predictions(smoke_model, tmp_path, schema):
    output = tmp_path / "tasks.json"
    run_predict("--model", smoke_model, "--input", SEEDS, "--output", output, "--format", "labelstudio", "--quantize")
    tasks = json.loads(output.read_text(encoding="utf-8"))
    assert len(tasks) == 5
    prediction = tasks[0]["predictions"][0]
    assert prediction["model_version"] == "best" and 0 < prediction["score"] <= 1
    # The predictions are valid annotations under the schema (read them back as if they were annotations).
    as_annotations = [{"id": i, "data": t["data"], "annotations": t["predictions"]} for i, t in enumerate(tasks)]
    report = read_tasks(as_annotations, schema)
    assert report.errors == [] and sum(len(d.entities) for d in report.documents) > 0


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json missing"):
        trainer.load(tmp_path)


def decisions(document):
    return (
        [(e.id, e.start, e.end, e.label, e.status) for e in document.entities],
        [(r.head, r.tail, r.label) for r in document.relations],
    )


def test_documents_batched_together_predict_as_one_at_a_time(predictor, schema):
    """Windows of many documents share forward passes; each document's result is what it gets alone.

    Only the last digit of a score may differ: a batch of another composition runs the same
    arithmetic in another order (up to 4e-6 apart in the encoder's states on this CPU).
    """
    from trainer.formats.labelstudio import load_documents

    gold = load_documents(
        [REPO_ROOT / "annotations" / "seeds.json", REPO_ROOT / "annotations" / "anercorp_conflict.json"], schema
    )
    documents = [Document(d.id, d.text) for d in gold[:120]]
    alone = [predictor.predict_document(d) for d in documents]
    together = list(predictor.predict_documents(iter(documents)))  # read lazily, in chunks
    assert [d.id for d in together] == [d.id for d in documents]
    assert [decisions(d) for d in together] == [decisions(d) for d in alone]
    assert any(d.relations for d in alone)
    for a, b in zip(alone, together, strict=True):
        for x, y in zip(a.entities + a.relations, b.entities + b.relations, strict=True):
            assert abs(x.score - y.score) <= 1e-4
