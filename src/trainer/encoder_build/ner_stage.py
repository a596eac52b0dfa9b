"""A first training stage on ANERcorp's named entities, kept as an encoder of its own.

The base encoder is fine-tuned on ANERcorp's PERS/LOC/ORG/MISC tags (125k
words of Arabic news and encyclopedia text) and saved as a plain encoder
folder, which a run config names as its ``model.encoder``. It is built once
and cached, like the base encoder.

The conflict corpus (``annotations/anercorp_conflict.json``) was drawn from
the same ANERcorp sentences, so the stage never reads the blocks of sentences
its dev and test parts come from: their text and tags would otherwise reach
the model that is selected and scored on them.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

from transformers import AutoTokenizer

from trainer.config import RunConfig
from trainer.data.splits import BLOCK_SIZE
from trainer.errors import MissingFileError
from trainer.fileio import atomic_directory, write_text_atomic
from trainer.formats.conll import read_conll
from trainer.formats.labelstudio import read_export
from trainer.model import EventExtractor
from trainer.training import train

HELD_OUT_SPLITS = ("dev", "test")


def held_out_blocks(corpus: Path, block_size: int = BLOCK_SIZE) -> set[int]:
    """The sentence blocks of the corpus's dev and test parts."""
    return {
        task["meta"]["sentence_index"] // block_size
        for task in read_export(corpus)
        if task.get("meta", {}).get("split") in HELD_OUT_SPLITS
    }


def write_stage_data(anercorp_train: Path, corpus: Path, output: Path, block_size: int = BLOCK_SIZE) -> int:
    """ANERcorp's training sentences outside the held-out blocks, as a CoNLL file; returns how many."""
    excluded = held_out_blocks(corpus, block_size)
    kept = [s for index, s in enumerate(read_conll(anercorp_train)) if index // block_size not in excluded]
    lines = "\n\n".join("\n".join(f"{word} {tag}" for word, tag, _ in sentence) for sentence in kept)
    write_text_atomic(output, lines + "\n")
    return len(kept)


def build_ner_encoder(config: RunConfig, anercorp_train: Path, corpus: Path, output_dir: Path) -> Path:
    """Train ``config`` (the ANERcorp schema) on the kept sentences and save its encoder in ``output_dir``.

    Idempotent: a finished encoder is left alone, an interrupted training resumes.
    """
    output_dir = Path(output_dir)
    if (output_dir / "config.json").exists():
        print(f"{output_dir} already holds the ANERcorp-stage encoder; nothing to do")
        return output_dir
    for path in (anercorp_train, corpus):
        if not Path(path).is_file():
            raise MissingFileError(f"{path} not found (the ANERcorp stage needs the ANERcorp training split)")
    work = output_dir.parent / f"_{output_dir.name}-training"
    data = work / "anercorp-train-without-held-out-blocks.txt"
    sentences = write_stage_data(Path(anercorp_train), Path(corpus), data)
    print(f"ANERcorp stage: {sentences} training sentences (the conflict corpus's dev/test blocks left out)")
    run = dataclasses.replace(
        config, data=dataclasses.replace(config.data, annotations=[str(data)]), output_dir=str(work / "run")
    )
    scores = train(run, resume=True)
    model = EventExtractor.from_pretrained(work / "run" / "best")
    base = Path(config.model.encoder)
    with atomic_directory(output_dir) as temporary:
        model.encoder.save_pretrained(temporary)
        AutoTokenizer.from_pretrained(work / "run" / "best").save_pretrained(temporary)
        info = json.loads((base / "build_info.json").read_text()) if (base / "build_info.json").is_file() else {}
        info["ner_stage"] = {
            "data": f"{Path(anercorp_train).name} minus the blocks of {Path(corpus).name}'s dev and test parts",
            "sentences": sentences,
            "dev_scores": {k: scores[k] for k in ("epoch", "entity_f1") if k in scores},
            "base_encoder": str(base),
        }
        write_text_atomic(temporary / "build_info.json", json.dumps(info, indent=2, ensure_ascii=False) + "\n")
    shutil.rmtree(work)
    return output_dir
