"""The ML backend inside a REAL Label Studio: Label Studio itself asks for predictions and starts trainings.

The backend serves the session's smoke model from a thread of the test process; Label
Studio reaches it over loopback as it would any backend.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
import time

import httpx
import pytest

from tests.helpers import REPO_ROOT, SEED_GOLD, SEEDS
from trainer.config import load_config
from trainer.formats.labelstudio import read_tasks
from trainer.labelstudio.backend import Backend, serve_backend
from trainer.labelstudio.client import (
    connect_backend,
    find_project,
    import_tasks,
    init_project,
    least_confident,
    project_tasks,
    snapshot_export,
)
from trainer.labelstudio.labeling_config import labeling_config
from trainer.labelstudio.server import free_port
from trainer.schema import load_schema
from trainer.training import train

pytestmark = [pytest.mark.labelstudio, pytest.mark.slow]

SMOKE = REPO_ROOT / "configs" / "smoke.yaml"
# Trainings from the UI in these tests: the smoke config, three epochs.
TRAIN_OVERRIDES = ["train.epochs=3"]


@pytest.fixture(scope="module")
def served_model(tmp_path_factory, encoder_dir):
    """The smoke config trained long enough to predict victim counts (with statuses) and relations."""
    run_dir = tmp_path_factory.mktemp("served") / "run"
    train(load_config(SMOKE, [f"output_dir={run_dir}", "train.epochs=14", "train.early_stopping_patience=14"]))
    return run_dir / "best"


def running_backend(model_dir, work_dir):
    """A backend serving ``model_dir`` from a thread of this process; ``.url``, ``.messages``, ``.stop()``."""
    messages: list[str] = []
    model = Backend(model_dir, load_config(SMOKE, TRAIN_OVERRIDES), work_dir, log=messages.append)
    server = serve_backend(model, "127.0.0.1", free_port())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    model.url, model.messages, model.stop = f"http://127.0.0.1:{server.port}", messages, server.shutdown
    return model


@pytest.fixture(scope="module")
def backend(served_model, tmp_path_factory):
    model = running_backend(served_model, tmp_path_factory.mktemp("backend"))
    yield model
    model.stop()


@pytest.fixture(scope="module")
def project(client, cli, backend):
    """A project of the seed articles (texts only), made and connected to the backend from the command line."""
    made = cli("init", "--title", "backend project", "--ml-backend", backend.url)
    assert made.returncode == 0, made.stderr[-2000:]
    assert "ML backend" in made.stdout and "connected" in made.stdout
    project_id = find_project(client, "backend project")
    import_tasks(client, project_id, [SEEDS])
    settings = client.projects.get(project_id)
    assert settings.show_collab_predictions and settings.evaluate_predictions_automatically
    return project_id


def wait_for(condition, timeout=300.0, step=1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(step)
    raise AssertionError("timed out")


def test_label_studio_retrieves_predictions_with_statuses_and_relations(client, project, backend, schema):
    client.actions.create(id="retrieve_tasks_predictions", project=project, selected_items={"all": True})
    exported = snapshot_export(client, project)
    predictions = [p for task in exported for p in task["predictions"]]
    assert len(predictions) == 5
    assert {p["model_version"] for p in predictions} == {backend.served.version}
    assert all(0 <= p["score"] <= 1 for p in predictions)
    results = [r for p in predictions for r in p["result"]]
    assert {r["type"] for r in results} == {"labels", "choices", "relation"}
    as_annotations = [{"id": t["id"], "data": t["data"], "annotations": t["predictions"]} for t in exported]
    report = read_tasks(as_annotations, schema)
    assert report.errors == [] and sum(len(d.relations) for d in report.documents) > 0


def test_next_lists_the_least_confident_unannotated_tasks(client, project, cli):
    tasks = project_tasks(client, project)
    chosen = least_confident(tasks, 2)
    scores = sorted(min(t.scores.values()) for t in tasks)
    assert [min(t.scores.values()) for t in chosen] == scores[:2]
    done = cli("next", "--title", "backend project", "--count", "2")
    assert done.returncode == 0, done.stderr
    assert [line.split("\t")[0] for line in done.stdout.splitlines()] == [f"task {t.id}" for t in chosen]


def test_a_labeling_config_without_our_labels_is_answered_clearly(backend):
    other = labeling_config(load_schema("anercorp"))
    for path, body in (
        ("setup", {"project": "1.0", "schema": other}),
        ("predict", {"tasks": [], "label_config": other}),
    ):
        response = httpx.post(f"{backend.url}/{path}", json=body)
        assert response.status_code == 400
        assert (
            "no Labels control with all of ['ACTOR', 'LOCATION', 'VICTIM_COUNT', 'WEAPON']" in response.json()["error"]
        )
    assert httpx.get(f"{backend.url}/health").json()["status"] == "UP"  # and it goes on serving


def test_start_training_in_label_studio_serves_a_new_version(client, project, backend, schema):
    import_tasks(client, project, [SEED_GOLD])  # annotated tasks to learn from
    first = backend.served.version
    [ml_backend] = client.ml.list(project=project)
    client.ml.train(id=ml_backend.id)  # what the "Start training" button calls
    job = wait_for(lambda: next((j for j in backend.jobs.values() if j.project == project), None), timeout=30)
    with pytest.raises(Exception, match="already running"):
        backend.start_training(project)  # one training at a time
    busy = httpx.post(f"{backend.url}/webhook", json={"action": "START_TRAINING", "project": {"id": project}})
    assert busy.status_code == 409 and "already running" in busy.json()["error"]
    wait_for(lambda: job.status in ("completed", "failed"))
    assert job.status == "completed", job.message
    assert backend.served.version != first and backend.served.version.startswith("v2 dev E")
    assert any(f"serving {backend.served.version}" in m for m in backend.messages)
    versions = httpx.get(f"{backend.url}/versions").json()
    assert versions["versions"] == [first, backend.served.version]
    # Label Studio picks up the new version at its next call, and its predictions carry it.
    client.actions.create(id="delete_tasks_predictions", project=project, selected_items={"all": True})
    client.actions.create(id="retrieve_tasks_predictions", project=project, selected_items={"all": True})
    exported = snapshot_export(client, project)
    assert {p["model_version"] for t in exported for p in t["predictions"]} == {backend.served.version}


def test_an_invalid_export_trains_nothing_and_says_why(client, schema, backend):
    project = init_project(client, "invalid backend project", schema).id
    tasks = json.loads(SEED_GOLD.read_text(encoding="utf-8"))[:1]
    tasks[0]["annotations"][0]["result"][0]["value"]["start"] += 1  # offsets that no longer match the text
    client.projects.import_tasks(
        id=project, request=[{"data": t["data"], "annotations": t["annotations"]} for t in tasks]
    )
    connect_backend(client, project, backend.url, "conflict-events")
    serving = backend.served.version
    [ml_backend] = client.ml.list(project=project)
    client.ml.train(id=ml_backend.id)
    job = wait_for(lambda: next((j for j in backend.jobs.values() if j.project == project), None), timeout=30)
    wait_for(lambda: job.status in ("completed", "failed"))
    assert job.status == "failed" and "text/offset mismatch" in job.message and "nothing trained" in job.message
    assert backend.served.version == serving


# -- in a real browser --------------------------------------------------------------------------

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
SCREENSHOT = REPO_ROOT / ".cache" / "artifacts" / "labelstudio-preannotated-task.png"


@pytest.fixture
def browser(tmp_path):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",  # this machine refuses outside connections: don't try them
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1000",
        f"--user-data-dir={tmp_path / 'chromium'}",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.mark.browser
@pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="Chromium and chromedriver are not installed (.ci/run installs Debian's chromium and chromium-driver)",
)
def test_an_annotator_opens_a_preannotated_task_in_chromium(
    browser, server, client, cli, schema, served_model, tmp_path
):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    backend = running_backend(served_model, tmp_path / "backend")  # its first model, whatever others trained
    project = init_project(client, "browser project", schema).id
    [task_id] = import_tasks(client, project, [SEEDS / "001_3fa513781c5a54af.txt"]).task_ids
    connected = cli("connect", "--project", str(project), "--ml-backend", backend.url)
    assert connected.returncode == 0, connected.stderr[-2000:]
    wait = WebDriverWait(browser, 60)

    browser.get(f"{server.url}/user/login/")
    browser.find_element(By.NAME, "email").send_keys(server.credentials.username)
    browser.find_element(By.NAME, "password").send_keys(server.credentials.password)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit], input[type=submit]").click()
    wait.until(lambda driver: "/user/login" not in driver.current_url)
    # Opening the task makes Label Studio ask the backend; the annotation starts from its prediction.
    browser.get(f"{server.url}/projects/{project}/data?task={task_id}")
    highlights = wait.until(seen.presence_of_all_elements_located((By.CSS_SELECTOR, "span.htx-highlight")))
    # (Label Studio may ask once from the task list and once from the task: the same prediction)
    prediction, *others = snapshot_export(client, project)[0]["predictions"]
    assert all(other["result"] == prediction["result"] for other in others)
    regions = [r for r in prediction["result"] if r["type"] == "labels"]
    relations = [r for r in prediction["result"] if r["type"] == "relation"]
    assert len(highlights) == len(regions) > 0 and relations

    # Right to left: the text is laid out in an rtl block.
    text = browser.find_element(By.XPATH, "//span[contains(@class, 'htx-highlight')]/ancestor::div[1]")
    assert browser.execute_script("return getComputedStyle(arguments[0]).direction", text) == "rtl"
    # Every predicted region is highlighted (its id is in the highlight's class), and the regions
    # panel lists them with their labels (as many as fit on screen: the list is virtual).
    highlighted = {re.search(r"htx-highlight-(\S+)-\d+", h.get_attribute("class")).group(1) for h in highlights}
    assert highlighted == {r["id"] for r in regions}
    nodes = browser.find_elements(By.CSS_SELECTOR, ".lsf-tree__node_type_richtextregion")
    listed = [words for words in (node.text.split() for node in nodes) if words]  # unrendered rows are empty
    assert listed and all(set(words) & set(schema.entity_labels) for words in listed), listed
    # The relations: drawn as arrows over the text and listed in the Relations tab.
    assert len(browser.find_elements(By.CSS_SELECTOR, "[class^='relationItem']")) == len(relations)
    browser.find_element(By.XPATH, "//*[normalize-space(text())='Relations']").click()
    wait.until(lambda driver: relations[0]["labels"][0] in driver.find_element(By.TAG_NAME, "body").text)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 50_000
    backend.stop()
