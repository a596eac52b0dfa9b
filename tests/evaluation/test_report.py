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
    assert list(report["parts"]) == ["seeds"]
    seeds = report["parts"]["seeds"]
    assert seeds["documents"] == 5 and seeds["entities"]["micro"]["gold"] == 422
    assert seeds["entities_seqeval"]["micro avg"]["f1-score"] == pytest.approx(seeds["entities"]["micro"]["f1"])
    assert seeds["headline"]["entity_f1"] == seeds["entities"]["micro"]["f1"]
    for metric, (low, high) in seeds["confidence_intervals_95"].items():
        assert low <= seeds["headline"][metric] <= high, metric
    assert seeds["baselines"]["status_majority"]["status"] in schema.status_values
    assert 0 < seeds["baselines"]["relations_all_allowed_pairs_given_gold_entities"]["micro"]["f1"] < 1
    markdown = (output / "report.md").read_text()
    assert "| seeds | 5 |" in markdown and "| **entities (micro)** |" in markdown
    assert (output / "confusion.png").stat().st_size > 1000
    tasks = json.loads((output / "predictions.json").read_text())
    assert len(tasks) == 5 and all(task["annotations"] and task["predictions"] for task in tasks)
    assert read_tasks(tasks, schema).errors == []
