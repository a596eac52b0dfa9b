import pytest

from tests.helpers import REPO_ROOT
from trainer.labelstudio.labeling_config import labeling_config
from trainer.schema import Schema, SchemaError, load_schema


def test_default_schema_matches_the_spec(schema):
    assert schema.entity_labels == ("ACTOR", "VICTIM_COUNT", "WEAPON", "LOCATION")
    assert schema.status.label == "VICTIM_COUNT"
    assert schema.status.values == ("killed", "injured", "captured", "affected")
    assert {(r.name, r.head, r.tail) for r in schema.relations} == {
        ("uses_weapon", "ACTOR", "WEAPON"),
        ("acts_at", "ACTOR", "LOCATION"),
        ("caused", "ACTOR", "VICTIM_COUNT"),
        ("harmed_by", "VICTIM_COUNT", "WEAPON"),
        ("victims_at", "VICTIM_COUNT", "LOCATION"),
        ("strikes", "WEAPON", "LOCATION"),
    }
    assert schema.max_sentence_distance == 1


def test_bio_tags_are_derived_in_schema_order(schema):
    assert schema.bio_tags[:3] == ("O", "B-ACTOR", "I-ACTOR")
    assert len(schema.bio_tags) == 1 + 2 * len(schema.entity_labels)
    assert schema.tag_to_id["I-LOCATION"] == len(schema.bio_tags) - 1


def test_relation_is_determined_by_argument_types(schema):
    assert schema.relation_between("ACTOR", "WEAPON").name == "uses_weapon"
    assert schema.relation_between("WEAPON", "ACTOR") is None
    assert schema.relation_between("ACTOR", "ACTOR") is None


def test_dict_round_trip(schema):
    assert Schema.from_dict(schema.to_dict()) == schema


def test_anercorp_schema_has_no_relations_or_status():
    schema = load_schema("anercorp")
    assert schema.entity_labels == ("PERS", "LOC", "ORG", "MISC")
    assert schema.status is None and schema.relations == ()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"entities": []}, "no entity labels"),
        ({"relations": [{"name": "r", "head": "ACTOR", "tail": "NOPE"}]}, "unknown label 'NOPE'"),
        ({"status": {"name": "status", "label": "NOPE", "values": ["a", "b"]}}, "not an entity label"),
        ({"colour": "red"}, "unknown schema keys"),
    ],
)
def test_invalid_schemas_are_rejected_with_the_reason(schema, change, message):
    data = {**schema.to_dict(), **change}
    with pytest.raises(SchemaError, match=message):
        Schema.from_dict(data)


def test_missing_schema_file_is_named(tmp_path):
    with pytest.raises(SchemaError, match="not found"):
        load_schema(tmp_path / "nope.yaml")


def test_committed_labeling_config_is_in_sync_with_the_schema(schema):
    committed = (REPO_ROOT / "annotations" / "labeling_config.xml").read_text(encoding="utf-8")
    assert committed == labeling_config(schema), "run: python scripts/make_labeling_config.py"


def test_labeling_config_content(schema):
    import xml.etree.ElementTree as ET

    root = ET.fromstring(labeling_config(schema))
    assert [label.get("value") for label in root.iter("Label")] == list(schema.entity_labels)
    assert [relation.get("value") for relation in root.iter("Relation")] == list(schema.relation_names)
    text = next(root.iter("Text"))
    assert text.get("granularity") == "word"
    wrapper = next(view for view in root.iter("View") if text in list(view))
    assert "direction: rtl" in wrapper.get("style")
    choices = next(root.iter("Choices"))
    assert choices.get("perRegion") == "true" and choices.get("whenLabelValue") == "VICTIM_COUNT"
    assert [choice.get("value") for choice in choices.iter("Choice")] == list(schema.status.values)
