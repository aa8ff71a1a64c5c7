"""Notes: Markdown conclusions attached to a run, a variant or a day of an experiment.

A note is one Markdown file in ``<results>/notes/`` with a YAML header naming what it is about::

    ---
    experiment: fas_kd
    variant: student + logit KD     # a variant (all its days, or only ``day``'s)
    day: 2026-11-23                 # a day's post (with no variant: the whole post)
    run: 20261123T0610Z-fas_kd-3f2a # or a single run
    created: 2026-11-23T09:12:00Z
    ---
    KD helps on ACER but within seed noise; try feature KD next.

Posts show each note as an admonition beside what it discusses: a day note under the post's
summary, a variant note in that variant's section (and on the experiment's overview), a run
note with the run. Notes are files of their own, so adding one never rewrites a run record; a
new note never replaces another (files are created, never overwritten), and a note whose
target matches nothing is reported, not dropped.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .atomic import TargetExistsError, write_atomic
from .errors import FileError, JournalError
from .layout import leaves, yaml_problem
from .paths import NOTES_DIR, clean_stale_tmp, folder_inside
from .records import MAX_NOTE_CHARS, Record, UTCDateTime, find_run, load_records

_HEADER = re.compile(r"\A---[ \t]*\n(.*?)^---[ \t]*\n?", re.DOTALL | re.MULTILINE)


class _PlainLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates reach pydantic as text, so a bad one is reported
    with its field name instead of as a YAML crash."""


_PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class NoteError(FileError):
    """A note file that cannot be read or validated, or a note aimed at nothing."""

    what = "note"


class NoteTarget(BaseModel):
    """What a note is about (its YAML header without ``created``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    experiment: str = Field(min_length=1)
    variant: str | None = None
    day: date | None = None
    run: str | None = None

    @field_validator("variant", "run")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be blank")
        return value

    @property
    def kind(self) -> Literal["run", "variant", "day"]:
        if self.run is not None:
            return "run"
        return "variant" if self.variant is not None else "day"

    def describe(self) -> str:
        if self.run is not None:
            return f"run {self.run}"
        where = f"variant '{self.variant}' of {self.experiment}" if self.variant else self.experiment
        return where + (f" on {self.day.isoformat()}" if self.day else "")


class _Header(NoteTarget):
    created: UTCDateTime


@dataclass(frozen=True)
class Note:
    """A loaded note: its target, when it was written, its Markdown text and its file."""

    target: NoteTarget
    created: datetime
    text: str
    path: Path

    def matches_run(self, record: Record) -> bool:
        return self.target.kind == "run" and self.target.run == record.id

    def matches_variant(self, experiment: str, variant: str, day: date | None) -> bool:
        t = self.target
        return (t.kind == "variant" and t.experiment == experiment and t.variant == variant
                and (t.day is None or day is None or t.day == day))

    def matches_day(self, experiment: str, day: date) -> bool:
        t = self.target
        return t.kind == "day" and t.experiment == experiment and t.day == day


def _check_target(target: NoteTarget) -> None:
    if target.kind == "day" and target.day is None:
        raise ValueError("a note needs a run, a variant or a day to attach to")


def write_note(
    results_dir: str | Path,
    text: str,
    *,
    experiment: str,
    variant: str | None = None,
    day: date | None = None,
    run: str | None = None,
    now: datetime | None = None,
) -> Path:
    """Write a new note file and return its path (a new file each time, never an overwrite).

    Raises:
        JournalError: the text is empty or too long, the target names neither a run, a
            variant nor a day, or ``notes/`` is a link leading out of the results folder.
    """
    body = text.strip()
    if not body:
        raise JournalError("a note needs some text")
    if len(body) > MAX_NOTE_CHARS:
        raise JournalError(f"a note holds at most {MAX_NOTE_CHARS:,} characters, got {len(body):,}")
    try:
        target = NoteTarget(experiment=experiment, variant=variant, day=day, run=run)
        _check_target(target)
    except (ValidationError, ValueError) as exc:
        raise JournalError(f"note: {_reason(exc)}") from None
    created = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    header = {k: v for k, v in target.model_dump().items() if v is not None}
    header["created"] = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    front = yaml.safe_dump(header, allow_unicode=True, sort_keys=False, width=10_000)
    content = f"---\n{front}---\n{body}\n"
    folder = folder_inside(results_dir, NOTES_DIR)  # never through a link out of the folder
    clean_stale_tmp(folder)
    for _ in range(5):
        path = folder / f"{created:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}.md"
        try:
            write_atomic(path, content, exclusive=True)
            return path
        except TargetExistsError:
            continue
    raise JournalError(f"{folder}: could not find a free note file name")  # pragma: no cover


def parse_day(text: str, what: str = "day") -> date:
    """``2026-11-23`` → a date; :class:`JournalError` naming ``what`` otherwise."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d").date()
    except ValueError:
        shown = text if len(text) <= 60 else text[:60] + "…"
        raise JournalError(f"{what}: expected YYYY-MM-DD, got '{shown}'") from None


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        return f"field '{field}': {err['msg']}" if field else err["msg"]
    return str(exc)


def read_note(path: str | Path) -> Note:
    """Read and validate one note file; :class:`NoteError` names the file and the field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise NoteError(path, None, f"not UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise NoteError(path, None, f"cannot read: {exc.strerror or exc}") from None
    match = _HEADER.match(text)
    if match is None:
        raise NoteError(path, None, "no YAML header ('---' lines) naming what the note is about")
    try:
        data = yaml.load(match.group(1), Loader=_PlainLoader)  # a safe loader
    except yaml.YAMLError as exc:
        raise NoteError(path, None, f"header is not YAML: {yaml_problem(exc)}") from None
    if not isinstance(data, dict):
        raise NoteError(path, None, "header must be a mapping (experiment, variant, day, run)")
    try:
        header = _Header.model_validate(data)
        _check_target(header)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise NoteError(path, ".".join(str(p) for p in err["loc"]) or None, err["msg"]) from None
    except ValueError as exc:
        raise NoteError(path, None, str(exc)) from None
    body = text[match.end():].strip()
    if not body:
        raise NoteError(path, None, "the note has no text")
    if len(body) > MAX_NOTE_CHARS:
        raise NoteError(path, None, f"a note holds at most {MAX_NOTE_CHARS:,} characters, "
                                    f"this one {len(body):,}")
    target = NoteTarget(**header.model_dump(exclude={"created"}))
    return Note(target, header.created, body, path)


def load_notes(results_dir: str | Path) -> tuple[list[Note], list[NoteError]]:
    """Every note of ``results_dir`` (oldest first), and an error for each bad file."""
    folder = Path(results_dir) / NOTES_DIR
    notes: list[Note] = []
    errors: list[NoteError] = []
    if not folder.is_dir():
        return notes, errors
    if leaves(folder, Path(results_dir)):
        return notes, [NoteError(folder, None, "a symbolic link leading outside the results folder; "
                                 "not read")]
    for path in sorted(folder.glob("*.md")):
        if path.name.startswith("."):  # hidden, as for records: editors' lock and swap files
            continue
        if leaves(path, Path(results_dir)):
            errors.append(NoteError(path, None, "a symbolic link leading outside the results folder; "
                                    "not read"))
            continue
        try:
            notes.append(read_note(path))
        except NoteError as exc:
            errors.append(exc)
        except Exception as exc:  # one bad note costs itself, never the site
            errors.append(NoteError(path, None, f"cannot be read: {type(exc).__name__}"))
    notes.sort(key=lambda n: (n.created, n.path.name))
    return notes, errors


def unmatched(notes: Iterable[Note], records: Sequence[Record]) -> list[NoteError]:
    """An error for each note whose run or variant has no record: shown, never dropped. A note
    on a day without runs is not an error: it becomes that day's diary post."""
    ids = {r.id for r in records}
    variants = {(r.experiment, r.variant) for r in records}
    variant_days = {(r.experiment, r.variant, r.started_at.date()) for r in records}
    errors = []
    for note in notes:
        t = note.target
        if t.kind == "run":
            ok = t.run in ids
        elif t.kind == "variant":
            ok = (t.experiment, t.variant, t.day) in variant_days if t.day else (
                (t.experiment, t.variant) in variants)
        else:
            ok = True  # a day without runs is a diary post (journal.render.posts)
        if not ok:
            errors.append(NoteError(note.path, None, f"no record matches {t.describe()}"))
    return errors


def add_note(
    text: str,
    *,
    results_dir: str | Path,
    run: str | None = None,
    experiment: str | None = None,
    variant: str | None = None,
    day: date | None = None,
) -> Path:
    """Attach a note to a run (an id or a unique prefix of one), a variant or a day, after
    checking that a record matches a run or a variant; returns the new note file. A note on a
    day needs no run that day: it is a diary entry, and the day gets a post of its own.

    Raises:
        JournalError: no record (or more than one run) matches a run or variant note, naming
            what does exist.
    """
    records, _ = load_records(results_dir)
    folder = Path(results_dir)
    if run is not None:
        rec = find_run(records, run, folder)
        return write_note(folder, text, experiment=rec.experiment, run=rec.id)
    if experiment is None:
        raise JournalError("a note needs a run id, or an experiment with a variant or a day")
    mine = [r for r in records if r.experiment == experiment]
    if variant is None and day is not None:
        # a diary entry: a day without training still gets its post (to-dos, conclusions)
        return write_note(folder, text, experiment=experiment, day=day)
    if not mine:
        known = ", ".join(sorted({r.experiment for r in records})) or "none"
        raise JournalError(f"no runs of experiment '{experiment}' in {folder}; experiments: {known}")
    if variant is not None and variant not in {r.variant for r in mine}:
        known = ", ".join(sorted({r.variant for r in mine}))
        raise JournalError(f"no runs of variant '{variant}' in {experiment}; variants: {known}")
    if day is not None:
        days = {r.started_at.date() for r in mine if variant is None or r.variant == variant}
        if day not in days:
            known = ", ".join(d.isoformat() for d in sorted(days))
            raise JournalError(f"no runs of {experiment} on {day.isoformat()}; days: {known}")
    if variant is None and day is None:
        raise JournalError("a note on an experiment needs --variant or --day")
    return write_note(folder, text, experiment=experiment, variant=variant, day=day)
