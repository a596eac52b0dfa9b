"""Label Studio against a REAL server (no mocks): project, import, round trip, predictions, export checks.

The module fixture starts Label Studio 1.23.2 from its own venv (installed into
.labelstudio/venv on first use, ~1-2 min) on a free loopback port with an
isolated data dir seeded from the cached migrated database (built once, ~20-70 s),
and stops its whole process group at the end. Later runs start it in seconds.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT
from trainer.documents import Document, Entity, Relation
from trainer.formats.labelstudio import prediction_score, read_export, read_tasks
from trainer.labelstudio.client import (
    ExportValidationError,
    LabelStudioAuthError,
    LabelStudioClientError,
    LabelStudioConnectionError,
    connect,
    content_of,
    export_project,
    find_project,
    import_tasks,
    init_project,
    preannotate_project,
    project_tasks,
    snapshot_export,
)
from trainer.labelstudio.server import (
    LabelStudioError,
    LabelStudioServer,
    free_port,
)

SEEDS = REPO_ROOT / "seeds"
GOLD_EXPORT = REPO_ROOT / "annotations" / "seeds.json"


@pytest.fixture(scope="module")
def gold_path() -> Path:
    return GOLD_EXPORT


@pytest.fixture(scope="module")
def gold(gold_path, schema) -> list[Document]:
    report = read_tasks(read_export(gold_path), schema, source=str(gold_path))
    assert not report.errors, "\n".join(map(str, report.errors))
    assert report.documents
    return report.documents


def _new_project(client, schema, title: str) -> int:
    return init_project(client, title, schema).id


# -- without a server ------------------------------------------------------------------


def test_content_of_ignores_ids():
    text = "قصف حلب"
    one = Document(
        "x",
        text,
        [Entity("e1", 0, 3, "WEAPON", "قصف"), Entity("e2", 4, 7, "LOCATION", "حلب")],
        [Relation("e1", "e2", "strikes")],
    )
    two = Document(
        "y",
        text,
        [Entity("b", 4, 7, "LOCATION", "حلب"), Entity("a", 0, 3, "WEAPON", "قصف")],
        [Relation("a", "b", "strikes")],
    )
    assert content_of([one]) == content_of([two])
    assert content_of([one]) != content_of([replace(two, relations=[])])


# -- against the server ----------------------------------------------------------------


@pytest.mark.labelstudio
@pytest.mark.slow
def test_server_is_loopback_only_and_isolated(server):
    assert server.url.startswith("http://127.0.0.1:")
    command = Path(f"/proc/{server.process.pid}/cmdline").read_bytes().split(b"\0")
    assert b"--internal-host" in command and command[command.index(b"--internal-host") + 1] == b"127.0.0.1"
    environ = dict(
        item.split(b"=", 1) for item in Path(f"/proc/{server.process.pid}/environ").read_bytes().split(b"\0") if item
    )
    for bare in (b"HOST", b"PORT", b"USERNAME", b"PASSWORD", b"DEBUG", b"CI"):
        assert bare not in environ
    assert environ[b"LABEL_STUDIO_BASE_DATA_DIR"] == str(server.data_dir).encode()
    assert environ[b"XDG_CONFIG_HOME"].startswith(str(server.data_dir).encode())
    assert environ[b"LATEST_VERSION_CHECK"] == b"false" and environ[b"COLLECT_ANALYTICS"] == b"false"
    assert (server.data_dir / "label_studio.sqlite3").is_file()


@pytest.mark.labelstudio
@pytest.mark.slow
def test_init_is_idempotent(client, schema):
    first = init_project(client, "init twice", schema)
    second = init_project(client, "init twice", schema)
    assert first.created and not second.created and not second.config_updated
    assert second.id == first.id
    project = client.projects.get(first.id)
    assert 'whenLabelValue="VICTIM_COUNT"' in project.label_config
    assert [p.id for p in client.projects.list() if p.title == "init twice"] == [first.id]


@pytest.mark.labelstudio
@pytest.mark.slow
def test_import_counts_tasks(client, schema, tmp_path):
    project_id = _new_project(client, schema, "import counts")
    jsonl = tmp_path / "texts.jsonl"
    jsonl.write_text('{"text": "قتل 3 أشخاص في حلب"}\n{"text": "نص آخر", "id": "x9"}\n', encoding="utf-8")
    result = import_tasks(client, project_id, [SEEDS, jsonl])
    assert len(result.task_ids) == 7 and result.annotations == 0
    tasks = project_tasks(client, project_id)
    assert [task.id for task in tasks] == sorted(result.task_ids)
    texts = {task.data.get("article"): task.text for task in tasks}
    for path in SEEDS.glob("*.txt"):
        assert texts[path.stem] == path.read_text(encoding="utf-8")
    assert texts["x9"] == "نص آخر"


@pytest.mark.labelstudio
@pytest.mark.slow
def test_round_trip_of_the_gold_is_lossless(client, schema, gold_path, gold, tmp_path):
    project_id = _new_project(client, schema, "round trip")
    result = import_tasks(client, project_id, [gold_path])
    assert len(result.task_ids) == len(gold) and result.annotations == len(gold)
    output = tmp_path / "exported.json"
    report = export_project(client, project_id, output, schema)
    assert not report.errors
    exported = read_tasks(read_export(output), schema, source=str(output))
    assert not exported.errors
    assert content_of(exported.documents) == content_of(gold)
    assert sorted(doc.id for doc in exported.documents) == sorted(doc.id for doc in gold)
    assert sum(len(d.relations) for d in gold) > 0 and any(e.status for d in gold for e in d.entities)


@pytest.mark.labelstudio
@pytest.mark.slow
def test_preannotation_uploads_predictions(client, schema, gold_path, gold):
    """The model-independent part of `preannotate` with the real upload path: the predict
    function returns the gold documents (with entity scores) instead of a trained model's."""
    project_id = _new_project(client, schema, "preannotate")
    import_tasks(client, project_id, [gold_path], with_annotations=False)
    by_text = {
        doc.text: replace(doc, entities=[replace(e, score=0.5 + 0.1 * (i % 5)) for i, e in enumerate(doc.entities)])
        for doc in gold
    }
    calls = []

    def predict(texts):
        calls.append(len(texts))
        return [by_text[text] for text in texts]

    created = preannotate_project(client, project_id, predict, "gold-v1", schema, batch_size=2)
    assert created == len(gold) and sum(calls) == len(gold)
    assert preannotate_project(client, project_id, predict, "gold-v1", schema) == 0  # rerun skips
    tasks = snapshot_export(client, project_id)
    assert len(tasks) == len(gold)
    for task in tasks:
        (prediction,) = task["predictions"]
        assert isinstance(prediction, dict) and prediction["model_version"] == "gold-v1"
        expected = by_text[task["data"]["text"]]
        assert prediction["score"] == pytest.approx(prediction_score(expected))
        scores = [r["score"] for r in prediction["result"] if r["type"] == "labels"]
        assert scores == pytest.approx([e.score for e in expected.entities])
    as_annotations = [{**task, "annotations": task["predictions"]} for task in tasks]
    predicted = read_tasks(as_annotations, schema)
    assert not predicted.errors and content_of(predicted.documents) == content_of(gold)
    project = client.projects.get(project_id)
    assert project.model_version == "gold-v1" and project.show_collab_predictions


@pytest.mark.labelstudio
@pytest.mark.slow
def test_export_refuses_to_overwrite_with_an_invalid_annotation(client, schema, gold_path, tmp_path):
    project_id = _new_project(client, schema, "invalid export")
    import_tasks(client, project_id, [gold_path])
    output = tmp_path / "gold.json"
    export_project(client, project_id, output, schema)
    before = output.read_bytes()
    # The server stores any result: a span whose offsets do not match its text, an unknown label.
    (task_id,) = import_tasks(client, project_id, [SEEDS / "001_3fa513781c5a54af.txt"]).task_ids
    bad = [
        {
            "id": "bad1",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 0, "end": 5, "text": "not the text", "labels": ["ACTOR"]},
        },
        {
            "id": "bad2",
            "from_name": "label",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 0, "end": 2, "labels": ["PERSON"]},
        },
    ]
    client.annotations.create(id=task_id, result=bad)
    with pytest.raises(ExportValidationError) as caught:
        export_project(client, project_id, output, schema)
    message = str(caught.value)
    assert "not written" in message and str(output) in message
    assert "\n" not in message and f"task {task_id}" in message and "the first: error:" in message
    found = [str(problem) for problem in caught.value.problems]
    assert any("text/offset mismatch" in p for p in found) and any("unknown label 'PERSON'" in p for p in found)
    assert len(caught.value.report.errors) == 2
    assert output.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["gold.json"]  # no temp file left behind


@pytest.mark.labelstudio
@pytest.mark.slow
def test_export_of_a_project_without_annotations_writes_nothing(client, schema, tmp_path):
    project_id = _new_project(client, schema, "nothing annotated")
    import_tasks(client, project_id, [SEEDS])
    output = tmp_path / "gold.json"
    output.write_text("[]\n", encoding="utf-8")
    for all_tasks in (False, True):
        with pytest.raises(LabelStudioClientError, match="no annotated task"):
            export_project(client, project_id, output, schema, all_tasks=all_tasks)
    assert output.read_text(encoding="utf-8") == "[]\n"


@pytest.mark.labelstudio
@pytest.mark.slow
def test_unreachable_server_gives_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(LabelStudioConnectionError, match="cannot reach Label Studio at " + url):
        connect(url, "some-token")


@pytest.mark.labelstudio
@pytest.mark.slow
def test_wrong_token_gives_a_clear_error(server):
    token = "0123456789abcdef0123456789abcdef01234567"
    with pytest.raises(LabelStudioAuthError) as caught:
        connect(server.url, token)
    assert server.url in str(caught.value) and "rejected the API token" in str(caught.value)
    assert token not in str(caught.value)
    with pytest.raises(LabelStudioAuthError, match="no API token"):
        connect(server.url, "")


@pytest.mark.labelstudio
@pytest.mark.slow
def test_busy_port_is_refused_and_stop_ends_the_process_group(server, tmp_path):
    with pytest.raises(LabelStudioError, match=f"port {server.port} .* already in use"):
        LabelStudioServer(port=server.port, data_dir=tmp_path / "busy").start()
    second = LabelStudioServer(port=free_port(), data_dir=tmp_path / "second")
    with second:
        group = second.process.pid
        assert connect(second.url, second.api_key)
    with pytest.raises(ProcessLookupError):
        os.killpg(group, 0)


@pytest.mark.labelstudio
@pytest.mark.slow
def test_command_line_init_import_export(cli, schema, gold_path, tmp_path):

    assert "created" in cli("init", "--title", "cli project").stdout
    done = cli("import", "--title", "cli project", str(gold_path))
    assert done.returncode == 0 and f"imported {len(read_export(gold_path))} tasks" in done.stdout
    output = tmp_path / "cli.json"
    done = cli("export", "--title", "cli project", "--output", str(output))
    assert done.returncode == 0, done.stderr
    assert content_of(read_tasks(read_export(output), schema).documents) == content_of(
        read_tasks(read_export(gold_path), schema).documents
    )
    missing = cli("export", "--title", "no such project", "--output", str(tmp_path / "x.json"))
    assert missing.returncode == 2 and "no project titled 'no such project'" in missing.stderr
    unreachable = cli("init", "--url", f"http://127.0.0.1:{free_port()}")
    assert unreachable.returncode == 2 and "cannot reach Label Studio" in unreachable.stderr


@pytest.mark.labelstudio
@pytest.mark.slow
def test_command_line_preannotate_with_a_trained_model(cli, schema, smoke_model, client):
    """The real path: a trained (smoke) model predicts every task and its output lands as predictions."""

    assert cli("import", "--title", "preannotate project", str(SEEDS)).returncode == 0
    done = cli("preannotate", "--title", "preannotate project", "--model", str(smoke_model), "--model-version", "smoke")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "5 predictions from model version 'smoke'" in done.stdout
    project = find_project(client, "preannotate project")
    exported = snapshot_export(client, project)
    predictions = [p for task in exported for p in task["predictions"]]
    assert len(predictions) == 5 and {p["model_version"] for p in predictions} == {"smoke"}
    as_annotations = [{"id": t["id"], "data": t["data"], "annotations": t["predictions"]} for t in exported]
    report = read_tasks(as_annotations, schema)
    assert report.errors == [] and sum(len(d.entities) for d in report.documents) > 0
    again = cli(
        "preannotate", "--title", "preannotate project", "--model", str(smoke_model), "--model-version", "smoke"
    )
    assert "0 predictions" in again.stdout  # a rerun skips tasks that already have this model version
