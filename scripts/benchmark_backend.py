"""Seconds from "Start training" in a real Label Studio to the ML backend serving the new model.

    python scripts/benchmark_backend.py --model models/runs/default/best --config configs/default.yaml \
        --annotations annotations/seeds.json --set data.annotations=[annotations/anercorp_conflict.json]

The project's tasks are --annotations; the backend trains on them plus the config's own data.annotations
(the override above keeps the seeds from being read twice, so the data are the default config's).
"""

import argparse

from trainer import cli
from trainer.config import load_config
from trainer.evaluation.backend_timing import time_training_from_ui


def main(args: argparse.Namespace) -> None:
    result = time_training_from_ui(args.model, load_config(args.config, args.overrides), args.annotations)
    print(f"{result['before']!r} -> {result['after']!r}: serving {result['seconds']:.0f} s after Start training")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="the model the backend serves first")
    parser.add_argument("--config", default="configs/default.yaml", help="the run config the backend trains with")
    parser.add_argument("--annotations", default="annotations/seeds.json", help="the project's annotated tasks")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    cli.run(main, parser)
