"""The project's own errors: what a user can fix (a config key, a file, an annotation).

Scripts print them as one ``error: ...`` line and exit with status 2
(:func:`trainer.cli.run`); anything else is a bug and keeps its traceback.
"""


class TrainerError(Exception):
    """Base class of every error that names bad input: a file, a config key, a label, an offset."""


class MissingFileError(TrainerError, FileNotFoundError):
    """A file or folder the user named does not exist."""


class InputError(TrainerError, ValueError):
    """An input file that cannot be read (wrong format, a bad line); names the file and line."""


class OutputExistsError(TrainerError, FileExistsError):
    """An output that would overwrite earlier work without being asked to."""
