"""Windows -> padded tensors, in length-grouped batch order.

Grouping windows of similar length into a batch wastes less compute on
padding (measured on this CPU, shared/notes/cpu-performance.md); the order is
still random from epoch to epoch and fully determined by (seed, epoch).
"""

from __future__ import annotations

import random

import torch

from trainer.data.windows import IGNORE_INDEX, Window


def length_grouped_batches(lengths: list[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Shuffle, sort by length inside mega-batches of 50 batches, then shuffle the batches."""
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    mega = batch_size * 50
    batches = []
    for start in range(0, len(order), mega):
        chunk = sorted(order[start : start + mega], key=lambda i: -lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def _pad(rows: list[list], width: int, value) -> list[list]:
    return [row + [value] * (width - len(row)) for row in rows]


def pad_inputs(windows: list[Window], pad_token_id: int) -> dict[str, torch.Tensor]:
    """``input_ids`` and ``attention_mask`` padded to the longest window: all that inference feeds the encoder."""
    length = max(len(w) for w in windows)
    return {
        "input_ids": torch.tensor(_pad([w.input_ids for w in windows], length, pad_token_id)),
        "attention_mask": torch.tensor(_pad([[1] * len(w) for w in windows], length, 0)),
    }


def collate(windows: list[Window], pad_token_id: int) -> dict[str, torch.Tensor]:
    """Training batch: padded inputs, tags, entity spans with statuses, candidate pairs with labels.

    Spans and pairs are padded to the most in the batch (at least one slot each);
    padded slots carry the ignore index, so no loss reads them.
    """
    length = max(len(w) for w in windows)
    num_entities = max(1, max(len(w.entity_spans) for w in windows))
    num_pairs = max(1, max(len(w.pairs) for w in windows))
    batch = {
        **pad_inputs(windows, pad_token_id),
        "tag_ids": torch.tensor(_pad([w.tag_ids for w in windows], length, IGNORE_INDEX)),
        "entity_spans": torch.tensor(_pad([list(map(list, w.entity_spans)) for w in windows], num_entities, [0, 0])),
        "status_ids": torch.tensor(_pad([w.status_ids for w in windows], num_entities, IGNORE_INDEX)),
        "pairs": torch.tensor(_pad([list(map(list, w.pairs)) for w in windows], num_pairs, [0, 0])),
        "pair_types": torch.tensor(_pad([w.pair_types for w in windows], num_pairs, 0)),
        "pair_labels": torch.tensor(_pad([w.pair_labels for w in windows], num_pairs, IGNORE_INDEX)),
    }
    if any(w.marked_ids for w in windows):
        batch.update(pad_marked(windows, pad_token_id, num_entities))
    return batch


def pad_marked(windows: list[Window], pad_token_id: int, num_entities: int) -> dict[str, torch.Tensor]:
    """The windows' marked sequences (typed entity markers), padded; windows without one get a bare special."""
    ids = [w.marked_ids or [pad_token_id] for w in windows]
    types = [w.marked_types or [-1] for w in windows]
    length = max(len(row) for row in ids)
    return {
        "marked_ids": torch.tensor(_pad(ids, length, pad_token_id)),
        "marked_types": torch.tensor(_pad(types, length, -1)),
        "marked_mask": torch.tensor(_pad([[1] * len(row) for row in ids], length, 0)),
        "marker_positions": torch.tensor(_pad([w.marker_positions for w in windows], num_entities, 0)),
    }
