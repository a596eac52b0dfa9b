"""Build (once) the encoder of the first training stage: the base encoder fine-tuned on ANERcorp's entities.

    python scripts/build_ner_encoder.py        # models/base/e5-small-anercorp-ner, about 10 min on 2 cores
    python scripts/build_ner_encoder.py --anercorp PATH/ANERCorp_CamelLab_train.txt

ANERcorp's CAMeL Lab split is not in this repository: see the README for where to get it.
The blocks of sentences the conflict corpus's dev and test parts come from are left out.
"""

import argparse
from pathlib import Path

from trainer import cli
from trainer.config import load_config
from trainer.encoder_build.ner_stage import build_ner_encoder

DEFAULT_ANERCORP = Path("../shared/data/anercorp/ANERCorp_CamelLab_train.txt")


def main(args: argparse.Namespace) -> None:
    config = load_config(args.config, args.overrides)
    build_ner_encoder(config, args.anercorp, args.corpus, args.output)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="configs/ner_stage.yaml")
    parser.add_argument("--anercorp", type=Path, default=DEFAULT_ANERCORP, help="ANERcorp training split (CoNLL)")
    parser.add_argument("--corpus", type=Path, default=Path("annotations/anercorp_conflict.json"))
    parser.add_argument("--output", type=Path, default=Path("models/base/e5-small-anercorp-ner"))
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    cli.run(main, parser)
