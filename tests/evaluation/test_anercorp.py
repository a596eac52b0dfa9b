import json

import pytest

from tests.helpers import ANERCORP, run_script


def first_sentences(path, count):
    return "\n\n".join(path.read_text(encoding="utf-8").split("\n\n")[:count]) + "\n"


@pytest.mark.slow
@pytest.mark.skipif(not ANERCORP.is_dir(), reason="../shared/data/anercorp is not beside the checkout")
def test_anercorp_benchmark_end_to_end_on_the_smoke_encoder(tmp_path, encoder_dir):
    train, test = tmp_path / "train.txt", tmp_path / "test.txt"
    train.write_text(first_sentences(ANERCORP / "ANERCorp_CamelLab_train.txt", 500), encoding="utf-8")
    test.write_text(first_sentences(ANERCORP / "ANERCorp_CamelLab_test.txt", 50), encoding="utf-8")
    overrides = [
        "data.schema=anercorp",
        "data.format=conll",
        f"data.annotations=[{train}]",
        "data.dev_documents=[]",
        "data.dev_fraction=0.05",
        "train.epochs=4",
        "train.batch_size=16",
        f"output_dir={tmp_path / 'run'}",
    ]
    arguments = ["--config", "configs/smoke.yaml", "--test", test]
    for override in overrides:
        arguments += ["--set", override]
    result = run_script("benchmark_anercorp.py", *arguments)
    assert result.returncode == 0, result.stderr[-3000:]
    scores = json.loads((tmp_path / "run" / "anercorp_test.json").read_text())
    assert scores["sentences"] == 50
    # A tiny random encoder after four epochs on 500 sentences finds some places, far from all of them.
    assert 0 < scores["strict_micro_f1"] < 1 and 0 < scores["per_label"]["LOC"] < 1
    assert f"micro F1 {scores['strict_micro_f1']:.4f}" in result.stdout
