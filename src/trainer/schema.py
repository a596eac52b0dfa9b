"""The label schema as data: the one place labels, statuses and relations come from.

A schema is a small YAML file (see ``src/trainer/schemas/``, shipped with the package). The Label Studio
labeling config, the BIO tag set, the model heads, the validator and the
metrics are all derived from a :class:`Schema`, and a trained model stores its
schema in its config (:meth:`Schema.to_dict`) so it never needs the YAML again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from trainer.errors import TrainerError

# Schemas shipped inside the package (trainer/schemas/NAME.yaml), so that an installed
# package finds them from any folder; a config may name one of these or a file path.
DEFAULT_SCHEMA = "conflict_events"

OUTSIDE_TAG = "O"
EVENT_ROLES = ("victims", "actors", "weapons", "locations")


class SchemaError(TrainerError, ValueError):
    """A schema file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class EntityType:
    label: str
    description: str = ""
    color: str = "#888888"


@dataclass(frozen=True)
class StatusAttribute:
    """A required single choice made for every region of one entity label."""

    name: str
    label: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class RelationType:
    name: str
    head: str
    tail: str


@dataclass(frozen=True)
class Schema:
    name: str
    entities: tuple[EntityType, ...]
    status: StatusAttribute | None
    relations: tuple[RelationType, ...]
    max_sentence_distance: int
    description: str = ""
    # Event role -> entity label (see trainer.events); empty: no event records.
    events: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        labels = [entity.label for entity in self.entities]
        problems = []
        if not labels:
            problems.append("no entity labels")
        if len(set(labels)) != len(labels):
            problems.append(f"duplicate entity labels in {labels}")
        for label in labels:
            if not label.replace("_", "").isalnum() or "-" in label:
                problems.append(f"entity label {label!r} must be letters, digits and '_'")
        if self.status is not None:
            if self.status.label not in labels:
                problems.append(f"status label {self.status.label!r} is not an entity label")
            if len(self.status.values) < 2 or len(set(self.status.values)) != len(self.status.values):
                problems.append(f"status values {list(self.status.values)} must be 2+ distinct values")
        names = [relation.name for relation in self.relations]
        if len(set(names)) != len(names):
            problems.append(f"duplicate relation names in {names}")
        pairs = [(relation.head, relation.tail) for relation in self.relations]
        if len(set(pairs)) != len(pairs):
            problems.append("two relation types share the same (head, tail) pair")
        for relation in self.relations:
            for side in (relation.head, relation.tail):
                if side not in labels:
                    problems.append(f"relation {relation.name!r} uses unknown label {side!r}")
        if self.events and set(self.events) != set(EVENT_ROLES):
            problems.append(f"events must map exactly the roles {list(EVENT_ROLES)}")
        for role, label in self.events.items():
            if label not in labels:
                problems.append(f"event role {role!r} uses unknown label {label!r}")
        if self.max_sentence_distance < 0:
            problems.append("max_sentence_distance must be >= 0")
        if problems:
            raise SchemaError(f"schema {self.name!r}: " + "; ".join(problems))

    # -- derived views -------------------------------------------------------

    @cached_property
    def entity_labels(self) -> tuple[str, ...]:
        return tuple(entity.label for entity in self.entities)

    @cached_property
    def bio_tags(self) -> tuple[str, ...]:
        """IOB2 tags: ``O`` first, then ``B-X``, ``I-X`` for every label in schema order."""
        tags = [OUTSIDE_TAG]
        for label in self.entity_labels:
            tags += [f"B-{label}", f"I-{label}"]
        return tuple(tags)

    @cached_property
    def tag_to_id(self) -> dict[str, int]:
        return {tag: index for index, tag in enumerate(self.bio_tags)}

    @cached_property
    def relation_names(self) -> tuple[str, ...]:
        return tuple(relation.name for relation in self.relations)

    @cached_property
    def status_values(self) -> tuple[str, ...]:
        return self.status.values if self.status else ()

    def relation_between(self, head_label: str, tail_label: str) -> RelationType | None:
        """The relation type allowed from ``head_label`` to ``tail_label``, if any."""
        return self._relation_by_pair.get((head_label, tail_label))

    @cached_property
    def _relation_by_pair(self) -> dict[tuple[str, str], RelationType]:
        return {(relation.head, relation.tail): relation for relation in self.relations}

    def relation_named(self, name: str) -> RelationType | None:
        return next((relation for relation in self.relations if relation.name == name), None)

    def has_status(self, label: str) -> bool:
        return self.status is not None and self.status.label == label

    # -- (de)serialisation ---------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "entities": [{"label": e.label, "description": e.description, "color": e.color} for e in self.entities],
            "status": None
            if self.status is None
            else {"name": self.status.name, "label": self.status.label, "values": list(self.status.values)},
            "relations": [{"name": r.name, "head": r.head, "tail": r.tail} for r in self.relations],
            "max_sentence_distance": self.max_sentence_distance,
            "events": dict(self.events),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<dict>") -> Schema:
        known = {"name", "description", "entities", "status", "relations", "max_sentence_distance", "events"}
        unknown = set(data) - known
        if unknown:
            raise SchemaError(f"{source}: unknown schema keys {sorted(unknown)}")
        try:
            status = data.get("status")
            return cls(
                name=str(data["name"]),
                description=str(data.get("description", "")),
                entities=tuple(EntityType(**entity) for entity in data["entities"]),
                status=None
                if status is None
                else StatusAttribute(
                    name=str(status["name"]), label=str(status["label"]), values=tuple(status["values"])
                ),
                relations=tuple(RelationType(**relation) for relation in data.get("relations") or ()),
                max_sentence_distance=int(data.get("max_sentence_distance", 0)),
                events=dict(data.get("events") or {}),
            )
        except (KeyError, TypeError) as error:
            raise SchemaError(f"{source}: malformed schema ({error})") from error


def schema_dir():
    """The folder of packaged schemas (looked up when needed: an exported model's code has no such folder)."""
    return resources.files("trainer") / "schemas"


def packaged_schemas() -> list[str]:
    """Names of the schemas shipped with the package."""
    return sorted(path.name.removesuffix(".yaml") for path in schema_dir().iterdir() if path.name.endswith(".yaml"))


def load_schema(name_or_path: str | Path = DEFAULT_SCHEMA) -> Schema:
    """A packaged schema by name (``conflict_events``) or a schema YAML file by path; errors name it."""
    packaged = schema_dir().joinpath(f"{name_or_path}.yaml")
    if isinstance(name_or_path, str) and "/" not in name_or_path and packaged.is_file():
        source, content = f"schema {name_or_path}", packaged.read_text(encoding="utf-8")
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise SchemaError(
                f"schema file not found: {path} (or name one of the packaged schemas: {', '.join(packaged_schemas())})"
            )
        source, content = str(path), path.read_text(encoding="utf-8")
    data = yaml.safe_load(content)
    if not isinstance(data, dict):
        raise SchemaError(f"{source}: expected a mapping at the top level")
    return Schema.from_dict(data, source=source)
