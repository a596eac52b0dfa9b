"""Write the Label Studio labeling config generated from a schema.

python scripts/make_labeling_config.py [--schema conflict_events|PATH.yaml] [--output annotations/labeling_config.xml]
"""

import argparse

from trainer import cli
from trainer.fileio import write_text_atomic
from trainer.labelstudio.labeling_config import labeling_config
from trainer.schema import DEFAULT_SCHEMA, load_schema


def main(args: argparse.Namespace) -> None:
    write_text_atomic(args.output, labeling_config(load_schema(args.schema)))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schema", default=DEFAULT_SCHEMA, help="packaged schema name or YAML file")
    parser.add_argument("--output", default="annotations/labeling_config.xml")
    cli.run(main, parser)
