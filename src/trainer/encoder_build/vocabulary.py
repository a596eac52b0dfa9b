"""Vocabulary pruning for Arabic: the word embeddings are 80% of the encoder and most rows serve other scripts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer

from trainer.encoder_build.weights import WORD_EMBEDDINGS

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


def is_arabic_or_digit(piece: str) -> bool:
    return any(ch.isdecimal() or any(lo <= ord(ch) <= hi for lo, hi in ARABIC_BLOCKS) for ch in piece)


def pruned_tokenizer(tokenizer: Tokenizer, texts: Sequence[str]) -> tuple[Tokenizer, list[int]]:
    """The tokenizer without the pieces Arabic work never needs, and the old ids of the pieces kept.

    Kept: the special tokens, every piece the full tokenizer uses on `texts`, every piece
    with an Arabic-block character or a digit, and every single-character piece. Viterbi
    over a subset of pieces still finds the old best segmentation whenever its pieces are
    kept, so `texts`, and any text of Arabic-block characters, digits and spaces, tokenize
    exactly as before; other text may split into more pieces but never newly into <unk>.
    Kept pieces keep their old order, so the specials (ids 0-3) do not move.
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
    return Tokenizer.from_str(json.dumps(spec)), kept


def prune_vocabulary(
    state: dict[str, np.ndarray], tokenizer: Tokenizer, texts: Sequence[str]
) -> tuple[dict[str, np.ndarray], Tokenizer]:
    """An encoder's weights and tokenizer without the pieces Arabic work never needs (:func:`pruned_tokenizer`)."""
    tokenizer, kept = pruned_tokenizer(tokenizer, texts)
    state = dict(state)
    state[WORD_EMBEDDINGS] = np.ascontiguousarray(state[WORD_EMBEDDINGS][kept])
    return state, tokenizer


def prune_model_vocabulary(model: torch.nn.Module, tokenizer: Tokenizer, texts: Sequence[str]) -> Tokenizer:
    """Prune a trained model's word embeddings in place (``model.encoder``); returns the pruned tokenizer."""
    tokenizer, kept = pruned_tokenizer(tokenizer, texts)
    old = model.encoder.get_input_embeddings()
    new = torch.nn.Embedding(len(kept), old.embedding_dim, padding_idx=old.padding_idx)
    new.weight = torch.nn.Parameter(old.weight.detach()[kept].clone(), requires_grad=old.weight.requires_grad)
    model.encoder.set_input_embeddings(new)
    model.encoder.config.vocab_size = len(kept)
    model.config.encoder["vocab_size"] = len(kept)
    return tokenizer


def read_corpora(paths: Sequence[Path]) -> list[str]:
    """Non-empty lines of the pruning corpora, plus the e5 prefixes."""
    texts = list(E5_PREFIXES)
    for path in paths:
        texts += [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    return texts
