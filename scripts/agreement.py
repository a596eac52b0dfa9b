"""Agreement between two independent annotation passes (drafts) over the same texts.

python scripts/agreement.py --first annotations/review/pass-a/*.yaml --second annotations/review/pass-b/*.yaml
"""

import argparse

from trainer import cli
from trainer.evaluation.agreement import agreement, format_agreement
from trainer.formats.drafts import build_gold
from trainer.schema import DEFAULT_SCHEMA, load_schema


def main(args: argparse.Namespace) -> None:
    schema = load_schema(args.schema)
    passes = []
    for paths in (args.first, args.second):
        _, report = build_gold(paths, schema)
        report.raise_for_errors()
        passes.append(report.documents)
    print(format_agreement(agreement(*passes, schema)))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--first", nargs="+", required=True, help="the first pass: draft YAML files")
    parser.add_argument("--second", nargs="+", required=True, help="the second pass, same texts")
    parser.add_argument("--schema", default=DEFAULT_SCHEMA, help="packaged schema name or YAML file")
    cli.run(main, parser)
