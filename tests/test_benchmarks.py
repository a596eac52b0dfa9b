import subprocess
import sys

import pytest

from trainer.schema import REPO_ROOT

ANERCORP = REPO_ROOT.parent / "shared" / "data" / "anercorp"


def first_sentences(path, count):
    return "\n\n".join(path.read_text(encoding="utf-8").split("\n\n")[:count]) + "\n"


@pytest.mark.slow
@pytest.mark.skipif(not ANERCORP.is_dir(), reason="../shared/data/anercorp is not beside the checkout")
def test_anercorp_benchmark_end_to_end_on_the_smoke_encoder(tmp_path, encoder_dir):
    train, test = tmp_path / "train.txt", tmp_path / "test.txt"
    train.write_text(first_sentences(ANERCORP / "ANERCorp_CamelLab_train.txt", 300), encoding="utf-8")
    test.write_text(first_sentences(ANERCORP / "ANERCorp_CamelLab_test.txt", 50), encoding="utf-8")
    overrides = [
        "data.schema=configs/schemas/anercorp.yaml",
        "data.format=conll",
        f"data.annotations=[{train}]",
        "data.dev_documents=[]",
        "data.dev_fraction=0.1",
        "train.epochs=2",
        f"output_dir={tmp_path / 'run'}",
    ]
    command = [sys.executable, "scripts/benchmark_anercorp.py", "--config", "configs/smoke.yaml", "--test", str(test)]
    for override in overrides:
        command += ["--set", override]
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "seqeval strict IOB2: micro F1" in result.stdout
    assert (tmp_path / "run" / "anercorp_test.json").is_file()
