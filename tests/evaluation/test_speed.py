import math
import re

import pytest

from tests.helpers import run_script


@pytest.mark.slow
def test_speed_benchmark_prints_real_ratios_on_the_smoke_config(smoke_model):
    arguments = ["--config", "configs/smoke.yaml", "--model", smoke_model, "--steps", 2, "--batch-size", 4]
    result = run_script("benchmark_speed.py", *arguments)
    assert result.returncode == 0, result.stderr[-3000:]
    rates = dict(re.findall(r"^(ours: [^\n]*?|baseline: [^\n]*?)\s+([\d.]+) tokens/s", result.stdout, re.MULTILINE))
    assert len(rates) == 8 and all(float(rate) > 0 for rate in rates.values()), result.stdout
    numbers = dict(re.findall(r"^([a-zA-Z][^:\n]*?(?:\([^)]*\))?):\s+([\d.]+)$", result.stdout, re.MULTILINE))
    ratios = {name: float(value) for name, value in numbers.items() if "ratio" in name or "speed-up" in name}
    assert len(ratios) == 5, result.stdout
    for name, value in ratios.items():
        assert math.isfinite(value) and value > 0, (name, value)
    assert ratios["training speed ratio (ours / Trainer)"] == pytest.approx(
        float(rates["ours: train"]) / float(rates["baseline: Trainer"]), abs=0.011
    )
    utilization = [float(v) for k, v in numbers.items() if k.startswith("model FLOPs utilization")]
    assert len(utilization) == 2 and all(0 < u < 1 for u in utilization)
    f1 = re.search(r"entity F1 on the dev documents, fp32 / int8:\s+([\d.]+) / ([\d.]+)", result.stdout)
    assert f1 and all(0 <= float(v) <= 1 for v in f1.groups())
