import json

import pytest

from tests.helpers import REPO_ROOT
from trainer.config import load_config
from trainer.errors import TrainerError
from trainer.evaluation.crossval import crossval, fold_documents
from trainer.evaluation.report import HEADLINE

SMOKE = REPO_ROOT / "configs" / "smoke.yaml"


def test_folds_partition_the_documents():
    assert fold_documents(["a", "b", "c"], None) == [["a"], ["b"], ["c"]]
    assert fold_documents(["a", "b", "c", "d", "e"], 2) == [["a", "c", "e"], ["b", "d"]]
    with pytest.raises(TrainerError, match="--folds"):
        fold_documents(["a", "b"], 3)


@pytest.mark.slow
def test_crossval_holds_each_fold_out_of_selection_and_resumes(tmp_path, encoder_dir):
    config = load_config(SMOKE, ["train.epochs=2", "data.dev_fraction=0.34"])
    output = tmp_path / "cv"
    report = crossval(config, folds=2, output_dir=output, samples=50)
    assert [len(f["held_out"]) for f in report["folds"]] == [3, 2]
    for fold in report["folds"]:
        # The held-out articles were read by neither training nor model selection.
        run_config = load_config(output / f"fold-{fold['fold']}" / "run_config.yaml")
        assert run_config.data.held_out_documents == fold["held_out"]
        assert run_config.data.dev_documents == []
        assert fold["selected_epoch"] in (1, 2)
    for metric in HEADLINE:
        low, high = report["pooled_confidence_intervals_95"][metric]
        assert low <= report["pooled"][metric] <= high
        assert 0.0 <= report["pooled"][metric] <= 1.0
    assert set(report["pooled_baselines"]) >= {"relations_all_allowed_pairs", "status_majority"}
    assert "pooled [95% CI]" in (output / "crossval.md").read_text()
    # A second call (e.g. after an interruption) reuses the finished folds instead of retraining.
    stamp = (output / "fold-0" / "trainer_state.json").stat().st_mtime_ns
    assert crossval(config, folds=2, output_dir=output, samples=50) == report
    assert (output / "fold-0" / "trainer_state.json").stat().st_mtime_ns == stamp
    assert json.loads((output / "crossval.json").read_text()) == report


def test_crossval_refuses_to_select_on_nothing(tmp_path):
    config = load_config(SMOKE)
    with pytest.raises(TrainerError, match="dev part"):
        crossval(config, folds=2, output_dir=tmp_path / "cv")
