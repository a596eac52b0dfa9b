import re
import subprocess
import sys

import pytest

from tests.helpers import REPO_ROOT


@pytest.mark.slow
def test_memory_benchmark_prints_a_flat_profile(smoke_model):
    result = subprocess.run(
        [
            sys.executable,
            "scripts/benchmark_memory.py",
            "--model",
            smoke_model,
            "--documents",
            "3000",
            "--every",
            "500",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    samples = [float(mb) for mb in re.findall(r"documents predicted:\s+([\d.]+) MB", result.stdout)]
    assert len(samples) == 7 and all(mb > 100 for mb in samples)
    # Streaming: 500 or 3,000 documents in, the same memory (a few MB of allocator noise).
    assert abs(samples[-1] - samples[1]) < 25
