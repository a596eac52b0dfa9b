"""Arabic conflict events: annotations -> joint entity/status/relation model -> event records."""

import os

# Set before torch is imported: with the default (active) OpenMP wait policy,
# training slowed down 2.5-4x whenever another process shared this 2-core CPU
# (shared/notes/cpu-performance.md).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def load(path, device=None, quantize=False, batch_size=8):
    """Load a trained model folder: ``trainer.load("models/runs/default/best").predict(["نص الخبر ..."])``.

    Returns a :class:`trainer.inference.Predictor`; ``predict(texts)`` gives
    :class:`trainer.documents.Document` objects and ``events(document)`` their
    event records.
    """
    from trainer.inference import load_predictor

    return load_predictor(path, device=device, quantize=quantize, batch_size=batch_size)
