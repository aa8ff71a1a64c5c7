"""The ``journal`` command: thin wrappers over the library; each docstring is its help text.

The group and what its commands share live here; the commands, by what they act on:
:mod:`.training` (run, sweep), :mod:`.runs` (add, note, list, show, compare) and
:mod:`.site` (render, serve, init, experiments), :mod:`.imports` (import, summary) and
:mod:`.retire` (retire, unretire).

Every command fails in one line. :class:`JournalGroup` runs the command and maps each expected
error (a :class:`~journal.errors.JournalError`, a click usage error, an ``OSError`` such as an
unwritable or full folder, a ``ValueError`` or ``OverflowError`` from parsing, YAML and decoding
errors) to one line ``journal: error: …`` on stderr and exit code 2. Exit code 1 means the
command ran and what it ran failed (a diverged run, a failed sweep point, bad record files in
``journal list``). Anything unexpected is one line too, with exit code 1; ``JOURNAL_DEBUG=1``
shows its traceback instead. Every line printed goes through :func:`journal.escape.terminal_text`,
so no record, file name or argument can move the cursor, recolour or retitle the terminal, or
forge a line of output.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from .. import __version__
from ..config import parse_seeds as _parse_seeds
from ..errors import DivergedError, JournalError
from ..escape import terminal_text

MAX_LINE = 1000
"""An error line is cut to this many characters (arguments can be long)."""

EXPECTED = (JournalError, click.ClickException, OSError, ValueError, OverflowError,
            RecursionError, MemoryError)
"""Errors a command may meet on bad input or a bad folder: one line, exit code 2 (and YAML
errors, :func:`expected`)."""


def expected(exc: BaseException) -> bool:
    """Whether ``exc`` is an error of bad input or a bad folder (:data:`EXPECTED`, or a YAML
    error: PyYAML is looked up only if a command loaded it, so ``--help`` never imports it)."""
    yaml = sys.modules.get("yaml")
    return isinstance(exc, EXPECTED) or (yaml is not None and isinstance(exc, yaml.YAMLError))


def echo(text: Any = "", *, err: bool = False) -> None:
    """Print one line with control characters and escape sequences removed."""
    click.echo(terminal_text(text), err=err)


def error_line(exc: BaseException) -> str:
    """``journal: error: …``: the message of ``exc`` on one line, at most :data:`MAX_LINE` long."""
    if isinstance(exc, click.ClickException):
        message = exc.format_message()
        if isinstance(exc, click.UsageError) and exc.ctx is not None:
            message += f" (see '{exc.ctx.command_path} --help')"
    elif isinstance(exc, UnicodeDecodeError):
        message = f"not UTF-8 text (byte {exc.start})"
    elif isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        message = f"{where}{exc.strerror or exc}"
    elif isinstance(exc, RecursionError | MemoryError):
        message = "input nested too deeply or too large to read"
    else:
        message = str(exc) or type(exc).__name__
        if not isinstance(exc, JournalError):
            message = f"{type(exc).__name__}: {message}"
    line = terminal_text(message)
    if len(line) > MAX_LINE:
        line = line[:MAX_LINE] + "…"
    return f"journal: error: {line}"


class JournalGroup(click.Group):
    """A click group whose :meth:`main` turns every error into one line on stderr."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.Abort:
            _fail("journal: error: aborted", 1)
        except Exception as exc:
            debug = os.environ.get("JOURNAL_DEBUG", "") not in ("", "0")
            if debug and not isinstance(exc, click.ClickException):
                raise
            if isinstance(exc, DivergedError):
                _fail(error_line(exc), 1)  # the run itself failed; its record says so
            if expected(exc):
                _fail(error_line(exc), 2)
            _fail(error_line(exc) + " (unexpected; JOURNAL_DEBUG=1 shows the traceback)", 1)
        sys.exit(result if isinstance(result, int) else 0)


def _fail(line: str, code: int) -> NoReturn:
    with contextlib.suppress(OSError):  # stderr is gone: the exit code still tells
        click.echo(line, err=True)
    sys.exit(code)


class OneLineUsageError(JournalError):
    """A bad command line found by a command itself (exit code 2, one line)."""


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2,3"``, ``"0-3"`` or a mix (``"0-2,7"``) → a list of distinct seeds in order
    (:func:`journal.config.parse_seeds`: bounded in count and size)."""
    return _parse_seeds(text)


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".journal-write-check-", suffix=".tmp"):
            pass
    except OSError as exc:
        reason = exc.strerror or exc
        raise JournalError(f"results folder {folder} is not writable: {reason}") from None


@click.group(cls=JournalGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="journal")
def main() -> None:
    """A research journal written by training runs.

    \b
    journal run fas_kd --seeds 0,1      train, writing one record per run
    journal list                        the runs in the results folder
    mkdocs serve                        the journal site, live
    """


# The commands register themselves on ``main`` when their modules are imported.
from . import imports, retire, runs, site, training  # noqa: E402,F401
