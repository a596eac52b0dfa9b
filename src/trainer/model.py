"""The joint model: encoder + BIO entity head + status head + relation head.

A ``transformers.PreTrainedModel`` whose config stores the schema and the
encoder's config, so ``save_pretrained`` / ``from_pretrained`` round-trip with
no extra files. Any BERT-family checkpoint loadable with ``AutoModel`` can be
the encoder.

- entity head: a linear layer over every token -> BIO tag logits;
- span representation: [first token; last token; mean of the span; width
  embedding] -> MLP, computed on gold spans in training and on predicted
  spans at inference;
- status head: span representation -> status logits (entities of the
  status label only);
- relation head: [head; tail; head * tail; signed distance embedding] -> MLP
  -> one logit per relation type. The schema fixes the type of a pair from its
  argument labels, so only that type's logit is read (a binary decision):
  forbidden types can never be emitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.utils import ModelOutput

from trainer.data.windows import IGNORE_INDEX
from trainer.schema import Schema

MAX_SPAN_WIDTH = 32
DISTANCE_BUCKETS = 10  # signed log2 buckets of the token distance between two spans


class EventExtractorConfig(PretrainedConfig):
    model_type = "arabic_conflict_event_extractor"

    def __init__(
        self,
        schema: dict | None = None,
        encoder: dict | None = None,
        span_hidden: int = 256,
        relation_hidden: int = 256,
        width_embedding: int = 32,
        distance_embedding: int = 32,
        head_dropout: float = 0.1,
        entity_loss_weight: float = 1.0,
        status_loss_weight: float = 1.0,
        relation_loss_weight: float = 1.0,
        window_length: int = 256,
        window_stride: int = 64,
        status_context: int = 0,
        status_class_weights: list[float] | None = None,
        relation_encoder: str = "spans",
        relation_thresholds: dict[str, float] | None = None,
        training_status_counts: dict[str, int] | None = None,
        **kwargs,
    ) -> None:
        self.schema = schema
        self.encoder = encoder
        self.span_hidden = span_hidden
        self.relation_hidden = relation_hidden
        self.width_embedding = width_embedding
        self.distance_embedding = distance_embedding
        self.head_dropout = head_dropout
        self.entity_loss_weight = entity_loss_weight
        self.status_loss_weight = status_loss_weight
        self.relation_loss_weight = relation_loss_weight
        # The window settings the model was trained with; inference uses the same.
        self.window_length = window_length
        self.window_stride = window_stride
        # Tokens on each side of a victim count that the status head reads too (0: the span alone).
        self.status_context = status_context
        # One loss weight per status value (None: unweighted), e.g. inverse training frequencies.
        self.status_class_weights = status_class_weights
        # What the relation head reads: "spans" (the pooled span representations of one encoder pass)
        # or "markers" (a second pass over the window with typed markers around every entity).
        self.relation_encoder = relation_encoder
        # Per relation type, the probability from which a candidate pair is a relation; tuned on dev
        # after training (trainer.inference.thresholds), 0.5 until then.
        self.relation_thresholds = relation_thresholds or {}
        # How often each status occurs in the training data: the majority-class baseline reads it.
        self.training_status_counts = training_status_counts or {}
        if schema is not None:
            tags = Schema.from_dict(schema).bio_tags
            kwargs["id2label"] = dict(enumerate(tags))
            kwargs["label2id"] = {tag: index for index, tag in enumerate(tags)}
        super().__init__(**kwargs)

    @property
    def parsed_schema(self) -> Schema:
        return Schema.from_dict(self.schema)

    def encoder_config(self) -> PretrainedConfig:
        settings = dict(self.encoder)
        return AutoConfig.for_model(settings.pop("model_type"), **settings)


@dataclass
class EventExtractorOutput(ModelOutput):
    loss: torch.Tensor | None = None
    entity_loss: torch.Tensor | None = None
    status_loss: torch.Tensor | None = None
    relation_loss: torch.Tensor | None = None
    tag_logits: torch.Tensor | None = None
    status_logits: torch.Tensor | None = None
    relation_logits: torch.Tensor | None = None


def _mlp(in_features: int, hidden: int, out_features: int, dropout: float) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(in_features, hidden), nn.GELU(), nn.Dropout(dropout), nn.Linear(hidden, out_features)
    )


def _gather(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """values (B, T, H), index (B, E) -> values[b, index[b, e]] (B, E, H)."""
    return torch.gather(values, 1, index.unsqueeze(-1).expand(-1, -1, values.size(-1)))


def _range_means(hidden: torch.Tensor, starts: torch.Tensor, ends: torch.Tensor) -> torch.Tensor:
    """Mean of hidden over each inclusive token range [start, end] (B, E) -> (B, E, H); zeros for an empty range."""
    prefix = torch.cat([torch.zeros_like(hidden[:, :1]), hidden.cumsum(dim=1)], dim=1)
    empty = ends < starts
    ends = torch.where(empty, starts, ends)
    sums = _gather(prefix, ends + 1) - _gather(prefix, starts)
    means = sums / (ends - starts + 1).unsqueeze(-1)
    return means.masked_fill(empty.unsqueeze(-1), 0.0)


def distance_bucket(distance: torch.Tensor) -> torch.Tensor:
    """Signed log2 buckets: 0 for 0, +-1 for 1, +-2 for 2-3, +-3 for 4-7, ... clipped, shifted to be >= 0."""
    size = distance.abs().clamp(min=1).float()
    magnitude = torch.where(distance == 0, 0, torch.floor(torch.log2(size)).long() + 1)
    magnitude = magnitude.clamp(max=DISTANCE_BUCKETS - 1)
    return torch.sign(distance) * magnitude + DISTANCE_BUCKETS - 1


class EventExtractor(PreTrainedModel):
    config_class = EventExtractorConfig
    base_model_prefix = "encoder"

    def __init__(self, config: EventExtractorConfig) -> None:
        super().__init__(config)
        schema = config.parsed_schema
        self.encoder = AutoModel.from_config(config.encoder_config(), add_pooling_layer=False)
        hidden = self.encoder.config.hidden_size
        dropout = config.head_dropout
        self.dropout = nn.Dropout(dropout)
        self.tag_classifier = nn.Linear(hidden, len(schema.bio_tags))
        self.width_embedding = nn.Embedding(MAX_SPAN_WIDTH + 1, config.width_embedding)
        self.span_mlp = nn.Sequential(
            nn.Linear(3 * hidden + config.width_embedding, config.span_hidden), nn.GELU(), nn.Dropout(dropout)
        )
        status_features = config.span_hidden + (2 * hidden if config.status_context else 0)
        self.status_classifier = nn.Linear(status_features, len(schema.status_values)) if schema.status else None
        self.marker_embedding = None
        if schema.relations:
            argument = config.span_hidden
            if config.relation_encoder == "markers":
                self.marker_embedding = nn.Embedding(2 * len(schema.entity_labels), hidden)
                argument = hidden
            self.distance_embedding = nn.Embedding(2 * DISTANCE_BUCKETS - 1, config.distance_embedding)
            self.relation_mlp = _mlp(
                3 * argument + config.distance_embedding, config.relation_hidden, len(schema.relations), dropout
            )
        else:
            self.distance_embedding = self.relation_mlp = None
        self.post_init()

    @classmethod
    def from_encoder(
        cls, encoder: str, schema: Schema, random_init: bool = False, encoder_overrides=None, **head_settings
    ) -> EventExtractor:
        """A new model around a pretrained encoder (``random_init``: its architecture, random weights)."""
        encoder_config = AutoConfig.from_pretrained(encoder, **(encoder_overrides or {}))
        config = EventExtractorConfig(schema=schema.to_dict(), encoder=encoder_config.to_dict(), **head_settings)
        model = cls(config)
        if not random_init:
            model.encoder = AutoModel.from_pretrained(encoder, config=encoder_config, add_pooling_layer=False)
        return model

    # -- the pieces, also used one by one at inference -------------------------------------

    def encode(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    def tag_logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.tag_classifier(self.dropout(hidden))

    def span_representations(self, hidden: torch.Tensor, spans: torch.Tensor) -> torch.Tensor:
        """hidden (B, T, H), inclusive token spans (B, E, 2) -> (B, E, span_hidden)."""
        starts, ends = spans[..., 0], spans[..., 1]
        widths = (ends - starts + 1).clamp(min=1)
        pooled = _range_means(hidden, starts, ends)
        width = self.width_embedding(widths.clamp(max=MAX_SPAN_WIDTH))
        return self.span_mlp(torch.cat([_gather(hidden, starts), _gather(hidden, ends), pooled, width], dim=-1))

    def status_logits(
        self, span_reprs: torch.Tensor, hidden: torch.Tensor, spans: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        """Status logits (B, E); with ``status_context`` the head also reads the tokens around each span.

        ``lengths`` (B,) are the windows' token counts, specials included: context stops at them.
        """
        features = [span_reprs]
        context = self.config.status_context
        if context:
            starts, ends = spans[..., 0], spans[..., 1]
            last = (lengths - 2).unsqueeze(-1)  # the last token before the closing special token
            features.append(_range_means(hidden, (starts - context).clamp(min=1), starts - 1))
            features.append(_range_means(hidden, ends + 1, torch.minimum(ends + context, last)))
        return self.status_classifier(torch.cat(features, dim=-1))

    def marker_representations(
        self, marked_ids: torch.Tensor, marked_types: torch.Tensor, marked_mask: torch.Tensor, positions: torch.Tensor
    ) -> torch.Tensor:
        """Encode windows with typed entity markers; each entity is read at its start marker: (B, E, hidden)."""
        words = self.encoder.get_input_embeddings()(marked_ids)
        markers = self.marker_embedding(marked_types.clamp(min=0))
        embeds = torch.where((marked_types >= 0).unsqueeze(-1), markers, words)
        states = self.encoder(inputs_embeds=embeds, attention_mask=marked_mask).last_hidden_state
        return self.dropout(_gather(states, positions))

    def relation_logits(
        self, entity_reprs: torch.Tensor, spans: torch.Tensor, pairs: torch.Tensor, pair_types: torch.Tensor
    ) -> torch.Tensor:
        """The logit of each pair's schema-given relation type: (B, P).

        ``entity_reprs`` (B, E, D) are span representations or marker states, whichever the model reads.
        """
        head, tail = _gather(entity_reprs, pairs[..., 0]), _gather(entity_reprs, pairs[..., 1])
        head_start = torch.gather(spans[..., 0], 1, pairs[..., 0])
        tail_start = torch.gather(spans[..., 0], 1, pairs[..., 1])
        distance = self.distance_embedding(distance_bucket(tail_start - head_start))
        logits = self.relation_mlp(torch.cat([head, tail, head * tail, distance], dim=-1))
        return torch.gather(logits, 2, pair_types.unsqueeze(-1)).squeeze(-1)

    # -- training ----------------------------------------------------------------------------

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        entity_spans: torch.Tensor | None = None,
        pairs: torch.Tensor | None = None,
        pair_types: torch.Tensor | None = None,
        tag_ids: torch.Tensor | None = None,
        status_ids: torch.Tensor | None = None,
        pair_labels: torch.Tensor | None = None,
        marked_ids: torch.Tensor | None = None,
        marked_types: torch.Tensor | None = None,
        marked_mask: torch.Tensor | None = None,
        marker_positions: torch.Tensor | None = None,
    ) -> EventExtractorOutput:
        hidden = self.encode(input_ids, attention_mask)
        tag_logits = self.tag_logits(hidden)
        output = EventExtractorOutput(tag_logits=tag_logits)
        if entity_spans is not None:
            span_reprs = self.span_representations(hidden, entity_spans)
            if self.status_classifier is not None:
                lengths = attention_mask.sum(dim=1)
                output.status_logits = self.status_logits(span_reprs, hidden, entity_spans, lengths)
            if self.relation_mlp is not None and pairs is not None:
                arguments = span_reprs
                if self.marker_embedding is not None:
                    arguments = self.marker_representations(marked_ids, marked_types, marked_mask, marker_positions)
                output.relation_logits = self.relation_logits(arguments, entity_spans, pairs, pair_types)
        if tag_ids is not None:
            self._add_losses(output, tag_ids, status_ids, pair_labels)
        return output

    def _add_losses(self, output, tag_ids, status_ids, pair_labels) -> None:
        """The weighted sum of the three losses.

        A head with nothing to learn from in a batch (no victim count, no candidate pair) still
        takes part, with a zero-weighted term: distributed training (DDP) stops when a parameter
        gets no gradient on one process.
        """
        config = self.config
        output.entity_loss = F.cross_entropy(
            output.tag_logits.flatten(0, 1), tag_ids.flatten(), ignore_index=IGNORE_INDEX
        )
        output.status_loss = _unused(output.status_logits, output.tag_logits)
        if output.status_logits is not None and (status_ids != IGNORE_INDEX).any():
            weights = config.status_class_weights
            output.status_loss = F.cross_entropy(
                output.status_logits.flatten(0, 1),
                status_ids.flatten(),
                weight=None if weights is None else output.status_logits.new_tensor(weights),
                ignore_index=IGNORE_INDEX,
            )
        output.relation_loss = _unused(output.relation_logits, output.tag_logits)
        if output.relation_logits is not None and (pair_labels != IGNORE_INDEX).any():
            known = pair_labels != IGNORE_INDEX
            output.relation_loss = F.binary_cross_entropy_with_logits(
                output.relation_logits[known], pair_labels[known].float()
            )
        output.loss = (
            config.entity_loss_weight * output.entity_loss
            + config.status_loss_weight * output.status_loss
            + config.relation_loss_weight * output.relation_loss
        )


def _unused(logits: torch.Tensor | None, fallback: torch.Tensor) -> torch.Tensor:
    """A zero loss that still depends on a head's output, so the head takes part in the backward pass."""
    return (logits if logits is not None else fallback).sum() * 0


# So that AutoConfig / AutoModel (and AutoTokenizer, which reads the config)
# recognise saved and exported models once this package is imported.
AutoConfig.register(EventExtractorConfig.model_type, EventExtractorConfig)
AutoModel.register(EventExtractorConfig, EventExtractor)
