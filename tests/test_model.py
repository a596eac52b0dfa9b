from functools import partial

import pytest
import torch

from tests.helpers import mention
from trainer.data.batching import collate
from trainer.data.windows import labelled_windows, tokenize_document
from trainer.documents import Document, Relation
from trainer.inference.predictor import Predictor
from trainer.model import EventExtractor, EventExtractorConfig, distance_bucket

TINY = {"num_hidden_layers": 1, "hidden_size": 32, "num_attention_heads": 2, "intermediate_size": 64}
TEXT = "قتل 30 شخصا في قصف جوي على مدينة الرقة. وشن الطيران الروسي غارات على حلب."


def tiny_model(encoder_dir, schema) -> EventExtractor:
    torch.manual_seed(0)
    return EventExtractor.from_encoder(
        str(encoder_dir), schema, random_init=True, encoder_overrides=TINY, span_hidden=16, relation_hidden=16
    )


def document():
    span = partial(mention, TEXT)
    entities = [
        span("v", "30 شخصا", "VICTIM_COUNT", "killed"),
        span("w", "قصف جوي", "WEAPON"),
        span("l", "مدينة الرقة", "LOCATION"),
        span("a", "الطيران الروسي", "ACTOR"),
    ]
    return Document("d", TEXT, entities, [Relation("v", "w", "harmed_by"), Relation("w", "l", "strikes")])


@pytest.fixture(scope="module")
def batch(tokenizer, schema):
    windows = labelled_windows(tokenize_document(document(), tokenizer), tokenizer, schema, 64, 16)
    return collate(windows, tokenizer.pad_token_id)


def test_config_stores_the_schema_and_label_maps(encoder_dir, schema):
    config = tiny_model(encoder_dir, schema).config
    assert config.parsed_schema == schema
    assert config.id2label[1] == "B-ACTOR" and config.label2id["O"] == 0


def test_forward_gives_every_loss_and_shapes(encoder_dir, schema, batch):
    model = tiny_model(encoder_dir, schema)
    output = model(**batch)
    assert output.tag_logits.shape[-1] == len(schema.bio_tags)
    assert output.status_logits.shape[-1] == len(schema.status_values)
    assert output.relation_logits.shape == batch["pair_types"].shape
    for loss in (output.loss, output.entity_loss, output.status_loss, output.relation_loss):
        assert torch.isfinite(loss) and loss > 0
    output.loss.backward()
    assert model.relation_mlp[0].weight.grad is not None


def test_save_and_load_round_trip_without_extra_files(encoder_dir, schema, batch, tmp_path, tokenizer):
    model = tiny_model(encoder_dir, schema).eval()
    model.save_pretrained(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {"config.json", "model.safetensors"}
    loaded = EventExtractor.from_pretrained(tmp_path).eval()
    assert isinstance(loaded.config, EventExtractorConfig) and loaded.config.parsed_schema == schema
    with torch.no_grad():
        before, after = model(**batch), loaded(**batch)
    for name in ("tag_logits", "status_logits", "relation_logits"):
        torch.testing.assert_close(getattr(before, name), getattr(after, name))
    # Same predictions through the whole inference path.
    first = Predictor(model, tokenizer, 64, 16).predict_document(document(), gold_entities=True)
    second = Predictor(loaded, tokenizer, 64, 16).predict_document(document(), gold_entities=True)
    assert first == second


def test_predictions_only_use_relation_types_the_schema_allows(encoder_dir, schema, tokenizer):
    model = tiny_model(encoder_dir, schema)
    with torch.no_grad():  # push every relation logit up: everything the decoder may emit, it will
        model.relation_mlp[-1].bias.fill_(50.0)
    predicted = Predictor(model, tokenizer, 64, 16).predict_document(document(), gold_entities=True)
    by_id = {e.id: e for e in predicted.entities}
    assert predicted.relations
    for relation in predicted.relations:
        allowed = schema.relation_between(by_id[relation.head].label, by_id[relation.tail].label)
        assert allowed is not None and allowed.name == relation.label
    assert predicted.entity("v").status in schema.status_values


def test_distance_buckets_are_signed_log2_buckets():
    distances = torch.tensor([-1000, -8, -7, -4, -3, -2, -1, 0, 1, 2, 3, 4, 7, 8, 255, 256, 1000])
    # 0 -> 0, 1 -> 1, 2-3 -> 2, 4-7 -> 3, 8-15 -> 4, ... clipped at 9; shifted by 9 to index the embedding.
    expected = [-9, -4, -3, -3, -2, -2, -1, 0, 1, 2, 2, 3, 3, 4, 8, 9, 9]
    assert (distance_bucket(distances) - 9).tolist() == expected
    assert distance_bucket(distances).min() >= 0 and distance_bucket(distances).max() < 2 * 10 - 1
