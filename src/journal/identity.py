"""Which runs count: seed identity, superseded re-runs and retired runs.

A run's **identity** is ``(experiment, variant, config fingerprint, dataset name, seed)``. The
fingerprint is the SHA-1 of the config as canonical JSON (keys sorted, no spaces) without the
settings that do not change a result (:data:`NON_RESULT_KEYS`, and per experiment
:data:`EXPERIMENT_NON_RESULT_KEYS`). Two records with one identity are the same seed run twice:

* **Superseding.** Among the runs of one identity, the latest *finished* run (by ``ended_at``,
  then by id) is counted; every other finished run of it, and every unfinished run that started
  before it, is *superseded* — kept on disk, listed with the run that supersedes it, never
  counted. A run started after the counted one that has not finished (running, failed,
  interrupted) keeps its own status. A model shared by several jobs (the ``fas_kd`` teacher
  trained again by a second ``journal run --set kd=feature``) has one identity, so it is counted
  once by the same rule. Runs without a seed have no seed identity and never supersede each other.
* **Retirement.** ``retire(results_dir, run_id, reason)`` writes
  ``<results>/retired/<run_id>.yml`` (``run``, ``reason``, ``at``); the record itself is never
  touched. A retired run is excluded with its reason; it does not take part in superseding.

:func:`resolve` applies both: every page or command that aggregates seeds (posts, overviews,
``journal show``, ``journal compare``) passes its records through it and averages only
:attr:`Resolution.counted`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from .atomic import TargetExistsError, write_atomic
from .errors import FileError, JournalError
from .paths import RETIRED_DIR
from .records import _ID_RE, Record, iter_record_files, load_records

NON_RESULT_KEYS = frozenset({
    "device", "workers", "num_workers", "progress", "verbose", "log_every",
    "output", "output_dir", "out_dir", "results_dir", "log_dir", "save_dir", "checkpoint_dir",
    "data_root", "root", "reference",
})
"""Top-level config keys left out of the fingerprint in every experiment: where a run ran and
wrote (device, data loader workers, progress output, output folders, where the data was read
from — the data set is part of the identity by name) and reference numbers from a paper."""

EXPERIMENT_NON_RESULT_KEYS: dict[str, frozenset[str]] = {
    # whether the no-KD student is *also* trained: it changes no model's result
    "fas_kd": frozenset({"baseline"}),
    # the cache file name of the pre-trained encoder: it encodes the data folder's absolute path
    "finetune": frozenset({"pretrained"}),
}
"""Keys that do not change a result in one bundled experiment only."""


class Identity(NamedTuple):
    """What makes two records the same seed run."""

    experiment: str
    variant: str
    fingerprint: str
    dataset: str | None
    seed: int


class RetirementError(FileError):
    """A retirement file that cannot be read, or a retirement that cannot be written."""

    what = "retirement"


@dataclass(frozen=True)
class Retirement:
    """A run excluded by hand, with why and when."""

    run: str
    reason: str
    at: datetime


@dataclass
class Resolution:
    """Records split into those counted and those excluded, each exclusion with its reason.

    ``counted`` keeps the input order and holds every record not excluded, unfinished ones too
    (listed, never averaged, as before); ``excluded`` holds ``(record, reason)`` with reason
    ``superseded by <id>`` or ``retired: <text>``.
    """

    counted: list[Record] = field(default_factory=list)
    excluded: list[tuple[Record, str]] = field(default_factory=list)
    superseded_by: dict[str, str] = field(default_factory=dict)
    retired: dict[str, Retirement] = field(default_factory=dict)

    def reason(self, run_id: str) -> str | None:
        """Why ``run_id`` is excluded, or None when it is counted."""
        return next((why for rec, why in self.excluded if rec.id == run_id), None)

    def restrict(self, records: Iterable[Record]) -> Resolution:
        """This resolution for a subset of its records (a post's day, one variant): the
        decisions were taken over the whole folder and are not taken again."""
        ids = {r.id for r in records}
        return Resolution(
            [r for r in self.counted if r.id in ids],
            [(r, why) for r, why in self.excluded if r.id in ids],
            {k: v for k, v in self.superseded_by.items() if k in ids},
            {k: v for k, v in self.retired.items() if k in ids},
        )


def non_result_keys(experiment: str) -> frozenset[str]:
    """The config keys left out of ``experiment``'s fingerprints."""
    return NON_RESULT_KEYS | EXPERIMENT_NON_RESULT_KEYS.get(experiment, frozenset())


def fingerprint(config: Mapping[str, Any], experiment: str = "") -> str:
    """16 hex digits of the SHA-1 of ``config`` (without :func:`non_result_keys`) as canonical
    JSON: ``json.dumps(…, sort_keys=True, separators=(",", ":"))``."""
    ignored = non_result_keys(experiment)
    kept = {k: v for k, v in config.items() if k not in ignored}
    text = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def identity_of(record: Record) -> Identity | None:
    """The seed identity of ``record``; None for a run without a seed."""
    if record.seed is None:
        return None
    dataset = record.dataset.name if record.dataset is not None else None
    return Identity(record.experiment, record.variant, fingerprint(record.config, record.experiment),
                    dataset, record.seed)


def _finish_key(record: Record) -> tuple[datetime, str]:
    return (record.ended_at or record.updated_at, record.id)


def resolve(records: Sequence[Record], retirements: Mapping[str, Retirement] | None = None) -> Resolution:
    """Split ``records`` into counted and excluded (superseded or retired); see the module."""
    retirements = retirements or {}
    out = Resolution()
    groups: dict[Identity, list[Record]] = {}
    for rec in records:
        if rec.id in retirements:
            out.retired[rec.id] = retirements[rec.id]
            continue
        ident = identity_of(rec)
        if ident is not None:
            groups.setdefault(ident, []).append(rec)
    for group in groups.values():
        finished = [r for r in group if r.status == "finished"]
        if len(group) < 2 or not finished:
            continue
        winner = max(finished, key=_finish_key)
        for rec in group:
            if rec is winner:
                continue
            if rec.status == "finished" or rec.started_at <= winner.started_at:
                out.superseded_by[rec.id] = winner.id
    for rec in records:
        if rec.id in out.retired:
            out.excluded.append((rec, f"retired: {out.retired[rec.id].reason}"))
        elif rec.id in out.superseded_by:
            out.excluded.append((rec, f"superseded by {out.superseded_by[rec.id]}"))
        else:
            out.counted.append(rec)
    return out


def _retired_dir(results_dir: str | Path) -> Path:
    """``<results>/retired``, refused when it (or the results folder's inside) leads elsewhere."""
    root = Path(results_dir)
    folder = root / RETIRED_DIR
    if folder.is_symlink() or (folder.exists() and not folder.resolve().is_relative_to(root.resolve())):
        raise RetirementError(folder, None, "is a symbolic link or leads out of the results folder; "
                              "retirements are written only inside it")
    if folder.exists() and not folder.is_dir():
        raise RetirementError(folder, None, "is a file; it must be the folder of retirements")
    return folder


def retire(
    results_dir: str | Path, run_id: str, reason: str, *, now: datetime | None = None
) -> Path:
    """Mark ``run_id`` as excluded from every aggregate with ``reason``, without touching its
    record: writes ``<results>/retired/<run_id>.yml`` atomically and returns its path.

    Raises:
        JournalError: ``run_id`` is not a valid run id, has no record in ``results_dir``, is
            already retired, or ``reason`` is empty; the retired folder is a link.
    """
    if not _ID_RE.match(run_id):
        raise JournalError(f"'{run_id}' is not a run id (letters, digits and '_.+-' only)")
    reason = reason.strip()
    if not reason:
        raise JournalError(f"give a reason to retire run {run_id}")
    if not any(p.stem == run_id for p in iter_record_files(results_dir)):
        raise JournalError(f"no record of run {run_id} in {results_dir}")
    folder = _retired_dir(results_dir)
    path = folder / f"{run_id}.yml"
    if path.exists():
        raise JournalError(f"run {run_id} is already retired ({path})")
    folder.mkdir(parents=True, exist_ok=True)
    when = (now or datetime.now(UTC)).astimezone(UTC)
    text = yaml.safe_dump({"run": run_id, "reason": reason, "at": when.strftime("%Y-%m-%dT%H:%M:%SZ")},
                          allow_unicode=True, sort_keys=False)
    try:
        write_atomic(path, text, exclusive=True)
    except TargetExistsError:  # retired at the same moment by another process
        raise JournalError(f"run {run_id} is already retired ({path})") from None
    return path


def unretire(results_dir: str | Path, run_id: str) -> Path:
    """Count ``run_id`` again: removes its retirement file (never the record); returns its path.

    Raises:
        JournalError: the run is not retired, or the retired folder is a link.
    """
    if not _ID_RE.match(run_id):
        raise JournalError(f"'{run_id}' is not a run id (letters, digits and '_.+-' only)")
    path = _retired_dir(results_dir) / f"{run_id}.yml"
    if not path.is_file():
        raise JournalError(f"run {run_id} is not retired")
    path.unlink()
    return path


def load_retirements(results_dir: str | Path) -> tuple[dict[str, Retirement], list[RetirementError]]:
    """Every retirement in ``<results>/retired``, by run id, and an error for each bad file
    (nothing is dropped silently: the caller decides whether it fails the build)."""
    try:
        folder = _retired_dir(results_dir)
    except RetirementError as exc:
        return {}, [exc]
    if not folder.is_dir():
        return {}, []
    out: dict[str, Retirement] = {}
    errors: list[RetirementError] = []
    for path in sorted(folder.glob("*.yml")):
        if path.name.startswith("."):
            continue
        try:
            out[path.stem] = _read_retirement(path)
        except RetirementError as exc:
            errors.append(exc)
    return out, errors


def _read_retirement(path: Path) -> Retirement:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise RetirementError(path, None, f"cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise RetirementError(path, None, f"not YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RetirementError(path, None, "expected a mapping with 'run', 'reason' and 'at'")
    run, reason, at = data.get("run"), data.get("reason"), data.get("at")
    if run != path.stem:
        raise RetirementError(path, "run", f"names run '{run}', but the file is for '{path.stem}'")
    if not isinstance(reason, str) or not reason.strip():
        raise RetirementError(path, "reason", "must be a non-empty text")
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at.replace("Z", "+00:00"))
        except ValueError:
            raise RetirementError(path, "at", f"not a timestamp: '{at}'") from None
    if not isinstance(at, datetime) or at.tzinfo is None:
        raise RetirementError(path, "at", "must be a UTC timestamp such as 2026-11-30T12:00:00Z")
    return Retirement(run, reason.strip(), at.astimezone(UTC))


def load_counted(results_dir: str | Path) -> tuple[list[Record], Resolution]:
    """Every readable record of ``results_dir`` and which of them count (:func:`resolve` with
    the folder's retirements). Unreadable record and retirement files are left out here;
    ``journal list`` and the site build name them."""
    records, _ = load_records(results_dir)
    retirements, _ = load_retirements(results_dir)
    return records, resolve(records, retirements)
