"""The simplest answers a model has to beat, scored like the model.

- relations: link every pair the schema allows within the sentence rule (the
  candidates the relation head chooses from), among the same entities;
- status: give every victim count the status most frequent in the training data.
"""

from __future__ import annotations

import dataclasses

from trainer.data.windows import candidate_pairs
from trainer.documents import Document, Relation
from trainer.schema import Schema
from trainer.text import SentenceIndex


def all_allowed_pairs(document: Document, schema: Schema) -> Document:
    """The document with a relation for every candidate pair of its entities."""
    entities = document.entities
    relations = [
        Relation(entities[head].id, entities[tail].id, schema.relation_names[type_index])
        for head, tail, type_index in candidate_pairs(entities, schema, SentenceIndex(document.text))
    ]
    return dataclasses.replace(document, relations=relations)


def majority_status(document: Document, schema: Schema, status: str) -> Document:
    """The document with ``status`` on every entity that takes one."""
    entities = [dataclasses.replace(e, status=status) if schema.has_status(e.label) else e for e in document.entities]
    return dataclasses.replace(document, entities=entities)
