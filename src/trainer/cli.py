"""What every script in ``scripts/`` shares: the project's own errors as one line, exit status 2.

    parser = argparse.ArgumentParser(...)
    ...
    if __name__ == "__main__":
        cli.run(main, parser)

``main(args)`` returns an exit status (or None for 0). A :class:`TrainerError`
(bad config key, missing file, invalid export, ...) prints ``error: <message>``
and exits with 2; ``--debug`` shows its traceback instead. Any other exception
is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from trainer.errors import TrainerError

USAGE_ERROR = 2


def run(main: Callable[[argparse.Namespace], int | None], parser: argparse.ArgumentParser, argv=None) -> None:
    parser.add_argument("--debug", action="store_true", help="show the traceback of the project's own errors too")
    args = parser.parse_args(argv)
    try:
        status = main(args)
    except TrainerError as error:
        if args.debug:
            raise
        print(f"error: {error}", file=sys.stderr)
        sys.exit(USAGE_ERROR)
    sys.exit(status or 0)
