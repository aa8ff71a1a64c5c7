"""How a metric's numbers are printed in a post's lead block and headline: as a percentage or a
fraction, with the declared number of decimals.

A metric in [0, 1] (:func:`journal.statistics.bounds_of`: rates, accuracies, AUC, F1, R1, mAP)
prints as a percentage with 2 decimals, as the notes write it (``ACER 7.52``, ``R1 87.74``);
any other metric (losses, MAE, R²) as a number with 4 decimals. An experiment's declarations
(``display:`` in ``experiments.yml``) override both per metric. A difference of two percentages
is in percentage points. The detailed tables below the fold keep the raw fractions.

A [0, 1] metric that the runs logged in percent (an accuracy of 87.5:
:func:`journal.analysis.percent_logged`) prints as it is, not times 100: a page renders inside
:func:`percent_logged` with the metrics its runs logged that way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ..declarations import Declaration
from ..escape import Markdown
from ..statistics import bounds_of
from .tables import metric_label, number

NBSP = "\u00a0"

_PERCENT_LOGGED: ContextVar[frozenset[str]] = ContextVar("percent_logged", default=frozenset())


@contextmanager
def percent_logged(metrics: Iterable[str]) -> Iterator[None]:
    """Within the block, ``metrics`` (a page's runs logged them in percent) print as logged."""
    token = _PERCENT_LOGGED.set(frozenset(metrics))
    try:
        yield
    finally:
        _PERCENT_LOGGED.reset(token)


@dataclass(frozen=True)
class Display:
    """How one metric prints."""

    metric: str
    percent: bool
    digits: int
    factor: float = 100.0
    """What a value is multiplied by when :attr:`percent`: 100 for a fraction, 1 for a value
    logged in percent."""

    @property
    def label(self) -> str:
        """``ACER %`` or ``MAE``: a column header."""
        return f"{metric_label(self.metric)}{NBSP}%" if self.percent else metric_label(self.metric)

    def value(self, x: Any) -> Markdown:
        """One value: ``7.52`` (of 0.0752 as a percentage), ``nan``, ``—`` for missing."""
        if isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) and self.percent:
            return number(self.factor * float(x), self.digits)
        return number(x, self.digits)

    def mean_std(self, mean: float, std: float) -> Markdown:
        """``7.52 ± 0.41``; a lone run's value alone."""
        if std != std:
            return self.value(mean)
        return Markdown(f"{self.value(mean)}{NBSP}±{NBSP}{self.value(std)}")

    def difference(self, diff: float) -> Markdown:
        """A signed difference (percentage points for a percentage)."""
        if diff != diff:
            return Markdown("—")
        scale = self.factor if self.percent else 1
        return Markdown(f"{scale * diff:+.{self.digits}f}".replace("-", "−"))

    def interval(self, low: float, high: float, signed: bool = False) -> Markdown:
        """``[6.90, 8.21]``; ``—`` when it cannot be computed."""
        if low != low or high != high:
            return Markdown("—")
        # a non-breaking space: a narrow cell breaks before the interval, never inside it
        if signed:
            return Markdown(f"[{self.difference(low)},{NBSP}{self.difference(high)}]")
        return Markdown(f"[{self.value(low)},{NBSP}{self.value(high)}]")


def display_of(metric: str, declaration: Declaration | None = None) -> Display:
    """How ``metric`` prints under ``declaration`` (see the module)."""
    declared = (declaration.display.get(metric) if declaration is not None else None)
    percent = bounds_of(metric) == (0.0, 1.0)
    if declared is not None and declared.percent is not None:
        percent = declared.percent
    digits = 2 if percent else 4
    if declared is not None and declared.digits is not None:
        digits = declared.digits
    return Display(metric, percent, digits, 1.0 if metric in _PERCENT_LOGGED.get() else 100.0)
