"""Event records derived from a document's entities and relations (the schema's "Derived output").

One event per victims mention (e.g. ``VICTIM_COUNT``), with the actors that
caused it, the weapons that harmed it and the places where it happened; plus
one event per weapons mention that no victims are linked to. Roles are read
from the schema's ``events`` mapping, relations are followed in either
direction, and where a victims mention has no direct actor (or place), the
actors that used (the places struck by) its weapons fill in.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from trainer.documents import Document, Entity
from trainer.events.victim_numbers import normalize_count
from trainer.schema import Schema


def _mention(entity: Entity) -> dict[str, Any]:
    return {"text": entity.text, "start": entity.start, "end": entity.end}


def _victim(entity: Entity) -> dict[str, Any]:
    count = normalize_count(entity.text)
    return {
        **_mention(entity),
        "status": entity.status,
        "value": count.value if count else None,
        "lower_bound": count.lower_bound if count else None,
        "approximate": count.approximate if count else None,
    }


def build_events(document: Document, schema: Schema) -> list[dict[str, Any]]:
    if not schema.events:
        return []
    label_of_role = schema.events
    by_id = {entity.id: entity for entity in document.entities}
    neighbours: dict[str, set[str]] = defaultdict(set)
    for relation in document.relations:
        neighbours[relation.head].add(relation.tail)
        neighbours[relation.tail].add(relation.head)

    def related(entity_id: str, role: str) -> list[Entity]:
        found = [by_id[i] for i in neighbours[entity_id] if by_id[i].label == label_of_role[role]]
        return sorted(found, key=lambda e: e.start)

    def via_weapons(weapons: list[Entity], role: str) -> list[Entity]:
        found = {e.id: e for weapon in weapons for e in related(weapon.id, role)}
        return sorted(found.values(), key=lambda e: e.start)

    events = []
    for entity in document.entities:
        if entity.label == label_of_role["victims"]:
            weapons = related(entity.id, "weapons")
            actors = related(entity.id, "actors") or via_weapons(weapons, "actors")
            locations = related(entity.id, "locations") or via_weapons(weapons, "locations")
            victims = [_victim(entity)]
        elif entity.label == label_of_role["weapons"] and not related(entity.id, "victims"):
            weapons = [entity]
            actors, locations, victims = related(entity.id, "actors"), related(entity.id, "locations"), []
        else:
            continue
        events.append(
            {
                "actors": [_mention(e) for e in actors],
                "weapons": [_mention(e) for e in weapons],
                "locations": [_mention(e) for e in locations],
                "victims": victims,
            }
        )
    return events
