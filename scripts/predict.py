"""Run a trained model on articles: entities, victim statuses, relations and event records.

    python scripts/predict.py --model models/runs/default/best --input seeds/ --output predictions.jsonl
    python scripts/predict.py --model DIR --input articles.jsonl --output tasks.json --format labelstudio
    python scripts/predict.py --model DIR --input corpus.jsonl --output events.csv --format csv   # one row per event
    python scripts/predict.py --model DIR --input corpus.jsonl --output out.jsonl --resume --skip-bad
    python scripts/predict.py --model DIR --input seeds/ --output out.jsonl --quantize     # int8, CPU
    accelerate launch --num_processes 4 scripts/predict.py --model DIR --input corpus.jsonl --output out.jsonl

Input: .txt files, folders of .txt files, .jsonl files with a `text` field, or Label Studio JSON exports,
read lazily. Output records are written as documents are done, so an interrupted run continues with --resume.
"""

import argparse
from pathlib import Path

from accelerate import PartialState
from accelerate.utils import parse_flag_from_env
from tqdm.auto import tqdm

import trainer
from trainer import cli
from trainer.formats.outputs import FORMATS
from trainer.inference.corpus import predict_corpus


def main(args: argparse.Namespace) -> None:
    # One process, or one of those `accelerate launch` / torchrun started (on CPUs: ACCELERATE_USE_CPU=true).
    state = PartialState(cpu=parse_flag_from_env("ACCELERATE_USE_CPU"))
    device = args.device or (str(state.device) if state.num_processes > 1 else None)
    predictor = trainer.load(args.model, device=device, quantize=args.quantize, batch_size=args.batch_size)
    bar = tqdm(desc=f"predict (process {state.process_index})", unit="doc", disable=not state.is_local_main_process)
    predict_corpus(
        predictor,
        args.input,
        args.output,
        args.format,
        args.model_version or Path(args.model).resolve().name,
        resume=args.resume,
        skip_bad=args.skip_bad,
        process=state.process_index,
        processes=state.num_processes,
        wait_for_everyone=state.wait_for_everyone,
        progress=lambda done: bar.update(1),
    )
    bar.close()
    if state.is_main_process:
        print(f"wrote {args.output}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="trained or exported model folder")
    parser.add_argument(
        "--input", required=True, nargs="+", help="text file(s), folder(s), .jsonl or Label Studio .json"
    )
    parser.add_argument("--output", required=True, help="file to write")
    parser.add_argument("--format", choices=FORMATS, default="jsonl", help="csv/parquet: one row per event record")
    parser.add_argument("--device", default=None, help="e.g. cpu, cuda, cuda:1 (default: cpu, or each process's GPU)")
    parser.add_argument("--batch-size", type=int, default=8, help="windows per forward pass")
    parser.add_argument("--quantize", action="store_true", help="dynamic int8 linear layers (CPU only)")
    parser.add_argument("--model-version", help="Label Studio model_version (default: the model folder's name)")
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run: skip what is written")
    parser.add_argument("--skip-bad", action="store_true", help="report malformed input lines and go on")
    cli.run(main, parser)
