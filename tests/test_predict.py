"""predict.py and the Python API on every input format, with a really trained (smoke) model."""

import json
import subprocess
import sys

import pytest

import trainer
from trainer.annotations import validate_tasks
from trainer.schema import REPO_ROOT

SEEDS = REPO_ROOT / "seeds"
SCRIPT = [sys.executable, str(REPO_ROOT / "scripts" / "predict.py")]


def run_predict(*args):
    result = subprocess.run([*SCRIPT, *map(str, args)], capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def predictor(smoke_model):
    return trainer.load(smoke_model)


def test_python_api_predicts_valid_spans_on_articles_of_any_length(predictor, schema):
    texts = [(SEEDS / "004_4d13b451b7838b18.txt").read_text(encoding="utf-8"), "قصف جوي على حلب."]
    documents = predictor.predict(texts)
    assert len(documents) == 2 and documents[0].entities
    for document, text in zip(documents, texts, strict=True):
        assert document.text == text
        for entity in document.entities:
            assert text[entity.start : entity.end] == entity.text and 0 <= entity.score <= 1
            assert (entity.status is not None) == schema.has_status(entity.label)
        assert isinstance(predictor.events(document), list)


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
    report = validate_tasks(as_annotations, schema)
    assert report.errors == [] and sum(len(d.entities) for d in report.documents) > 0


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="config.json missing"):
        trainer.load(tmp_path)
