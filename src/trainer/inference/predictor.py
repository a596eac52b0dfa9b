"""Run a trained model on whole articles: text in, :class:`Document` with entities, statuses and relations out.

One article goes through: tokenize once -> overlapping windows -> encoder ->
per-token tag scores merged across windows -> constrained Viterbi -> entity
character spans -> status and relation heads on the predicted spans, each read
in the window where the span (or pair) sits most centrally.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import islice
from pathlib import Path

import numpy as np
import torch
from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from trainer.data.batching import pad_inputs
from trainer.data.windows import (
    MAX_MARKED_LENGTH,
    Window,
    candidate_pairs,
    entity_token_span,
    make_windows,
    marked_sequence,
    tokenize_document,
)
from trainer.documents import Document, Entity, Relation
from trainer.errors import MissingFileError
from trainer.events.records import build_events
from trainer.inference.decoding import central_window, snap_to_words, tag_spans, viterbi
from trainer.model import EventExtractor
from trainer.text import SentenceIndex

DEFAULT_RELATION_THRESHOLD = 0.5


@dataclass
class EncodedDocument:
    windows: list[Window]
    hidden: list[torch.Tensor]  # per window: (tokens, hidden)
    log_probs: list[np.ndarray]  # per window: (tokens, tags)

    @cached_property
    def ranges(self) -> list[tuple[int, int]]:
        """[start, end) document token range of each window, without its special tokens."""
        return [(w.positions[1], w.positions[-2] + 1) for w in self.windows]


class Predictor:
    """A model, its tokenizer and window settings; ``predict`` works on articles of any length."""

    def __init__(
        self,
        model: EventExtractor,
        tokenizer: PreTrainedTokenizerBase,
        max_length: int | None = None,
        stride: int | None = None,
        batch_size: int = 8,
        documents_per_chunk: int = 64,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.schema = model.config.parsed_schema
        self.max_length = max_length or model.config.window_length
        self.stride = model.config.window_stride if stride is None else stride
        self.batch_size = batch_size
        self.documents_per_chunk = documents_per_chunk

    def relation_threshold(self, relation: str) -> float:
        """The probability from which a candidate pair of this type is predicted as a relation."""
        return self.model.config.relation_thresholds.get(relation, DEFAULT_RELATION_THRESHOLD)

    @property
    def majority_status(self) -> str | None:
        """The status most frequent in the training data (the majority-class baseline), if recorded."""
        counts = self.model.config.training_status_counts
        return max(counts, key=counts.get) if counts else None

    def predict_document(
        self, document: Document, gold_entities: bool = False, all_candidates: bool = False
    ) -> Document:
        """Predicted annotation of ``document.text``.

        With ``gold_entities`` the document's own entities are kept and only
        statuses and relations are predicted (to score the relation head alone).
        With ``all_candidates`` every candidate pair comes back as a relation
        with its probability, whatever the thresholds (to tune them).
        """
        return next(self.predict_documents([document], gold_entities, all_candidates))

    @torch.inference_mode()
    def predict_documents(
        self, documents: Iterable[Document], gold_entities: bool = False, all_candidates: bool = False
    ) -> Iterator[Document]:
        """Predicted documents, in input order, read lazily ``documents_per_chunk`` at a time.

        The windows of all documents of a chunk go through the encoder together, in batches of
        windows of similar length (little padding: many short texts run as fast as few long ones).
        """
        self.model.eval()
        for chunk in _chunks(documents, self.documents_per_chunk):
            tokenized = [tokenize_document(document, self.tokenizer) for document in chunk]
            windows = [make_windows(t, self.tokenizer, self.max_length, self.stride) for t in tokenized]
            encoded = self._encode(windows)
            for document, tokens, states in zip(chunk, tokenized, encoded, strict=True):
                yield self._predict_encoded(document, tokens.offsets, states, gold_entities, all_candidates)

    def predict(self, texts: list[str]) -> list[Document]:
        """Predicted documents (entities with scores and statuses, relations) for raw article texts."""
        return list(self.predict_documents(Document(id=str(i), text=text) for i, text in enumerate(texts)))

    def events(self, document: Document) -> list[dict]:
        return build_events(document, self.schema)

    def _predict_encoded(
        self, document: Document, offsets, encoded: EncodedDocument, gold_entities: bool, all_candidates: bool
    ) -> Document:
        log_probs = self._merged_log_probs(encoded)
        if gold_entities:
            entities = [Entity(e.id, e.start, e.end, e.label, e.text) for e in document.entities]
        else:
            entities = self._decode_entities(document.text, offsets, log_probs)
        spans = {e.id: entity_token_span(offsets, e) for e in entities}
        entities = [e for e in entities if spans[e.id] is not None]
        entities = self._predict_statuses(entities, spans, encoded)
        relations, relation_margin = self._predict_relations(document.text, entities, spans, encoded, all_candidates)
        confidence = {"token_margin": _mean_margin(log_probs), "relation_margin": relation_margin}
        return Document(document.id, document.text, entities, relations, {**document.meta, "confidence": confidence})

    def _encode(self, windows: list[list[Window]]) -> list[EncodedDocument]:
        """Encoder states and tag log-probabilities of every window of several documents.

        Windows are sorted by length (ties: document order) and batched across documents.
        """
        device = self.model.device
        flat = [(d, w) for d, document_windows in enumerate(windows) for w in range(len(document_windows))]
        flat.sort(key=lambda item: len(windows[item[0]][item[1]]))
        hidden: dict[tuple[int, int], torch.Tensor] = {}
        log_probs: dict[tuple[int, int], np.ndarray] = {}
        for start in range(0, len(flat), self.batch_size):
            keys = flat[start : start + self.batch_size]
            chunk = [windows[d][w] for d, w in keys]
            batch = pad_inputs(chunk, self.tokenizer.pad_token_id)
            states = self.model.encode(batch["input_ids"].to(device), batch["attention_mask"].to(device))
            scores = torch.log_softmax(self.model.tag_logits(states).float(), dim=-1).cpu().numpy()
            for row, (key, window) in enumerate(zip(keys, chunk, strict=True)):
                hidden[key] = states[row, : len(window)]
                log_probs[key] = scores[row, : len(window)]
        return [
            EncodedDocument(
                document_windows,
                [hidden[d, w] for w in range(len(document_windows))],
                [log_probs[d, w] for w in range(len(document_windows))],
            )
            for d, document_windows in enumerate(windows)
        ]

    def _merged_log_probs(self, encoded: EncodedDocument) -> np.ndarray:
        """(tokens, tags) for the whole document: each token read in the window where it is most central."""
        ranges = encoded.ranges
        num_tokens = ranges[-1][1] if ranges else 0
        merged = np.zeros((num_tokens, len(self.schema.bio_tags)), dtype=np.float32)
        for position in range(num_tokens):
            index = central_window(position, ranges)
            merged[position] = encoded.log_probs[index][position - ranges[index][0] + 1]
        return merged

    def _decode_entities(self, text: str, offsets, merged: np.ndarray) -> list[Entity]:
        path = viterbi(merged, self.schema.bio_tags)
        entities: list[Entity] = []
        for first, last, label in tag_spans(path, self.schema):
            snapped = snap_to_words(text, offsets[first][0], offsets[last][1])
            if snapped is None or (entities and snapped[0] < entities[-1].end):
                continue  # empty after trimming, or overlaps the previous entity once widened
            score = float(np.exp(merged[np.arange(first, last + 1), path[first : last + 1]]).mean())
            entities.append(
                Entity(
                    f"p{len(entities) + 1}",
                    snapped[0],
                    snapped[1],
                    label,
                    text[snapped[0] : snapped[1]],
                    score=round(score, 4),
                )
            )
        return entities

    def _window_holding(self, first: int, last: int, encoded: EncodedDocument) -> int:
        """Window holding token span [first, last] whole, most centrally (-1 if none)."""
        ranges = encoded.ranges
        holding = [i for i, (start, end) in enumerate(ranges) if start <= first and last < end]
        if not holding:
            return -1
        middle = (first + last) // 2
        return max(holding, key=lambda i: (min(middle - ranges[i][0], ranges[i][1] - 1 - middle), -i))

    def _span_reprs(
        self, encoded: EncodedDocument, window_index: int, token_spans: list[tuple[int, int]]
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Span representations read in one window, and the spans in that window's token positions."""
        offset = encoded.ranges[window_index][0] - 1  # window position 0 is the special token
        local = torch.tensor([[s - offset, e - offset] for s, e in token_spans], device=self.model.device)
        return self.model.span_representations(encoded.hidden[window_index].unsqueeze(0), local.unsqueeze(0))[0], local

    def _marker_reprs(
        self, encoded: EncodedDocument, window_index: int, members: list[Entity], spans
    ) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The members read at their start markers in a second pass over the marked window, and their local spans.

        None when the marked window would not fit the encoder's positions.
        """
        offset = encoded.ranges[window_index][0] - 1
        local = [(spans[e.id][0] - offset, spans[e.id][1] - offset) for e in members]
        labels = [self.schema.entity_labels.index(e.label) for e in members]
        window = encoded.windows[window_index]
        ids, types, positions = marked_sequence(window.input_ids, local, labels, self.tokenizer.pad_token_id)
        if len(ids) > MAX_MARKED_LENGTH:
            return None
        device = self.model.device
        reprs = self.model.marker_representations(
            torch.tensor([ids], device=device),
            torch.tensor([types], device=device),
            torch.ones(1, len(ids), dtype=torch.long, device=device),
            torch.tensor([positions], device=device),
        )[0]
        return reprs, torch.tensor(local, device=device)

    def _predict_statuses(self, entities: list[Entity], spans, encoded: EncodedDocument) -> list[Entity]:
        """One status-head call per window, over the entities of the status label read in that window."""
        if self.schema.status is None:
            return entities
        by_window: dict[int, list[Entity]] = defaultdict(list)
        for entity in entities:
            if self.schema.has_status(entity.label):
                by_window[self._window_holding(*spans[entity.id], encoded)].append(entity)
        statuses = {}
        for window, group in by_window.items():
            if window < 0:  # longer than a window: no context to read a status from
                statuses.update({entity.id: self.schema.status_values[0] for entity in group})
                continue
            reprs, local = self._span_reprs(encoded, window, [spans[entity.id] for entity in group])
            hidden = encoded.hidden[window].unsqueeze(0)
            length = torch.tensor([hidden.size(1)], device=self.model.device)
            logits = self.model.status_logits(reprs.unsqueeze(0), hidden, local.unsqueeze(0), length)[0]
            best = logits.argmax(dim=-1).tolist()
            statuses.update({entity.id: self.schema.status_values[b] for entity, b in zip(group, best, strict=True)})
        return [replace(entity, status=statuses.get(entity.id)) for entity in entities]

    def _predict_relations(
        self, text: str, entities: list[Entity], spans, encoded: EncodedDocument, all_candidates: bool = False
    ) -> tuple[list[Relation], float]:
        """One relation-head call per window, over the candidate pairs read in that window.

        Also returns the lowest relation margin: how far the least clear candidate's probability is from
        its type's threshold, relative to the farthest it could be (1.0 without candidates).
        """
        if not self.schema.relations:
            return [], 1.0
        by_window: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for head, tail, type_index in candidate_pairs(entities, self.schema, SentenceIndex(text)):
            (head_first, head_last), (tail_first, tail_last) = spans[entities[head].id], spans[entities[tail].id]
            window = self._window_holding(min(head_first, tail_first), max(head_last, tail_last), encoded)
            if window >= 0:  # a pair that never fits in one window has no context for the head
                by_window[window].append((head, tail, type_index))
        found, margin = [], 1.0
        for window, pairs in by_window.items():
            if self.model.marker_embedding is None:
                members = sorted({index for head, tail, _ in pairs for index in (head, tail)})
                reprs, local = self._span_reprs(encoded, window, [spans[entities[i].id] for i in members])
            else:  # every entity whole in the window is marked, as in training
                start, end = encoded.ranges[window]
                members = [i for i, e in enumerate(entities) if start <= spans[e.id][0] and spans[e.id][1] < end]
                marked = self._marker_reprs(encoded, window, [entities[i] for i in members], spans)
                if marked is None:  # too many entities to mark within the encoder's positions, as in training
                    continue
                reprs, local = marked
            slot = {index: position for position, index in enumerate(members)}
            device = self.model.device
            pair_slots = torch.tensor([[[slot[head], slot[tail]] for head, tail, _ in pairs]], device=device)
            types = torch.tensor([[type_index for _, _, type_index in pairs]], device=device)
            logits = self.model.relation_logits(reprs.unsqueeze(0), local.unsqueeze(0), pair_slots, types)[0]
            for (head, tail, type_index), probability in zip(pairs, torch.sigmoid(logits).tolist(), strict=True):
                threshold = self.relation_threshold(self.schema.relation_names[type_index])
                margin = min(margin, abs(probability - threshold) / max(threshold, 1 - threshold))
                if all_candidates or probability >= threshold:
                    found.append((head, tail, type_index, probability))
        relations = [
            Relation(entities[head].id, entities[tail].id, self.schema.relation_names[t], round(probability, 4))
            for head, tail, t, probability in sorted(found)
        ]
        return relations, round(margin, 4)


def _mean_margin(log_probs: np.ndarray) -> float:
    """The mean over tokens of the best tag's probability minus the second best's (1.0 for no tokens)."""
    if len(log_probs) == 0:
        return 1.0
    top_two = np.sort(np.exp(log_probs), axis=1)[:, -2:]
    return round(float((top_two[:, 1] - top_two[:, 0]).mean()), 4)


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def load_predictor(
    path: str | Path, device: str | None = None, quantize: bool = False, batch_size: int = 8
) -> Predictor:
    """A trained or exported model folder -> :class:`Predictor`.

    ``quantize``: dynamic int8 for the encoder's and heads' linear layers, for
    CPU inference. Weights are quantized per output channel: per-tensor scales
    cost more entity F1 here (article 004: 0.79 against 0.85, fp32 0.95). It is
    faster and less accurate: scripts/benchmark_speed.py measures both.
    """
    path = Path(path)
    if not (path / "config.json").is_file():
        raise MissingFileError(f"no model in {path} (config.json missing); train one or give the run's best/ folder")
    model = EventExtractor.from_pretrained(path).eval()
    if quantize:
        model = quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig})
    elif device:
        model = model.to(device)
    return Predictor(model, AutoTokenizer.from_pretrained(path), batch_size=batch_size)
