"""Augmented copies of training documents: other mentions in the same roles, other numbers.

A copy keeps a document's structure (which spans, which labels, statuses and
relations) and changes its words: each mention is replaced, with probability
``mention_rate``, by another surface of the same label drawn from the training
data, and every number by another of the same number of digits, in Western or
Arabic-Indic digits. The text around the mentions is untouched, offsets are
recomputed, and a copy is validated like any document.
"""

from __future__ import annotations

import dataclasses
import random
import re
from collections import defaultdict

from trainer.documents import Document
from trainer.schema import Schema
from trainer.validation import validate

NUMBER = re.compile(r"[0-9]+|[٠-٩]+")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def mention_bank(documents: list[Document]) -> dict[str, list[str]]:
    """Every distinct surface of every label, in first-seen order (so sampling is reproducible)."""
    bank: dict[str, dict[str, None]] = defaultdict(dict)
    for document in documents:
        for entity in document.entities:
            bank[entity.label][entity.text] = None
    return {label: list(surfaces) for label, surfaces in bank.items()}


def _other_number(match: re.Match, rng: random.Random) -> str:
    digits = len(match.group())
    number = str(rng.randint(10 ** (digits - 1) if digits > 1 else 1, 10**digits - 1))
    return number.translate(ARABIC_INDIC) if rng.random() < 0.5 else number


def augmented_copy(document: Document, bank: dict[str, list[str]], rng: random.Random, mention_rate: float) -> Document:
    """One copy with replaced mentions and numbers; entity ids, statuses and relations are kept."""
    pieces, entities, cursor, length = [], [], 0, 0
    for entity in sorted(document.entities, key=lambda e: e.start):
        between = NUMBER.sub(lambda m: _other_number(m, rng), document.text[cursor : entity.start])
        surface = entity.text
        if rng.random() < mention_rate and len(bank.get(entity.label, [])) > 1:
            surface = rng.choice(bank[entity.label])
        surface = NUMBER.sub(lambda m: _other_number(m, rng), surface)
        start = length + len(between)
        pieces += [between, surface]
        entities.append(dataclasses.replace(entity, start=start, end=start + len(surface), text=surface))
        length = start + len(surface)
        cursor = entity.end
    pieces.append(NUMBER.sub(lambda m: _other_number(m, rng), document.text[cursor:]))
    return Document(f"{document.id}#aug", "".join(pieces), entities, list(document.relations), dict(document.meta))


def augment(
    documents: list[Document], schema: Schema, copies: int, seed: int, mention_rate: float = 0.5
) -> list[Document]:
    """The documents followed by ``copies`` augmented copies of each; deterministic for a seed.

    A copy that breaks a rule (a replacement with a full stop inside moves a sentence boundary
    between two related mentions) is left out.
    """
    if copies <= 0:
        return list(documents)
    rng = random.Random(seed)
    bank = mention_bank(documents)
    extra = [augmented_copy(d, bank, rng, mention_rate) for _ in range(copies) for d in documents]
    return list(documents) + [copy for copy in extra if not validate(copy, schema)]
