"""The model as a Hugging Face pipeline: ``pipeline(model=folder, trust_remote_code=True)(texts)``.

An exported model folder carries this module (with the others it needs) as
remote code and names it in its config's ``custom_pipelines``, so the
pipeline needs nothing but ``torch`` and ``transformers``. Each text gives
the same record as ``trainer.load(folder).predict`` and ``predict.py``:
entities (label, start, end, text, score, status), relations and event
records, articles of any length read in the model's windows.
"""

from __future__ import annotations

from typing import Any

from transformers import Pipeline

from trainer.documents import Document
from trainer.formats.jsonl import prediction_record
from trainer.inference.predictor import Predictor

TASK = "conflict-event-extraction"


class ConflictEventExtractionPipeline(Pipeline):
    _load_tokenizer = True

    def _sanitize_parameters(self, **kwargs) -> tuple[dict, dict, dict]:
        return {}, {}, {}

    def preprocess(self, text: str) -> dict[str, str]:
        return {"text": text}

    def _forward(self, inputs: dict[str, str]) -> dict[str, Document]:
        predictor = Predictor(self.model, self.tokenizer)
        return {"document": predictor.predict_document(Document(id="", text=inputs["text"]))}

    def postprocess(self, outputs: dict[str, Document]) -> dict[str, Any]:
        record = prediction_record(outputs["document"], self.model.config.parsed_schema)
        del record["id"]  # a text given to a pipeline has no id
        return record
