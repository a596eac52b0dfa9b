"""Training and inference tokens/s of our model vs a Hugging Face baseline, and its FLOPs utilization, in one run.

    python scripts/benchmark_speed.py --model models/runs/default/best [--config configs/default.yaml] [--steps 20]

Inference runs on whole articles (the config's annotated documents) and on many short texts (by default the
925 sentences of ANERcorp's test split, text only). Prints tokens/s, peak memory and the machine, and the
ratios (quote those, not absolute times).
"""

import argparse
from pathlib import Path

from trainer import cli
from trainer.config import load_config
from trainer.evaluation.speed import benchmark_speed, format_speed

ANERCORP_TEST = Path("../shared/data/anercorp/ANERCorp_CamelLab_test.txt")


def main(args: argparse.Namespace) -> None:
    config = load_config(args.config, args.overrides)
    short_texts = args.short_texts or (str(ANERCORP_TEST) if ANERCORP_TEST.is_file() else None)
    report = benchmark_speed(config, args.model, args.steps, args.batch_size, short_texts)
    print(format_speed(report, config, args.steps, args.batch_size))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/default.yaml", help="encoder, data and window settings")
    parser.add_argument("--model", required=True, help="a trained model folder, for the inference comparison")
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per side")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument(
        "--short-texts", help="CoNLL file whose sentences are the short-text workload (default: ANERcorp test split)"
    )
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    cli.run(main, parser)
