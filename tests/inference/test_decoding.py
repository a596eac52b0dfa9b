import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from trainer.inference.decoding import allowed_transitions, central_window, snap_to_words, tag_spans, viterbi


def is_valid_iob2(tags):
    previous = "O"
    for tag in tags:
        if tag.startswith("I-") and previous[2:] != tag[2:]:
            return False
        previous = tag
    return True


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_viterbi_never_emits_an_invalid_sequence(schema, data):
    length = data.draw(st.integers(0, 30))
    scores = data.draw(arrays(np.float32, (length, len(schema.bio_tags)), elements=st.floats(-20, 0, width=32)))
    path = viterbi(scores, schema.bio_tags)
    assert len(path) == length
    assert is_valid_iob2([schema.bio_tags[i] for i in path])


def test_viterbi_repairs_a_dangling_inside_tag(schema):
    tags = schema.bio_tags
    scores = np.full((3, len(tags)), -5.0, dtype=np.float32)
    scores[0, tags.index("O")] = -0.1
    scores[1, tags.index("I-ACTOR")] = -0.1  # argmax would be O I-ACTOR I-ACTOR: invalid
    scores[1, tags.index("B-ACTOR")] = -1.0
    scores[2, tags.index("I-ACTOR")] = -0.1
    path = [tags[i] for i in viterbi(scores, tags)]
    assert path == ["O", "B-ACTOR", "I-ACTOR"]


def test_allowed_transitions(schema):
    allowed = allowed_transitions(schema.bio_tags)
    index = schema.tag_to_id
    assert allowed[index["B-WEAPON"], index["I-WEAPON"]]
    assert not allowed[index["B-WEAPON"], index["I-ACTOR"]]
    assert not allowed[index["O"], index["I-ACTOR"]]


def test_tag_spans(schema):
    ids = [schema.tag_to_id[t] for t in ["O", "B-ACTOR", "I-ACTOR", "B-ACTOR", "O", "B-LOCATION"]]
    assert tag_spans(ids, schema) == [(1, 2, "ACTOR"), (3, 3, "ACTOR"), (5, 5, "LOCATION")]


def test_central_window_prefers_the_middle_then_the_earlier():
    windows = [(0, 10), (6, 16), (12, 22)]
    assert central_window(2, windows) == 0
    assert central_window(9, windows) == 1
    assert central_window(13, windows) == 1
    assert central_window(20, windows) == 2


@pytest.mark.parametrize(
    "text, start, end, expected",
    [
        ("قصف «بمدينة حلب».", 4, 16, "بمدينة حلب"),
        ("قصف بمدينة حلب", 5, 14, "بمدينة حلب"),  # half a word widens to the whole word
        ("قصف ¢داعش¢ أمس", 3, 10, "داعش"),
        (" . ", 0, 3, None),
    ],
)
def test_snap_to_words(text, start, end, expected):
    snapped = snap_to_words(text, start, end)
    assert (text[snapped[0] : snapped[1]] if snapped else None) == expected
