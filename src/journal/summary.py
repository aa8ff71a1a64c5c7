"""One metric over a variant's runs, as every view prints it: n, mean, std, interval, and
whether it was measured at all.

``—`` means *not measured* (:data:`NOT_MEASURED`, :func:`measured` is False); ``nan`` means a
run measured NaN (a diverged seed, shown and never averaged away); ``n/a`` means the data cannot
resolve the metric (:func:`unresolved_metric`, e.g. ``tpr@fpr=1e-3`` from 275 attacks). Pass the
*counted* records (:func:`journal.identity.resolve`), so a re-run seed counts once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .records import Record
from .statistics import Interval, Unresolved, metric_interval, unresolved, wilson


def finished_values(records: Sequence[Record], metric: str) -> list[float | None]:
    """``metric`` of each finished run (the values seed statistics are taken over)."""
    return [r.metrics.get(metric) for r in records if r.status == "finished"]


NOT_MEASURED = None
"""What :func:`measured_value` returns for a metric a run never measured (render ``—``); a
measured NaN stays ``nan`` (a diverged seed is shown, never hidden)."""


def measured(records: Iterable[Record], metric: str) -> bool:
    """Whether any of ``records`` measured ``metric`` (a value, NaN included, not ``None``):
    ``False`` means not measured (``—``), never a NaN."""
    return any(r.metrics.get(metric) is not None for r in records)


def measured_value(record: Record, metric: str) -> float | None:
    """``record``'s value of ``metric``: a float (NaN when measured as NaN), or
    :data:`NOT_MEASURED` when the run has no such metric."""
    value = record.metrics.get(metric)
    return NOT_MEASURED if value is None else float(value)


_ATTACK_WORDS = ("attack", "spoof", "fake", "impostor", "negative")
_BONA_FIDE_WORDS = ("bona", "live", "real", "genuine", "positive")


def negative_row(record: Record) -> int | None:
    """Which row of ``record``'s 2×2 test confusion matrix is the negative class (the attack
    in FAS, where bona fide is positive), or None for no such matrix.

    Row 0 unless the run says otherwise: when it logged APCER (or FAR) and BPCER (or FRR) of
    the matrix's checkpoint (as fractions or in percent), the row that reproduces them from the
    counts wins (to 5e-5, so a percentage with two decimals fits); else
    a first label that names the bona fide class and a second that names the attack
    (``bona fide``/``live``/``real``/``genuine`` against ``attack``/``spoof``/``fake``) put the
    negative in row 1."""
    conf = record.confusion
    if conf is None or len(conf.labels) != 2 or conf.split != "test":
        return None
    apcer = record.metrics.get("apcer", record.metrics.get("far"))
    bpcer = record.metrics.get("bpcer", record.metrics.get("frr"))
    if apcer is not None and bpcer is not None and conf.checkpoint == record.checkpoint:
        fits = [neg for neg in (0, 1) if _rates_fit(conf.matrix, neg, apcer, bpcer)]
        if len(fits) == 1:
            return fits[0]
    first, second = (label.lower() for label in conf.labels)
    if (any(w in first for w in _BONA_FIDE_WORDS) and any(w in second for w in _ATTACK_WORDS)
            and not any(w in first for w in _ATTACK_WORDS)):
        return 1
    return 0


def _rates_fit(matrix: Sequence[Sequence[int]], neg: int, apcer: float, bpcer: float) -> bool:
    if max(apcer, bpcer) > 1:  # logged in percent
        apcer, bpcer = apcer / 100, bpcer / 100
    pos = 1 - neg
    negatives, positives = sum(matrix[neg]), sum(matrix[pos])
    if not negatives or not positives or not (math.isfinite(apcer) and math.isfinite(bpcer)):
        return False
    return (abs(matrix[neg][pos] / negatives - apcer) <= 5e-5
            and abs(matrix[pos][neg] / positives - bpcer) <= 5e-5)


def negatives_of(record: Record) -> int | None:
    """How many negative (e.g. attack) test samples ``record`` was evaluated on: the negative
    row (:func:`negative_row`) of a 2×2 test confusion matrix, else the ``tn`` + ``fp``
    metrics; None if unknown."""
    neg = negative_row(record)
    if neg is not None and record.confusion is not None:
        return int(sum(record.confusion.matrix[neg]))
    tn, fp = record.metrics.get("tn"), record.metrics.get("fp")
    if tn is not None and fp is not None and math.isfinite(tn) and math.isfinite(fp):
        return int(tn + fp)
    return None


def unresolved_metric(records: Sequence[Record], metric: str) -> Unresolved | None:
    """Why ``metric`` cannot be resolved by the finished ``records`` (the fewest negatives of
    any of them decides: ``tpr@fpr=1e-3`` from 275 attacks is n/a), or None."""
    counts = [negatives_of(r) for r in records if r.status == "finished"]
    known = [c for c in counts if c is not None]
    return unresolved(metric, min(known)) if known else None


@dataclass(frozen=True)
class SeedSummary:
    """One metric over a variant's finished runs: what posts, overviews, ``journal show`` and
    ``journal compare`` all print, computed once so they agree.

    ``n`` counts the finished runs that measured the metric; ``mean``/``std`` are over those
    (a measured NaN makes them NaN; a run that did not measure it is left out, not NaN);
    ``interval`` is :func:`journal.statistics.metric_interval` (bounded metrics stay in range);
    ``measured`` False means ``—``; ``unresolved`` says why the metric is n/a."""

    metric: str
    n: int
    mean: float
    std: float
    interval: Interval
    measured: bool
    unresolved: Unresolved | None = None


def mean_std(values: Sequence[float | None]) -> tuple[int, float, float]:
    """``(n, mean, std)`` of the values that are not None (not measured): the sample standard
    deviation (NaN for one value); a NaN or infinite value makes mean and std NaN (a diverged
    seed is shown, never averaged away). Every table's mean ± std row is this."""
    x = [float(v) for v in values if v is not None]
    n = len(x)
    if n == 0 or not all(math.isfinite(v) for v in x):
        return n, math.nan, math.nan
    mean = math.fsum(x) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in x) / (n - 1)) if n > 1 else math.nan
    return n, mean, std


def seed_summary(records: Sequence[Record], metric: str) -> SeedSummary:
    """The :class:`SeedSummary` of ``metric`` over ``records`` (pass counted records:
    :func:`journal.identity.resolve`)."""
    values = [float(v) for v in finished_values(records, metric) if v is not None]
    blocked = unresolved_metric(records, metric)
    n = len(values)
    if blocked is not None or n == 0:
        return SeedSummary(metric, n, math.nan, math.nan, Interval(math.nan, math.nan, math.nan, n),
                           measured(records, metric), blocked)
    if not all(math.isfinite(v) for v in values):  # a diverged seed: shown, never averaged away
        return SeedSummary(metric, n, math.nan, math.nan, Interval(math.nan, math.nan, math.nan, n), True)
    _, mean, std = mean_std(values)
    return SeedSummary(metric, n, mean, std, metric_interval(values, metric), True)


_RATE_CELLS = {
    # metric → (cells counted as successes, cells of the denominator) in [[tn, fp], [fn, tp]]
    "apcer": ([(0, 1)], [(0, 0), (0, 1)]),
    "far": ([(0, 1)], [(0, 0), (0, 1)]),
    "bpcer": ([(1, 0)], [(1, 0), (1, 1)]),
    "frr": ([(1, 0)], [(1, 0), (1, 1)]),
    "acc": ([(0, 0), (1, 1)], [(0, 0), (0, 1), (1, 0), (1, 1)]),
}


def _oriented(record: Record) -> list[list[int]] | None:
    """``record``'s 2×2 test matrix as ``[[TN, FP], [FN, TP]]`` (negative row first)."""
    neg = negative_row(record)
    if neg is None or record.confusion is None:
        return None
    m = record.confusion.matrix
    return [list(m[0]), list(m[1])] if neg == 0 else [[m[1][1], m[1][0]], [m[0][1], m[0][0]]]


def rate_counts(record: Record, metric: str) -> tuple[int, int] | None:
    """``(successes, total)`` behind a single-proportion rate of ``record`` (``apcer``/``far``,
    ``bpcer``/``frr``, ``acc``) from its 2×2 test confusion matrix (rows = true class, the
    negative row found by :func:`negative_row`), when that matrix is of the checkpoint its
    metrics were measured at; else None."""
    conf = record.confusion
    cells = _RATE_CELLS.get(metric.lower())
    matrix = _oriented(record)
    if cells is None or conf is None or matrix is None or conf.checkpoint != record.checkpoint:
        return None
    hits, total = cells
    return (sum(matrix[i][j] for i, j in hits), sum(matrix[i][j] for i, j in total))


def count_interval(record: Record, metric: str) -> Interval | None:
    """The Wilson interval (:func:`journal.statistics.wilson`) of one run's rate from its counts
    (:func:`rate_counts`), or None when the counts are not known."""
    counts = rate_counts(record, metric)
    return wilson(*counts) if counts is not None else None


FAS_METRICS = frozenset({"apcer", "bpcer", "acer"})
"""Metrics only a face anti-spoofing run reports: a run with them and a 2×2 test matrix gets
its raw counts printed the way FAS notes write them."""


def fas_counts(record: Record) -> tuple[int, int, int, int] | None:
    """``(TP, FN, TN, FP)`` of a FAS run, in the notes' order, from its 2×2 test confusion
    matrix (rows = true class; bona fide is the positive class, the attack row is found by
    :func:`negative_row`); None for a run that is not a FAS run or has no such matrix."""
    conf = record.confusion
    matrix = _oriented(record)
    if conf is None or matrix is None or not FAS_METRICS & set(record.metrics):
        return None
    (tn, fp), (fn, tp) = matrix
    return int(tp), int(fn), int(tn), int(fp)


def equal_metrics(records: Sequence[Record], metrics: Sequence[str],
                  keep: Sequence[str] = ()) -> dict[str, str]:
    """Metrics whose value equals an earlier metric's in every one of ``records`` (FAR and
    APCER, FRR and BPCER, HTER and ACER on one protocol): ``{dropped: kept}``. A metric in
    ``keep`` (the key metric) is kept in preference to the others it equals. Metrics that some
    run did not measure are never merged."""
    rows = [r for r in records if r.status == "finished"] or list(records)
    if not rows:
        return {}

    def column(m: str) -> tuple[float, ...] | None:
        values = [r.metrics.get(m) for r in rows]
        if any(v is None for v in values):
            return None
        return tuple(round(float(v), 12) for v in values if v is not None)

    order = [*[m for m in keep if m in metrics], *[m for m in metrics if m not in keep]]
    kept: dict[tuple[float, ...], str] = {}
    out: dict[str, str] = {}
    for m in order:
        values = column(m)
        if values is None or any(v != v for v in values):
            continue
        if values in kept:
            out[m] = kept[values]
        else:
            kept[values] = m
    return out
