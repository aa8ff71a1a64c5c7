"""Seed statistics: is a difference between two variants larger than the noise between seeds?

* :func:`interval` — the mean of a metric over seeds with a two-sided Student-t confidence
  interval, ``mean ± t(1 − α/2, n − 1) · s / √n`` (``s`` the sample standard deviation).
* :func:`welch` — the difference of two variants' means with Welch's confidence interval, which
  does not assume equal variances: standard error ``√(s₁²/n₁ + s₂²/n₂)`` and the
  Welch–Satterthwaite degrees of freedom. The difference is *within seed noise* when the interval
  contains 0.

With fewer than two finished seeds on a side there is no spread to measure, so no interval is
given (NaN) and no verdict is made.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Interval:
    """A mean with its confidence interval (``low``/``high`` NaN when ``n < 2``)."""

    mean: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class Difference:
    """``b − a`` with Welch's interval; ``within_noise`` is None when no verdict can be made."""

    diff: float
    low: float
    high: float
    within_noise: bool | None

    @property
    def verdict(self) -> str:
        """``within seed noise``, ``beyond seed noise`` or ``too few seeds to tell``."""
        if self.within_noise is None:
            return "too few seeds to tell"
        return "within seed noise" if self.within_noise else "beyond seed noise"


def _clean(values: Sequence[float | None]) -> np.ndarray:
    return np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)


def interval(values: Sequence[float | None], confidence: float = 0.95) -> Interval:
    """Mean and Student-t interval of the finite ``values``."""
    x = _clean(values)
    if x.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if x.size < 2:
        return Interval(mean, math.nan, math.nan, 1)
    half = float(_t_quantile(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return Interval(mean, mean - half, mean + half, int(x.size))


def welch(a: Sequence[float | None], b: Sequence[float | None], confidence: float = 0.95) -> Difference:
    """``mean(b) − mean(a)`` with Welch's confidence interval."""
    x, y = _clean(a), _clean(b)
    if x.size == 0 or y.size == 0:
        return Difference(math.nan, math.nan, math.nan, None)
    diff = float(y.mean() - x.mean())
    if x.size < 2 or y.size < 2:
        return Difference(diff, math.nan, math.nan, None)
    va, vb = x.var(ddof=1) / x.size, y.var(ddof=1) / y.size
    se = math.sqrt(va + vb)
    if se == 0:
        return Difference(diff, diff, diff, diff == 0)
    df = (va + vb) ** 2 / (va**2 / (x.size - 1) + vb**2 / (y.size - 1))
    half = float(_t_quantile(0.5 + confidence / 2, df) * se)
    return Difference(diff, diff - half, diff + half, bool(diff - half <= 0 <= diff + half))


def _t_quantile(p: float, df: float) -> float:
    """Student-t quantile (scipy.special's, imported on first use: scipy.stats costs a build
    half a second to import)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, p))
