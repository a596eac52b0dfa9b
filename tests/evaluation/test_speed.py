import math
import re
import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT


@pytest.mark.slow
def test_speed_benchmark_prints_real_ratios_on_the_smoke_config(smoke_model):
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
    rates = dict(
        re.findall(
            r"^(ours: train|baseline: Trainer|ours: predict|baseline: pipeline|ours: predict int8)"
            r"\s+([\d.]+) tokens/s",
            result.stdout,
            re.MULTILINE,
        )
    )
    assert len(rates) == 5 and all(float(rate) > 0 for rate in rates.values()), result.stdout
    ratios = dict(
        re.findall(
            r"^(training speed ratio|inference speed ratio|int8 speed-up)[^:]*:\s+(\S+)$", result.stdout, re.MULTILINE
        )
    )
    assert len(ratios) == 3, result.stdout
    for name, value in ratios.items():
        assert math.isfinite(float(value)) and float(value) > 0, (name, value)
    assert float(ratios["training speed ratio"]) == pytest.approx(
        float(rates["ours: train"]) / float(rates["baseline: Trainer"]), rel=0.01, abs=0.01
    )
