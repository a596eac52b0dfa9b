"""The seed articles are the fixed texts every annotation points into by offset."""

import hashlib

import pytest

from tests.helpers import REPO_ROOT

SEED_SHA256 = {
    "000_5769bc202851a151.txt": "6c4ea851fc82357fbed1c0133570be667e49942cc83e015cef3ef05292287866",
    "001_3fa513781c5a54af.txt": "aef5c3b0dd671e51fdf61aab0ebe288907e4b31366899e63ec9d4a5bc0a3417c",
    "002_6d5e46cf97462cbf.txt": "681db5d8732d743d2cceaff297bfe2ff017cdd9b74ab2dafdab07d802ab6108c",
    "003_cc442b3bd2abf5e1.txt": "f0b54bbd0f6da52d2c109691137d567d49f393f0cbceb08d8adcac17cc5e2329",
    "004_4d13b451b7838b18.txt": "cfcf5246de054092326b470c25817409c6569c3fa7c302fb943ce2653015fc3c",
}
SEEDS = REPO_ROOT / "seeds"
SHARED_SEEDS = REPO_ROOT.parent / "shared" / "seeds"


def test_exactly_the_five_seed_articles():
    assert sorted(path.name for path in SEEDS.glob("*.txt")) == sorted(SEED_SHA256)


@pytest.mark.parametrize("name", sorted(SEED_SHA256))
def test_seed_is_unmodified(name):
    data = (SEEDS / name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == SEED_SHA256[name]
    if SHARED_SEEDS.is_dir():
        assert data == (SHARED_SEEDS / name).read_bytes()
