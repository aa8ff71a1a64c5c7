"""The run record: its schema, validation, and atomic reading and writing.

A record is one JSON file per run and the only contract between the code that trains and the
code that renders. It is plain JSON (``json.load`` reads it anywhere); non-finite floats are
written as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` so that the file stays
strict JSON and a ``Loss: nan`` survives the round trip.

Files are written atomically: the text goes to a temporary file in the same folder, is flushed
and fsync'ed, then renamed over the target, so a reader sees the old record or the new one,
never half of one. A new record is *created* with a hard link, which fails if the name exists:
two runs can never overwrite each other.
"""

from __future__ import annotations

import gc
import json
import os
import re
import secrets
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from . import atomic
from .errors import JournalError, RecordError, RecordExistsError

SCHEMA_VERSION = 2
"""The schema version this release writes. Version 1 (no ``launch``, no ``interruptions``) is
read too: it is the same record with those fields empty, and is written back as version 2."""

Status = Literal["running", "finished", "failed", "interrupted"]

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+-]{0,199}$")


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a time zone (write it in UTC, ending in 'Z')")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before the first representable UTC time
        raise ValueError("timestamp lies outside the range of UTC dates (years 1 to 9999)") from None


UTCDateTime = Annotated[datetime, AfterValidator(_utc)]
_NON_FINITE_TEXT = frozenset({"NaN", "Infinity", "-Infinity", "nan", "inf", "-inf"})


def _is_bool(value: Any) -> bool:
    """``True``/``False``, numpy's included: JSON's ``true`` is not the number 1."""
    kind = type(value)
    return isinstance(value, bool) or (kind.__module__ == "numpy" and kind.__name__ in ("bool", "bool_"))


def _number(value: Any) -> Any:
    """A metric must be a JSON number (or the text of NaN or ±inf that records write): ``true``
    is not 1, and ``"0.9"`` is a mistake worth naming rather than reading."""
    if _is_bool(value):
        raise ValueError("a metric must be a number, not true or false")
    if isinstance(value, str) and value not in _NON_FINITE_TEXT:
        raise ValueError(f"a metric must be a number, not the text {value[:40]!r}")
    return value


Number = Annotated[float, BeforeValidator(_number)] | None
"""A metric value: any float, NaN and ±inf included; ``None`` where it was not measured."""


def _seed(value: Any) -> Any:
    """A seed must be an integer (a numpy one too): ``true`` is not seed 1, nor ``"7"`` seed 7."""
    if _is_bool(value) or isinstance(value, str):
        raise ValueError(f"a seed must be an integer, not {value!r:.40}")
    if type(value).__module__ == "numpy" and hasattr(value, "__index__"):
        value = int(value)
    if isinstance(value, int) and not abs(value) < SEED_BOUND:
        raise ValueError("a seed must lie within ±2**128 (numpy's SeedSequence entropy has 128 "
                         f"bits), not a number of {len(str(abs(value)))} digits")
    return value


MAX_NOTE_CHARS = 100_000
"""The longest note, checked when one is written and when one is read (a note file, a record's
``note``): about forty pages of prose, and a bound on the time Python-Markdown takes to render
it (which grows faster than its length: 900,000 characters of links took four minutes)."""

SEED_BOUND = 2**128
"""Seeds lie strictly within ±this: ``torch.manual_seed`` takes 64 bits, numpy's
``SeedSequence`` entropy is 128."""

Seed = Annotated[int, BeforeValidator(_seed)]
"""A random seed: an integer within ±2¹²⁸ (:data:`SEED_BOUND`)."""


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        ser_json_inf_nan="strings",
        populate_by_name=True,
        validate_assignment=True,
    )


class Dataset(_Model):
    """The data a run trained and was evaluated on."""

    name: str = Field(description="Data set name, e.g. 'CASIA-SURF (tiny synthetic)'.")
    root: str | None = Field(None, description="Where it was read from.")
    sizes: dict[str, int] = Field(
        default_factory=dict, description="Samples per split, e.g. {'train': 400, 'test': 400}."
    )


class Environment(_Model):
    """Where a run ran, so that a number can be traced back to code and hardware."""

    python: str
    torch: str | None = None
    device: str | None = None
    platform: str | None = None
    hostname: str | None = None
    git_commit: str | None = None
    git_dirty: bool | None = None
    journal: str | None = None


class EpochRow(BaseModel):
    """One row of the per-epoch series: ``epoch`` plus any named scalar values."""

    model_config = ConfigDict(extra="allow", ser_json_inf_nan="strings")
    __pydantic_extra__: dict[str, Number] = Field(init=False)

    epoch: int = Field(ge=0)

    def values(self) -> dict[str, Number]:
        """The logged values of this epoch, without ``epoch``."""
        return dict(self.__pydantic_extra__ or {})


class Selection(_Model):
    """A checkpoint chosen on validation and the test metrics at that checkpoint."""

    metric: str = Field(description="Validation metric that chose it, e.g. 'val_acer'.")
    mode: Literal["min", "max", "last"] = Field(description="How it was chosen.")
    epoch: int = Field(ge=0, description="The chosen epoch.")
    value: Number = Field(None, description="The validation metric at that epoch.")
    test: dict[str, Number] = Field(
        default_factory=dict, description="Test metrics of that checkpoint."
    )


class Confusion(_Model):
    """A confusion matrix: rows are the true class, columns the predicted class."""

    labels: list[str] = Field(min_length=1)
    matrix: list[list[Annotated[int, Field(ge=0)]]]
    split: str = "test"
    checkpoint: str = "last"

    @model_validator(mode="after")
    def _square(self) -> Confusion:
        n = len(self.labels)
        if len(self.matrix) != n or any(len(row) != n for row in self.matrix):
            raise ValueError(f"matrix must be {n}×{n} to match its {n} labels")
        return self


def parse_matrix_text(text: str) -> list[list[int]]:
    """``"9 1; 0 10"`` → ``[[9, 1], [0, 10]]``: rows separated by ``;``, counts by spaces."""
    rows = [row.split() for row in text.split(";")]
    try:
        matrix = [[int(v) for v in row] for row in rows]
    except ValueError:
        raise ValueError("a matrix is rows of whole counts separated by ';', e.g. '9 1; 0 10'") from None
    if any(v < 0 for row in matrix for v in row):
        raise ValueError("counts must not be negative")
    return matrix


def matrix_text(matrix: Iterable[Iterable[int]]) -> str:
    """``[[9, 1], [0, 10]]`` → ``"9 1; 0 10"`` (one line in the record, however many classes)."""
    return "; ".join(" ".join(str(int(v)) for v in row) for row in matrix)


class EpochConfusion(_Model):
    """The confusion matrix at the end of one epoch, rows written on one line (``"9 1; 0 10"``)."""

    epoch: int = Field(ge=0)
    matrix: str = Field(description="Rows = true class, separated by ';'; counts by spaces.")

    @field_validator("matrix")
    @classmethod
    def _counts(cls, value: str) -> str:
        return matrix_text(parse_matrix_text(value))

    def counts(self) -> list[list[int]]:
        """The matrix as rows of counts."""
        return parse_matrix_text(self.matrix)


class ConfusionHistory(_Model):
    """Confusion matrices over the epochs of a run (on validation, usually), one label list."""

    labels: list[str] = Field(min_length=1)
    split: str = "val"
    epochs: list[EpochConfusion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _square(self) -> ConfusionHistory:
        n = len(self.labels)
        for item in self.epochs:
            rows = item.counts()
            if len(rows) != n or any(len(row) != n for row in rows):
                raise ValueError(f"the matrix of epoch {item.epoch} must be {n}×{n} to match its "
                                 f"{n} labels")
        if len({e.epoch for e in self.epochs}) != len(self.epochs):
            raise ValueError("one matrix per epoch")
        return self

    def at(self, epoch: int) -> list[list[int]] | None:
        """The matrix of ``epoch`` (None if it has none)."""
        return next((e.counts() for e in self.epochs if e.epoch == epoch), None)


def _tag(value: str) -> str:
    if not value or len(value) > 64 or value != value.strip():
        raise ValueError(f"tag {value[:70]!r}: 1 to 64 characters, no leading or trailing space")
    if "," in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError(f"tag {value[:70]!r}: no commas or control characters")
    return value


Tag = Annotated[str, AfterValidator(_tag)]


class Curve(_Model):
    """A curve to plot, e.g. a ROC curve: ``x`` and ``y`` points with axis labels."""

    x: list[Number]
    y: list[Number]
    x_label: str = "x"
    y_label: str = "y"

    @model_validator(mode="after")
    def _same_length(self) -> Curve:
        if len(self.x) != len(self.y):
            raise ValueError(f"x and y differ in length: {len(self.x)} vs {len(self.y)}")
        return self


class Threshold(_Model):
    """The decision threshold on a score, and how it was chosen."""

    policy: Literal["fixed", "eer"] = Field(
        description="'fixed': a constant; 'eer': the equal-error-rate threshold found on "
        "validation and applied to test."
    )
    value: float


class Launch(_Model):
    """How ``journal run`` or ``journal sweep`` started the run, so it can be resumed or skipped."""

    job: str = Field(description="One experiment invocation for one seed; the records it writes "
                     "(e.g. teacher and students) share it, and a resume continues them all.")
    overrides: dict[str, str] = Field(default_factory=dict, description="The --set values.")
    sweep: str | None = Field(None, description="The sweep this run is a point of.")


class Interruption(_Model):
    """A stop of a run that was later resumed."""

    at: UTCDateTime = Field(description="When the run stopped.")
    after_epoch: int = Field(ge=0, description="The last completed epoch it continued from.")
    reason: str = Field("", description="Why it stopped (SIGTERM, preemption, a crash).")


class Record(_Model):
    """One training run. See the reference page of the site for every field."""

    schema_version: int = Field(SCHEMA_VERSION, alias="schema")
    id: str = Field(description="Sortable unique run id, also the file name.")
    experiment: str = Field(min_length=1)
    variant: str = Field("default", min_length=1, description="The config family seeds group under.")
    seed: Seed | None = Field(None, description="The random seed: an integer within ±2**128.")
    status: Status = "running"
    error: str | None = Field(None, description="The error text of a failed run.")
    started_at: UTCDateTime
    updated_at: UTCDateTime
    ended_at: UTCDateTime | None = None
    config: dict[str, JsonValue] = Field(default_factory=dict)
    dataset: Dataset | None = None
    environment: Environment | None = None
    history: list[EpochRow] = Field(default_factory=list)
    metrics: dict[str, Number] = Field(default_factory=dict)
    checkpoint: str = Field("last", description="The checkpoint 'metrics' were measured at.")
    per_class: dict[str, dict[str, Number]] = Field(
        default_factory=dict,
        description="Classification report: class (and 'macro avg', 'weighted avg') → "
        "precision, recall, f1, support.",
    )
    references: dict[str, dict[str, Number]] = Field(
        default_factory=dict, description="Numbers to compare with, e.g. {'paper': {'mae': 2.35}}."
    )
    selections: dict[str, Selection] = Field(default_factory=dict)
    evaluations: dict[str, dict[str, Number]] = Field(default_factory=dict)
    confusion: Confusion | None = None
    threshold: Threshold | None = None
    curves: dict[str, Curve] = Field(default_factory=dict)
    log: str = Field("", description="An excerpt of the raw training log (its last lines).")
    note: str = Field("", max_length=MAX_NOTE_CHARS, description="The run's note (at most "
                      "100,000 characters, as a note file).")
    launch: Launch | None = None
    interruptions: list[Interruption] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list, description="Labels to find runs by "
                            "(journal tag, Run.tag, journal list --tag).")
    confusion_epochs: ConfusionHistory | None = Field(
        None, description="Confusion matrices per epoch (Run.set_confusion(..., epoch=N)).")

    @field_validator("id")
    @classmethod
    def _safe_id(cls, value: str) -> str:
        if not _ID_RE.match(value):
            raise ValueError(
                "run id may hold only letters, digits and '_.+-', start with a letter or digit, "
                "and be at most 200 characters"
            )
        return value

    @field_validator("experiment", "variant")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must hold more than spaces")
        return value

    @field_validator("ended_at")
    @classmethod
    def _ends_after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        started = info.data.get("started_at")
        if value is not None and started is not None and value < started:
            raise ValueError(f"the run ends before it starts ({started:%Y-%m-%dT%H:%M:%SZ})")
        return value

    @field_validator("schema_version")
    @classmethod
    def _known_schema(cls, value: int) -> int:
        if value > SCHEMA_VERSION:
            raise ValueError(
                f"schema {value} is newer than this journal understands ({SCHEMA_VERSION}); "
                "upgrade journal to read it"
            )
        if value < 1:
            raise ValueError(f"schema {value} does not exist")
        return SCHEMA_VERSION  # older versions are subsets of this one: migrated on read

    @model_validator(mode="after")
    def _consistent(self) -> Record:
        if self.status == "failed" and not self.error:
            raise ValueError("a failed run must carry its error text in 'error'")
        return self

    def to_json(self) -> str:
        """The record as indented, strict JSON (non-finite floats as strings). ``tags`` and
        ``confusion_epochs`` are left out while empty, so a record that uses neither stays
        readable by releases that predate them."""
        empty = {name for name in ("tags", "confusion_epochs") if not getattr(self, name)}
        return self.model_dump_json(by_alias=True, indent=2, exclude=empty or None) + "\n"


STALE_AFTER = timedelta(hours=2)
"""A ``running`` record not written for this long is shown as ``stale``."""


def display_status(record: Record, now: datetime | None = None) -> str:
    """The record's status, or ``stale`` for a run still ``running`` with no write for
    :data:`STALE_AFTER` (killed, crashed, or its machine gone)."""
    now = now or datetime.now(UTC)
    if record.status == "running" and now - record.updated_at > STALE_AFTER:
        return "stale"
    return record.status


def new_run_id(experiment: str, now: datetime | None = None) -> str:
    """A dated, sortable run id with 32 random bits: ``20261123T061000Z-fas_kd-3f2a9c1e``.

    Ids can still collide (two runs in one second, one chance in ~10⁹ per pair); record creation
    never overwrites, and :class:`journal.tracking.Run` retries with a fresh id.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", experiment).strip("-.") or "run"
    return f"{now:%Y%m%dT%H%M%SZ}-{slug[:60]}-{secrets.token_hex(4)}"


def _field_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(record)"


def validate_record(data: Any, path: str | Path = "<record>") -> Record:
    """Validate a decoded JSON object; raise :class:`RecordError` naming the first bad field."""
    if not isinstance(data, dict):
        raise RecordError(path, None, f"expected a JSON object, found {type(data).__name__}")
    try:
        return Record.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        # our own checks read as sentences, without pydantic's "Value error, " before them
        cause = err["msg"].removeprefix("Value error, ")
        raise RecordError(path, _field_path(err["loc"]), cause + more) from None
    except (RecursionError, ValueError, OverflowError) as exc:
        raise RecordError(path, None, f"cannot be validated: {type(exc).__name__}") from None


def read_record(path: str | Path) -> Record:
    """Read and validate one record file.

    Raises:
        RecordError: the file is unreadable, not UTF-8, not JSON, or fails validation; the
            message names the file and the field.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise RecordError(path, None, f"cannot read: {exc.strerror or exc}") from None
    try:
        # Fast path: pydantic-core parses and validates in one pass. Anything it refuses (bare
        # NaN tokens from other writers, bad JSON, a bad field) takes the slow path below, which
        # says exactly what is wrong.
        return Record.model_validate_json(raw)
    except (ValidationError, ValueError, RecursionError):
        pass
    if not raw.strip():
        raise RecordError(path, None, "empty file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(path, None, f"not UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text, parse_constant=_parse_constant)
    except json.JSONDecodeError as exc:
        raise RecordError(
            path, None, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise RecordError(path, None, "invalid JSON: nested too deeply") from None
    except ValueError:  # an integer of more digits than Python converts (over 4300)
        raise RecordError(path, None, "invalid JSON: a number too long to convert") from None
    return validate_record(data, path)


def _parse_constant(name: str) -> float:
    # Python's json writes bare NaN/Infinity; accept them from other writers too.
    return float(name)


def write_atomic(
    path: Path, data: str | bytes, *, exclusive: bool = False, durable: bool = True
) -> None:
    """:func:`journal.atomic.write_atomic` for a run record: an exclusive write whose file
    exists is :class:`RecordExistsError` (runs are never overwritten)."""
    try:
        atomic.write_atomic(path, data, exclusive=exclusive, durable=durable)
    except atomic.TargetExistsError:
        raise RecordExistsError(
            path, "id", "a record with this run id already exists; runs are never overwritten"
        ) from None


def record_path(results_dir: str | Path, run_id: str) -> Path:
    """Where the record of ``run_id`` lives inside ``results_dir``."""
    return Path(results_dir) / f"{run_id}.json"


def write_record(record: Record, results_dir: str | Path, *, create: bool = False) -> Path:
    """Validate ``record`` and write it atomically to ``results_dir/<id>.json``.

    Args:
        create: the first write of a run; refuses (``RecordExistsError``) if the file exists.
    """
    record = Record.model_validate(record.model_dump(by_alias=True))  # validate on write
    folder = Path(results_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = record_path(folder, record.id)
    write_atomic(path, record.to_json(), exclusive=create)
    return path


def iter_record_files(results_dir: str | Path) -> Iterator[Path]:
    """Record files below ``results_dir``, sorted by name (so by time for our ids).

    Hidden files and everything inside hidden folders are not records: ``.state`` holds the
    training states of runs (an experiment may keep JSON there), ``.submitit`` job logs, and
    ``.NAME.tmp`` files are atomic writes in progress."""
    root = Path(results_dir)
    if not root.is_dir():
        return iter(())
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        files += [Path(folder, n) for n in names if n.endswith(".json") and not n.startswith(".")]
    return iter(sorted((p for p in files if p.is_file()), key=lambda p: (p.name, str(p))))


ReadCache = dict[Path, tuple[int, int, Record]]
"""Records read before, by file, with the file's mtime (ns) and size then."""


def load_records(
    results_dir: str | Path, *, paths: dict[str, Path] | None = None, cache: ReadCache | None = None
) -> tuple[list[Record], list[RecordError]]:
    """Every record below ``results_dir``, and an error for each file that is bad.

    Nothing is dropped silently: the caller decides whether bad files fail the build. Two files
    with one run id are one run: the one written last (``updated_at``) is read, the other is
    such an error, naming both. With
    ``paths``, the file of each record is filled in by run id (so a later problem can name it).
    With ``cache`` (kept by a caller that reads the folder again and again, such as ``journal
    serve``), a file whose mtime and size are unchanged is not parsed again; the cache is updated
    to hold exactly the files read this time. Callers must not modify the records.
    """
    records: list[Record] = []
    errors: list[RecordError] = []
    seen: set[Path] = set()
    kept: dict[str, tuple[int, Path]] = {}  # run id → (its place in records, its file)
    # Thousands of records are millions of small objects, none of them cyclic: pausing the
    # cyclic garbage collector while they are built saves it rescanning them again and again.
    paused = gc.isenabled()
    gc.disable()
    try:
        root = Path(results_dir).resolve()
        for path in iter_record_files(results_dir):
            if path.is_symlink() and not path.resolve().is_relative_to(root):
                errors.append(RecordError(path, None, "a symbolic link leading outside the results "
                                          "folder; not read"))
                continue
            try:
                record = read_record(path) if cache is None else _read_cached(path, cache, seen)
                if record.id in kept:  # a copied file: the run counts once, the older copy is named
                    at, other = kept[record.id]
                    if record.updated_at > records[at].updated_at:
                        records[at], kept[record.id] = record, (at, path)
                        path, other = other, path
                    errors.append(RecordError(path, "id", f"run id {record.id} is also the run of "
                                              f"{other}, written as late or later; this file is an "
                                              "older copy and is not read"))
                    continue
                kept[record.id] = (len(records), path)
                records.append(record)
            except RecordError as exc:
                errors.append(exc)
            except Exception as exc:  # one bad file costs its own runs, never the whole folder
                errors.append(RecordError(path, None, f"cannot be read: {type(exc).__name__}"))
    finally:
        if paused:
            gc.enable()
    if paths is not None:
        paths.update({run_id: path for run_id, (_, path) in kept.items()})
    if cache is not None:
        for gone in set(cache) - seen:
            del cache[gone]
    return records, errors


def _read_cached(path: Path, cache: ReadCache, seen: set[Path]) -> Record:
    stat = path.stat()
    seen.add(path)
    known = cache.get(path)
    if known is not None and known[0] == stat.st_mtime_ns and known[1] == stat.st_size:
        return known[2]
    record = read_record(path)
    cache[path] = (stat.st_mtime_ns, stat.st_size, record)
    return record


def find_run(records: Iterable[Record], run_id: str, where: str | Path) -> Record:
    """The record whose id is ``run_id``, or else the one whose id starts with it.

    Raises:
        JournalError: no record, or more than one, matches; ``where`` names the folder.
    """
    records = list(records)
    matches = [r for r in records if r.id == run_id] or [r for r in records if r.id.startswith(run_id)]
    if len(matches) != 1:
        found = "no run" if not matches else f"{len(matches)} runs"
        raise JournalError(f"{found} in {where} with an id starting '{run_id}'")
    return matches[0]
