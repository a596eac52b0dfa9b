"""Benchmarks that print numbers: ANERcorp test F1 for the token-classification path.

ANERcorp: Benajiba, Rosso & Benedí Ruiz (CICLing 2007); the CAMeL Lab
train/test split: Obeid et al., "CAMeL Tools" (LREC 2020). Read from
``../shared/data/anercorp``, never copied into the repository.
"""

from __future__ import annotations

from pathlib import Path

from seqeval.metrics import classification_report, f1_score
from seqeval.scheme import IOB2

from trainer.config import RunConfig
from trainer.fileio import write_json_atomic
from trainer.formats.conll import conll_documents, read_conll, token_tags
from trainer.inference.predictor import load_predictor
from trainer.training import train

DEFAULT_ANERCORP_TEST = "../shared/data/anercorp/ANERCorp_CamelLab_test.txt"


def score_conll(model_dir: str | Path, test_path: str | Path) -> dict:
    """seqeval over the file's own tokens and tags: strict IOB2 (as asked) and the default (conlleval-like) mode."""
    predictor = load_predictor(model_dir)
    documents = conll_documents(test_path, predictor.schema)
    gold = [[tag for _, tag, _ in sentence] for sentence in read_conll(test_path)]
    predicted = [token_tags(predictor.predict_document(document)) for document in documents]
    strict = classification_report(gold, predicted, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    return {
        "sentences": len(documents),
        "strict_micro_f1": float(strict["micro avg"]["f1-score"]),
        "strict_macro_f1": float(strict["macro avg"]["f1-score"]),
        "default_micro_f1": float(f1_score(gold, predicted)),
        "per_label": {label: float(values["f1-score"]) for label, values in strict.items() if "avg" not in label},
    }


def benchmark_anercorp(config: RunConfig, test_path: str | Path = DEFAULT_ANERCORP_TEST) -> dict:
    run_dir = Path(config.output_dir)
    train(config, resume=True)  # a finished run is scored again without retraining
    result = {"encoder": config.model.encoder, "run": str(run_dir), **score_conll(run_dir / "best", test_path)}
    write_json_atomic(run_dir / "anercorp_test.json", result)
    return result


def format_result(result: dict) -> str:
    labels = ", ".join(f"{label} {f1:.3f}" for label, f1 in sorted(result["per_label"].items()))
    return (
        f"ANERcorp test ({result['sentences']} sentences), encoder {result['encoder']}:\n"
        f"  seqeval strict IOB2: micro F1 {result['strict_micro_f1']:.4f}, macro F1 {result['strict_macro_f1']:.4f}\n"
        f"  seqeval default mode: micro F1 {result['default_micro_f1']:.4f}\n"
        f"  per label (strict): {labels}\n"
        f"  (details in {result['run']}/anercorp_test.json)"
    )
