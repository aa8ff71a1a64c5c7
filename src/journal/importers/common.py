"""What every importer shares: options, the imported run, step → epoch mapping, writing.

An importer reads a log format into :class:`SourceRun` objects (one per run it finds); this
module turns them into records and writes them with :func:`journal.records.write_record`.

**Identity.** An imported run's id is ``<start, UTC>-<experiment>-<h>`` where ``h`` is the first
12 hex digits of SHA-256 over the format and the run's source identity (the absolute path of a
TensorBoard run folder or CSV file; the MLflow run id). Importing the same source again finds a
record ending in ``-<h>`` in the results folder and skips it, reporting the existing id, even
under another experiment name: an import never duplicates and never overwrites.

**Step → epoch.** Records keep one row per epoch. Logged steps become epochs by
:attr:`ImportOptions.epoch_from`: ``"step"`` (the step *is* the epoch; the default),
``"tag:NAME"`` (the value of scalar ``NAME`` logged at the same step, as Lightning logs
``epoch``) or ``"every:N"`` (``step // N``); :attr:`ImportOptions.epoch_offset` is then added
(``1`` turns zero-based epochs into the one-based ones the bundled experiments write). When
several steps fall in one epoch, the value logged at the last of them is kept.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import FileError, JournalError
from ..records import SEED_BOUND, EpochRow, Record, Status, iter_record_files, write_record

HASH_DIGITS = 12


class SourceError(FileError):
    """A log file or folder that cannot be imported; names the file, the field and the cause."""

    what = "log"


@dataclass(frozen=True)
class ImportOptions:
    """How imported runs are named and how their steps become epochs.

    Attributes:
        results_dir: the folder records are written to.
        experiment: the experiment of every imported run (default: from the source, e.g. the
            MLflow experiment or the Lightning logger name).
        variant: the variant of every imported run (default: ``variant_key``'s config value,
            else the run's name in its source).
        variant_key: a config key whose value names the variant (e.g. ``"model"``).
        seed: the seed of every imported run (default: the ``seed_key`` config value).
        seed_key: the config key holding the seed.
        epoch_from: ``"step"``, ``"tag:NAME"`` or ``"every:N"``; see the module docstring
            (default: the format's own, ``"tag:epoch"`` for a CSV with an ``epoch`` column).
        epoch_offset: added to every epoch.
    """

    results_dir: Path
    experiment: str | None = None
    variant: str | None = None
    variant_key: str | None = None
    seed: int | None = None
    seed_key: str = "seed"
    epoch_from: str | None = None
    epoch_offset: int = 0

    def __post_init__(self) -> None:
        if self.epoch_from is not None:
            parse_epoch_from(self.epoch_from)


@dataclass
class SourceRun:
    """One run as read from a log, before it becomes a record.

    ``series`` maps each scalar's name to its ``(step, value)`` points in logging order;
    ``metrics`` are the final values (default: each series' last value).
    """

    kind: str
    identity: str
    name: str
    path: Path
    experiment: str
    started_at: datetime
    ended_at: datetime | None = None
    status: Status = "finished"
    error: str | None = None
    config: dict[str, Any] = field(default_factory=dict)
    series: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    metrics: dict[str, float | None] | None = None
    epoch_from: str = "step"
    """How this format's steps become epochs unless the options say otherwise."""

    @property
    def digest(self) -> str:
        raw = f"{self.kind}\0{self.identity}".encode()
        return hashlib.sha256(raw).hexdigest()[:HASH_DIGITS]


@dataclass
class ImportResult:
    """What an import did: the records written and the runs skipped as already imported."""

    written: list[Path] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(run name in the source, id of the record already holding it)."""


def parse_epoch_from(spec: str) -> tuple[str, str | int]:
    """``"step"`` → ``("step", "")``; ``"tag:epoch"`` → ``("tag", "epoch")``; ``"every:N"``."""
    kind, _, arg = spec.partition(":")
    if kind == "step" and not arg:
        return "step", ""
    if kind == "tag" and arg:
        return "tag", arg
    if kind == "every":
        try:
            n = int(arg)
        except ValueError:
            n = 0
        if n > 0:
            return "every", n
    raise JournalError(
        f"epoch mapping '{spec}': expected 'step', 'tag:NAME' (a scalar holding the epoch) or "
        "'every:N' (N steps per epoch)"
    )


def history_rows(run: SourceRun, epoch_from: str, offset: int) -> list[EpochRow]:
    """The run's series as one row per epoch (sorted), the last value of each epoch kept."""
    kind, arg = parse_epoch_from(epoch_from)
    epoch_of_step: dict[int, int] = {}
    if kind == "tag":
        if arg not in run.series:
            known = ", ".join(sorted(run.series)) or "none"
            raise SourceError(run.path, str(arg), f"no scalar '{arg}' to read epochs from; "
                              f"scalars: {known}")
        for step, value in run.series[str(arg)]:
            if not math.isfinite(value) or value != int(value):
                raise SourceError(run.path, f"{arg}@{step}", f"epoch value {value} is not an integer")
            epoch_of_step[step] = int(value)
    rows: dict[int, dict[str, float]] = {}
    for name, points in run.series.items():
        if kind == "tag" and name == arg:
            continue
        for step, value in points:
            if kind == "step":
                epoch = step
            elif kind == "every":
                epoch = step // int(arg)
            else:
                if step not in epoch_of_step:
                    raise SourceError(run.path, f"{name}@{step}",
                                      f"no '{arg}' value logged at step {step}")
                epoch = epoch_of_step[step]
            epoch += offset
            if epoch < 0:
                raise SourceError(run.path, f"{name}@{step}",
                                  f"epoch {epoch} is negative; use an epoch offset")
            rows.setdefault(epoch, {})[name] = value
    return [EpochRow(epoch=e, **values) for e, values in sorted(rows.items())]


def _seed(run: SourceRun, options: ImportOptions) -> int | None:
    if options.seed is not None:
        return options.seed
    value = run.config.get(options.seed_key)
    if value is None:
        return None
    try:
        seed = int(str(value))
    except ValueError:
        raise SourceError(run.path, f"config.{options.seed_key}",
                          f"seed '{str(value)[:40]}' is not an integer; give the seed explicitly") from None
    if abs(seed) >= SEED_BOUND:
        raise SourceError(run.path, f"config.{options.seed_key}",
                          "the seed lies beyond ±2**128; give the seed explicitly")
    return seed


def _variant(run: SourceRun, options: ImportOptions) -> str:
    if options.variant:
        return options.variant
    if options.variant_key:
        if options.variant_key not in run.config:
            raise SourceError(run.path, f"config.{options.variant_key}",
                              "no such config key to name the variant by")
        return str(run.config[options.variant_key])
    return run.name or "default"


def _run_id(run: SourceRun, experiment: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", experiment).strip("-.") or "run"
    return f"{run.started_at.astimezone(UTC):%Y%m%dT%H%M%SZ}-{slug[:60]}-{run.digest}"


def to_record(run: SourceRun, options: ImportOptions) -> Record:
    """The record of an imported run."""
    epoch_from = options.epoch_from or run.epoch_from
    history = history_rows(run, epoch_from, options.epoch_offset)
    metrics = dict(run.metrics) if run.metrics is not None else {
        name: points[-1][1] for name, points in run.series.items() if points}
    if epoch_from.startswith("tag:"):  # the epoch counter is bookkeeping, not a result
        metrics.pop(epoch_from[4:], None)
    experiment = options.experiment or run.experiment
    ended = run.ended_at
    return Record.model_validate(dict(
        id=_run_id(run, experiment),
        experiment=experiment,
        variant=_variant(run, options),
        seed=_seed(run, options),
        status=run.status,
        error=run.error if run.status == "failed" else None,
        started_at=run.started_at,
        updated_at=ended or run.started_at,
        ended_at=ended if run.status != "running" else None,
        config=run.config,
        history=history,
        metrics=metrics,
    ))


def existing_digests(results_dir: Path) -> dict[str, str]:
    """``digest → run id`` of the records already in ``results_dir`` (from file names)."""
    found: dict[str, str] = {}
    for path in iter_record_files(results_dir):
        tail = path.stem.rsplit("-", 1)[-1]
        if len(tail) == HASH_DIGITS:
            found.setdefault(tail, path.stem)
    return found


def write_runs(runs: Iterable[SourceRun], options: ImportOptions) -> ImportResult:
    """Write a record for each run not imported before; skip (and report) the others."""
    result = ImportResult()
    done = existing_digests(options.results_dir)
    for run in runs:
        if run.digest in done:
            result.skipped.append((run.name, done[run.digest]))
            continue
        record = to_record(run, options)
        result.written.append(write_record(record, options.results_dir, create=True))
        done[run.digest] = record.id
    return result


def plain_config(values: Mapping[str, Any], path: Path, where: str = "config") -> dict[str, Any]:
    """Config values as JSON: numbers, strings, booleans, None, lists and nested mappings.

    Non-finite floats are refused (records require finite config values); other objects
    become their string form.
    """

    def plain(value: Any, key: str) -> Any:
        if value is None or isinstance(value, bool | int | str):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise SourceError(path, key, f"config value {value} is not finite")
            return value
        if isinstance(value, Mapping):
            return {str(k): plain(v, f"{key}.{k}") for k, v in value.items()}
        if isinstance(value, Sequence) and not isinstance(value, bytes):
            return [plain(v, f"{key}.{i}") for i, v in enumerate(value)]
        return str(value)

    return {str(k): plain(v, f"{where}.{k}") for k, v in values.items()}


def parse_scalar(text: str) -> Any:
    """A parameter logged as text (MLflow params) as an int, float or boolean when it reads
    as one, else the text."""
    for cast in (int, float):
        try:
            value = cast(text)
        except ValueError:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            return text
        return value
    return {"true": True, "false": False, "none": None}.get(text.lower(), text)
