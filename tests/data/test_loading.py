"""Reading a run's documents in any format, and the document-level train/dev split."""

import dataclasses

import pytest

from tests.helpers import SEED_GOLD
from trainer.config import DataConfig
from trainer.data.loading import read_documents, split_documents
from trainer.documents import Document
from trainer.errors import TrainerError
from trainer.schema import load_schema

CONLL = "زار O\nمحمد B-PERS\nبيروت B-LOC\n.\tO\n\nقال O\nعلي B-PERS\n\nفي O\nدمشق B-LOC\n"


def documents(*splits):
    return [Document(f"d{i}", "نص", meta={"split": s} if s else {}) for i, s in enumerate(splits)]


def ids(documents):
    return [d.id for d in documents]


def test_seeds_split_by_named_dev_documents(schema):
    seeds = read_documents(DataConfig(annotations=[str(SEED_GOLD)]), schema)
    train, dev = split_documents(seeds, DataConfig(dev_documents=["004_4d13b451b7838b18"]))
    assert ids(dev) == ["004_4d13b451b7838b18"] and len(train) == 4
    with pytest.raises(TrainerError, match="unknown documents"):
        split_documents(seeds, DataConfig(dev_documents=["999"]))


def test_dev_fraction_holds_out_the_last_documents():
    train, dev = split_documents(documents(*[None] * 10), DataConfig(dev_fraction=0.2))
    assert ids(dev) == ["d8", "d9"] and len(train) == 8
    train, dev = split_documents(documents(None, None), DataConfig(dev_fraction=0.01))
    assert ids(dev) == ["d1"]  # at least one
    assert split_documents(documents(None, None), DataConfig()) == (documents(None, None), [])


def test_documents_with_a_split_are_routed_by_it_and_test_never_loads():
    mixed = documents("train", "dev", "test", None, None)
    train, dev = split_documents(mixed, DataConfig(dev_documents=["d4"]))
    assert ids(train) == ["d0", "d3"] and ids(dev) == ["d1", "d4"]
    train, dev = split_documents(mixed, DataConfig(dev_fraction=0.5))
    assert ids(train) == ["d0", "d3"] and ids(dev) == ["d1", "d4"]
    assert "d2" not in ids(train + dev)


def test_conll_documents_load_through_the_same_entry_point(tmp_path):
    path = tmp_path / "mini.txt"
    path.write_text(CONLL.replace("\t", " "), encoding="utf-8")
    data = dataclasses.replace(DataConfig(), format="conll", annotations=[str(path)], schema="anercorp")
    loaded = read_documents(data, load_schema("anercorp"))
    assert [d.text for d in loaded] == ["زار محمد بيروت .", "قال علي", "في دمشق"]
    assert [e.label for d in loaded for e in d.entities] == ["PERS", "LOC", "PERS", "LOC"]
