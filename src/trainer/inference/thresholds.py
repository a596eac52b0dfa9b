"""Per relation type, the probability from which a candidate pair counts as a relation, chosen on dev.

The relation head is trained with a 0.5 boundary in mind, but the types are
unequally frequent and unequally hard, so each gets the threshold that
maximizes its own end-to-end F1 on the dev documents (ties: the one nearest
0.5). The thresholds are stored in the model's config and read at inference.
"""

from __future__ import annotations

import dataclasses

from trainer.documents import Document
from trainer.evaluation.metrics import relation_scores
from trainer.inference.predictor import DEFAULT_RELATION_THRESHOLD, Predictor

GRID = tuple(round(0.05 * step, 2) for step in range(1, 20))


def tune_relation_thresholds(predictor: Predictor, dev: list[Document]) -> dict[str, float]:
    """The best threshold of every relation type on ``dev`` (0.5 for a type dev never shows)."""
    schema = predictor.schema
    scored = [predictor.predict_document(document, all_candidates=True) for document in dev]
    thresholds = {}
    for name in schema.relation_names:

        def f1_at(threshold: float, name: str = name) -> float:
            kept = [
                dataclasses.replace(d, relations=[r for r in d.relations if r.label != name or r.score >= threshold])
                for d in scored
            ]
            return relation_scores(dev, kept, schema)["per_label"][name]["f1"]

        gold = sum(1 for d in dev for r in d.relations if r.label == name)
        if not gold:
            thresholds[name] = DEFAULT_RELATION_THRESHOLD
            continue
        thresholds[name] = max(GRID, key=lambda t: (f1_at(t), -abs(t - DEFAULT_RELATION_THRESHOLD)))
    return thresholds
