import subprocess
import sys

import pytest

from trainer.schema import REPO_ROOT


@pytest.mark.slow
def test_speed_benchmark_prints_ratios_on_the_smoke_config(smoke_model):
    result = subprocess.run(
        [
            sys.executable,
            "scripts/benchmark_speed.py",
            "--config",
            "configs/smoke.yaml",
            "--model",
            str(smoke_model),
            "--steps",
            "2",
            "--batch-size",
            "4",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for line in (
        "machine:",
        "ours: train",
        "baseline: Trainer",
        "ours: predict",
        "baseline: pipeline",
        "training speed ratio (ours / Trainer):",
        "inference speed ratio (ours / pipeline):",
        "int8 speed-up of our inference",
    ):
        assert line in result.stdout
