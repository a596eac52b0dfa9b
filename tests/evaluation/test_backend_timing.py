import re

import pytest

from tests.helpers import run_script


@pytest.mark.slow
def test_backend_benchmark_times_a_training_started_in_label_studio(smoke_model):
    result = run_script(
        "benchmark_backend.py", "--model", smoke_model, "--config", "configs/smoke.yaml", "--set", "train.epochs=1"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    line = re.search(r"'(.+)' -> '(.+)': serving (\d+) s after Start training", result.stdout)
    before, after, seconds = line.groups()
    assert before == smoke_model.name and after.startswith("v2 dev E")
    assert 0 < int(seconds) < 600
