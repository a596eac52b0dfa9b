"""The scripts report the project's own errors as one line and exit 2; --debug shows the traceback."""

import json
import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT, SEED_GOLD


def run(*args):
    return subprocess.run([sys.executable, *map(str, args)], capture_output=True, text=True, cwd=REPO_ROOT)


def assert_one_line_error(result, *fragments):
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    for fragment in fragments:
        assert fragment in line


def test_a_bad_config_key(tmp_path):
    result = run("scripts/train.py", "--config", "configs/smoke.yaml", "--set", "train.lerning_rate=1e-4")
    assert_one_line_error(result, "unknown key train.lerning_rate")


def test_a_missing_file(tmp_path):
    result = run("scripts/validate_annotations.py", tmp_path / "nope.json")
    assert_one_line_error(result, "annotation file not found", "nope.json")
    result = run("scripts/build_gold.py", tmp_path / "draft.yaml")
    assert_one_line_error(result, "draft not found", "draft.yaml")


def test_an_invalid_export(tmp_path):
    tasks = json.loads(SEED_GOLD.read_text(encoding="utf-8"))
    tasks[0]["annotations"][0]["result"][0]["value"]["labels"] = ["PERSON"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    arguments = ["scripts/train.py", "--config", "configs/smoke.yaml", "--set", f"data.annotations=[{bad}]"]
    result = run(*arguments, "--set", f"output_dir={tmp_path / 'run'}")
    assert_one_line_error(result, "1 annotation error(s) in", "unknown label 'PERSON'")
    assert not (tmp_path / "run" / "checkpoints").exists()


def test_debug_shows_the_traceback(tmp_path):
    debug = run("scripts/validate_annotations.py", tmp_path / "nope.json", "--debug")
    assert debug.returncode == 1 and "Traceback" in debug.stderr and "MissingFileError" in debug.stderr


@pytest.mark.parametrize("script", ["build_gold.py", "validate_annotations.py", "agreement.py"])
def test_every_script_takes_debug(script):
    assert "--debug" in run(f"scripts/{script}", "--help").stdout
