from functools import partial

from tests.helpers import mention
from trainer.documents import Document, Relation
from trainer.events.records import build_events

TEXT = "شن الطيران الروسي غارات على حلب فقتل 30 شخصا بينهم 5 أطفال. وقصفت المدفعية حي الشعار."


entity = partial(mention, TEXT)


def document():
    entities = [
        entity("a", "الطيران الروسي", "ACTOR"),
        entity("w", "غارات", "WEAPON"),
        entity("l", "حلب", "LOCATION"),
        entity("v", "30 شخصا", "VICTIM_COUNT", "killed"),
        entity("s", "5 أطفال", "VICTIM_COUNT", "killed"),
        entity("w2", "وقصفت", "WEAPON"),
        entity("l2", "حي الشعار", "LOCATION"),
    ]
    relations = [
        Relation("a", "w", "uses_weapon"),
        Relation("a", "l", "acts_at"),
        Relation("w", "l", "strikes"),
        Relation("v", "w", "harmed_by"),
        Relation("v", "l", "victims_at"),
        Relation("a", "v", "caused"),
        Relation("s", "w", "harmed_by"),
        Relation("w2", "l2", "strikes"),
    ]
    return Document("d", TEXT, entities, relations)


def texts(mentions):
    return [m["text"] for m in mentions]


def test_one_event_per_victim_count_with_its_actor_weapon_place_and_number(schema):
    events = build_events(document(), schema)
    first = events[0]
    assert texts(first["actors"]) == ["الطيران الروسي"]
    assert texts(first["weapons"]) == ["غارات"] and texts(first["locations"]) == ["حلب"]
    assert first["victims"] == [
        {
            "text": "30 شخصا",
            "start": TEXT.index("30"),
            "end": TEXT.index("30") + 7,
            "status": "killed",
            "value": 30,
            "lower_bound": None,
            "approximate": False,
        }
    ]


def test_actor_and_place_are_filled_through_the_weapon_when_missing(schema):
    sub_count = build_events(document(), schema)[1]
    assert texts(sub_count["actors"]) == ["الطيران الروسي"]  # via uses_weapon of غارات
    assert texts(sub_count["locations"]) == ["حلب"]  # via strikes of غارات
    assert sub_count["victims"][0]["value"] == 5


def test_weapons_without_victims_make_their_own_event(schema):
    events = build_events(document(), schema)
    assert len(events) == 3  # two victim counts + the shelling of حي الشعار (غارات already has victims)
    assert events[2] == {
        "actors": [],
        "weapons": [{"text": "وقصفت", "start": TEXT.index("وقصفت"), "end": TEXT.index("وقصفت") + 5}],
        "locations": [{"text": "حي الشعار", "start": TEXT.index("حي الشعار"), "end": TEXT.index("حي الشعار") + 9}],
        "victims": [],
    }


def test_a_schema_without_event_roles_gives_no_events(schema):
    from dataclasses import replace

    assert build_events(document(), replace(schema, events={})) == []
