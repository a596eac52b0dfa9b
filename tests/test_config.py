import pytest
import yaml

from tests.helpers import REPO_ROOT
from trainer.config import ConfigError, RunConfig, load_config
from trainer.errors import MissingFileError

CONFIGS = sorted((REPO_ROOT / "configs").glob("*.yaml"))


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_are_valid(path):
    assert isinstance(load_config(path), RunConfig)


def test_overrides_are_typed(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("train: {epochs: 2}\n")
    config = load_config(
        path,
        [
            "train.learning_rate=3e-5",
            "data.dev_documents=[a, b]",
            "train.stop_after_steps=null",
            "model.encoder_overrides={num_hidden_layers: 2}",
        ],
    )
    assert config.train.learning_rate == 3e-5 and config.train.epochs == 2
    assert config.data.dev_documents == ["a", "b"] and config.train.stop_after_steps is None
    assert config.model.encoder_overrides == {"num_hidden_layers": 2}


@pytest.mark.parametrize(
    "text, overrides, message",
    [
        ("train: {lerning_rate: 1.0e-3}\n", [], "unknown key train.lerning_rate"),
        ("", ["trian.epochs=3"], "unknown key trian"),
        ("train: {epochs: three}\n", [], "train.epochs must be an integer, got 'three'"),
        ("train: {epochs: 2.5}\n", [], "train.epochs must be an integer"),
        ("model: {freeze_word_embeddings: 1}\n", [], "model.freeze_word_embeddings must be true or false"),
        ("data: {annotations: 5}\n", [], "data.annotations must be a list of str"),
        ("model: 3\n", [], "model must be a mapping"),
        ("train: {schedule: cosine}\n", [], "train.schedule must be one of"),
        ("data: {max_length: 64, stride: 40}\n", [], "data.stride must be in"),
        ("", ["train.epochs"], "must look like section.key=value"),
    ],
)
def test_config_errors_name_the_key(tmp_path, text, overrides, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_config(path, overrides)
    assert message in str(raised.value) and str(path) in str(raised.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(MissingFileError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_saved_config_reloads_identically(tmp_path):
    config = load_config(REPO_ROOT / "configs" / "default.yaml", ["train.epochs=3"])
    config.save(tmp_path / "run_config.yaml")
    assert load_config(tmp_path / "run_config.yaml") == config
    assert yaml.safe_load((tmp_path / "run_config.yaml").read_text())["train"]["epochs"] == 3
