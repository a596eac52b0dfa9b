"""The committed gold data: valid, built from its drafts, and the ANERcorp corpus free of test-split text."""

import json
from collections import Counter

import pytest

from tests.helpers import ANERCORP, REPO_ROOT
from trainer.data.splits import BLOCK_SIZE
from trainer.formats.conll import read_conll
from trainer.formats.drafts import build_gold
from trainer.formats.labelstudio import read_export, read_tasks

SEED_DRAFTS = sorted((REPO_ROOT / "annotations" / "drafts").glob("*.yaml"))
CORPUS_DRAFTS = sorted((REPO_ROOT / "annotations" / "drafts" / "anercorp").glob("*.yaml"))
CORPUS = REPO_ROOT / "annotations" / "anercorp_conflict.json"
needs_anercorp = pytest.mark.skipif(not ANERCORP.is_dir(), reason="../shared/data/anercorp is not beside the checkout")


def test_seed_gold_validates_clean_and_points_into_the_seed_texts(schema):
    report = read_tasks(read_export(REPO_ROOT / "annotations" / "seeds.json"), schema, "seeds.json")
    assert report.problems == []
    assert len(report.documents) == 5
    for document in report.documents:
        assert document.text == (REPO_ROOT / "seeds" / f"{document.id}.txt").read_text(encoding="utf-8")
    counts = report.counts()
    assert sum(counts["entities"].values()) > 300 and sum(counts["relations"].values()) > 200


def test_seed_gold_is_what_the_drafts_build(schema):
    """annotations/seeds.json is generated from annotations/drafts/*.yaml (scripts/build_gold.py)."""
    tasks, report = build_gold(SEED_DRAFTS, schema, REPO_ROOT)
    assert report.problems == []
    assert tasks == read_export(REPO_ROOT / "annotations" / "seeds.json")


def test_anercorp_corpus_is_valid_and_big_enough(schema):
    report = read_tasks(read_export(CORPUS), schema, str(CORPUS))
    assert report.problems == []
    counts = report.counts()
    assert len(report.documents) >= 300
    assert sum(counts["entities"].values()) >= 1000 and sum(counts["relations"].values()) >= 400
    assert set(counts["entities"]) == set(schema.entity_labels) and set(counts["relations"]) == set(
        schema.relation_names
    )


def test_anercorp_splits_are_disjoint_whole_blocks_near_70_15_15():
    tasks = read_export(CORPUS)
    split_of = {task["meta"]["sentence_index"]: task["meta"]["split"] for task in tasks}
    assert len(split_of) == len(tasks)  # one task per sentence
    assert len({task["data"]["text"] for task in tasks}) == len(tasks)  # one copy of each text
    blocks = {}
    for index, split in split_of.items():
        blocks.setdefault(index // BLOCK_SIZE, set()).add(split)
    assert all(len(splits) == 1 for splits in blocks.values())
    shares = Counter(split_of.values())
    assert set(shares) == {"train", "dev", "test"}
    assert 0.65 <= shares["train"] / len(tasks) <= 0.75 and min(shares["dev"], shares["test"]) >= 0.12 * len(tasks)


@needs_anercorp
def test_anercorp_corpus_comes_from_the_training_split_only():
    train = [
        " ".join(word for word, _, _ in sentence) for sentence in read_conll(ANERCORP / "ANERCorp_CamelLab_train.txt")
    ]
    test = {
        " ".join(word for word, _, _ in sentence) for sentence in read_conll(ANERCORP / "ANERCorp_CamelLab_test.txt")
    }
    for task in read_export(CORPUS):
        assert task["data"]["text"] not in test
        assert train[task["meta"]["sentence_index"]] == task["data"]["text"]
        assert task["meta"]["corpus"] == "ANERCorp_CamelLab_train.txt"


@needs_anercorp
def test_anercorp_corpus_is_what_its_drafts_build(schema):
    tasks, report = build_gold(CORPUS_DRAFTS, schema, REPO_ROOT, split_block_size=BLOCK_SIZE)
    assert report.problems == []
    assert tasks == json.loads(CORPUS.read_text(encoding="utf-8"))
