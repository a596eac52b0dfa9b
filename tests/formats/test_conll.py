import pytest

from tests.helpers import REPO_ROOT
from trainer.config import load_config
from trainer.formats.conll import ConllError, conll_documents, read_conll, token_tags
from trainer.schema import load_schema

ANERCORP = REPO_ROOT.parent / "shared" / "data" / "anercorp"
CONLL = "فرانكفورت B-LOC\n(د O\nأعلن O\nاتحاد B-ORG\nصناعة I-ORG\n\nقال O\nمحمد I-PERS\nعلي I-PERS\n"


@pytest.fixture
def anercorp_schema():
    return load_schema("anercorp")


def test_sentences_become_documents_with_exact_spans(tmp_path, anercorp_schema):
    path = tmp_path / "mini.txt"
    path.write_text(CONLL, encoding="utf-8")
    first, second = conll_documents(path, anercorp_schema)
    assert first.text == "فرانكفورت (د أعلن اتحاد صناعة"
    assert [(e.text, e.label) for e in first.entities] == [("فرانكفورت", "LOC"), ("اتحاد صناعة", "ORG")]
    assert token_tags(first) == ["B-LOC", "O", "O", "B-ORG", "I-ORG"]
    # An I- tag after O (IOB1 leftovers in the data) starts an entity.
    assert [(e.text, e.label) for e in second.entities] == [("محمد علي", "PERS")]


def test_bad_lines_and_unknown_tags_are_named(tmp_path, anercorp_schema):
    path = tmp_path / "bad.txt"
    path.write_text("كلمة B-LOC\nكلمتان بلا وسم O\n", encoding="utf-8")
    with pytest.raises(ConllError, match="bad.txt:2"):
        read_conll(path)
    path.write_text("كلمة B-WEAPON\n", encoding="utf-8")
    with pytest.raises(ConllError, match="bad.txt:1: tag 'B-WEAPON'"):
        conll_documents(path, anercorp_schema)


@pytest.mark.skipif(not ANERCORP.is_dir(), reason="../shared/data/anercorp is not beside the checkout")
def test_anercorp_split_reads_completely(anercorp_schema):
    train = conll_documents(ANERCORP / "ANERCorp_CamelLab_train.txt", anercorp_schema)
    test = conll_documents(ANERCORP / "ANERCorp_CamelLab_test.txt", anercorp_schema)
    assert sum(len(d.text.split(" ")) for d in train) == 125_102  # the README's word counts
    assert sum(len(d.text.split(" ")) for d in test) == 25_008
    assert load_config(REPO_ROOT / "configs" / "anercorp.yaml").data.format == "conll"
