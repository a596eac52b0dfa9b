"""Evaluate a trained model on annotated articles (Label Studio JSON export).

    python scripts/evaluate.py --model models/runs/default/best --data annotations/seeds.json --output reports/default

Writes report.json, report.md, confusion.png and predictions.json (gold + prediction per task, for Label Studio).
"""

import argparse
from pathlib import Path

from trainer import cli
from trainer.evaluation.report import evaluate_model


def main(args: argparse.Namespace) -> None:
    evaluate_model(args.model, args.data, args.output, args.bootstrap_samples)
    print((Path(args.output) / "report.md").read_text(encoding="utf-8"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="trained or exported model folder")
    parser.add_argument("--data", required=True, nargs="+", help="Label Studio JSON export(s) with gold annotations")
    parser.add_argument("--output", default="reports/latest", help="report folder (default: %(default)s)")
    parser.add_argument("--bootstrap-samples", type=int, default=1000)
    cli.run(main, parser)
