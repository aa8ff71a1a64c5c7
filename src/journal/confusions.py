"""Confusion matrices over epochs: which epochs a post shows, and each class's recall over time.

A run keeps a matrix per epoch in ``record.confusion_epochs`` (``run.set_confusion(matrix, labels,
epoch=N)``). The post shows the matrices at the epochs its checkpoint selections chose and at the
last epoch, and a table of each class's recall (the diagonal over the row: the share of that true
class predicted as itself) at those epochs, with the change from the first. Computed here; the
rendering is :func:`journal.render.confusion.epochs_section`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .records import ConfusionHistory, Record


def recalls(matrix: Sequence[Sequence[int]]) -> list[float]:
    """Per class (row), the diagonal over the row sum; NaN for a class with no samples."""
    out = []
    for i, row in enumerate(matrix):
        total = sum(row)
        out.append(row[i] / total if total else math.nan)
    return out


def recall_by_epoch(history: ConfusionHistory) -> dict[str, list[tuple[int, float]]]:
    """Each class → its recall at every epoch with a matrix, in epoch order."""
    series: dict[str, list[tuple[int, float]]] = {label: [] for label in history.labels}
    for item in sorted(history.epochs, key=lambda e: e.epoch):
        for label, value in zip(history.labels, recalls(item.counts()), strict=True):
            series[label].append((item.epoch, value))
    return series


@dataclass(frozen=True)
class ShownEpoch:
    """An epoch a post shows a matrix for, and why (``acer_best``, ``last``)."""

    epoch: int
    reasons: tuple[str, ...]


def shown_epochs(record: Record) -> list[ShownEpoch]:
    """The epochs with a matrix that the run's selections chose (except ``last``-mode ones),
    and its last epoch with a matrix, in epoch order; one entry per epoch, naming every reason."""
    history = record.confusion_epochs
    if history is None or not history.epochs:
        return []
    have = {e.epoch for e in history.epochs}
    reasons: dict[int, list[str]] = {}
    for name, sel in record.selections.items():
        if sel.mode != "last" and sel.epoch in have:
            reasons.setdefault(sel.epoch, []).append(name)
    reasons.setdefault(max(have), []).append("last")
    return [ShownEpoch(epoch, tuple(names)) for epoch, names in sorted(reasons.items())]


@dataclass(frozen=True)
class RecallMoves:
    """Each class's recall at ``epochs`` (the first epoch with a matrix, then the shown ones),
    and the change from the first to the last of them."""

    epochs: list[int]
    rows: list[tuple[str, list[float], float]]  # label, recall at each epoch, last − first
    series: dict[str, list[tuple[int, float]]]  # every epoch, for a sparkline


def recall_moves(record: Record) -> RecallMoves | None:
    """How each class's recall moved over the run (None without matrices over epochs)."""
    history = record.confusion_epochs
    shown = shown_epochs(record)
    if history is None or not shown:
        return None
    first = min(e.epoch for e in history.epochs)
    epochs = sorted({first, *(s.epoch for s in shown)})
    series = recall_by_epoch(history)
    rows = []
    for label in history.labels:
        at = dict(series[label])
        values = [at[e] for e in epochs]
        rows.append((label, values, values[-1] - values[0]))
    return RecallMoves(epochs, rows, series)
