"""Records → what charts and confusion matrices draw: per-epoch lines, means with a band over
seeds, chosen epochs, and confusion matrices summed over seeds with their row shares.

Every key a run logs per epoch (``run.log(epoch, val_acc=…)``) is a series; series are grouped
into one panel per metric (:func:`metric_group`): ``train_loss`` and ``val_loss`` share
``loss``, ``lr`` and ``backbone_lr`` share ``lr``, ``val_acc`` is ``acc``. Non-finite values
(NaN, ±inf) are kept apart from the line as points to mark, so a diverged run is shown, not
hidden or stretched into a useless axis.

The mean of a variant's series at an epoch is taken over the runs that logged a finite value
at that epoch, whatever their status (a failed seed's curve is part of the picture); the band
is ± the sample standard deviation (none where only one run logged the epoch).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .records import Confusion, Record

SPLITS = ("train_", "training_", "val_", "valid_", "validation_", "test_", "eval_", "dev_")


@dataclass(frozen=True)
class Line:
    """One line of a panel: who it belongs to (``label``: a seed or a variant), which logged
    series it is (``key``), its finite points, an optional band (``low``/``high`` beside ``y``)
    and the x positions of non-finite values (``nan``: NaN or +inf, ``neg``: -inf)."""

    label: str
    key: str
    x: list[float]
    y: list[float]
    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)
    nan: list[float] = field(default_factory=list)
    neg: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Mark:
    """A chosen epoch: the line it sits on (``label``, ``key``), the epoch and the value there."""

    label: str
    key: str
    x: float
    y: float


def metric_group(key: str) -> str:
    """The panel a logged series is drawn in: losses together, learning rates together, else the
    name without its split prefix (``val_acc`` → ``acc``)."""
    lower = key.lower()
    if "loss" in lower:
        return "loss"
    if lower == "lr" or lower.endswith("_lr") or lower.startswith("lr_") or "learning_rate" in lower:
        return "lr"
    for prefix in SPLITS:
        if lower.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix):]
    return key


def history_keys(records: Iterable[Record]) -> list[str]:
    """Every key logged per epoch by any run, in order of first appearance."""
    return list(dict.fromkeys(k for rec in records for row in rec.history for k in row.values()))


def metric_groups(records: Sequence[Record]) -> dict[str, list[str]]:
    """The logged keys by panel (:func:`metric_group`), panels and keys in order of first use."""
    groups: dict[str, list[str]] = {}
    for key in history_keys(records):
        groups.setdefault(metric_group(key), []).append(key)
    return groups


def seed_label(record: Record) -> str:
    return f"seed {record.seed}" if record.seed is not None else record.id


def _points(record: Record, key: str) -> list[tuple[float, float]]:
    out = []
    for row in record.history:
        value = row.values().get(key)
        if value is not None:
            out.append((float(row.epoch), float(value)))
    return out


def _split(label: str, key: str, points: Sequence[tuple[float, float]]) -> Line:
    finite = [(x, y) for x, y in points if math.isfinite(y)]
    return Line(label, key, [x for x, _ in finite], [y for _, y in finite],
                nan=[x for x, y in points if math.isnan(y) or y == math.inf],
                neg=[x for x, y in points if y == -math.inf])


def seed_lines(records: Sequence[Record], key: str) -> list[Line]:
    """The values of ``key`` per epoch, one line per run that logged it (labelled by seed)."""
    out = []
    for rec in records:
        points = _points(rec, key)
        if points:
            out.append(_split(seed_label(rec), key, points))
    return out


def mean_line(records: Sequence[Record], key: str, label: str) -> Line | None:
    """The mean of ``key`` over ``records`` at each epoch with its ± std band; an epoch where
    some run logged a non-finite value is marked as such (its mean is over the finite ones)."""
    by_epoch: dict[float, list[float]] = {}
    for rec in records:
        for x, y in _points(rec, key):
            by_epoch.setdefault(x, []).append(y)
    if not by_epoch:
        return None
    xs, ys, low, high, nan, neg = [], [], [], [], [], []
    for x in sorted(by_epoch):
        values = by_epoch[x]
        finite = [v for v in values if math.isfinite(v)]
        if any(math.isnan(v) or v == math.inf for v in values):
            nan.append(x)
        if any(v == -math.inf for v in values):
            neg.append(x)
        if not finite:
            continue
        mean = statistics.fmean(finite)
        spread = statistics.stdev(finite) if len(finite) > 1 else 0.0
        xs.append(x)
        ys.append(mean)
        low.append(mean - spread)
        high.append(mean + spread)
    return Line(label, key, xs, ys, low, high, nan, neg)


def first_selection(records: Sequence[Record]) -> tuple[str, str] | None:
    """``(name, metric)`` of the first checkpoint selection that is not simply the last epoch."""
    for rec in records:
        for name, sel in rec.selections.items():
            if sel.mode != "last":
                return name, sel.metric
    return None


def selection_marks(records: Sequence[Record], name: str, label: str | None = None) -> list[Mark]:
    """Where selection ``name`` chose in each run that has it and a finite value there; marks sit
    on the run's seed line, or on ``label`` (a variant) when given."""
    marks = []
    for rec in records:
        sel = rec.selections.get(name)
        if sel is not None and sel.value is not None and math.isfinite(sel.value):
            marks.append(Mark(label or seed_label(rec), sel.metric, float(sel.epoch), float(sel.value)))
    return marks


def log_scale(lines: Iterable[Line]) -> bool:
    """Whether a panel needs a log axis: every finite value is positive and they span more than
    two decades (a diverging loss of 1e14 beside 0.3)."""
    values = [v for line in lines for v in (*line.y, *line.low, *line.high)]
    if not values or min(values) <= 0:
        return False
    return max(values) / min(values) > 100.0


# -- confusion matrices ------------------------------------------------------------------------
def summed_matrix(confusions: Sequence[Confusion]) -> list[list[int]] | None:
    """The cell-wise sum of matrices over the same labels (None when there are none or the
    labels differ, as a sum would then mix classes)."""
    if not confusions or any(c.labels != confusions[0].labels for c in confusions):
        return None
    n = len(confusions[0].labels)
    return [[sum(c.matrix[i][j] for c in confusions) for j in range(n)] for i in range(n)]


def row_shares(matrix: Sequence[Sequence[int]]) -> list[list[float]]:
    """Each cell as a fraction of its row (its true class), 0–1; NaN in a row with no samples."""
    out = []
    for row in matrix:
        total = sum(row)
        out.append([v / total if total else math.nan for v in row])
    return out


def chosen_epoch(record: Record, checkpoint: str) -> int | None:
    """The epoch of ``checkpoint`` in ``record``: its selection's, else for ``last`` the last
    epoch logged; None when unknown."""
    sel = record.selections.get(checkpoint)
    if sel is not None:
        return sel.epoch
    if checkpoint == "last" and record.history:
        return max(row.epoch for row in record.history)
    return None
