"""Document-level cross-validation (default: leave one article out), resumable.

    python scripts/crossval.py --config configs/default.yaml [--folds K] [--output models/runs/default-crossval]

Run it again after an interruption: finished folds are kept, a half-trained fold resumes from its checkpoint.
"""

import argparse

from trainer import cli
from trainer.config import load_config
from trainer.evaluation.crossval import crossval, markdown


def main(args: argparse.Namespace) -> None:
    config = load_config(args.config, args.overrides)
    report = crossval(config, folds=args.folds, output_dir=args.output, samples=args.bootstrap_samples)
    print(markdown(report))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True)
    parser.add_argument("--folds", type=int, help="number of folds (default: one per document)")
    parser.add_argument("--output", help="folder for the folds (default: <output_dir>-crossval)")
    parser.add_argument("--bootstrap-samples", type=int, default=1000)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    cli.run(main, parser)
