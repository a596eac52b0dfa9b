"""Export: a folder that loads with plain transformers (remote code, pipeline) and a valid model card."""

import json
import subprocess
import venv

import pytest
import torch
import transformers
from huggingface_hub import ModelCard, metadata_load
from huggingface_hub.repocard_data import model_index_to_eval_results

import trainer
from tests.helpers import ANERCORP, REPO_ROOT, SEEDS
from trainer.formats.jsonl import prediction_record
from trainer.hub import REMOTE_CODE, HubError, export_model, push_to_hub, remote_code_files

# The runs a model card reports, in the shapes scripts/evaluate.py and scripts/crossval.py write them.
HEADLINE = {"entity_f1": 0.81, "relation_f1": 0.52, "status_accuracy": 0.9, "event_strict_f1": 0.33}
INTERVALS = {key: [value - 0.1, value + 0.05] for key, value in HEADLINE.items()}
REPORT = {
    "parts": {
        "anercorp_conflict:dev": {"documents": 52, "headline": HEADLINE, "confidence_intervals_95": INTERVALS},
        "anercorp_conflict:test": {"documents": 52, "headline": HEADLINE, "confidence_intervals_95": INTERVALS},
    }
}
CROSSVAL = {"folds": [{}] * 5, "pooled": HEADLINE, "pooled_confidence_intervals_95": INTERVALS}


@pytest.fixture(scope="module")
def exported(smoke_model, tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    (folder / "report.json").write_text(json.dumps(REPORT))
    (folder / "crossval.json").write_text(json.dumps(CROSSVAL))
    return export_model(
        smoke_model, folder / "conflict-events-ar", report=folder / "report.json", crossval=folder / "crossval.json"
    )


def test_exported_folder_is_hub_ready(exported):
    names = {path.name for path in exported.iterdir()}
    assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "README.md"} <= names
    assert set(REMOTE_CODE.values()) <= names
    assert not any(name.startswith(".") for name in names)
    config = json.loads((exported / "config.json").read_text())
    assert config["auto_map"]["AutoModel"] == "modeling_event_extractor.EventExtractor"
    assert config["custom_pipelines"]["conflict-event-extraction"]["impl"].startswith("pipeline_event_extraction.")


def test_the_exported_code_is_the_package_code(exported):
    """Generated at export from the package's own modules: nothing in the folder is a hand-kept copy."""
    generated = remote_code_files()
    for filename, source in generated.items():
        assert (exported / filename).read_text(encoding="utf-8") == source
        assert "from trainer" not in source and "import trainer" not in source
    body = generated["modeling_event_extractor.py"].split("\n", 1)[1]
    package_source = (REPO_ROOT / "src" / "trainer" / "model.py").read_text(encoding="utf-8")
    assert body == package_source.replace("from trainer.data.windows import", "from .windows import").replace(
        "from trainer.schema import", "from .schema import"
    )


def test_export_reloads_with_identical_predictions(smoke_model, exported):
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    original, reloaded = trainer.load(smoke_model), trainer.load(exported)
    before, after = original.predict(texts), reloaded.predict(texts)
    assert before == after and any(document.entities for document in before)
    assert [original.events(d) for d in before] == [reloaded.events(d) for d in after]


def test_model_card_metadata_parses_on_the_hub_side(exported, schema):
    card = ModelCard.load(exported / "README.md")
    metadata = metadata_load(exported / "README.md")
    assert metadata["language"] == ["ar"] and metadata["license"] == "mit"
    assert metadata["library_name"] == "transformers" and metadata["pipeline_tag"] == "token-classification"
    assert metadata["base_model"] == "intfloat/multilingual-e5-small"
    assert "datasets" not in metadata  # the training data are not hub datasets: described in prose
    name, results = model_index_to_eval_results(metadata["model-index"])
    assert name == "conflict-events-ar"
    # Test data only: the dev part chose the model and is not a result.
    assert {r.dataset_name for r in results} == {
        "ANERcorp conflict corpus (test part)",
        "Seed articles (leave-one-article-out)",
    }
    by_metric = {(r.dataset_name, r.metric_name): r.metric_value for r in results}
    assert by_metric[("ANERcorp conflict corpus (test part)", "Entity F1 (exact spans)")] == 0.81
    assert by_metric[("ANERcorp conflict corpus (test part)", "Victim status accuracy")] == 0.9
    for section in ("## Use", "## Training data", "## Evaluation", "## Intended use", "## Limitations"):
        assert section in card.text
    assert 'pipeline(model="path/or/hub-id", trust_remote_code=True)' in card.text
    assert "trainer.load(" in card.text and "| anercorp_conflict:test | 52 | 0.810 [0.710, 0.860]" in card.text
    for label in schema.entity_labels + schema.relation_names:
        assert label in card.text


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


# -- with torch and transformers only -----------------------------------------------------------

PLAIN_TRANSFORMERS_VENV = REPO_ROOT / ".cache" / "torch-and-transformers-venv"
LOAD_AND_PREDICT = """
import json, sys
try:
    import trainer
    sys.exit("the package is importable here: the test would prove nothing")
except ImportError:
    pass
from transformers import AutoConfig, AutoModel, AutoTokenizer, pipeline

folder, texts_file, output = sys.argv[1:]
config = AutoConfig.from_pretrained(folder, trust_remote_code=True)
model = AutoModel.from_pretrained(folder, trust_remote_code=True)
tokenizer = AutoTokenizer.from_pretrained(folder)
assert type(model).__name__ == "EventExtractor" and model.config.window_length == config.window_length
extract = pipeline(model=folder, trust_remote_code=True)
texts = json.load(open(texts_file, encoding="utf-8"))
json.dump(extract(texts), open(output, "w", encoding="utf-8"), ensure_ascii=False)
"""


@pytest.fixture(scope="session")
def plain_python():
    """A virtual environment with torch and transformers only (the same versions), made once and kept."""
    python = PLAIN_TRANSFORMERS_VENV / "bin" / "python"
    marker = PLAIN_TRANSFORMERS_VENV / f".torch-{torch.__version__}-transformers-{transformers.__version__}"
    if not marker.exists():
        venv.create(PLAIN_TRANSFORMERS_VENV, with_pip=True, clear=True)
        torch_version = torch.__version__.split("+")[0]
        packages = [f"torch=={torch_version}", f"transformers=={transformers.__version__}"]
        subprocess.run([python, "-m", "pip", "install", "-q", *packages], check=True)
        marker.touch()
    return python


@pytest.mark.slow
def test_plain_transformers_loads_the_folder_and_its_pipeline_matches_trainer_load(exported, plain_python, tmp_path):
    article = (SEEDS / "004_4d13b451b7838b18.txt").read_text(encoding="utf-8")  # several windows long
    texts = [article, "قتل 30 شخصا في قصف جوي على مدينة الرقة."]
    (tmp_path / "texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "run.py").write_text(LOAD_AND_PREDICT, encoding="utf-8")
    result = subprocess.run(
        [plain_python, "run.py", exported, "texts.json", "out.json"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    records = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    model = trainer.load(exported)
    expected = [prediction_record(document, model.schema) for document in model.predict(texts)]
    for record in expected:
        del record["id"]
    assert records == expected and records[0]["entities"]


@pytest.mark.skipif(not ANERCORP.is_dir(), reason="../shared/data/anercorp is not beside the checkout")
def test_a_pruned_export_predicts_exactly_as_before_on_arabic_news(smoke_model, exported, tmp_path):
    from trainer.formats.conll import read_conll
    from trainer.formats.inputs import iter_documents

    texts = [document.text for document in iter_documents([SEEDS, ANERCORP])]
    pruned = export_model(smoke_model, tmp_path / "pruned", vocabulary_texts=texts)
    assert (pruned / "model.safetensors").stat().st_size < 0.5 * (exported / "model.safetensors").stat().st_size
    test_split = [" ".join(w for w, _, _ in s) for s in read_conll(ANERCORP / "ANERCorp_CamelLab_test.txt")]
    articles = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    before, after = trainer.load(exported), trainer.load(pruned)
    assert before.predict(articles + test_split) == after.predict(articles + test_split)
    # Text in other scripts still reads, in smaller pieces, never as <unk>.
    other = ["Hello world, Привет мир 😀", "قتل 5 في Los Angeles 🚀 Ελλάδα"]
    assert all(after.tokenizer.unk_token_id not in ids for ids in after.tokenizer(other)["input_ids"])
    assert len(after.predict(other)) == 2
