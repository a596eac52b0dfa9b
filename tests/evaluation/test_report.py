import json

import pytest

from tests.helpers import run_script
from trainer.formats.labelstudio import read_tasks


@pytest.mark.slow
def test_evaluate_script_writes_the_whole_report(smoke_model, tmp_path, schema):
    output = tmp_path / "report"
    arguments = ["--data", "annotations/seeds.json", "--output", output, "--bootstrap-samples", 50]
    result = run_script("evaluate.py", "--model", smoke_model, *arguments)
    assert result.returncode == 0, result.stderr
    report = json.loads((output / "report.json").read_text())
    assert report["documents"] == 5 and report["entities"]["micro"]["gold"] == 422
    assert report["entities_seqeval"]["micro avg"]["f1-score"] == pytest.approx(report["entities"]["micro"]["f1"])
    for key in ("relations", "relations_given_gold_entities", "status", "events", "confidence_intervals_95"):
        assert key in report
    low, high = report["confidence_intervals_95"]["entity_f1"]
    assert low <= report["entities"]["micro"]["f1"] <= high
    assert "| **entities (micro)** |" in (output / "report.md").read_text()
    assert (output / "confusion.png").stat().st_size > 1000
    tasks = json.loads((output / "predictions.json").read_text())
    assert len(tasks) == 5 and all(task["annotations"] and task["predictions"] for task in tasks)
    assert read_tasks(tasks, schema).errors == []
