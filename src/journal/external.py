"""Results computed elsewhere, recorded as ordinary runs (``journal add``).

A run trained outside the journal — an old log, a colleague's numbers, a paper's table — becomes a
record like any other, so it shows up in the day's post and its statistics. Metrics are recomputed
from raw numbers wherever they exist: from the four FAS counts (``TP FN TN FP``, the order the
seed notes write them) with :func:`journal.metrics.fas_metrics`, or from a confusion matrix with
:func:`journal.metrics.classification_metrics`, so a swapped FAR/FRR cannot creep in. A bare metric
vector is taken as given, in the order declared next to it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from . import metrics
from .config import SEED_LIMIT
from .errors import JournalError
from .escape import clean
from .paths import clean_stale_tmp
from .records import Confusion, Record, new_run_id, write_record

FAS_COUNT_ORDER = ("tp", "fn", "tn", "fp")
FAS_LABELS = ["attack", "bona fide"]


MAX_COUNT = 2**53
"""Counts are integers below 2**53 (exact as floats, so the metrics computed from them are)."""
MAX_VALUES = 10_000


def parse_numbers(text: str, what: str) -> list[float]:
    """``"15636 1822 38242 2010"`` or ``"0.9, 0.02"`` → finite floats; errors name ``what``."""
    parts = text.replace(",", " ").replace("[", " ").replace("]", " ").split()
    if len(parts) > MAX_VALUES:
        raise JournalError(f"{what}: at most {MAX_VALUES:,} numbers, got {len(parts):,}")
    try:
        values = [float(v) for v in parts]
    except ValueError:
        raise JournalError(f"{what}: expected numbers separated by spaces or commas, "
                           f"got '{_short(text)}'") from None
    bad = next((p for p, v in zip(parts, values, strict=True) if not math.isfinite(v)), None)
    if bad is not None:
        raise JournalError(f"{what}: numbers must be finite, got '{_short(bad)}'")
    return values


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def check_label(value: str, what: str) -> str:
    """A name from the command line (experiment, variant, class label, metric name): not
    blank, one line, no control characters, at most 200 characters."""
    if not value.strip():
        raise JournalError(f"{what}: must not be empty")
    if clean(value) != value:
        raise JournalError(f"{what}: {clean(repr(value))[:80]} holds control characters or line breaks")
    if len(value) > 200:
        raise JournalError(f"{what}: at most 200 characters, got {len(value)}")
    return value


def check_labels(text: str, what: str) -> list[str]:
    """Comma-separated names (``--labels``, ``--order``), each checked by :func:`check_label`."""
    names = [x.strip() for x in text.split(",")]
    if len(names) > MAX_VALUES:
        raise JournalError(f"{what}: at most {MAX_VALUES:,} names")
    return [check_label(name, what) for name in names]


def plain_value(text: str) -> Any:
    """A ``--set`` value as a number or boolean when it reads as one, else the string
    (a number too large for a 64-bit integer or a float stays text)."""
    try:
        value = int(text)
    except ValueError:
        return _float_or_text(text)
    return value if -(2**63) <= value < 2**63 else text


def _float_or_text(text: str) -> Any:
    try:
        value = float(text)
    except ValueError:
        return {"true": True, "false": False}.get(text.lower(), text)
    return value if math.isfinite(value) else text


def parse_matrix(text: str) -> list[list[int]]:
    """``"1550 393 0; 834 1311 0; 101 305 0"`` → rows of counts (rows = true class)."""
    rows = [parse_numbers(row, "--confusion") for row in text.split(";") if row.strip()]
    if not rows or any(len(r) != len(rows) for r in rows):
        raise JournalError(f"--confusion: expected a square matrix with rows separated by ';', "
                           f"got '{_short(text)}'")
    if not all(_is_count(v) for r in rows for v in r):
        raise JournalError(f"--confusion: counts must be non-negative integers below {MAX_COUNT}")
    return [[int(v) for v in r] for r in rows]


def _is_count(value: float) -> bool:
    return math.isfinite(value) and 0 <= value < MAX_COUNT and value == int(value)


def parse_date(text: str | None) -> datetime:
    """``2025-08-01``, ``2025-08-01T10:41`` or ``…Z`` → a UTC timestamp (now when ``None``)."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise JournalError(f"--date: expected an ISO date such as 2025-08-01T10:41Z, "
                           f"got '{_short(text)}'") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise JournalError(f"--date: '{_short(text)}' lies outside the years 1 … 9999 in UTC") from None


def add_run(
    experiment: str,
    *,
    results_dir: str | Path,
    variant: str = "default",
    seed: int | None = None,
    config: Mapping[str, Any] | None = None,
    counts: Sequence[float] | None = None,
    confusion: Sequence[Sequence[int]] | None = None,
    labels: Sequence[str] | None = None,
    vector: Sequence[float] | None = None,
    order: Sequence[str] | None = None,
    date: datetime | None = None,
    note: str = "",
    checkpoint: str = "last",
) -> Path:
    """Write a finished record from counts, a confusion matrix or a metric vector (exactly one).

    Every input is checked before anything is written: names are one line without control
    characters, numbers finite, counts integers, the date within years 1 … 9999 in UTC.
    """
    given = [name for name, v in (("counts", counts), ("confusion", confusion), ("vector", vector)) if v]
    if len(given) != 1:
        raise JournalError("give exactly one of --counts, --confusion or --vector")
    check_label(experiment, "EXPERIMENT")
    check_label(variant, "--variant")
    check_label(checkpoint, "--checkpoint")
    for name in labels or []:
        check_label(name, "--labels")
    for name in order or []:
        check_label(name, "--order")
    for key, value in (config or {}).items():
        check_label(key, "--set")
        if isinstance(value, float) and not math.isfinite(value):
            raise JournalError(f"--set {key}: values must be finite")
    if seed is not None and not 0 <= seed <= SEED_LIMIT:
        raise JournalError(f"--seed: seeds lie in 0 … {SEED_LIMIT}, got {seed}")
    when = date or datetime.now(UTC)
    try:
        record = Record.model_validate(dict(
            id=new_run_id(experiment, when), experiment=experiment, variant=variant, seed=seed,
            status="finished", started_at=when, updated_at=when, ended_at=when,
            config=dict(config or {}), note=note, checkpoint=checkpoint,
        ))
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise JournalError(f"field '{field}': {err['msg']}") from None
    if counts:
        if len(counts) != 4 or not all(_is_count(v) for v in counts):
            raise JournalError("--counts: expected four non-negative integers 'TP FN TN FP'")
        c = dict(zip(FAS_COUNT_ORDER, (int(v) for v in counts), strict=True))
        record.metrics = dict(metrics.fas_metrics(**c))
        record.confusion = Confusion(labels=FAS_LABELS, matrix=[[c["tn"], c["fp"]], [c["fn"], c["tp"]]])
    elif confusion:
        names = list(labels) if labels else [str(i) for i in range(len(confusion))]
        if len(names) != len(confusion):
            raise JournalError(f"--labels: {len(names)} names for a {len(confusion)}×{len(confusion)} matrix")
        report = metrics.classification_metrics(confusion, names)
        record.metrics = {**metrics.speech_emotion_summary(report)}
        record.per_class = metrics.report_rows(report)
        record.confusion = Confusion(labels=names, matrix=[list(r) for r in confusion])
    else:
        keys = list(order or [])
        if len(keys) != len(vector or []):
            raise JournalError(f"--order: {len(keys)} names for {len(vector or [])} values")
        record.metrics = dict(zip(keys, (float(v) for v in vector or []), strict=True))
    path = write_record(record, results_dir, create=True)
    clean_stale_tmp(path.parent)
    return path
