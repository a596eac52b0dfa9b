import re

import pytest

from tests.helpers import run_script


@pytest.mark.slow
def test_memory_benchmark_prints_a_flat_profile(smoke_model):
    result = run_script("benchmark_memory.py", "--model", smoke_model, "--documents", 3000, "--every", 500)
    assert result.returncode == 0, result.stderr[-2000:]
    samples = [float(mb) for mb in re.findall(r"documents predicted:\s+([\d.]+) MB", result.stdout)]
    assert len(samples) == 7 and all(mb > 100 for mb in samples)
    # Streaming: 500 or 3,000 documents in, the same memory (a few MB of allocator noise).
    assert abs(samples[-1] - samples[1]) < 25
