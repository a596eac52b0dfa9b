import pytest
import yaml

import trainer
from tests.helpers import REPO_ROOT
from trainer.hub import HubError, export_model, push_to_hub

SEEDS = REPO_ROOT / "seeds"


@pytest.fixture(scope="module")
def exported(smoke_model, tmp_path_factory):
    return export_model(smoke_model, tmp_path_factory.mktemp("export") / "conflict-events-ar")


def test_exported_folder_is_hub_ready(exported):
    names = {path.name for path in exported.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md"} <= names
    assert not any(name.startswith(".") for name in names)


def test_export_reloads_with_identical_predictions(smoke_model, exported):
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    original, reloaded = trainer.load(smoke_model), trainer.load(exported)
    before, after = original.predict(texts), reloaded.predict(texts)
    assert before == after and any(document.entities for document in before)
    assert [original.events(d) for d in before] == [reloaded.events(d) for d in after]


def test_model_card_metadata_and_sections(exported, schema):
    card = (exported / "README.md").read_text(encoding="utf-8")
    _, front_matter, body = card.split("---\n", 2)
    metadata = yaml.safe_load(front_matter)
    assert metadata["language"] == ["ar"] and metadata["license"] == "mit"
    assert metadata["base_model"] == "intfloat/multilingual-e5-small"
    assert {"arabic", "event-extraction"} <= set(metadata["tags"])
    assert metadata["datasets"] == ["annotations/seeds.json"] and "f1" in metadata["metrics"]
    for section in ("## Training data", "## Evaluation", "## Intended use", "## Limitations", "## Bias and risks"):
        assert section in body
    assert "entity_f1" in body  # the run's dev numbers
    for label in schema.entity_labels + schema.relation_names:
        assert label in body


def test_export_refuses_to_overwrite_without_force(smoke_model, exported):
    with pytest.raises(FileExistsError, match="--force"):
        export_model(smoke_model, exported)
    assert (exported / "model.safetensors").exists()


def test_push_to_hub_offline_fails_clearly_without_leaking_the_token(exported, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_test_token_value")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # nothing listens there: a real connection error
    with pytest.raises(HubError) as raised:
        push_to_hub(exported, "someone/conflict-events-ar")
    assert "hf_secret_test_token_value" not in str(raised.value)
