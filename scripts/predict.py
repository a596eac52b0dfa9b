"""Run a trained model on articles: entities, victim statuses, relations and event records.

    python scripts/predict.py --model models/runs/default/best --input seeds/ --output predictions.jsonl
    python scripts/predict.py --model DIR --input articles.jsonl --output tasks.json --format labelstudio
    python scripts/predict.py --model DIR --input seeds/ --output out.jsonl --quantize     # int8, CPU

Input: a .txt file, a folder of .txt files, a .jsonl file with a `text` field, or a Label Studio JSON export.
"""

import argparse
from pathlib import Path

from tqdm.auto import tqdm

import trainer
from trainer import cli
from trainer.formats.inputs import documents_from_paths
from trainer.formats.outputs import FORMATS, write_predictions


def main(args: argparse.Namespace) -> None:
    predictor = trainer.load(args.model, device=args.device, quantize=args.quantize, batch_size=args.batch_size)
    documents = documents_from_paths(args.input)
    predicted = [predictor.predict_document(d) for d in tqdm(documents, desc="predict", unit="article")]
    model_version = args.model_version or Path(args.model).resolve().name
    write_predictions(predicted, args.output, predictor.schema, args.format, model_version)
    entities = sum(len(d.entities) for d in predicted)
    print(f"{len(predicted)} articles, {entities} entities -> {args.output}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="trained or exported model folder")
    parser.add_argument(
        "--input", required=True, nargs="+", help="text file(s), folder(s), .jsonl or Label Studio .json"
    )
    parser.add_argument("--output", required=True, help="file to write")
    parser.add_argument("--format", choices=FORMATS, default="jsonl")
    parser.add_argument("--device", default=None, help="e.g. cpu, cuda, cuda:1 (default: cpu)")
    parser.add_argument("--batch-size", type=int, default=8, help="windows per forward pass")
    parser.add_argument("--quantize", action="store_true", help="dynamic int8 linear layers (CPU only)")
    parser.add_argument("--model-version", help="Label Studio model_version (default: the model folder's name)")
    cli.run(main, parser)
