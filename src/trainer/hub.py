"""A hub-ready folder from a trained model, loadable with plain ``transformers``; optional upload.

The folder holds the safetensors weights, ``config.json`` (schema and label
maps inside), the tokenizer, the model card, and the model's own code as
remote code: the modules of this package that the model and its pipeline
need, copied at export time with their ``trainer.*`` imports made relative
(:func:`remote_code_files`). So, with nothing but ``torch`` and
``transformers`` installed::

    AutoModel.from_pretrained(folder, trust_remote_code=True)
    pipeline(model=folder, trust_remote_code=True)("...")

give the model and the ``conflict-event-extraction`` pipeline, whose output
is the same as ``trainer.load(folder).predict``.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from trainer.encoder_build.tokenizer import save_tokenizer
from trainer.encoder_build.vocabulary import E5_PREFIXES, prune_model_vocabulary
from trainer.errors import OutputExistsError, TrainerError
from trainer.fileio import atomic_directory, write_text_atomic
from trainer.inference.pipeline import TASK
from trainer.inference.predictor import load_predictor
from trainer.schema import Schema

LICENSE = "mit"  # the toolkit's and the base encoder's (multilingual-e5-small) license
PIPELINE_CLASS = "ConflictEventExtractionPipeline"

# The package modules an exported model runs on, and their file names in the folder.
REMOTE_CODE = {
    "trainer.errors": "errors.py",
    "trainer.documents": "documents.py",
    "trainer.text": "text.py",
    "trainer.schema": "schema.py",
    "trainer.data.windows": "windows.py",
    "trainer.data.batching": "batching.py",
    "trainer.model": "modeling_event_extractor.py",
    "trainer.inference.decoding": "decoding.py",
    "trainer.events.victim_numbers": "victim_numbers.py",
    "trainer.events.records": "records.py",
    "trainer.formats.jsonl": "jsonl.py",
    "trainer.inference.predictor": "predictor.py",
    "trainer.inference.pipeline": "pipeline_event_extraction.py",
}
_IMPORT = re.compile(r"^(\s*)from (trainer(?:\.\w+)*) import ", re.MULTILINE)


class HubError(TrainerError):
    """The hub could not be reached or refused the upload; never contains the token."""


def remote_code_files() -> dict[str, str]:
    """File name -> source of every module in :data:`REMOTE_CODE`, with package imports made relative."""
    files = {}
    for module, filename in REMOTE_CODE.items():
        path = Path(importlib.util.find_spec(module).origin)
        source = _IMPORT.sub(partial(_relative_import, importer=module), path.read_text(encoding="utf-8"))
        if re.search(r"^\s*(import|from) trainer\b", source, re.MULTILINE):
            raise RuntimeError(f"{module} imports the package in a way the exported code cannot")
        header = f"# Copied from the arabic-conflict-events package ({module}) when the model was exported.\n"
        files[filename] = header + source
    return files


def _relative_import(match: re.Match, importer: str) -> str:
    indent, module = match.groups()
    if module not in REMOTE_CODE:
        raise RuntimeError(f"{importer} imports {module}, which an exported model does not carry (hub.REMOTE_CODE)")
    return f"{indent}from .{REMOTE_CODE[module].removesuffix('.py')} import "


def remote_code_config() -> dict[str, Any]:
    """What config.json needs so that the Auto classes and ``pipeline`` find the folder's code."""
    modeling = REMOTE_CODE["trainer.model"].removesuffix(".py")
    pipeline_module = REMOTE_CODE["trainer.inference.pipeline"].removesuffix(".py")
    return {
        "auto_map": {"AutoConfig": f"{modeling}.EventExtractorConfig", "AutoModel": f"{modeling}.EventExtractor"},
        "custom_pipelines": {
            TASK: {"impl": f"{pipeline_module}.{PIPELINE_CLASS}", "pt": ["AutoModel"], "tf": [], "type": "text"}
        },
    }


def _read_optional(path: Path) -> Any:
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.suffix == ".yaml" else json.loads(path.read_text())


def base_model_name(encoder: str) -> str:
    """The hub id of the encoder: a local build records its upstream in build_info.json."""
    info = _read_optional(Path(encoder) / "build_info.json")
    return info["upstream_model"] if info else encoder


# -- the model card ----------------------------------------------------------------------

DATA_DESCRIPTIONS = {
    "seeds": "five Arabic news articles about the war in Syria (2016-2017), annotated in full",
    "anercorp_conflict": (
        "383 sentences of the ANERcorp training split (Benajiba et al. 2007; CAMeL Lab split, Obeid et al. "
        "2020) that report violence or armed conflict, or are hard negatives, annotated twice independently and "
        "adjudicated; split by blocks of 100 sentences into train (279), dev (52) and test (52)"
    ),
}
METRIC_NAMES = {
    "entity_f1": ("f1", "Entity F1 (exact spans)"),
    "relation_f1": ("f1", "Relation F1 (end to end, strict)"),
    "status_accuracy": ("accuracy", "Victim status accuracy"),
    "event_strict_f1": ("f1", "Event record F1 (strict)"),
}


def model_index(name: str, report: dict | None, crossval: dict | None) -> list[dict]:
    """The ``model-index`` block: test-data results only (a dev part chose the model and is not shown)."""
    results = []
    for part, scores in ((report or {}).get("parts") or {}).items():
        if part.endswith(":test"):
            dataset = {"type": "anercorp-conflict", "name": "ANERcorp conflict corpus (test part)", "split": "test"}
            results.append(_result(dataset, scores["headline"]))
    if crossval:
        dataset = {"type": "conflict-events-seeds", "name": "Seed articles (leave-one-article-out)", "split": "test"}
        results.append(_result(dataset, crossval["pooled"]))
    task = {"type": "token-classification", "name": "Conflict event extraction (entities, statuses, relations)"}
    return [{"name": name, "results": [{"task": task, **result} for result in results]}] if results else []


def _result(dataset: dict, headline: dict) -> dict:
    metrics = [
        {"type": kind, "value": round(float(headline[key]), 4), "name": title}
        for key, (kind, title) in METRIC_NAMES.items()
        if key in headline
    ]
    return {"dataset": dataset, "metrics": metrics}


def _training_data(run_config: dict | None) -> str:
    if not run_config:
        return "Not recorded (the model folder has no run_config.yaml)."
    lines = []
    for path in run_config["data"]["annotations"]:
        stem = Path(path).stem
        lines.append(f"- `{path}`: {DATA_DESCRIPTIONS.get(stem, 'annotated documents')}")
    lines.append(
        "- model selection (epoch, relation thresholds) on the documents whose `split` is `dev`"
        + (
            f" and on {', '.join(run_config['data']['dev_documents'])}"
            if run_config["data"].get("dev_documents")
            else ""
        )
        + "; `test` documents are never read in training"
    )
    return "\n".join(lines)


def _evaluation(report: dict | None, crossval: dict | None, metrics: dict | None) -> str:
    rows = []
    for part, scores in ((report or {}).get("parts") or {}).items():
        headline, intervals = scores["headline"], scores["confidence_intervals_95"]
        cells = " | ".join(
            f"{headline[k]:.3f} [{intervals[k][0]:.3f}, {intervals[k][1]:.3f}]" for k in METRIC_NAMES if k in headline
        )
        rows.append(f"| {part} | {scores['documents']} | {cells} |")
    if crossval:
        pooled, intervals = crossval["pooled"], crossval["pooled_confidence_intervals_95"]
        cells = " | ".join(f"{pooled[k]:.3f} [{intervals[k][0]:.3f}, {intervals[k][1]:.3f}]" for k in METRIC_NAMES)
        rows.append(f"| seed articles, leave one out (pooled) | {len(crossval['folds'])} | {cells} |")
    if not rows:
        if not metrics:
            return "No evaluation numbers were recorded with this model."
        shown = {k: v for k, v in metrics.items() if isinstance(v, float)}
        return "Dev scores of the training run (they chose the model, so they are optimistic):\n\n" + "\n".join(
            f"- {k}: {v:.4f}" for k, v in shown.items()
        )
    header = "| data | documents | " + " | ".join(title for _, title in METRIC_NAMES.values()) + " |"
    return (
        "Strict matching: exact character spans and labels; relations need both argument spans and the type. "
        "Brackets: 95% bootstrap intervals over documents. A `dev` part chose the model's epoch and relation "
        "thresholds; `test` parts and the cross-validation chose nothing.\n\n"
        + "\n".join([header, "|---|---:|" + "---|" * len(METRIC_NAMES), *rows])
    )


def model_card(
    schema: Schema,
    base_model: str,
    run_config: dict | None,
    metrics: dict | None,
    report: dict | None = None,
    crossval: dict | None = None,
    name: str = "conflict-events-ar",
) -> str:
    metadata = {
        "language": ["ar"],
        "license": LICENSE,
        "library_name": "transformers",
        # The Hub's nearest task; the model itself runs as the custom pipeline below (trust_remote_code).
        "pipeline_tag": "token-classification",
        "base_model": base_model,
        "tags": ["arabic", "event-extraction", "relation-extraction", "named-entity-recognition", "conflict", "news"],
        "metrics": ["f1", "accuracy"],
    }
    index = model_index(name, report, crossval)
    if index:
        metadata["model-index"] = index
    relations = "\n".join(f"| `{r.name}` | {r.head} → {r.tail} |" for r in schema.relations)
    entity_rows = "\n".join(f"| `{e.label}` | {e.description} |" for e in schema.entities)
    status = (
        f"Each `{schema.status.label}` also gets a `{schema.status.name}`: {', '.join(schema.status.values)}."
        if schema.status
        else ""
    )
    return f"""---
{yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False).strip()}
---

# Arabic conflict event extractor ({schema.name})

A joint model that reads Arabic news and tags mentions of the schema's entity
types, the status of victim counts and the directed relations between
mentions, from which event records (actor, weapon, location, victims with
normalized numbers) are derived. Encoder: `{base_model}` with a BIO entity
head, a status head and a relation head.

| label | meaning |
|---|---|
{entity_rows}

{status}

| relation | arguments |
|---|---|
{relations}

## Use

With `torch` and `transformers` only (the folder carries the model's code):

```python
from transformers import pipeline

extract = pipeline(model="path/or/hub-id", trust_remote_code=True)
record = extract("قتل 30 شخصا في قصف جوي على مدينة الرقة.")
record["entities"], record["relations"], record["events"]
```

`AutoModel.from_pretrained(..., trust_remote_code=True)` gives the model alone. With the
arabic-conflict-events toolkit installed, the same output as Python objects:

```python
import trainer

model = trainer.load("path/to/this/folder")
[document] = model.predict(["قتل 30 شخصا في قصف جوي على مدينة الرقة."])
print(document.entities, document.relations, model.events(document))
```

or `python scripts/predict.py --model path/to/this/folder --input articles/ --output predictions.jsonl`.
Articles of any length are read in overlapping windows of the length the model was trained with.

## Training data

{_training_data(run_config)}

## Evaluation

{_evaluation(report, crossval, metrics)}

## Intended use

Research and analysis of conflict reporting in Arabic news: pre-annotating
articles for human annotators, and extracting candidate event records for
analysts who verify them against the source.

## Limitations

- Trained on little data (a few hundred annotated sentences and five articles):
  expect errors on other conflicts, dialects, genres and spelling conventions.
- Victim counts are what the text reports; the model neither verifies them nor
  deduplicates events reported several times.
- Relations are only predicted between mentions at most
  {schema.max_sentence_distance} sentence(s) apart.

## Bias and risks

Conflict reporting is partisan: sources attribute responsibility, name parties
and count victims differently, and the annotations follow what each text states
(accused responsibility is annotated). The model reproduces the framing of the
outlets it was trained on. Its output is not evidence: never use it on its own
to attribute responsibility for violence to any party or person, and keep a
human in the loop for anything that is published or acted upon.
"""


# -- export and upload -------------------------------------------------------------------


def export_model(
    model_dir: str | Path,
    output_dir: str | Path,
    force: bool = False,
    report: str | Path | None = None,
    crossval: str | Path | None = None,
    vocabulary_texts: Iterable[str] | None = None,
) -> Path:
    """Write the hub-ready folder (into a temp folder first, then renamed).

    ``report`` / ``crossval``: the ``report.json`` of ``scripts/evaluate.py`` and the
    ``crossval.json`` of ``scripts/crossval.py``, for the model card's results.
    ``vocabulary_texts``: keep only the vocabulary these texts and Arabic script need
    (:func:`trainer.encoder_build.vocabulary.pruned_tokenizer`); the exported model predicts
    exactly as before on them, and the folder is a third of the size.
    """
    model_dir, output_dir = Path(model_dir), Path(output_dir)
    if output_dir.exists() and any(output_dir.iterdir()) and not force:
        raise OutputExistsError(f"{output_dir} exists and is not empty (pass --force to replace it)")
    predictor = load_predictor(model_dir)
    run_config = _read_optional(model_dir / "run_config.yaml")
    metrics = _read_optional(model_dir / "dev_metrics.json")
    base_model = base_model_name(run_config["model"]["encoder"]) if run_config else "unknown"
    evaluation = _read_optional(Path(report)) if report else None
    cross = _read_optional(Path(crossval)) if crossval else None
    config = predictor.model.config
    for key, value in remote_code_config().items():
        setattr(config, key, value)
    with atomic_directory(output_dir) as temporary:
        if vocabulary_texts is None:
            predictor.tokenizer.save_pretrained(temporary)
        else:
            texts = [*vocabulary_texts, *E5_PREFIXES]
            save_tokenizer(
                prune_model_vocabulary(predictor.model, predictor.tokenizer.backend_tokenizer, texts), temporary
            )
        predictor.model.save_pretrained(temporary)
        for filename, source in remote_code_files().items():
            write_text_atomic(temporary / filename, source)
        card = model_card(predictor.schema, base_model, run_config, metrics, evaluation, cross, output_dir.name)
        write_text_atomic(temporary / "README.md", card)
        for name in ("run_config.yaml", "dev_metrics.json"):
            if (model_dir / name).is_file():
                shutil.copy2(model_dir / name, temporary / name)
    return output_dir


def push_to_hub(folder: str | Path, repo_id: str, private: bool = False) -> str:
    """Upload the folder with the token from HF_TOKEN or `hf auth login`; returns the repo URL."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi()
    try:
        url = api.create_repo(repo_id, private=private, exist_ok=True)
        api.upload_folder(folder_path=str(folder), repo_id=repo_id, commit_message="Upload conflict event extractor")
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        raise HubError(
            f"the hub refused the upload to {repo_id} (HTTP {status}); check the token's write access"
        ) from None
    except Exception as error:  # noqa: BLE001 - connection errors come from several HTTP libraries
        # The error's message is not repeated: it could quote request headers.
        raise HubError(
            f"could not upload to the Hugging Face hub ({type(error).__name__}): offline, or no token "
            "(set HF_TOKEN or run `hf auth login`)"
        ) from None
    return str(url)
