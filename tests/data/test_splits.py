"""Block splits: whole blocks of consecutive sentences to one split, near the target shares."""

from trainer.data.splits import SHARES, block_splits


def test_blocks_go_whole_to_one_split_and_shares_are_close():
    indices = [i for i in range(4000) if i % 7 in (0, 3) or 1200 <= i < 1300]
    splits = block_splits(indices, block_size=100)
    by_block = {}
    for index, split in splits.items():
        by_block.setdefault(index // 100, set()).add(split)
    assert all(len(found) == 1 for found in by_block.values())
    for split, share in SHARES.items():
        assert abs(list(splits.values()).count(split) / len(indices) - share) < 0.05
    # Dealt in corpus order: dev and test blocks are spread over the corpus, not bunched at its end.
    test_blocks = sorted(block for block, found in by_block.items() if found == {"test"})
    assert test_blocks[0] < 10 and test_blocks[-1] > 30


def test_the_same_indices_always_give_the_same_splits():
    indices = list(range(0, 3000, 3))
    assert block_splits(indices, 100) == block_splits(list(reversed(indices)), 100)
