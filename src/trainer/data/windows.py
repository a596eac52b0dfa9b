"""Documents -> overlapping token windows with BIO tags, entity token spans, statuses and pairs.

Articles are longer than the encoder's 512 positions, so each document is
tokenized once (fast tokenizer, character offsets) and cut into windows of
``max_length`` tokens (specials included) that overlap by ``stride`` tokens.
Every window token keeps its position in the whole-document token sequence,
which is what lets predictions from overlapping windows be merged back.

Alignment choice: every subword of an entity is tagged (``B-X`` on the first,
``I-X`` on the rest), not only the first subword, so a decoded tag sequence
maps straight back to a character span (first token start, last token end).
A token belongs to an entity when its characters overlap the entity span.
Entities cut by a window edge are ignored in that window (tags -100): with
``stride`` longer than any entity, each one lies whole in some window.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from transformers import PreTrainedTokenizerBase

from trainer.documents import Document, Entity
from trainer.schema import OUTSIDE_TAG, Schema
from trainer.text import SentenceIndex

IGNORE_INDEX = -100
# Positions of BERT-family encoders: a marked window (two markers per entity) must fit in them.
MAX_MARKED_LENGTH = 512


@dataclass
class TokenizedDocument:
    """The whole document as one token sequence (no specials) with character offsets."""

    document: Document
    input_ids: list[int]
    offsets: list[tuple[int, int]]


@dataclass
class Window:
    input_ids: list[int]
    # Position of each token in the document's token sequence; -1 for specials.
    positions: list[int]
    tag_ids: list[int] = field(default_factory=list)
    # Gold entities lying whole in the window: inclusive token span, id, status id.
    entity_spans: list[tuple[int, int]] = field(default_factory=list)
    entity_ids: list[str] = field(default_factory=list)
    status_ids: list[int] = field(default_factory=list)
    # Candidate relation pairs (indices into entity_spans), their relation type and gold label.
    pairs: list[tuple[int, int]] = field(default_factory=list)
    pair_types: list[int] = field(default_factory=list)
    pair_labels: list[int] = field(default_factory=list)
    # With typed entity markers (``relation_encoder: markers``): the window's tokens with a start and an
    # end marker around every entity, the marker type of each position (-1: a token), and where each
    # entity's start marker is.
    marked_ids: list[int] = field(default_factory=list)
    marked_types: list[int] = field(default_factory=list)
    marker_positions: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.input_ids)


def tokenize_document(document: Document, tokenizer: PreTrainedTokenizerBase) -> TokenizedDocument:
    # verbose=False: the whole article is longer than the model; windows cut it afterwards.
    encoding = tokenizer(document.text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    return TokenizedDocument(document, encoding["input_ids"], [tuple(o) for o in encoding["offset_mapping"]])


def window_bounds(num_tokens: int, max_length: int, stride: int) -> list[tuple[int, int]]:
    """[start, end) token ranges of the windows; consecutive ones overlap by ``stride`` tokens."""
    capacity = max_length - 2  # room for the two special tokens
    step = capacity - stride
    bounds, start = [], 0
    while True:
        end = min(start + capacity, num_tokens)
        bounds.append((start, end))
        if end == num_tokens:
            return bounds
        start += step


def make_windows(
    tokenized: TokenizedDocument, tokenizer: PreTrainedTokenizerBase, max_length: int, stride: int
) -> list[Window]:
    """Unlabelled windows (inference)."""
    windows = []
    for start, end in window_bounds(len(tokenized.input_ids), max_length, stride):
        windows.append(
            Window(
                input_ids=[tokenizer.cls_token_id, *tokenized.input_ids[start:end], tokenizer.sep_token_id],
                positions=[-1, *range(start, end), -1],
            )
        )
    return windows


def entity_token_span(offsets: list[tuple[int, int]], entity: Entity) -> tuple[int, int] | None:
    """Inclusive (first, last) document token indices overlapping the entity's characters."""
    inside = [i for i, (start, end) in enumerate(offsets) if end > start and start < entity.end and end > entity.start]
    return (inside[0], inside[-1]) if inside else None


def document_tags(tokenized: TokenizedDocument, schema: Schema) -> tuple[list[int], dict[str, tuple[int, int]]]:
    """Tag id per document token and the token span of every entity."""
    tags = [schema.tag_to_id[OUTSIDE_TAG]] * len(tokenized.input_ids)
    spans = {}
    for entity in tokenized.document.entities:
        span = entity_token_span(tokenized.offsets, entity)
        if span is None:
            continue
        spans[entity.id] = span
        tags[span[0]] = schema.tag_to_id[f"B-{entity.label}"]
        for position in range(span[0] + 1, span[1] + 1):
            tags[position] = schema.tag_to_id[f"I-{entity.label}"]
    return tags, spans


def candidate_pairs(entities: list[Entity], schema: Schema, sentences: SentenceIndex) -> list[tuple[int, int, int]]:
    """(head index, tail index, relation type index) for every pair the schema allows.

    Allowed means: the schema has a relation from the head's label to the tail's
    label, and the two are at most ``max_sentence_distance`` sentences apart.
    The same rule selects training negatives and inference candidates.
    """
    pairs = []
    for head_index, head in enumerate(entities):
        for tail_index, tail in enumerate(entities):
            relation = schema.relation_between(head.label, tail.label)
            if relation is None or head_index == tail_index:
                continue
            if sentences.distance(head.span, tail.span) <= schema.max_sentence_distance:
                pairs.append((head_index, tail_index, schema.relation_names.index(relation.name)))
    return pairs


def marked_sequence(
    input_ids: list[int], spans: list[tuple[int, int]], label_indices: list[int], pad_token_id: int
) -> tuple[list[int], list[int], list[int]]:
    """Typed entity markers around every (non-overlapping) span: ids, marker types, start-marker positions.

    A marker of label ``k`` is type ``2k`` (start) or ``2k + 1`` (end); its id slot holds the pad
    token, since the model embeds markers with an embedding table of their own.
    """
    starts = {start: index for index, (start, _) in enumerate(spans)}
    ends = {end: index for index, (_, end) in enumerate(spans)}
    ids, types, positions = [], [], [0] * len(spans)
    for position, token in enumerate(input_ids):
        if position in starts:
            positions[starts[position]] = len(ids)
            ids.append(pad_token_id)
            types.append(2 * label_indices[starts[position]])
        ids.append(token)
        types.append(-1)
        if position in ends:
            ids.append(pad_token_id)
            types.append(2 * label_indices[ends[position]] + 1)
    return ids, types, positions


def add_markers(window: Window, labels: list[str], schema: Schema, pad_token_id: int, max_positions: int) -> None:
    """Give a window its marked sequence, or no pairs when the markers would not fit the encoder."""
    label_indices = [schema.entity_labels.index(label) for label in labels]
    ids, types, positions = marked_sequence(window.input_ids, window.entity_spans, label_indices, pad_token_id)
    if len(ids) > max_positions:
        window.pairs, window.pair_types, window.pair_labels = [], [], []
        return
    window.marked_ids, window.marked_types, window.marker_positions = ids, types, positions


def labelled_windows(
    tokenized: TokenizedDocument,
    tokenizer: PreTrainedTokenizerBase,
    schema: Schema,
    max_length: int,
    stride: int,
    markers: bool = False,
) -> list[Window]:
    """Training windows: tags, whole entities with statuses, and candidate pairs with gold labels.

    ``markers``: also the marked sequence of every window (typed entity markers around the gold entities).
    """
    document = tokenized.document
    tags, token_spans = document_tags(tokenized, schema)
    gold = {(relation.head, relation.tail) for relation in document.relations}
    sentences = SentenceIndex(document.text)
    windows = make_windows(tokenized, tokenizer, max_length, stride)
    for window in windows:
        first, last = window.positions[1], window.positions[-2]
        window.tag_ids = [IGNORE_INDEX] + tags[first : last + 1] + [IGNORE_INDEX]
        inside = []
        for entity in document.entities:
            span = token_spans.get(entity.id)
            if span is None:
                continue
            if first <= span[0] and span[1] <= last:
                inside.append(entity)
                window.entity_spans.append((span[0] - first + 1, span[1] - first + 1))
                window.entity_ids.append(entity.id)
                window.status_ids.append(
                    schema.status_values.index(entity.status) if entity.status is not None else IGNORE_INDEX
                )
            elif span[1] >= first and span[0] <= last:  # cut by the window edge
                for position in range(max(span[0], first), min(span[1], last) + 1):
                    window.tag_ids[position - first + 1] = IGNORE_INDEX
        for head_index, tail_index, relation_index in candidate_pairs(inside, schema, sentences):
            window.pairs.append((head_index, tail_index))
            window.pair_types.append(relation_index)
            window.pair_labels.append(int((inside[head_index].id, inside[tail_index].id) in gold))
        if markers:
            add_markers(window, [e.label for e in inside], schema, tokenizer.pad_token_id, MAX_MARKED_LENGTH)
    return windows


def training_windows(
    documents: list[Document],
    tokenizer: PreTrainedTokenizerBase,
    schema: Schema,
    max_length: int,
    stride: int,
    markers: bool = False,
) -> list[Window]:
    """The labelled windows of every document, in document order."""
    return [
        window
        for document in documents
        for window in labelled_windows(
            tokenize_document(document, tokenizer), tokenizer, schema, max_length, stride, markers
        )
    ]
