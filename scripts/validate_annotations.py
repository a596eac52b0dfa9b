"""Validate Label Studio JSON exports against the schema; exit 1 on any error.

python scripts/validate_annotations.py annotations/seeds.json [--schema conflict_events|PATH.yaml]
python scripts/validate_annotations.py annotations/anercorp_conflict.json --by-split   # counts per split too
"""

import argparse

from trainer import cli
from trainer.formats.labelstudio import validate_files
from trainer.schema import DEFAULT_SCHEMA, load_schema
from trainer.validation import format_report


def main(args: argparse.Namespace) -> int:
    schema = load_schema(args.schema)
    failed = False
    for path in args.paths:
        report = validate_files([path], schema)
        for problem in report.problems:
            print(problem)
        print(format_report(report, path))
        if args.by_split:
            for split, part in report.by_split().items():
                print(format_report(part, f"  split {split}"))
        failed |= bool(report.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="Label Studio JSON export files")
    parser.add_argument("--by-split", action="store_true", help="also count per split (the tasks' meta.split)")
    parser.add_argument("--schema", default=DEFAULT_SCHEMA, help="packaged schema name or YAML file")
    cli.run(main, parser)
