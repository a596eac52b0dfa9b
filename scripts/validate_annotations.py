"""Validate Label Studio JSON exports against the schema; exit 1 on any error.

python scripts/validate_annotations.py annotations/seeds.json [--schema configs/schemas/X.yaml]
"""

import argparse
import sys

from trainer.annotations import format_report, validate_files
from trainer.schema import DEFAULT_SCHEMA_PATH, load_schema


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", help="Label Studio JSON export files")
    parser.add_argument("--schema", default=DEFAULT_SCHEMA_PATH, help="schema YAML (default: %(default)s)")
    args = parser.parse_args()

    schema = load_schema(args.schema)
    failed = False
    for path in args.paths:
        report = validate_files([path], schema)
        for problem in report.problems:
            print(problem)
        print(format_report(report, path))
        failed |= bool(report.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
