"""Typed annotated documents: what every other module passes around."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Entity:
    """A labelled span; ``id`` is the Label Studio region id (unique per document)."""

    id: str
    start: int
    end: int
    label: str
    text: str
    status: str | None = None
    score: float | None = None

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


@dataclass(frozen=True)
class Relation:
    """A directed relation between two entity ids of the same document."""

    head: str
    tail: str
    label: str
    score: float | None = None


@dataclass
class Document:
    """One article: its exact text and its (gold or predicted) annotation."""

    id: str
    text: str
    entities: list[Entity] = field(default_factory=list)
    relations: list[Relation] = field(default_factory=list)
    meta: dict = field(default_factory=dict)

    def entity(self, entity_id: str) -> Entity:
        return next(entity for entity in self.entities if entity.id == entity_id)
