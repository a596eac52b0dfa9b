"""The format-free validator: one test per rule, on documents built directly (no file format involved)."""

import dataclasses

import pytest

from tests.helpers import ANNOTATED_TEXT, annotated_document, mention
from trainer.documents import Document, Entity, Relation
from trainer.schema import load_schema
from trainer.validation import AnnotationError, Problem, ValidationReport, validate

TEXT = ANNOTATED_TEXT
valid = annotated_document


def with_entity(document: Document, region_id: str, **changes) -> Document:
    entities = [dataclasses.replace(e, **changes) if e.id == region_id else e for e in document.entities]
    return dataclasses.replace(document, entities=entities)


def messages(document: Document, schema) -> list[str]:
    return [problem.message for problem in validate(document, schema)]


def test_a_valid_document_has_no_problem(schema):
    assert validate(valid(), schema) == []


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({"start": 500, "end": 510}, "offsets outside the text"),
        ({"label": "PERSON"}, "unknown label 'PERSON'"),
        ({"text": "الرقة"}, "text/offset mismatch"),
        ({"status": None}, "missing status for VICTIM_COUNT"),
        ({"status": "dead"}, "invalid status 'dead'"),
    ],
)
def test_span_rules_on_a_victim_count(schema, changes, expected):
    [message] = messages(with_entity(valid(), "v1", **changes), schema)
    assert expected in message


def test_word_edges_and_outer_punctuation(schema):
    start = TEXT.index("الرقة")
    cut = with_entity(valid(), "l1", start=start + 1, text=TEXT[start + 1 : start + 5])
    assert "word boundaries" in messages(cut, schema)[0]
    end = TEXT.index("الرقة.") + len("الرقة.")
    with_stop = with_entity(valid(), "l1", end=end, text=TEXT[TEXT.index("مدينة") : end])
    assert "whitespace/punctuation" in messages(with_stop, schema)[0]
    assert validate(with_stop, schema, whole_words=False) == []  # for another tokenization's units


def test_status_only_on_the_status_label(schema):
    assert "WEAPON takes no status, got 'killed'" in messages(with_entity(valid(), "w1", status="killed"), schema)[0]


def test_duplicate_ids_and_overlaps(schema):
    document = valid()
    twin = dataclasses.replace(document.entity("l1"), id="l9", start=TEXT.index("الرقة"), text="الرقة")
    document.entities += [twin, dataclasses.replace(document.entities[0])]
    found = messages(document, schema)
    assert any("overlaps region l1" in m for m in found) and "duplicate region id" in found


@pytest.mark.parametrize(
    "relation, expected",
    [
        (Relation("v1", "a1", "killed_by"), "unknown relation 'killed_by'"),
        (Relation("v1", "zz", "victims_at"), "missing region(s) ['zz'] (dangling relation)"),
        (Relation("l1", "w1", "strikes"), "strikes must go WEAPON -> LOCATION"),
        (Relation("a2", "w2", "uses_weapon"), "duplicate relation uses_weapon"),
        (Relation("v1", "v1", "victims_at"), "links a region to itself"),
        (Relation("v1", "l3", "victims_at"), "spans 2 sentences (schema allows 1)"),
    ],
)
def test_relation_rules(schema, relation, expected):
    document = valid()
    document.relations.append(relation)
    [message] = messages(document, schema)
    assert expected in message


def test_a_broken_argument_is_reported_once_not_again_as_dangling(schema):
    document = with_entity(valid(), "l1", text="wrong")
    assert [m.split(":")[0] for m in messages(document, schema)] == ["text/offset mismatch"]


def test_a_schema_without_status_or_relations():
    schema = load_schema("anercorp")
    text = "زار محمد علي بيروت ."
    document = Document("s", text, [mention(text, "e1", "محمد علي", "PERS"), mention(text, "e2", "بيروت", "LOC")])
    assert validate(document, schema) == []
    document.entities.append(Entity("e3", 0, 3, "PERS", "زار", status="killed"))
    document.relations.append(Relation("e1", "e2", "acts_at"))
    found = messages(document, schema)
    assert any("PERS takes no status" in m for m in found) and any("unknown relation 'acts_at'" in m for m in found)


def test_problems_print_where_they_are_and_errors_raise_one_line():
    problem = Problem("error", "bad span", region_id="l1", span=(3, 9)).at("gold.json", 7)
    assert str(problem) == "error: gold.json, task 7, region l1, [3:9]: bad span"
    report = ValidationReport(problems=[problem, Problem("warning", "skipped")])
    with pytest.raises(AnnotationError) as raised:
        report.raise_for_errors()
    assert "\n" not in str(raised.value) and "1 annotation error(s) in gold.json" in str(raised.value)
    assert raised.value.problems == report.problems
    ValidationReport(problems=[Problem("warning", "skipped")]).raise_for_errors()  # warnings never raise
