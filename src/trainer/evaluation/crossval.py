"""Cross-validation over whole documents with honest model selection.

Each fold holds out some documents (default: one seed article) as its test
part: they are left out of training *and* of model selection. The epoch and
the relation thresholds are chosen on a dev part the held-out documents have
nothing to do with: the documents whose ``split`` is ``dev`` (the ANERcorp
conflict corpus's dev part), or else the last ``data.dev_fraction`` of the
fold's own training documents. The held-out documents are then predicted with
the fold's selected model and scored like any evaluation, so no number here
was chosen on the data it reports.

Every fold is an ordinary run under ``<output>/fold-K`` (with its checkpoints),
so an interrupted cross-validation resumes where it stopped: finished folds
are read back, a half-trained fold continues from its last checkpoint.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import Counter
from pathlib import Path

from trainer.config import RunConfig
from trainer.data.loading import read_documents, split_documents
from trainer.errors import TrainerError
from trainer.evaluation.report import HEADLINE, evaluate_documents, score_part
from trainer.fileio import write_json_atomic, write_text_atomic
from trainer.inference.predictor import load_predictor
from trainer.schema import load_schema
from trainer.training import train


def fold_documents(document_ids: list[str], folds: int | None) -> list[list[str]]:
    """Round-robin split of the document ids into folds (default: leave one out)."""
    folds = folds or len(document_ids)
    if not 2 <= folds <= len(document_ids):
        raise TrainerError(f"--folds must be between 2 and the number of documents ({len(document_ids)}), got {folds}")
    return [document_ids[k::folds] for k in range(folds)]


def crossval(
    config: RunConfig, folds: int | None = None, output_dir: str | Path | None = None, samples: int = 1000
) -> dict:
    """Per-fold and pooled scores of the held-out documents, with 95% bootstrap intervals."""
    output_dir = Path(output_dir or f"{config.output_dir}-crossval")
    schema = load_schema(config.data.schema)
    documents = read_documents(config.data, schema)
    # The documents that rotate through the folds: those without a corpus split of their own.
    rotating = [d for d in documents if "split" not in d.meta]
    by_id = {d.id: d for d in rotating}
    results, gold, predicted, with_gold_entities, majorities = [], [], [], [], Counter()
    for index, held_out in enumerate(fold_documents(list(by_id), folds)):
        run_dir = output_dir / f"fold-{index}"
        data = dataclasses.replace(config.data, dev_documents=[], held_out_documents=held_out)
        _, dev = split_documents(documents, data)
        if not dev:
            raise TrainerError(
                "cross-validation selects each fold's model on a dev part: add data with a dev split "
                "(annotations/anercorp_conflict.json) or set data.dev_fraction"
            )
        print(f"fold {index}: held out {', '.join(held_out)}; model selection on {len(dev)} dev documents")
        best = train(dataclasses.replace(config, data=data, output_dir=str(run_dir)), resume=True)
        predictor = load_predictor(run_dir / "best", batch_size=config.train.batch_size)
        fold_gold = [by_id[i] for i in held_out]
        scores, fold_predicted, fold_with_gold = evaluate_documents(predictor, fold_gold, samples)
        results.append(
            {
                "fold": index,
                "held_out": held_out,
                "selected_epoch": best.get("epoch"),
                "dev": {k: v for k, v in best.items() if k in HEADLINE},
                **scores["headline"],
            }
        )
        majorities[predictor.majority_status] += 1
        gold += fold_gold
        predicted += fold_predicted
        with_gold_entities += fold_with_gold
    # Each fold's majority status comes from its own training data; they agree unless the data are tiny.
    majority = majorities.most_common(1)[0][0]
    pooled = score_part(gold, predicted, with_gold_entities, schema, majority, samples)
    report = {
        "folds": results,
        "mean": {m: statistics.mean(r[m] for r in results) for m in HEADLINE},
        "std": {m: statistics.pstdev(r[m] for r in results) for m in HEADLINE},
        "pooled": {m: pooled["headline"][m] for m in HEADLINE},
        "pooled_confidence_intervals_95": {m: list(ci) for m, ci in pooled["confidence_intervals_95"].items()},
        "pooled_baselines": pooled["baselines"],
    }
    write_json_atomic(output_dir / "crossval.json", report)
    write_text_atomic(output_dir / "crossval.md", markdown(report))
    return report


def markdown(report: dict) -> str:
    header = "| fold | held out | selected epoch | " + " | ".join(HEADLINE) + " |"
    lines = [header, "|---|---|---|" + "---|" * len(HEADLINE)]
    for result in report["folds"]:
        scores = " | ".join(f"{result[m]:.3f}" for m in HEADLINE)
        lines.append(f"| {result['fold']} | {', '.join(result['held_out'])} | {result['selected_epoch']} | {scores} |")
    mean = " | ".join(f"{report['mean'][m]:.3f} ± {report['std'][m]:.3f}" for m in HEADLINE)
    lines.append(f"| **mean ± std** | | | {mean} |")
    pooled = " | ".join(
        f"{report['pooled'][m]:.3f} [{low:.3f}, {high:.3f}]"
        for m, (low, high) in ((m, report["pooled_confidence_intervals_95"][m]) for m in HEADLINE)
    )
    lines.append(f"| **pooled [95% CI]** | | | {pooled} |")
    return "\n".join(lines) + "\n"
