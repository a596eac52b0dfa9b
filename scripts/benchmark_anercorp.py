"""ANERcorp benchmark (CAMeL Lab split): train on its train split, report seqeval F1 on its test split.

    python scripts/benchmark_anercorp.py                    # configs/anercorp.yaml, < 1 h on 2 CPU cores
    python scripts/benchmark_anercorp.py --set model.encoder=aubmindlab/bert-base-arabertv02 \
        --set output_dir=models/runs/anercorp-arabert

A finished run is scored again without retraining; an interrupted one continues from its checkpoint.
"""

import argparse

from trainer import cli
from trainer.config import load_config
from trainer.evaluation.anercorp import DEFAULT_ANERCORP_TEST, benchmark_anercorp, format_result


def main(args: argparse.Namespace) -> None:
    result = benchmark_anercorp(load_config(args.config, args.overrides), args.test)
    print(format_result(result))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/anercorp.yaml")
    parser.add_argument("--test", default=DEFAULT_ANERCORP_TEST, help="CoNLL test file (default: %(default)s)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    cli.run(main, parser)
