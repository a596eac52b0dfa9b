"""Alignment of BIO tags to subwords and window cutting, on real Arabic text and the real tokenizer."""

import pytest

from tests.helpers import REPO_ROOT, mention
from trainer.data.windows import (
    IGNORE_INDEX,
    candidate_pairs,
    document_tags,
    labelled_windows,
    tokenize_document,
    window_bounds,
)
from trainer.documents import Document
from trainer.formats.labelstudio import load_documents
from trainer.inference.decoding import snap_to_words, tag_spans
from trainer.text import SentenceIndex


@pytest.fixture(scope="module")
def gold(schema):
    return load_documents(REPO_ROOT / "annotations" / "seeds.json", schema)


def make(text, *mentions):
    entities, cursor = [], 0
    for index, (surface, label) in enumerate(mentions):
        entities.append(mention(text, f"e{index}", surface, label, start_from=cursor))
        cursor = entities[-1].end
    return Document("t", text, entities)


def decode_tags(tokenized, tags, schema):
    """Character spans of a tag sequence, decoded as inference does (so alignment is checked end to end)."""
    text = tokenized.document.text
    spans = []
    for first, last, label in tag_spans(tags, schema):
        start, end = snap_to_words(text, tokenized.offsets[first][0], tokenized.offsets[last][1])
        spans.append((start, end, label))
    return spans


def test_offsets_are_exact_code_points_into_the_text(tokenizer, gold):
    for document in gold:
        tokenized = tokenize_document(document, tokenizer)
        assert len(tokenized.offsets) == len(tokenized.input_ids)
        for start, end in tokenized.offsets:
            assert 0 <= start <= end <= len(document.text)
        # Tokens cover every non-space character once, in order.
        covered = "".join(document.text[s:e] for s, e in tokenized.offsets).replace(" ", "")
        assert covered == document.text.replace(" ", "").replace("\n", "")


def test_every_gold_entity_round_trips_through_the_tags(tokenizer, gold, schema):
    for document in gold:
        tokenized = tokenize_document(document, tokenizer)
        tags, spans = document_tags(tokenized, schema)
        assert len(spans) == len(document.entities)
        expected = sorted((e.start, e.end, e.label) for e in document.entities)
        assert decode_tags(tokenized, tags, schema) == expected


def test_glued_words_clitics_and_quote_marks(tokenizer, schema):
    text = "ودعا لافروف الولاياتالمتحدة إلى وقف قصف ¢داعش¢ بمدينة الرقة، وقتل 5 أطفال."
    document = make(
        text,
        ("الولاياتالمتحدة", "LOCATION"),
        ("قصف", "WEAPON"),
        ("داعش", "ACTOR"),
        ("بمدينة الرقة", "LOCATION"),
        ("5 أطفال", "VICTIM_COUNT"),
    )
    tokenized = tokenize_document(document, tokenizer)
    tags, _ = document_tags(tokenized, schema)
    assert decode_tags(tokenized, tags, schema) == [(e.start, e.end, e.label) for e in document.entities]
    # The ¢ quote marks and the Arabic comma stay outside (tagged O).
    for (start, end), tag in zip(tokenized.offsets, tags, strict=True):
        if text[start:end] in ("¢", "،", ".", "▁¢"):
            assert schema.bio_tags[tag] == "O"


def test_window_bounds_cover_everything_with_the_stride_overlap():
    bounds = window_bounds(1000, max_length=128, stride=32)
    assert bounds[0] == (0, 126) and bounds[-1][1] == 1000
    for (_, end), (next_start, _) in zip(bounds, bounds[1:], strict=False):
        assert end - next_start == 32
    assert window_bounds(10, 128, 32) == [(0, 10)]


def test_long_article_windows(tokenizer, gold, schema):
    longest = max(gold, key=lambda d: len(d.text))
    tokenized = tokenize_document(longest, tokenizer)
    assert len(tokenized.input_ids) > 512  # article 004 needs several windows at any length
    windows = labelled_windows(tokenized, tokenizer, schema, max_length=128, stride=32)
    assert len(windows) > 4
    all_tags, token_spans = document_tags(tokenized, schema)
    seen = set()
    for window in windows:
        assert len(window) <= 128
        assert window.input_ids[0] == tokenizer.cls_token_id and window.input_ids[-1] == tokenizer.sep_token_id
        assert window.tag_ids[0] == window.tag_ids[-1] == IGNORE_INDEX
        first, last = window.positions[1], window.positions[-2]
        cut = {
            position
            for start, end in token_spans.values()
            if not (first <= start and end <= last) and end >= first and start <= last
            for position in range(start, end + 1)
        }  # tokens of entities cut by this window's edges: the only ones left untagged
        for local, position in enumerate(window.positions[1:-1], start=1):
            assert window.input_ids[local] == tokenized.input_ids[position]
            expected = IGNORE_INDEX if position in cut else all_tags[position]
            assert window.tag_ids[local] == expected
        for (first, last), entity_id in zip(window.entity_spans, window.entity_ids, strict=True):
            start, end = token_spans[entity_id]
            assert (window.positions[first], window.positions[last]) == (start, end)
            seen.add(entity_id)
    assert seen == {e.id for e in longest.entities}  # each entity lies whole in some window


def test_candidate_pairs_follow_schema_types_and_the_sentence_rule(schema):
    text = "قصف الطيران حلب. ثم هدأ الوضع. وقتل 3 أشخاص."
    document = make(text, ("قصف", "WEAPON"), ("الطيران", "ACTOR"), ("حلب", "LOCATION"), ("3 أشخاص", "VICTIM_COUNT"))
    pairs = candidate_pairs(document.entities, schema, SentenceIndex(text))
    named = {(document.entities[h].text, schema.relation_names[t], document.entities[tl].text) for h, tl, t in pairs}
    assert named == {("الطيران", "uses_weapon", "قصف"), ("الطيران", "acts_at", "حلب"), ("قصف", "strikes", "حلب")}


def test_window_pairs_are_labelled_from_gold_relations(tokenizer, gold, schema):
    document = gold[0]
    windows = labelled_windows(tokenize_document(document, tokenizer), tokenizer, schema, 256, 64)
    gold_pairs = {(r.head, r.tail) for r in document.relations}
    found = set()
    for window in windows:
        for (head, tail), label in zip(window.pairs, window.pair_labels, strict=True):
            key = (window.entity_ids[head], window.entity_ids[tail])
            assert label == int(key in gold_pairs)
            if label:
                found.add(key)
    assert found == gold_pairs
