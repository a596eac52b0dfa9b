import pytest

from trainer.schema import load_schema


@pytest.fixture(scope="session")
def schema():
    return load_schema()
