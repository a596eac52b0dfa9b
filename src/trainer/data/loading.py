"""Read a run's annotated documents (any format) and split them into train and dev.

The split is by whole document, never by window: the dev articles (or
sentences) are never seen in training. Tasks that carry a ``split`` in their
Label Studio ``meta`` (the ANERcorp conflict corpus) are routed by it:
``train`` to training, ``dev`` to dev, anything else (``test``) is left out,
so that test data can reach neither the training nor the choice of a model.
"""

from __future__ import annotations

from trainer.config import DataConfig
from trainer.documents import Document
from trainer.errors import TrainerError
from trainer.formats.conll import conll_documents
from trainer.formats.labelstudio import load_documents
from trainer.schema import Schema

TRAIN, DEV = "train", "dev"


def read_documents(data: DataConfig, schema: Schema) -> list[Document]:
    """Every document of ``data.annotations``, read with ``data.format``."""
    if data.format == "conll":
        return [document for path in data.annotations for document in conll_documents(path, schema)]
    return load_documents(data.annotations, schema)


def split_documents(documents: list[Document], data: DataConfig) -> tuple[list[Document], list[Document]]:
    """(train, dev): by each document's own ``split``, then ``data.dev_documents``, else ``data.dev_fraction``.

    ``data.held_out_documents`` are in neither.
    """
    held_out = set(data.held_out_documents)
    documents = [d for d in documents if d.id not in held_out]
    routed = [d for d in documents if "split" in d.meta]
    plain = [d for d in documents if "split" not in d.meta]
    train = [d for d in routed if d.meta["split"] == TRAIN]
    dev = [d for d in routed if d.meta["split"] == DEV]
    if data.dev_documents:
        known = {d.id for d in plain} | {str(d.meta.get("task_id")) for d in plain}
        missing = [i for i in data.dev_documents if i not in known]
        if missing:
            raise TrainerError(
                f"data.dev_documents names unknown documents {missing}; known: {sorted(d.id for d in plain)}"
            )
        is_dev = lambda d: d.id in data.dev_documents or str(d.meta.get("task_id")) in data.dev_documents  # noqa: E731
        return train + [d for d in plain if not is_dev(d)], dev + [d for d in plain if is_dev(d)]
    if data.dev_fraction and plain:
        cut = len(plain) - max(1, round(data.dev_fraction * len(plain)))
        return train + plain[:cut], dev + plain[cut:]
    return train + plain, dev
