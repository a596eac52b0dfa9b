"""Prediction memory on a large corpus: a synthetic corpus of short texts streamed through the model.

    python scripts/benchmark_memory.py --model models/runs/default/best --documents 100000 [--quantize]

Prints the resident memory every --every documents: flat means corpus size does not matter.
"""

import argparse
import tempfile
from pathlib import Path

import trainer
from trainer import cli
from trainer.evaluation.memory import memory_profile


def main(args: argparse.Namespace) -> None:
    predictor = trainer.load(args.model, quantize=args.quantize, batch_size=args.batch_size)
    with tempfile.TemporaryDirectory() as workdir:
        samples = memory_profile(predictor, Path(workdir), args.documents, args.every)
    for done, megabytes in samples:
        print(f"{done:>9} documents predicted: {megabytes:8.1f} MB resident")
    growth = samples[-1][1] - samples[1][1]
    print(f"growth from {samples[1][0]} to {samples[-1][0]} documents: {growth:+.1f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--every", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--quantize", action="store_true")
    cli.run(main, parser)
