"""Fine-tune the joint entity/status/relation model.

python scripts/train.py --config configs/default.yaml [--set train.epochs=5 ...] [--resume]
accelerate launch scripts/train.py --config configs/arabert.yaml      # several GPUs
"""

import argparse

from trainer import cli
from trainer.config import load_config
from trainer.training import train


def main(args: argparse.Namespace) -> None:
    train(load_config(args.config, args.overrides), resume=args.resume)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="run config YAML (see configs/)")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config value, e.g. --set train.learning_rate=3e-5 (repeatable)",
    )
    parser.add_argument("--resume", action="store_true", help="continue from the run's latest checkpoint")
    cli.run(main, parser)
