"""Arabic conflict events: annotations -> joint entity/status/relation model -> event records."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

# Set before torch is imported: with the default (active) OpenMP wait policy,
# training slowed down 2.5-4x whenever another process shared this 2-core CPU
# (shared/notes/cpu-performance.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

if TYPE_CHECKING:
    from pathlib import Path

    from trainer.inference.predictor import Predictor


def load(path: str | Path, device: str | None = None, quantize: bool = False, batch_size: int = 8) -> Predictor:
    """Load a trained model folder: ``trainer.load("models/runs/default/best").predict(["نص الخبر ..."])``.

    Returns a :class:`trainer.inference.predictor.Predictor`; ``predict(texts)``
    gives :class:`trainer.documents.Document` objects and ``events(document)``
    their event records.
    """
    from trainer.inference.predictor import load_predictor

    return load_predictor(path, device=device, quantize=quantize, batch_size=batch_size)
