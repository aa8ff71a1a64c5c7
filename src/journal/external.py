"""Results computed elsewhere, recorded as ordinary runs (``journal add``).

A run trained outside the journal — an old log, a colleague's numbers, a paper's table — becomes a
record like any other, so it shows up in the day's post and its statistics. Metrics are recomputed
from raw numbers wherever they exist: from the four FAS counts (``TP FN TN FP``, the order the
seed notes write them) with :func:`journal.metrics.fas_metrics`, or from a confusion matrix with
:func:`journal.metrics.classification_metrics`, so a swapped FAR/FRR cannot creep in. A bare metric
vector is taken as given, in the order declared next to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import metrics
from .errors import JournalError
from .records import Confusion, Record, new_run_id, write_record

FAS_COUNT_ORDER = ("tp", "fn", "tn", "fp")
FAS_LABELS = ["attack", "bona fide"]


def parse_numbers(text: str, what: str) -> list[float]:
    """``"15636 1822 38242 2010"`` or ``"0.9, 0.02"`` → floats; errors name ``what``."""
    try:
        return [float(v) for v in text.replace(",", " ").replace("[", " ").replace("]", " ").split()]
    except ValueError:
        raise JournalError(f"{what}: expected numbers separated by spaces or commas, got '{text}'") from None


def parse_matrix(text: str) -> list[list[int]]:
    """``"1550 393 0; 834 1311 0; 101 305 0"`` → rows of counts (rows = true class)."""
    rows = [parse_numbers(row, "--confusion") for row in text.split(";") if row.strip()]
    if not rows or any(len(r) != len(rows) for r in rows):
        raise JournalError(f"--confusion: expected a square matrix with rows separated by ';', got '{text}'")
    if any(v < 0 or v != int(v) for r in rows for v in r):
        raise JournalError("--confusion: counts must be non-negative integers")
    return [[int(v) for v in r] for r in rows]


def parse_date(text: str | None) -> datetime:
    """``2025-08-01``, ``2025-08-01T10:41`` or ``…Z`` → a UTC timestamp (now when ``None``)."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise JournalError(f"--date: expected an ISO date such as 2025-08-01T10:41Z, got '{text}'") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


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
) -> Path:
    """Write a finished record from counts, a confusion matrix or a metric vector (exactly one)."""
    given = [name for name, v in (("counts", counts), ("confusion", confusion), ("vector", vector)) if v]
    if len(given) != 1:
        raise JournalError("give exactly one of --counts, --confusion or --vector")
    when = date or datetime.now(UTC)
    record = Record.model_validate(dict(
        id=new_run_id(experiment, when), experiment=experiment, variant=variant, seed=seed,
        status="finished", started_at=when, updated_at=when, ended_at=when,
        config=dict(config or {}), note=note,
    ))
    if counts:
        if len(counts) != 4 or any(v < 0 or v != int(v) for v in counts):
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
    return write_record(record, results_dir, create=True)
