"""Does corpus prediction keep its memory flat? Predict a synthetic corpus and watch the resident set size.

The corpus is generated (short Arabic conflict-news sentences with varying
numbers and places) and written as JSONL; :func:`trainer.inference.corpus.predict_corpus`
streams it through the model, and the process's resident memory is sampled
every ``every`` documents. Flat means: the last sample is no higher than the
first by more than noise, however many documents came between them.
"""

from __future__ import annotations

import json
import random
import resource
from pathlib import Path

from trainer.inference.corpus import predict_corpus
from trainer.inference.predictor import Predictor

TEMPLATES = (
    "قتل {n} شخصا في قصف جوي على مدينة {place}.",
    "أصيب {n} مدنيا في انفجار سيارة مفخخة وسط {place}.",
    "اعتقلت قوات الأمن {n} مسلحا في {place} يوم الاثنين.",
    "وشن الطيران غارات على {place} وقالت مصادر محلية إن الحصيلة بلغت {n} قتيلا.",
)
PLACES = ("حلب", "الرقة", "بغداد", "الموصل", "غزة", "رفح", "بيروت", "مقديشو", "كركوك", "ادلب")


def write_synthetic_corpus(path: Path, documents: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as file:
        for index in range(documents):
            text = rng.choice(TEMPLATES).format(n=rng.randint(2, 500), place=rng.choice(PLACES))
            file.write(json.dumps({"id": f"s{index}", "text": text}, ensure_ascii=False) + "\n")


def resident_mb() -> float:
    """This process's resident memory now (from /proc: the high-water mark would hide a flat line)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def memory_profile(predictor: Predictor, workdir: Path, documents: int, every: int) -> list[tuple[int, float]]:
    """(documents predicted, resident MB) samples while predicting a synthetic corpus of ``documents``."""
    corpus, output = workdir / "synthetic.jsonl", workdir / "synthetic-predictions.jsonl"
    write_synthetic_corpus(corpus, documents)
    samples = [(0, resident_mb())]

    def sample(done: int) -> None:
        if done % every == 0:
            samples.append((done, resident_mb()))

    predict_corpus(predictor, [corpus], output, "jsonl", "memory", log=lambda message: None, progress=sample)
    return samples
