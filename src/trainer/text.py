"""Character-level rules the schema states about Arabic text: words and sentences.

Offsets everywhere are Python code points into the unmodified article text,
as Label Studio exports them.
"""

from __future__ import annotations

import bisect
import unicodedata

SENTENCE_TERMINATORS = ".!?؟"
# Quote marks that may close a sentence after its terminator. The seeds use
# `¢` and `»` as quote marks on both sides.
CLOSING_QUOTES = "\"'»”’)¢"


def is_boundary_char(char: str) -> bool:
    """Whitespace, punctuation and symbols (`%`, `¢`) delimit words; letters, digits and marks do not."""
    category = unicodedata.category(char)
    return char.isspace() or category[0] in "PSZC"


def is_word_span(text: str, start: int, end: int) -> bool:
    """True when text[start:end] begins and ends on word edges with no boundary char at either end."""
    if not 0 <= start < end <= len(text):
        return False
    if is_boundary_char(text[start]) or is_boundary_char(text[end - 1]):
        return False
    starts_word = start == 0 or is_boundary_char(text[start - 1])
    ends_word = end == len(text) or is_boundary_char(text[end])
    return starts_word and ends_word


def sentence_starts(text: str) -> list[int]:
    """Start offsets of sentences: a new one begins after a run of `. ! ? ؟` and closing quotes.

    A period between two digits (`3.5`) is a decimal point, not a sentence end.
    Glued sentences (`حلب.وقتل`) are still split, as the seeds contain them.
    """
    starts = [0]
    index = 0
    while index < len(text):
        char = text[index]
        is_decimal_point = (
            char == "." and 0 < index < len(text) - 1 and text[index - 1].isdigit() and text[index + 1].isdigit()
        )
        if char in SENTENCE_TERMINATORS and not is_decimal_point:
            index += 1
            while index < len(text) and (text[index] in SENTENCE_TERMINATORS or text[index] in CLOSING_QUOTES):
                index += 1
            while index < len(text) and text[index].isspace():
                index += 1
            if index < len(text):
                starts.append(index)
            continue
        index += 1
    return starts


class SentenceIndex:
    """Maps character offsets to sentence numbers for one text."""

    def __init__(self, text: str) -> None:
        self.starts = sentence_starts(text)

    def sentence_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset) - 1

    def distance(self, first: tuple[int, int], second: tuple[int, int]) -> int:
        """Sentences between two spans (0 = same sentence); a span crossing a boundary counts by its start."""
        return abs(self.sentence_of(first[0]) - self.sentence_of(second[0]))
