"""Real training runs on the smoke config (tiny random encoder, real tokenizer, real gold data)."""

import json

import pytest

from trainer.config import load_config
from trainer.model import EventExtractor
from trainer.schema import REPO_ROOT
from trainer.training import split_documents, train

SMOKE = REPO_ROOT / "configs" / "smoke.yaml"


def history(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def without_timing(records):
    return [{k: v for k, v in r.items() if k != "train_tokens_per_second"} for r in records]


@pytest.mark.slow
def test_smoke_training_lowers_the_loss_and_writes_a_complete_run(tmp_path, encoder_dir):
    run_dir = tmp_path / "run"
    train(load_config(SMOKE, [f"output_dir={run_dir}"]))
    records = history(run_dir)
    assert len(records) == load_config(SMOKE).train.epochs
    assert records[-1]["train_loss"] < 0.8 * records[0]["train_loss"]
    for name in ("run_config.yaml", "metrics.jsonl", "learning_curve.png", "trainer_state.json"):
        assert (run_dir / name).is_file(), name
    best = run_dir / "best"
    for name in ("config.json", "model.safetensors", "tokenizer.json", "run_config.yaml", "dev_metrics.json"):
        assert (best / name).is_file(), name
    assert isinstance(EventExtractor.from_pretrained(best), EventExtractor)
    with pytest.raises(FileExistsError, match="--resume"):
        train(load_config(SMOKE, [f"output_dir={run_dir}"]))
    # `make train` passes --resume: on a finished run it changes nothing and returns the best epoch.
    state_before = (run_dir / "trainer_state.json").read_bytes()
    best = train(load_config(SMOKE, [f"output_dir={run_dir}"]), resume=True)
    assert best in records
    assert (run_dir / "trainer_state.json").read_bytes() == state_before


@pytest.mark.slow
def test_resume_after_an_interruption_matches_an_uninterrupted_run(tmp_path, encoder_dir):
    straight, interrupted = tmp_path / "straight", tmp_path / "interrupted"
    train(load_config(SMOKE, [f"output_dir={straight}"]))
    # Stops mid-epoch (5 batches per epoch), between two periodic checkpoints.
    assert train(load_config(SMOKE, [f"output_dir={interrupted}", "train.stop_after_steps=12"])) == {}
    assert len(history(interrupted)) == 2
    train(load_config(SMOKE, [f"output_dir={interrupted}"]), resume=True)
    assert without_timing(history(interrupted)) == without_timing(history(straight))


def test_dev_split_is_by_document_and_checks_names(schema):
    from trainer.annotations import load_documents

    documents = load_documents(REPO_ROOT / "annotations" / "seeds.json", schema)
    train_docs, dev_docs = split_documents(documents, ["004_4d13b451b7838b18"])
    assert [d.id for d in dev_docs] == ["004_4d13b451b7838b18"] and len(train_docs) == 4
    with pytest.raises(ValueError, match="unknown documents"):
        split_documents(documents, ["999"])
