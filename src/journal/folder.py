"""A results folder read once: its records, notes and declarations, and every problem found.

The site, ``journal render`` and the terminal views all start here, so they agree on what a
folder holds and nothing in it is skipped silently: each bad file, and each note aimed at a run,
variant or day that has no record, is an error in :attr:`Journal.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .declarations import DECLARATIONS_FILE, Declaration, DeclarationError, load_declarations
from .errors import FileError
from .identity import Resolution, Retirement, load_retirements, resolve
from .notes import Note, load_notes, unmatched
from .records import ReadCache, Record, load_records


@dataclass
class Journal:
    """Everything a results folder holds."""

    records: list[Record] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    declarations: dict[str, Declaration] = field(default_factory=dict)
    errors: list[FileError] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)
    """The file each record was read from, by run id."""
    retirements: dict[str, Retirement] = field(default_factory=dict)
    """Runs marked as excluded (``journal retire``), by run id."""

    def resolution(self) -> Resolution:
        """Which runs count (:func:`journal.identity.resolve`: re-runs of a seed superseded,
        retired runs excluded)."""
        return resolve(self.records, self.retirements)

    def declaration(self, experiment: str) -> Declaration:
        return self.declarations.get(experiment) or Declaration()


def load_journal(results_dir: str | Path, *, cache: ReadCache | None = None) -> Journal:
    """Read ``results_dir``; bad files become errors, never exceptions. ``cache``: records
    read before (see :func:`journal.records.load_records`)."""
    paths: dict[str, Path] = {}
    records, record_errors = load_records(results_dir, paths=paths, cache=cache)
    notes, note_errors = load_notes(results_dir)
    errors: list[FileError] = [*record_errors, *note_errors, *unmatched(notes, records)]
    bad: list[DeclarationError] = []
    try:
        declarations = load_declarations(results_dir, bad)
    except DeclarationError as exc:
        declarations = {}
        errors.append(exc)
    errors += bad
    errors += _check(declarations, records, Path(results_dir) / DECLARATIONS_FILE)
    retirements, retirement_errors = load_retirements(results_dir)
    errors += retirement_errors
    return Journal(records, notes, declarations, errors, paths, retirements)


def _check(
    declarations: dict[str, Declaration], records: list[Record], path: Path
) -> list[FileError]:
    """A declared baseline or key metric that no run has is an error (a typo, most often)."""
    errors: list[FileError] = []
    for name, decl in declarations.items():
        mine = [r for r in records if r.experiment == name]
        if not mine:
            continue  # declared ahead of the first run: nothing to show yet
        variants = sorted({r.variant for r in mine})
        if decl.baseline is not None and decl.baseline not in variants:
            errors.append(DeclarationError(
                path, f"{name}.baseline", f"no run of variant '{decl.baseline}'; variants: "
                + ", ".join(variants)))
        measured = {k for r in mine for k in r.metrics}
        if decl.key_metric is not None and decl.key_metric not in measured:
            errors.append(DeclarationError(
                path, f"{name}.key_metric", f"no run measured '{decl.key_metric}'; metrics: "
                + ", ".join(sorted(measured))))
    return errors
