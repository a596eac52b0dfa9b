"""A regular (non-editable) install works from any folder: schemas ship inside the package."""

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import trainer
from tests.helpers import REPO_ROOT, SEEDS, run_script


@pytest.mark.slow
def test_a_wheel_install_predicts_from_another_folder(tmp_path, smoke_model):
    wheels, venv, elsewhere = tmp_path / "wheels", tmp_path / "venv", tmp_path / "elsewhere"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", wheels, REPO_ROOT],
        check=True,
    )
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], capture_output=True, text=True
    ).stdout.strip()
    # The dependencies (torch, transformers, ...) come from the test environment, never from the network;
    # a .pth line adds that folder without running its own .pth files, so the editable checkout stays out.
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    [wheel] = wheels.glob("*.whl")
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel], check=True)

    elsewhere.mkdir()
    article = elsewhere / "article.txt"
    article.write_text((SEEDS / "001_3fa513781c5a54af.txt").read_text(encoding="utf-8"), encoding="utf-8")
    where = subprocess.run(
        [python, "-c", "import trainer, trainer.schema as s; print(trainer.__file__); print(s.load_schema().name)"],
        capture_output=True,
        text=True,
        cwd=elsewhere,
    )
    assert where.returncode == 0, where.stderr
    location, schema_name = where.stdout.split()
    assert location.startswith(str(venv)) and schema_name == "conflict_events"
    arguments = ["--model", smoke_model, "--input", article.name, "--output", "out.jsonl"]
    result = run_script("predict.py", *arguments, python=[python], cwd=elsewhere)
    assert result.returncode == 0, result.stderr[-2000:]
    [record] = [json.loads(line) for line in (elsewhere / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    [expected] = trainer.load(smoke_model).predict([article.read_text(encoding="utf-8")])
    assert [(e["start"], e["end"], e["label"]) for e in record["entities"]] == [
        (e.start, e.end, e.label) for e in expected.entities
    ]
