"""Scores of predicted documents against gold ones.

- entities: exact character span + label (strict: partial overlaps and wrong
  types are both errors), per label, micro and macro;
- status: accuracy over gold spans of the status label that were predicted
  with the exact span and label;
- relations: strict — head span, tail span and relation type all exact (with
  the labels of both arguments, which the schema ties to the type).
"""

from __future__ import annotations

from collections.abc import Iterable

from trainer.documents import Document
from trainer.schema import Schema


def prf(true_positives: int, predicted: int, gold: int) -> dict[str, float]:
    precision = true_positives / predicted if predicted else 0.0
    recall = true_positives / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "tp": true_positives,
        "predicted": predicted,
        "gold": gold,
    }


def entity_keys(document: Document) -> set[tuple[int, int, str]]:
    return {(e.start, e.end, e.label) for e in document.entities}


def relation_keys(document: Document) -> set[tuple]:
    by_id = {e.id: e for e in document.entities}
    keys = set()
    for relation in document.relations:
        head, tail = by_id[relation.head], by_id[relation.tail]
        keys.add((head.start, head.end, head.label, tail.start, tail.end, tail.label, relation.label))
    return keys


def _per_label(pairs: Iterable[tuple[set, set]], labels: tuple[str, ...], label_of) -> dict:
    counts = {label: [0, 0, 0] for label in labels}
    for gold, predicted in pairs:
        for key in predicted:
            counts[label_of(key)][1] += 1
        for key in gold:
            counts[label_of(key)][2] += 1
        for key in gold & predicted:
            counts[label_of(key)][0] += 1
    per_label = {label: prf(*values) for label, values in counts.items()}
    totals = [sum(values[i] for values in counts.values()) for i in range(3)]
    scored = [scores["f1"] for scores in per_label.values() if scores["gold"] or scores["predicted"]]
    return {
        "per_label": per_label,
        "micro": prf(*totals),
        "macro": {"f1": sum(scored) / len(scored) if scored else 0.0},
    }


def entity_scores(gold: list[Document], predicted: list[Document], schema: Schema) -> dict:
    pairs = [(entity_keys(g), entity_keys(p)) for g, p in zip(gold, predicted, strict=True)]
    return _per_label(pairs, schema.entity_labels, lambda key: key[2])


def relation_scores(gold: list[Document], predicted: list[Document], schema: Schema) -> dict:
    pairs = [(relation_keys(g), relation_keys(p)) for g, p in zip(gold, predicted, strict=True)]
    return _per_label(pairs, schema.relation_names, lambda key: key[6])


def status_scores(gold: list[Document], predicted: list[Document], schema: Schema) -> dict:
    """Accuracy (and confusion counts) of statuses on exactly matched spans of the status label."""
    if schema.status is None:
        return {"accuracy": 0.0, "matched": 0, "confusion": {}}
    correct = matched = 0
    confusion: dict[str, dict[str, int]] = {}
    for gold_document, predicted_document in zip(gold, predicted, strict=True):
        predicted_status = {(e.start, e.end, e.label): e.status for e in predicted_document.entities}
        for entity in gold_document.entities:
            key = (entity.start, entity.end, entity.label)
            if entity.status is None or key not in predicted_status:
                continue
            matched += 1
            guess = predicted_status[key]
            correct += guess == entity.status
            row = confusion.setdefault(entity.status, {})
            row[str(guess)] = row.get(str(guess), 0) + 1
    return {"accuracy": correct / matched if matched else 0.0, "matched": matched, "confusion": confusion}


def score_documents(gold: list[Document], predicted: list[Document], schema: Schema) -> dict:
    return {
        "entities": entity_scores(gold, predicted, schema),
        "status": status_scores(gold, predicted, schema),
        "relations": relation_scores(gold, predicted, schema),
    }
