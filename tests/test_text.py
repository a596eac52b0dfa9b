import pytest

from trainer.text import SentenceIndex, is_word_span, sentence_starts

TEXT = "قتل 30 شخصا في «قصف جوي» على مدينة الرقة. وقال ¢المرصد¢: بمدينة حلب."


@pytest.mark.parametrize(
    "surface, expected",
    [("30 شخصا", True), ("قصف جوي", True), ("مدينة الرقة", True), ("بمدينة حلب", True), ("المرصد", True)],
)
def test_whole_word_spans(surface, expected):
    start = TEXT.index(surface)
    assert is_word_span(TEXT, start, start + len(surface)) is expected


def test_partial_words_and_punctuation_are_not_word_spans():
    start = TEXT.index("مدينة حلب")  # inside بمدينة
    assert not is_word_span(TEXT, start, start + len("مدينة حلب"))
    quoted = TEXT.index("«قصف")
    assert not is_word_span(TEXT, quoted, quoted + len("«قصف جوي"))
    end = TEXT.index("الرقة.") + len("الرقة.")
    assert not is_word_span(TEXT, TEXT.index("الرقة"), end)
    assert not is_word_span(TEXT, 5, 5)


def test_sentences_split_after_terminators_and_closing_quotes():
    text = "قال «انتهى.» ثم قتل 3. وفي 2.5 ساعة؟ نعم! حلب.وقتل"
    starts = sentence_starts(text)
    assert [text[s : s + 3] for s in starts] == ["قال", "ثم ", "وفي", "نعم", "حلب", "وقت"]


def test_sentence_distance():
    text = "أ ب. ج د. هـ و."
    index = SentenceIndex(text)
    assert index.distance((0, 1), (2, 3)) == 0
    assert index.distance((0, 1), (5, 6)) == 1
    assert index.distance((0, 1), (10, 12)) == 2
