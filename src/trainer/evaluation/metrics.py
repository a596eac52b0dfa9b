"""Scores of predicted documents against gold ones.

- entities with seqeval in strict IOB2 mode over words (whitespace/punctuation
  delimited, as the schema's spans are whole words); on well-formed input it
  agrees with exact character-span matching (tested);
- events: the derived event records, matched by their anchor (victim count,
  or weapon without victims) and strictly (every role and the victims' status
  and number equal);
- bootstrap confidence intervals over documents.

- entities: exact character span + label (strict: partial overlaps and wrong
  types are both errors), per label, micro and macro;
- status: accuracy over gold spans of the status label that were predicted
  with the exact span and label;
- relations: strict — head span, tail span and relation type all exact (with
  the labels of both arguments, which the schema ties to the type).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable

from seqeval.metrics import classification_report
from seqeval.scheme import IOB2

from trainer.documents import Document
from trainer.events.records import build_events
from trainer.schema import OUTSIDE_TAG, Schema
from trainer.text import is_boundary_char


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


def word_tags(document: Document) -> list[str]:
    """IOB2 tags of the document's words (maximal runs of non-boundary characters)."""
    starts = sorted((e.start, e.end, e.label) for e in document.entities)
    tags, index, position, text = [], 0, 0, document.text
    while position < len(text):
        if is_boundary_char(text[position]):
            position += 1
            continue
        end = position
        while end < len(text) and not is_boundary_char(text[end]):
            end += 1
        while index < len(starts) and starts[index][1] <= position:
            index += 1
        tag = OUTSIDE_TAG
        if index < len(starts) and starts[index][0] <= position < starts[index][1]:
            tag = ("B-" if starts[index][0] == position else "I-") + starts[index][2]
        tags.append(tag)
        position = end
    return tags


def seqeval_scores(gold: list[Document], predicted: list[Document]) -> dict:
    """seqeval, strict IOB2, over words: per label and micro/macro averages."""
    report = classification_report(
        [word_tags(d) for d in gold],
        [word_tags(d) for d in predicted],
        mode="strict",
        scheme=IOB2,
        output_dict=True,
        zero_division=0,
    )
    return {name: {k: float(v) for k, v in values.items()} for name, values in report.items()}


def event_keys(document: Document, schema: Schema, strict: bool) -> set:
    keys = set()
    for event in build_events(document, schema):
        anchor = event["victims"][0] if event["victims"] else event["weapons"][0]
        key = (anchor["start"], anchor["end"], "victims" if event["victims"] else "weapons")
        if strict:
            roles = tuple(
                frozenset((m["start"], m["end"]) for m in event[role]) for role in ("actors", "weapons", "locations")
            )
            victims = tuple((v["status"], v["value"], v["lower_bound"]) for v in event["victims"])
            key = (*key, roles, victims)
        keys.add(key)
    return keys


def event_scores(gold: list[Document], predicted: list[Document], schema: Schema) -> dict:
    """Anchor match (the event exists) and strict match (all its roles and numbers right)."""
    result = {}
    for name, strict in (("anchor", False), ("strict", True)):
        pairs = [
            (event_keys(g, schema, strict), event_keys(p, schema, strict)) for g, p in zip(gold, predicted, strict=True)
        ]
        result[name] = prf(
            *(sum(values) for values in zip(*((len(g & p), len(p), len(g)) for g, p in pairs), strict=True))
        )
    return result


def bootstrap_interval(
    gold: list[Document],
    predicted: list[Document],
    statistic: Callable[[list, list], float],
    samples: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Percentile interval of ``statistic`` over documents resampled with replacement."""
    rng = random.Random(seed)
    values = []
    for _ in range(samples):
        picks = [rng.randrange(len(gold)) for _ in gold]
        values.append(statistic([gold[i] for i in picks], [predicted[i] for i in picks]))
    values.sort()
    tail = (1 - level) / 2
    return values[int(tail * (samples - 1))], values[int((1 - tail) * (samples - 1))]


def score_documents(gold: list[Document], predicted: list[Document], schema: Schema) -> dict:
    return {
        "entities": entity_scores(gold, predicted, schema),
        "status": status_scores(gold, predicted, schema),
        "relations": relation_scores(gold, predicted, schema),
    }


def summary_scores(gold: list[Document], predicted: list[Document], schema: Schema) -> dict[str, float]:
    """The headline numbers of a run: entity F1, relation F1 (end to end), status accuracy, and their
    ``combined_f1`` (the mean of the two F1s, what early stopping watches by default)."""
    scores = score_documents(gold, predicted, schema)
    summary = {
        "entity_f1": scores["entities"]["micro"]["f1"],
        "relation_f1": scores["relations"]["micro"]["f1"],
        "status_accuracy": scores["status"]["accuracy"],
    }
    summary["combined_f1"] = (summary["entity_f1"] + summary["relation_f1"]) / 2
    return summary
