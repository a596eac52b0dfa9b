"""A hub-ready folder from a trained model: safetensors weights, config (schema and
label maps inside), tokenizer, and a model card; optional upload to the hub.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from trainer.errors import OutputExistsError, TrainerError
from trainer.fileio import atomic_directory, write_text_atomic
from trainer.formats.labelstudio import validate_files
from trainer.inference.predictor import load_predictor
from trainer.schema import Schema

LICENSE = "mit"  # the toolkit's and the base encoder's (multilingual-e5-small) license


class HubError(TrainerError):
    """The hub could not be reached or refused the upload; never contains the token."""


def _read_optional(path: Path) -> Any:
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.suffix == ".yaml" else json.loads(path.read_text())


def base_model_name(encoder: str) -> str:
    """The hub id of the encoder: a local build records its upstream in build_info.json."""
    info = _read_optional(Path(encoder) / "build_info.json")
    return info["upstream_model"] if info else encoder


def _training_data(run_config: dict | None, schema: Schema) -> str:
    if not run_config:
        return "Not recorded (the model folder has no run_config.yaml)."
    files = run_config["data"]["annotations"]
    lines = [f"- annotation files: {', '.join(f'`{f}`' for f in files)}"]
    dev = run_config["data"].get("dev_documents") or []
    lines.append(f"- documents held out for dev: {', '.join(dev) if dev else 'none'}")
    if all(Path(f).is_file() for f in files):
        counts = validate_files(files, schema).counts()
        for title, counter in counts.items():
            lines.append(f"- {title}: " + ", ".join(f"{k} {v}" for k, v in sorted(counter.items())))
    return "\n".join(lines)


def model_card(schema: Schema, base_model: str, run_config: dict | None, metrics: dict | None) -> str:
    metadata = {
        "language": ["ar"],
        "license": LICENSE,
        "library_name": "transformers",
        "pipeline_tag": "token-classification",
        "base_model": base_model,
        "tags": [
            "arabic",
            "event-extraction",
            "relation-extraction",
            "named-entity-recognition",
            "conflict",
            "news",
            "token-classification",
        ],
        "datasets": (run_config or {}).get("data", {}).get("annotations", []),
        "metrics": ["f1", "precision", "recall", "accuracy"],
    }
    relations = "\n".join(f"| `{r.name}` | {r.head} → {r.tail} |" for r in schema.relations)
    entity_rows = "\n".join(f"| `{e.label}` | {e.description} |" for e in schema.entities)
    if metrics:
        shown = {k: v for k, v in metrics.items() if isinstance(v, int | float)}
        evaluation = "Dev-set scores recorded by the training run (exact spans, strict relations):\n\n" + "\n".join(
            f"| {name} | {value:.4f} |" if isinstance(value, float) else f"| {name} | {value} |"
            for name, value in shown.items()
        )
        evaluation = evaluation.replace("\n\n|", "\n\n| metric | value |\n|---|---|\n|", 1)
    else:
        evaluation = "No evaluation numbers were recorded with this model."
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
head, a status head and a relation head over span pairs.

| label | meaning |
|---|---|
{entity_rows}

{status}

| relation | arguments |
|---|---|
{relations}

## Use

```python
import trainer                      # pip install the arabic-conflict-events toolkit
model = trainer.load("path/to/this/folder")
[document] = model.predict(["قتل 30 شخصا في قصف جوي على مدينة الرقة."])
print(document.entities, document.relations, model.events(document))
```
or `python scripts/predict.py --model path/to/this/folder --input articles/ --output predictions.jsonl`.

## Training data

{_training_data(run_config, schema)}

## Evaluation

{evaluation}

## Intended use

Research and analysis of conflict reporting in Arabic news: pre-annotating
articles for human annotators, and extracting candidate event records for
analysts who verify them against the source.

## Limitations

- Trained on very little data (a handful of annotated articles about the war in
  Syria, 2016-2017): expect low recall and brittle behaviour on other conflicts,
  dialects, genres and spelling conventions.
- Victim counts are what the article reports; the model neither verifies them nor
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


def export_model(model_dir: str | Path, output_dir: str | Path, force: bool = False) -> Path:
    """Write the hub-ready folder (into a temp folder first, then renamed)."""
    model_dir, output_dir = Path(model_dir), Path(output_dir)
    if output_dir.exists() and any(output_dir.iterdir()) and not force:
        raise OutputExistsError(f"{output_dir} exists and is not empty (pass --force to replace it)")
    predictor = load_predictor(model_dir)
    run_config = _read_optional(model_dir / "run_config.yaml")
    metrics = _read_optional(model_dir / "dev_metrics.json")
    base_model = base_model_name(run_config["model"]["encoder"]) if run_config else "unknown"
    with atomic_directory(output_dir) as temporary:
        predictor.model.save_pretrained(temporary)
        predictor.tokenizer.save_pretrained(temporary)
        write_text_atomic(temporary / "README.md", model_card(predictor.schema, base_model, run_config, metrics))
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
