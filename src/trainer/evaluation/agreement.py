"""Agreement between two independent annotations of the same texts.

The same strict matching as the model's scores (:mod:`trainer.evaluation.metrics`):
entities by exact span and label, relations by both argument spans and the
type, statuses on the victim counts both annotators marked with the same span.
F1 is symmetric, so it does not matter which annotation is called the first.
"""

from __future__ import annotations

from trainer.documents import Document
from trainer.errors import TrainerError
from trainer.evaluation.metrics import entity_scores, relation_scores, status_scores
from trainer.schema import Schema


def agreement(first: list[Document], second: list[Document], schema: Schema) -> dict:
    """Entity F1, relation F1 (micro and per label) and status accuracy between two annotations."""
    by_id = {document.id: document for document in second}
    if sorted(by_id) != sorted(document.id for document in first):
        missing = sorted(set(by_id) ^ {document.id for document in first})
        raise TrainerError(f"the two annotations cover different texts: {missing[:10]}")
    paired = [by_id[document.id] for document in first]
    entities = entity_scores(first, paired, schema)
    relations = relation_scores(first, paired, schema)
    status = status_scores(first, paired, schema)
    return {
        "documents": len(first),
        "entity_f1": entities["micro"]["f1"],
        "relation_f1": relations["micro"]["f1"],
        "status_accuracy": status["accuracy"],
        "status_matched": status["matched"],
        "entity_f1_per_label": {label: s["f1"] for label, s in entities["per_label"].items()},
        "relation_f1_per_label": {label: s["f1"] for label, s in relations["per_label"].items()},
        "counts": {
            "first": {"entities": entities["micro"]["gold"], "relations": relations["micro"]["gold"]},
            "second": {"entities": entities["micro"]["predicted"], "relations": relations["micro"]["predicted"]},
        },
    }


def format_agreement(result: dict) -> str:
    lines = [
        f"{result['documents']} texts annotated twice; entities {result['counts']['first']['entities']} / "
        f"{result['counts']['second']['entities']}, relations {result['counts']['first']['relations']} / "
        f"{result['counts']['second']['relations']}",
        f"entity F1 {result['entity_f1']:.3f}  relation F1 {result['relation_f1']:.3f}  "
        f"status accuracy {result['status_accuracy']:.3f} (on {result['status_matched']} victim counts both marked)",
        "entity F1 per label: " + ", ".join(f"{k} {v:.3f}" for k, v in result["entity_f1_per_label"].items()),
        "relation F1 per type: " + ", ".join(f"{k} {v:.3f}" for k, v in result["relation_f1_per_label"].items()),
    ]
    return "\n".join(lines)
