from pathlib import Path

import pytest

from trainer.schema import REPO_ROOT, load_schema

BASE_ENCODER = REPO_ROOT / "models" / "base" / "multilingual-e5-small"


@pytest.fixture(scope="session")
def schema():
    return load_schema()


@pytest.fixture(scope="session")
def encoder_dir() -> Path:
    """The offline base encoder; `make test` builds it first, a bare pytest run builds it here."""
    if not (BASE_ENCODER / "config.json").exists():
        from trainer.base_encoder import build_base_encoder

        build_base_encoder(BASE_ENCODER)
    return BASE_ENCODER


@pytest.fixture(scope="session")
def tokenizer(encoder_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(encoder_dir)
