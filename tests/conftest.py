from pathlib import Path

import pytest

from trainer.schema import load_schema

REPO_ROOT = Path(__file__).resolve().parents[1]
BASE_ENCODER = REPO_ROOT / "models" / "base" / "multilingual-e5-small"


@pytest.fixture(scope="session")
def schema():
    return load_schema()


@pytest.fixture(scope="session")
def encoder_dir() -> Path:
    """The offline base encoder; `make test` builds it first, a bare pytest run builds it here."""
    if not (BASE_ENCODER / "config.json").exists():
        from trainer.encoder_build.build import build_base_encoder

        build_base_encoder(BASE_ENCODER)
    return BASE_ENCODER


@pytest.fixture(scope="session")
def tokenizer(encoder_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(encoder_dir)


@pytest.fixture(scope="session")
def smoke_model(tmp_path_factory, encoder_dir) -> Path:
    """A model trained on the smoke config once per test session (about 20 s): its best/ folder."""
    from trainer.config import load_config
    from trainer.training import train

    run_dir = tmp_path_factory.mktemp("smoke-run")
    train(load_config(REPO_ROOT / "configs" / "smoke.yaml", [f"output_dir={run_dir}"]))
    return run_dir / "best"
