"""Turn annotation drafts (mentions by surface string, see trainer.formats.drafts) into a
Label Studio JSON export, validate it and write it atomically.

    python scripts/build_gold.py annotations/drafts/*.yaml --output annotations/seeds.json
    python scripts/build_gold.py annotations/drafts/000.yaml --review   # spans in context
    python scripts/build_gold.py annotations/drafts/anercorp/*.yaml --split-blocks 100 \
        --output annotations/anercorp_conflict.json                      # corpus sentences, with splits
"""

import argparse
import sys
from pathlib import Path

from trainer import cli
from trainer.fileio import write_json_atomic
from trainer.formats.drafts import build_gold, review_lines
from trainer.schema import DEFAULT_SCHEMA, load_schema
from trainer.validation import format_report


def main(args: argparse.Namespace) -> int:
    tasks, report = build_gold(args.drafts, load_schema(args.schema), split_block_size=args.split_blocks)
    if args.review:
        for document in report.documents:
            print(f"== {document.id}")
            print("\n".join(review_lines(document)))
    for problem in report.problems:
        print(problem)
    print(format_report(report, "drafts"))
    if report.errors:
        print("not written: fix the errors above", file=sys.stderr)
        return 1
    if args.output:
        write_json_atomic(args.output, tasks)
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drafts", nargs="+", type=Path)
    parser.add_argument("--output", type=Path, help="Label Studio JSON file to write")
    parser.add_argument("--review", action="store_true", help="print every span in context")
    parser.add_argument(
        "--split-blocks",
        type=int,
        metavar="N",
        help="give corpus sentences a train/dev/test split by blocks of N consecutive sentence indices",
    )
    parser.add_argument("--schema", default=DEFAULT_SCHEMA, help="packaged schema name or YAML file")
    cli.run(main, parser)
