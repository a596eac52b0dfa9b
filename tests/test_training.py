"""Real training runs on the smoke config (tiny random encoder, real tokenizer, real gold data)."""

import json

import pytest

from tests.helpers import REPO_ROOT, TORCHRUN, TWO_CPU_PROCESSES, run_script
from trainer.config import load_config
from trainer.model import EventExtractor
from trainer.training import RunExistsError, train

SMOKE = REPO_ROOT / "configs" / "smoke.yaml"


def history(run_dir):
    return [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]


def without_timing(records):
    return [{k: v for k, v in r.items() if k != "train_tokens_per_second"} for r in records]


@pytest.mark.slow
def test_smoke_training_lowers_the_loss_and_writes_a_complete_run(tmp_path, encoder_dir, schema):
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
    with pytest.raises(RunExistsError, match="--resume"):
        train(load_config(SMOKE, [f"output_dir={run_dir}"]))
    # `make train` passes --resume: on a finished run it changes nothing and returns the best epoch.
    state_before = (run_dir / "trainer_state.json").read_bytes()
    best = train(load_config(SMOKE, [f"output_dir={run_dir}"]), resume=True)
    # The best epoch's record, with its dev scores after the relation thresholds were tuned on dev.
    assert best["epoch"] in [r["epoch"] for r in records] and set(best["relation_thresholds"]) == set(
        schema.relation_names
    )
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


@pytest.mark.slow
def test_an_interrupted_run_is_never_restarted_from_scratch_in_the_same_folder(tmp_path, encoder_dir):
    run_dir = tmp_path / "run"
    train(load_config(SMOKE, [f"output_dir={run_dir}", "train.stop_after_steps=6", "train.keep_checkpoints=2"]))
    steps = sorted(int(p.name.split("-")[1]) for p in (run_dir / "checkpoints").glob("step-*"))
    assert steps == [5, 6]  # pruned to the newest two
    with pytest.raises(RunExistsError, match=r"--resume.*another output_dir"):
        train(load_config(SMOKE, [f"output_dir={run_dir}"]))
    assert sorted(int(p.name.split("-")[1]) for p in (run_dir / "checkpoints").glob("step-*")) == steps


@pytest.mark.slow
def test_gradient_accumulation_counts_optimizer_steps(tmp_path, encoder_dir):
    run_dir = tmp_path / "run"
    overrides = [f"output_dir={run_dir}", "train.epochs=2", "train.gradient_accumulation_steps=2"]
    train(load_config(SMOKE, overrides))
    records = history(run_dir)
    # 39 windows in batches of 8: 5 batches per epoch, an optimizer step every 2 (and at the epoch's end).
    assert [r["step"] for r in records] == [3, 6]


CONLL = """زار O
الرئيس O
محمد B-PERS
علي I-PERS
مدينة O
بيروت B-LOC
مع O
وفد O
الأمم B-ORG
المتحدة I-ORG
. O
"""


@pytest.mark.slow
def test_a_schema_without_status_or_relations_trains_end_to_end(tmp_path, encoder_dir):
    data = tmp_path / "ner.txt"
    data.write_text("\n".join([CONLL] * 12), encoding="utf-8")
    overrides = [
        f"output_dir={tmp_path / 'run'}",
        "data.schema=anercorp",
        "data.format=conll",
        f"data.annotations=[{data}]",
        "data.dev_documents=[]",
        "data.dev_fraction=0.25",
        "train.epochs=2",
    ]
    best = train(load_config(SMOKE, overrides))
    assert best["relation_f1"] == 0.0 and best["status_accuracy"] == 0.0 and 0 <= best["entity_f1"] <= 1
    model = EventExtractor.from_pretrained(tmp_path / "run" / "best")
    assert model.status_classifier is None and model.relation_mlp is None


@pytest.mark.slow
def test_two_processes_train_resume_and_write_once(tmp_path, encoder_dir, schema):
    """Real DDP on two CPU processes (gloo). Batches of one window: many hold no victim count or no pair,
    and every head must still take part in the loss."""
    run_dir = tmp_path / "run"
    arguments = ["--config", SMOKE, "--set", f"output_dir={run_dir}", "--set", "train.batch_size=1"]
    arguments += ["--set", "train.epochs=1", "--set", "train.checkpoint_every_steps=6"]

    def launch(*extra):
        result = run_script("train.py", *arguments, *extra, python=TORCHRUN, env=TWO_CPU_PROCESSES)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout + result.stderr

    assert "2 process(es)" in launch("--set", "train.stop_after_steps=9")
    checkpoint = run_dir / "checkpoints" / "step-9"
    assert (checkpoint / "random_states_0.pkl").is_file() and (checkpoint / "random_states_1.pkl").is_file()
    resumed = launch("--resume")
    assert "resumed from" in resumed and "2 process(es)" in resumed
    records = history(run_dir)
    # 39 windows over two processes: 20 steps on each; the record is written once.
    assert [(r["epoch"], r["step"]) for r in records] == [(1, 20)]
    assert (run_dir / "trainer_state.json").is_file() and (run_dir / "best" / "model.safetensors").is_file()
    assert not list(run_dir.glob("*.tmp"))
