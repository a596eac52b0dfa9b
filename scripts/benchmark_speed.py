"""Training and inference tokens/s of our model vs a Hugging Face baseline, in one run.

    python scripts/benchmark_speed.py --model models/runs/default/best [--config configs/default.yaml] [--steps 20]

Prints tokens/s, peak memory and the machine, and the ratios (quote those, not absolute times).
"""

import argparse

from trainer import cli
from trainer.config import load_config
from trainer.evaluation.speed import benchmark_speed, format_speed


def main(args: argparse.Namespace) -> None:
    config = load_config(args.config, args.overrides)
    measurements = benchmark_speed(config, args.model, args.steps, args.batch_size)
    print(format_speed(measurements, config, args.steps, args.batch_size))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/default.yaml", help="encoder, data and window settings")
    parser.add_argument("--model", required=True, help="a trained model folder, for the inference comparison")
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per side")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    cli.run(main, parser)
