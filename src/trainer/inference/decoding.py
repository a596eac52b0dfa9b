"""Tag sequences -> valid entities, and overlapping windows -> one answer per token.

Both are deterministic: the constrained Viterbi search never produces an
invalid IOB2 sequence (``I-X`` only after ``B-X``/``I-X``), and every token's
scores come from the window in which it sits most centrally (ties: the
earlier window), so the same windows always give the same entities.
"""

from __future__ import annotations

import numpy as np

from trainer.schema import Schema
from trainer.text import is_boundary_char


def allowed_transitions(tags: tuple[str, ...]) -> np.ndarray:
    """allowed[i, j]: tag j may follow tag i under IOB2."""
    allowed = np.ones((len(tags), len(tags)), dtype=bool)
    for j, tag in enumerate(tags):
        if tag.startswith("I-"):
            label = tag[2:]
            for i, previous in enumerate(tags):
                allowed[i, j] = previous in (f"B-{label}", f"I-{label}")
    return allowed


def viterbi(log_probs: np.ndarray, tags: tuple[str, ...]) -> list[int]:
    """Best tag sequence under IOB2 constraints; ``log_probs`` is (tokens, tags)."""
    if len(log_probs) == 0:
        return []
    transition = np.where(allowed_transitions(tags), 0.0, -np.inf)
    can_start = np.array([not tag.startswith("I-") for tag in tags])
    score = np.where(can_start, log_probs[0], -np.inf)
    back = np.zeros(log_probs.shape, dtype=np.int64)
    for t in range(1, len(log_probs)):
        candidates = score[:, None] + transition
        back[t] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + log_probs[t]
    path = [int(score.argmax())]
    for t in range(len(log_probs) - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def tag_spans(tag_ids: list[int], schema: Schema) -> list[tuple[int, int, str]]:
    """Inclusive token spans (first, last, label) of a valid IOB2 sequence."""
    spans = []
    for position, tag_id in enumerate(tag_ids):
        tag = schema.bio_tags[tag_id]
        if tag.startswith("B-"):
            spans.append([position, position, tag[2:]])
        elif tag.startswith("I-"):
            spans[-1][1] = position
    return [tuple(span) for span in spans]


def central_window(position: int, window_ranges: list[tuple[int, int]]) -> int:
    """Index of the window whose [start, end) range holds ``position`` farthest from its edges."""
    best, best_margin = -1, -1
    for index, (start, end) in enumerate(window_ranges):
        if start <= position < end:
            margin = min(position - start, end - 1 - position)
            if margin > best_margin:
                best, best_margin = index, margin
    return best


def snap_to_words(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Widen a character span to whole words and trim boundary characters at its ends.

    Gold spans are whole words; a subword tokenizer can put punctuation inside
    a token or a model can tag only part of a word.
    """
    while start < end and is_boundary_char(text[start]):
        start += 1
    while end > start and is_boundary_char(text[end - 1]):
        end -= 1
    if start == end:
        return None
    while start > 0 and not is_boundary_char(text[start - 1]):
        start -= 1
    while end < len(text) and not is_boundary_char(text[end]):
        end += 1
    return start, end
