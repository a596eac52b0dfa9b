"""Length-grouped batch order and padding."""

import torch

from trainer.data.batching import collate, length_grouped_batches, pad_inputs
from trainer.data.windows import IGNORE_INDEX, Window


def test_length_grouped_batches_cover_every_window_once_deterministically():
    lengths = [(i * 37) % 200 + 5 for i in range(1000)]
    batches = length_grouped_batches(lengths, batch_size=8, seed=3, epoch=0)
    assert sorted(i for b in batches for i in b) == list(range(1000))
    assert all(len(b) == 8 for b in batches[:-1] if len(b) != 1000 % 400 % 8)
    assert batches == length_grouped_batches(lengths, batch_size=8, seed=3, epoch=0)
    assert batches != length_grouped_batches(lengths, batch_size=8, seed=3, epoch=1)
    # Inside a batch the lengths are close: far less padding than a random order.
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches) / len(batches)
    assert spread < 10


def window(length, entities=0, pairs=0):
    return Window(
        input_ids=list(range(5, 5 + length)),
        positions=[-1, *range(length - 2), -1],
        tag_ids=[IGNORE_INDEX] + [1] * (length - 2) + [IGNORE_INDEX],
        entity_spans=[(1, 1)] * entities,
        entity_ids=[f"e{i}" for i in range(entities)],
        status_ids=[2] * entities,
        pairs=[(0, 0)] * pairs,
        pair_types=[1] * pairs,
        pair_labels=[1] * pairs,
    )


def test_collate_pads_to_the_longest_and_marks_padding_as_ignored():
    batch = collate([window(6, entities=2, pairs=3), window(4)], pad_token_id=1)
    assert batch["input_ids"].shape == (2, 6) and batch["input_ids"][1, 4:].tolist() == [1, 1]
    assert batch["attention_mask"].tolist() == [[1] * 6, [1, 1, 1, 1, 0, 0]]
    assert batch["tag_ids"][1, 4:].tolist() == [IGNORE_INDEX] * 2
    assert batch["entity_spans"].shape == (2, 2, 2) and batch["status_ids"][1].tolist() == [IGNORE_INDEX] * 2
    assert batch["pairs"].shape == (2, 3, 2) and batch["pair_labels"][1].tolist() == [IGNORE_INDEX] * 3


def test_a_batch_without_entities_still_has_one_ignored_slot():
    batch = collate([window(4)], pad_token_id=1)
    assert batch["entity_spans"].shape == (1, 1, 2) and batch["pair_labels"].tolist() == [[IGNORE_INDEX]]


def test_inference_pads_inputs_only():
    batch = pad_inputs([window(6), window(3)], pad_token_id=0)
    assert set(batch) == {"input_ids", "attention_mask"}
    assert torch.equal(batch["attention_mask"].sum(dim=1), torch.tensor([6, 3]))
