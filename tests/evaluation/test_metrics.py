"""Every metric on hand-made cases, and seqeval agreeing with span matching."""

from functools import partial

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers import mention
from trainer.documents import Document, Entity, Relation
from trainer.evaluation.metrics import (
    bootstrap_interval,
    entity_scores,
    event_scores,
    relation_scores,
    seqeval_scores,
    status_scores,
    word_tags,
)

TEXT = "قتل 30 شخصا في قصف جوي على مدينة الرقة وشن الطيران الروسي غارات على حلب"


ent = partial(mention, TEXT)


GOLD = Document(
    "g",
    TEXT,
    [
        ent("v", "30 شخصا", "VICTIM_COUNT", "killed"),
        ent("w", "قصف جوي", "WEAPON"),
        ent("l", "مدينة الرقة", "LOCATION"),
        ent("a", "الطيران الروسي", "ACTOR"),
        ent("w2", "غارات", "WEAPON"),
        ent("l2", "حلب", "LOCATION"),
    ],
    [Relation("v", "w", "harmed_by"), Relation("w", "l", "strikes"), Relation("a", "w2", "uses_weapon")],
)


def predicted(entities, relations=()):
    return Document("p", TEXT, list(entities), list(relations))


def test_perfect_prediction(schema):
    assert entity_scores([GOLD], [GOLD], schema)["micro"]["f1"] == 1.0
    assert relation_scores([GOLD], [GOLD], schema)["micro"]["f1"] == 1.0
    assert status_scores([GOLD], [GOLD], schema)["accuracy"] == 1.0


def test_partial_overlap_and_wrong_type_are_both_errors(schema):
    guess = predicted(
        [
            ent("v", "30 شخصا", "VICTIM_COUNT", "killed"),
            ent("w", "قصف", "WEAPON"),  # partial overlap with قصف جوي
            ent("l", "مدينة الرقة", "ACTOR"),  # right span, wrong type
            ent("a", "الطيران الروسي", "ACTOR"),
        ]
    )
    scores = entity_scores([GOLD], [guess], schema)
    assert scores["micro"]["tp"] == 2 and scores["micro"]["predicted"] == 4 and scores["micro"]["gold"] == 6
    assert scores["micro"]["precision"] == 0.5 and scores["micro"]["recall"] == pytest.approx(2 / 6)
    assert scores["per_label"]["WEAPON"]["tp"] == 0 and scores["per_label"]["ACTOR"]["predicted"] == 2
    macro = sum(s["f1"] for s in scores["per_label"].values()) / 4
    assert scores["macro"]["f1"] == pytest.approx(macro)


def test_relations_need_exact_arguments_type_and_direction(schema):
    guess = predicted(
        GOLD.entities,
        [
            Relation("v", "w", "harmed_by"),  # right
            Relation("l", "w", "strikes"),  # wrong direction
            Relation("a", "w", "uses_weapon"),  # wrong tail
        ],
    )
    scores = relation_scores([GOLD], [guess], schema)["micro"]
    assert (scores["tp"], scores["predicted"], scores["gold"]) == (1, 3, 3)
    shifted = [Entity(e.id, e.start, e.end - 1 if e.id == "w" else e.end, e.label, e.text) for e in GOLD.entities]
    assert relation_scores([GOLD], [predicted(shifted, GOLD.relations)], schema)["micro"]["tp"] == 1


def test_status_accuracy_counts_only_matched_spans_and_missing_status_is_wrong(schema):
    guess = predicted([ent("v", "30 شخصا", "VICTIM_COUNT", None), ent("x", "شخصا", "VICTIM_COUNT", "killed")])
    scores = status_scores([GOLD], [guess], schema)
    assert scores["matched"] == 1 and scores["accuracy"] == 0.0
    assert scores["confusion"] == {"killed": {"None": 1}}


def test_events_anchor_and_strict(schema):
    assert event_scores([GOLD], [GOLD], schema)["strict"]["f1"] == 1.0
    no_location = predicted(GOLD.entities, [Relation("v", "w", "harmed_by"), Relation("a", "w2", "uses_weapon")])
    scores = event_scores([GOLD], [no_location], schema)
    assert scores["anchor"]["f1"] == 1.0 and scores["strict"]["f1"] < 1.0


def test_word_tags_are_iob2_over_words():
    assert word_tags(GOLD)[:5] == ["O", "B-VICTIM_COUNT", "I-VICTIM_COUNT", "O", "B-WEAPON"]


@settings(max_examples=100, deadline=None)
@given(
    picks=st.lists(
        st.tuples(st.booleans(), st.sampled_from(["ACTOR", "WEAPON", "LOCATION", "VICTIM_COUNT"])),
        min_size=6,
        max_size=6,
    )
)
def test_seqeval_strict_agrees_with_span_matching(schema, picks):
    """On well-formed (whole-word, non-overlapping) spans, word-level seqeval == character-span scores."""
    guess = predicted(
        [
            Entity(e.id, e.start, e.end, label, e.text)
            for e, (keep, label) in zip(GOLD.entities, picks, strict=True)
            if keep
        ]
    )
    spans = entity_scores([GOLD], [guess], schema)
    sequence = seqeval_scores([GOLD], [guess])
    assert sequence["micro avg"]["f1-score"] == pytest.approx(spans["micro"]["f1"])
    for label in schema.entity_labels:
        if label in sequence:
            assert sequence[label]["f1-score"] == pytest.approx(spans["per_label"][label]["f1"])


def test_bootstrap_interval_brackets_the_estimate(schema):
    documents = [GOLD] * 4 + [predicted([])]
    guesses = [GOLD] * 4 + [predicted([])]
    low, high = bootstrap_interval(documents, guesses, lambda g, p: entity_scores(g, p, schema)["micro"]["f1"], 200)
    assert low == high == 1.0
    worse = [GOLD, GOLD, predicted([]), predicted([]), GOLD]
    low, high = bootstrap_interval([GOLD] * 5, worse, lambda g, p: entity_scores(g, p, schema)["micro"]["f1"], 200)
    assert 0.0 <= low < high <= 1.0
