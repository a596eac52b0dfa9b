"""Turn annotation drafts (mentions by surface string, see trainer.authoring) into a
Label Studio JSON export, validate it and write it atomically.

    python scripts/build_gold.py annotations/drafts/*.yaml --output annotations/seeds.json
    python scripts/build_gold.py annotations/drafts/000.yaml --review   # spans in context
"""

import argparse
import sys
from pathlib import Path

from trainer.annotations import format_report, validate_tasks
from trainer.authoring import draft_to_document, drafts_to_tasks, read_draft, review_lines
from trainer.io import write_json_atomic
from trainer.schema import DEFAULT_SCHEMA_PATH, REPO_ROOT, load_schema


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drafts", nargs="+", type=Path)
    parser.add_argument("--output", type=Path, help="Label Studio JSON file to write")
    parser.add_argument("--review", action="store_true", help="print every span in context")
    parser.add_argument("--schema", default=DEFAULT_SCHEMA_PATH)
    args = parser.parse_args()

    schema = load_schema(args.schema)
    if args.review:
        for path in args.drafts:
            print(f"== {path}")
            print("\n".join(review_lines(draft_to_document(read_draft(path, REPO_ROOT), schema))))
    tasks = drafts_to_tasks(args.drafts, schema, REPO_ROOT)
    report = validate_tasks(tasks, schema, source="drafts")
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
    sys.exit(main())
