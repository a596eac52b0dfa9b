import json

import pytest

from tests.helpers import REPO_ROOT
from trainer.config import load_config
from trainer.errors import TrainerError
from trainer.evaluation.crossval import crossval, fold_documents

SMOKE = REPO_ROOT / "configs" / "smoke.yaml"


def test_folds_partition_the_documents():
    assert fold_documents(["a", "b", "c"], None) == [["a"], ["b"], ["c"]]
    assert fold_documents(["a", "b", "c", "d", "e"], 2) == [["a", "c", "e"], ["b", "d"]]
    with pytest.raises(TrainerError, match="--folds"):
        fold_documents(["a", "b"], 3)


@pytest.mark.slow
def test_crossval_runs_every_fold_and_resumes(tmp_path, encoder_dir):
    config = load_config(SMOKE, ["train.epochs=2"])
    output = tmp_path / "cv"
    report = crossval(config, folds=2, output_dir=output)
    assert [len(f["dev_documents"]) for f in report["folds"]] == [3, 2]
    assert set(report["summary"]) == {"entity_f1", "relation_f1", "status_accuracy"}
    assert "mean ± std" in (output / "crossval.md").read_text()
    # A second call (e.g. after an interruption) reuses the finished folds instead of retraining.
    stamp = (output / "fold-0" / "trainer_state.json").stat().st_mtime_ns
    assert crossval(config, folds=2, output_dir=output) == report
    assert (output / "fold-0" / "trainer_state.json").stat().st_mtime_ns == stamp
    assert json.loads((output / "crossval.json").read_text()) == report
