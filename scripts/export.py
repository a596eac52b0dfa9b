"""Export a trained model as a hub-ready folder (weights, config with the schema, tokenizer, model card).

python scripts/export.py --model models/runs/default/best --output models/export/conflict-events-ar
python scripts/export.py --model ... --output ... --push-to-hub ORG/NAME   # token: HF_TOKEN or `hf auth login`
"""

import argparse

from trainer import cli
from trainer.hub import export_model, push_to_hub


def main(args: argparse.Namespace) -> None:
    folder = export_model(args.model, args.output, force=args.force)
    print(f"exported to {folder}")
    if args.push_to_hub:
        print(f"uploaded to {push_to_hub(folder, args.push_to_hub, private=args.private)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="trained model folder (a run's best/)")
    parser.add_argument("--output", required=True, help="folder to write")
    parser.add_argument("--force", action="store_true", help="replace an existing output folder")
    parser.add_argument("--push-to-hub", metavar="REPO", help="also upload to this hub repository")
    parser.add_argument("--private", action="store_true", help="create the hub repository as private")
    cli.run(main, parser)
