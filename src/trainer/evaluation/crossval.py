"""Document-level cross-validation: one training per fold, each fold's articles held out as dev.

Every fold is an ordinary run under ``<output>/fold-K`` (with its checkpoints),
so an interrupted cross-validation resumes where it stopped: finished folds
are read back, a half-trained fold continues from its last checkpoint.
Scores are each fold's best dev epoch (the same dev articles pick the epoch,
so they are slightly optimistic); the summary gives mean ± std over folds.
"""

from __future__ import annotations

import dataclasses
import statistics
from pathlib import Path

from trainer.config import RunConfig
from trainer.data.loading import read_documents
from trainer.errors import TrainerError
from trainer.fileio import write_json_atomic, write_text_atomic
from trainer.schema import load_schema
from trainer.training import train

METRICS = ("entity_f1", "relation_f1", "status_accuracy")


def fold_documents(document_ids: list[str], folds: int | None) -> list[list[str]]:
    """Round-robin split of the document ids into folds (default: leave one out)."""
    folds = folds or len(document_ids)
    if not 2 <= folds <= len(document_ids):
        raise TrainerError(f"--folds must be between 2 and the number of documents ({len(document_ids)}), got {folds}")
    return [document_ids[k::folds] for k in range(folds)]


def crossval(config: RunConfig, folds: int | None = None, output_dir: str | Path | None = None) -> dict:
    output_dir = Path(output_dir or f"{config.output_dir}-crossval")
    documents = read_documents(config.data, load_schema(config.data.schema))
    results = []
    for index, dev_ids in enumerate(fold_documents([d.id for d in documents], folds)):
        run_dir = output_dir / f"fold-{index}"
        fold_config = dataclasses.replace(
            config, data=dataclasses.replace(config.data, dev_documents=dev_ids), output_dir=str(run_dir)
        )
        print(f"fold {index}: dev {', '.join(dev_ids)}")
        best = train(fold_config, resume=True)  # a finished fold is read back, a half-trained one continues
        results.append({"fold": index, "dev_documents": dev_ids, **{m: best[m] for m in METRICS}})
    summary = {
        metric: {
            "mean": statistics.mean(r[metric] for r in results),
            "std": statistics.pstdev(r[metric] for r in results),
        }
        for metric in METRICS
    }
    report = {"folds": results, "summary": summary}
    write_json_atomic(output_dir / "crossval.json", report)
    write_text_atomic(output_dir / "crossval.md", markdown(report))
    return report


def markdown(report: dict) -> str:
    lines = ["| fold | dev documents | " + " | ".join(METRICS) + " |", "|---|---|" + "---|" * len(METRICS)]
    for result in report["folds"]:
        scores = " | ".join(f"{result[m]:.3f}" for m in METRICS)
        lines.append(f"| {result['fold']} | {', '.join(result['dev_documents'])} | {scores} |")
    summary = " | ".join(f"{s['mean']:.3f} ± {s['std']:.3f}" for s in report["summary"].values())
    lines.append(f"| **mean ± std** | | {summary} |")
    return "\n".join(lines) + "\n"
