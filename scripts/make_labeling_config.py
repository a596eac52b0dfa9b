"""Write the Label Studio labeling config generated from a schema.

python scripts/make_labeling_config.py [--schema configs/schemas/X.yaml] [--output annotations/labeling_config.xml]
"""

import argparse

from trainer.io import write_text_atomic
from trainer.labeling_config import labeling_config
from trainer.schema import DEFAULT_SCHEMA_PATH, REPO_ROOT, load_schema


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schema", default=DEFAULT_SCHEMA_PATH)
    parser.add_argument("--output", default=REPO_ROOT / "annotations" / "labeling_config.xml")
    args = parser.parse_args()
    write_text_atomic(args.output, labeling_config(load_schema(args.schema)))
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
