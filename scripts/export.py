"""Export a trained model as a hub-ready folder (weights, config with the schema, tokenizer, model card).

python scripts/export.py --model models/runs/default/best --output models/export/conflict-events-ar \
    --report reports/default/report.json --crossval models/runs/default-crossval/crossval.json
python scripts/export.py --model ... --output ... --push-to-hub ORG/NAME   # token: HF_TOKEN or `hf auth login`
"""

import argparse
from pathlib import Path

from trainer import cli
from trainer.formats.inputs import iter_documents
from trainer.hub import export_model, push_to_hub

# The texts whose vocabulary the exported model keeps (besides everything in Arabic script):
# the annotated data and, where it is beside the checkout, all of ANERcorp's words.
VOCABULARY_FROM = ["seeds", "annotations/seeds.json", "annotations/anercorp_conflict.json", "../shared/data/anercorp"]


def main(args: argparse.Namespace) -> None:
    texts = None
    if not args.keep_vocabulary:
        sources = [p for p in args.vocabulary_from if Path(p).exists()]
        texts = [document.text for document in iter_documents(sources)]
    folder = export_model(
        args.model, args.output, force=args.force, report=args.report, crossval=args.crossval, vocabulary_texts=texts
    )
    print(f"exported to {folder}")
    if args.push_to_hub:
        print(f"uploaded to {push_to_hub(folder, args.push_to_hub, private=args.private)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="trained model folder (a run's best/)")
    parser.add_argument("--output", required=True, help="folder to write")
    parser.add_argument("--force", action="store_true", help="replace an existing output folder")
    parser.add_argument("--report", help="report.json of scripts/evaluate.py: the model card's test results")
    parser.add_argument("--crossval", help="crossval.json of scripts/crossval.py: the model card's cross-validation")
    parser.add_argument(
        "--vocabulary-from",
        nargs="+",
        default=VOCABULARY_FROM,
        metavar="PATH",
        help="texts (files, folders, .jsonl, .json) whose vocabulary the export keeps besides Arabic script "
        "(default: %(default)s; missing paths are skipped)",
    )
    parser.add_argument("--keep-vocabulary", action="store_true", help="export the whole 250k-piece vocabulary")
    parser.add_argument("--push-to-hub", metavar="REPO", help="also upload to this hub repository")
    parser.add_argument("--private", action="store_true", help="create the hub repository as private")
    cli.run(main, parser)
