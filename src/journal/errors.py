"""The one exception family users see.

Every error names *where* (a file, a config key, an option), *what* (the field) and *why*,
so that a researcher can fix a record or a command line without reading a traceback.
The CLI turns these into one-line ``click`` errors and the MkDocs plugin into ``PluginError``
or a warning on the plugin logger (which ``mkdocs build --strict`` turns into a failure).
"""

from __future__ import annotations

from pathlib import Path


class JournalError(Exception):
    """Base class of every error raised by ``journal`` on bad input."""


class FileError(JournalError):
    """A file of the results folder (a record, a note, the declarations) that is bad.

    Attributes:
        path: the file.
        field: the dotted path of the offending field (``history.3.val_acer``), or ``None``
            when the file as a whole is unreadable (truncated JSON, bad encoding).
        cause: a short human-readable reason.
    """

    what = "file"
    """What kind of file it is, for messages: ``bad record …``, ``bad note …``."""

    def __init__(self, path: str | Path, field: str | None, cause: str) -> None:
        self.path = Path(path)
        self.field = field
        self.cause = cause
        where = f"{self.path}: field '{field}'" if field else f"{self.path}"
        super().__init__(f"{where}: {cause}")

    def __reduce__(self) -> tuple[type[FileError], tuple[Path, str | None, str]]:
        """Pickled as its three arguments, so that it crosses a process pool intact."""
        return type(self), (self.path, self.field, self.cause)


class RecordError(FileError):
    """A run record that cannot be read, validated or written."""

    what = "record"


class RecordExistsError(RecordError):
    """A record with this run id already exists; runs are never overwritten."""


class ConfigError(JournalError):
    """A bad experiment configuration value (``--set key=value``)."""

    def __init__(self, key: str, cause: str) -> None:
        self.key = key
        self.cause = cause
        super().__init__(f"config key '{key}': {cause}")


class DivergedError(JournalError):
    """Training produced a non-finite loss; the run ends ``failed`` with this reason."""

    def __init__(self, name: str, value: float, epoch: int) -> None:
        self.name, self.value, self.epoch = name, value, epoch
        super().__init__(f"training diverged: {name} = {value} at epoch {epoch}")


class UnknownExperimentError(JournalError):
    """An experiment name that is not registered."""

    def __init__(self, name: str, choices: list[str]) -> None:
        self.name = name
        self.choices = choices
        super().__init__(f"unknown experiment '{name}'; choose from: {', '.join(choices)}")
