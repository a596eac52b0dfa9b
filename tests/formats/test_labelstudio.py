"""The loader/validator: one test per rule, and corruptions of a valid export are all reported."""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import ANNOTATED_TEXT, annotated_document
from trainer.formats.labelstudio import load_documents, read_export, read_tasks, task_from_document
from trainer.validation import AnnotationError

TEXT = ANNOTATED_TEXT
valid_document = annotated_document


@pytest.fixture
def task(schema):
    return task_from_document(valid_document(), task_id=7, schema=schema)


def results_of(task):
    return task["annotations"][0]["result"]


def find(task, region_id, kind="labels"):
    return next(r for r in results_of(task) if r.get("id") == region_id and r["type"] == kind)


def errors(task, schema):
    return [str(p) for p in read_tasks([task], schema, source="t.json").errors]


def test_valid_task_loads_into_a_document(task, schema):
    report = read_tasks([task], schema)
    assert report.problems == []
    [document] = report.documents
    assert document.text == TEXT
    assert {(e.id, e.start, e.end, e.label, e.status) for e in document.entities} == {
        (e.id, e.start, e.end, e.label, e.status) for e in valid_document().entities
    }
    assert sorted(document.relations, key=str) == sorted(valid_document().relations, key=str)
    assert report.counts()["relations"]["harmed_by"] == 2


def test_errors_name_file_task_region_and_offsets(task, schema):
    find(task, "l1")["value"]["start"] += 1
    message, *dangling = errors(task, schema)
    start = TEXT.index("مدينة الرقة")
    assert message.startswith(f"error: t.json, task 7, region l1, [{start + 1}:{start + len('مدينة الرقة')}]")
    assert "text/offset mismatch" in message
    # Relations to the broken span are not reported again as dangling: one mistake, one message.
    assert dangling == []


def test_span_not_on_word_boundaries(task, schema):
    value = find(task, "l3")["value"]
    value["start"] += 1
    value["text"] = TEXT[value["start"] : value["end"]]
    assert any("word boundaries" in e for e in errors(task, schema))


def test_span_with_punctuation_at_its_end(task, schema):
    value = find(task, "l1")["value"]
    value["end"] += 1  # the full stop after الرقة
    value["text"] = TEXT[value["start"] : value["end"]]
    assert any("whitespace/punctuation" in e for e in errors(task, schema))


def test_overlapping_spans(task, schema):
    outer = copy.deepcopy(find(task, "w1"))
    outer["id"] = "w9"
    outer["value"]["end"] += len(" روسي")
    outer["value"]["text"] = TEXT[outer["value"]["start"] : outer["value"]["end"]]
    results_of(task).append(outer)
    assert any("overlaps region" in e for e in errors(task, schema))


def test_unknown_label_and_unknown_relation(task, schema):
    find(task, "a1")["value"]["labels"] = ["PERSON"]
    results_of(task).append({"from_id": "v1", "to_id": "a2", "type": "relation", "labels": ["killed_by"]})
    found = errors(task, schema)
    assert any("unknown label 'PERSON'" in e for e in found)
    assert any("unknown relation 'killed_by'" in e for e in found)


def test_relation_argument_types_and_direction(task, schema):
    relation = next(r for r in results_of(task) if r["type"] == "relation" and r["labels"] == ["strikes"])
    relation["from_id"], relation["to_id"] = relation["to_id"], relation["from_id"]
    assert any("strikes must go WEAPON -> LOCATION" in e for e in errors(task, schema))


def test_dangling_and_duplicate_relations(task, schema):
    results_of(task).append({"from_id": "v1", "to_id": "zz", "type": "relation", "labels": ["victims_at"]})
    results_of(task).append({"from_id": "a2", "to_id": "w2", "type": "relation", "labels": ["uses_weapon"]})
    found = errors(task, schema)
    assert any("dangling relation" in e for e in found)
    assert any("duplicate relation uses_weapon" in e for e in found)


def test_missing_invalid_and_misplaced_status(task, schema):
    results_of(task).remove(find(task, "v1", "choices"))
    find(task, "v2", "choices")["value"]["choices"] = ["dead"]
    misplaced = copy.deepcopy(find(task, "w1"))
    misplaced.update(type="choices", from_name="status")
    misplaced["value"]["choices"] = ["killed"]
    results_of(task).append(misplaced)
    found = errors(task, schema)
    assert any("missing status for VICTIM_COUNT '30 شخصا'" in e for e in found)
    assert any("invalid status 'dead'" in e for e in found)
    assert any("WEAPON takes no status" in e for e in found)


def test_arguments_too_many_sentences_apart(task, schema):
    results_of(task).append({"from_id": "v1", "to_id": "l3", "type": "relation", "labels": ["victims_at"]})
    assert any("spans 2 sentences (schema allows 1)" in e for e in errors(task, schema))


def test_empty_or_non_text_task(schema):
    for data in ({"text": ""}, {"text": 5}, {"image": "x.png"}, None):
        report = read_tasks([{"id": 1, "data": data, "annotations": []}], schema)
        assert any("task has no text" in str(p) for p in report.errors)


def test_cancelled_annotations_are_skipped_with_a_warning_and_empty_ones_are_texts_without_entities(task, schema):
    task["annotations"][0]["was_cancelled"] = True
    report = read_tasks([task], schema)
    assert report.errors == [] and report.documents == []
    assert {"was cancelled", "no usable annotation"} <= {
        phrase for p in report.warnings for phrase in ("was cancelled", "no usable annotation") if phrase in p.message
    }
    task["annotations"].append({"id": 99, "result": []})
    report = read_tasks([task], schema)
    assert report.problems == [report.problems[0]]  # only the cancelled one is reported
    [document] = report.documents
    assert document.entities == [] and document.relations == [] and document.meta["annotation_id"] == 99


def test_several_annotations_prefer_ground_truth_then_latest(task, schema):
    first = task["annotations"][0]
    first["ground_truth"] = False
    later = copy.deepcopy(first)
    later.update(id=2, updated_at="2026-01-02T00:00:00Z")
    later["result"] = [r for r in later["result"] if r.get("id") != "l3" and r.get("to_id") != "l3"]
    first["updated_at"] = "2026-01-01T00:00:00Z"
    task["annotations"].append(later)
    report = read_tasks([task], schema)
    assert [d.meta["annotation_id"] for d in report.documents] == [2]
    assert any("2 annotations: using 2" in p.message for p in report.warnings)
    first["ground_truth"] = True
    assert [d.meta["annotation_id"] for d in read_tasks([task], schema).documents] == [7]


def test_load_documents_raises_with_every_error(task, schema, tmp_path):
    find(task, "a1")["value"]["labels"] = ["PERSON"]
    find(task, "l1")["value"]["end"] = 10_000
    path = tmp_path / "export.json"
    path.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(AnnotationError) as raised:
        load_documents(path, schema)
    message = str(raised.value)
    assert "\n" not in message and message.startswith("2 annotation error(s) in " + str(path))
    found = [str(problem) for problem in raised.value.problems]
    assert any("unknown label 'PERSON'" in p for p in found) and any("offsets outside the text" in p for p in found)


def test_missing_file_and_malformed_json(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        read_export(tmp_path / "nope.json")
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": 1,', encoding="utf-8")
    with pytest.raises(AnnotationError, match="not valid JSON"):
        read_export(bad)


# -- property-based: corruptions are always reported, nothing ever crashes ----------------


def _corrupt_offset(task, rng):
    result = rng.choice([r for r in results_of(task) if r["type"] == "labels"])
    result["value"][rng.choice(["start", "end"])] += rng.choice([-2, -1, 1, 2, 500])


def _corrupt_label(task, rng):
    rng.choice([r for r in results_of(task) if r["type"] == "labels"])["value"]["labels"] = ["NOT_A_LABEL"]


def _drop_span(task, rng):
    relation = rng.choice([r for r in results_of(task) if r["type"] == "relation"])
    target = relation[rng.choice(["from_id", "to_id"])]
    task["annotations"][0]["result"] = [
        r for r in results_of(task) if not (r.get("id") == target and r["type"] == "labels")
    ]


def _reverse_relation(task, rng):
    relation = rng.choice([r for r in results_of(task) if r["type"] == "relation"])
    relation["from_id"], relation["to_id"] = relation["to_id"], relation["from_id"]


def _corrupt_relation_label(task, rng):
    rng.choice([r for r in results_of(task) if r["type"] == "relation"])["labels"] = [rng.choice(["", "harms", None])]


def _drop_status(task, rng):
    choice = rng.choice([r for r in results_of(task) if r["type"] == "choices"])
    results_of(task).remove(choice)


def _corrupt_status(task, rng):
    rng.choice([r for r in results_of(task) if r["type"] == "choices"])["value"]["choices"] = rng.choice(
        [["wounded"], [], ["killed", "injured"], "killed"]
    )


def _duplicate_span(task, rng):
    twin = copy.deepcopy(rng.choice([r for r in results_of(task) if r["type"] == "labels"]))
    twin["id"] = "twin"
    results_of(task).append(twin)


def _empty_text(task, rng):
    task["data"]["text"] = rng.choice(["", "   ", None, 42])


CORRUPTIONS = [
    _corrupt_offset,
    _corrupt_label,
    _drop_span,
    _reverse_relation,
    _corrupt_relation_label,
    _drop_status,
    _corrupt_status,
    _duplicate_span,
    _empty_text,
]


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(corruptions=st.lists(st.sampled_from(CORRUPTIONS), min_size=1, max_size=3, unique=True), rng=st.randoms())
def test_every_corruption_is_reported(schema, corruptions, rng):
    task = task_from_document(valid_document(), task_id=1, schema=schema)
    for corrupt in corruptions:
        if task["data"]["text"] != TEXT:
            break  # once the text is gone, nothing else is read
        corrupt(task, rng)
    report = read_tasks([task], schema)
    assert report.errors, f"not reported: {[c.__name__ for c in corruptions]}"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=JSON, key=st.sampled_from(["data", "annotations", "result", "value", "relation"]))
def test_loader_never_crashes_on_junk(schema, junk, key):
    task = task_from_document(valid_document(), task_id=1, schema=schema)
    if key in ("data", "annotations"):
        task[key] = junk
    elif key == "result":
        task["annotations"][0]["result"].append(junk)
    elif key == "value":
        results_of(task)[0]["value"] = junk
    else:
        results_of(task).append({"type": "relation", "from_id": junk, "to_id": "v1", "labels": junk})
    read_tasks([task], schema)
    read_tasks(junk, schema)
