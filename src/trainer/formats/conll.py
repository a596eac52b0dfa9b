"""CoNLL "word TAG" files (one token per line, blank line between sentences) as documents.

Used for public token-classification benchmarks such as ANERcorp: each
sentence becomes a document whose text is its tokens joined by single spaces,
with entities from the IOB2 tags. The token offsets are kept so that
predictions can be scored per original token, as published results are.
"""

from __future__ import annotations

from pathlib import Path

from trainer.documents import Document, Entity
from trainer.errors import MissingFileError, TrainerError
from trainer.schema import OUTSIDE_TAG, Schema
from trainer.validation import validate


class ConllError(TrainerError, ValueError):
    """A line that is not `word TAG`, or a tag the schema does not know; names file and line."""


def read_conll(path: str | Path) -> list[list[tuple[str, str, int]]]:
    """Sentences as lists of (word, tag, line number)."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(f"CoNLL file not found: {path}")
    sentences, current = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            if current:
                sentences.append(current)
            current = []
            continue
        parts = line.split()
        if len(parts) != 2:
            raise ConllError(f"{path}:{number}: expected `word TAG`, got {line!r}")
        current.append((parts[0], parts[1], number))
    if current:
        sentences.append(current)
    return sentences


def conll_documents(path: str | Path, schema: Schema) -> list[Document]:
    documents = []
    for index, sentence in enumerate(read_conll(path)):
        offsets, position = [], 0
        for word, _, _ in sentence:
            offsets.append((position, position + len(word)))
            position += len(word) + 1
        text = " ".join(word for word, _, _ in sentence)
        entities: list[Entity] = []
        previous = OUTSIDE_TAG
        for (word, tag, number), (start, end) in zip(sentence, offsets, strict=True):
            if tag != OUTSIDE_TAG and tag[2:] not in schema.entity_labels or tag[:2] not in ("B-", "I-", "O"):
                raise ConllError(f"{path}:{number}: tag {tag!r} is not in schema {schema.name}")
            if tag.startswith("I-") and previous[2:] == tag[2:]:
                last = entities[-1]
                entities[-1] = Entity(last.id, last.start, end, last.label, text[last.start : end])
            elif tag != OUTSIDE_TAG:  # B-X, or an I-X that starts an entity (lenient IOB1 reading)
                entities.append(Entity(f"e{len(entities) + 1}", start, end, tag[2:], word))
            previous = tag
        document = Document(f"{Path(path).stem}-{index:05d}", text, entities, meta={"token_offsets": offsets})
        # The file's tokens are its units, punctuation included (ANERcorp tags `الكي. جي. بي.`).
        problems = validate(document, schema, whole_words=False)
        if problems:
            raise ConllError(f"{path}: sentence {index} (line {sentence[0][2]}): {problems[0]}")
        documents.append(document)
    return documents


def token_tags(document: Document) -> list[str]:
    """IOB2 tags of the document's original tokens (``meta["token_offsets"]``) from its entities."""
    tags = []
    for start, end in document.meta["token_offsets"]:
        entity = next((e for e in document.entities if e.start < end and start < e.end), None)
        if entity is None:
            tags.append(OUTSIDE_TAG)
        else:
            tags.append(("B-" if start <= entity.start else "I-") + entity.label)
    return tags
