"""Train/dev/test splits of a corpus's sentences that cannot leak: by contiguous blocks, not at random.

Consecutive sentences of a corpus such as ANERcorp come from the same article,
so sentences are grouped into blocks of ``block_size`` consecutive indices and
every block goes whole to one split. Blocks are dealt in corpus order, each to
the split that is furthest below its target share of the tasks so far, which
spreads dev and test over the whole corpus (many sources and years) instead of
its end. Exact duplicates never reach two splits: a corpus holds one copy of
each text (:func:`trainer.formats.drafts.build_gold` refuses a second).
"""

from __future__ import annotations

from collections import Counter

from trainer.documents import Document

SHARES = {"train": 0.70, "dev": 0.15, "test": 0.15}
# The ANERcorp conflict corpus's blocks: 100 consecutive sentences, about an article or two.
BLOCK_SIZE = 100


def block_splits(indices: list[int], block_size: int, shares: dict[str, float] = SHARES) -> dict[int, str]:
    """The split of every sentence index."""
    sizes = Counter(index // block_size for index in indices)
    assigned = {split: 0 for split in shares}
    split_of_block, total = {}, 0
    for block in sorted(sizes):
        total += sizes[block]
        split = max(shares, key=lambda s: shares[s] * total - assigned[s])
        split_of_block[block] = split
        assigned[split] += sizes[block]
    return {index: split_of_block[index // block_size] for index in indices}


def assign_splits(documents: list[Document], block_size: int) -> None:
    """Record ``meta["split"]`` on every document of a corpus (documents with a ``sentence_index``)."""
    splits = block_splits([d.meta["sentence_index"] for d in documents], block_size)
    for document in documents:
        document.meta["split"] = splits[document.meta["sentence_index"]]
