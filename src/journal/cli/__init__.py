"""The ``journal`` command: thin wrappers over the library; each docstring is its help text.

The group and what its commands share live here; the commands, by what they act on:
:mod:`.training` (run, sweep), :mod:`.runs` (add, note, list, show, compare) and
:mod:`.site` (render, init, experiments).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import IO, Any

import click

from .. import __version__


class OneLineUsageError(click.UsageError):
    """A usage error printed as one line (``Error: …``), exit code 2."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True, file=file)


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2,3"``, ``"0-3"`` or a mix (``"0-2,7"``) → a list of distinct seeds in order."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            lo, dash, hi = part.partition("-")
            span = range(int(lo), int(hi) + 1) if dash else [int(lo)]
            seeds += [s for s in span if s not in seeds]
    except ValueError:
        raise OneLineUsageError(f"--seeds: expected e.g. 0,1,2 or 0-3, got '{text}'") from None
    if not seeds:
        raise OneLineUsageError(f"--seeds: no seed in '{text}'")
    return seeds


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".journal-write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or exc
        raise click.ClickException(f"results folder {folder} is not writable: {reason}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="journal")
def main() -> None:
    """A research journal written by training runs.

    \b
    journal run fas_kd --seeds 0,1      train, writing one record per run
    journal list                        the runs in the results folder
    mkdocs serve                        the journal site, live
    """




# The commands register themselves on ``main`` when their modules are imported.
from . import runs, site, training  # noqa: E402,F401
