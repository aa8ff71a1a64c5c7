"""Seed statistics: is a difference between two variants larger than the noise between seeds?

* :func:`interval` — the mean of a metric over seeds with a two-sided 95% confidence interval.
  For an unbounded metric (a loss, MAE) it is the Student-t interval
  ``mean ± t(1 − α/2, n − 1) · s / √n`` (``s`` the sample standard deviation). For a metric with
  a range (a rate, an accuracy, AUC, F1, R1/mAP: see :data:`BOUNDS`), pass ``bounds`` (or use
  :func:`metric_interval`): the t-interval is taken on the logit scale and mapped back, so it
  never leaves the range (see :func:`logit_interval`).
* :func:`welch` — the difference of two variants' means with Welch's confidence interval, which
  does not assume equal variances: standard error ``√(s₁²/n₁ + s₂²/n₂)`` and the
  Welch–Satterthwaite degrees of freedom. The difference is *within seed noise* when the interval
  contains 0. The values passed must be one per counted seed (see :mod:`journal.identity`): a
  re-run seed counted twice shrinks the interval on identical numbers.
* :func:`wilson` — the Wilson score interval of one proportion whose counts are known.
* :func:`unresolved` — a metric the data cannot resolve (``tpr@fpr=1e-3`` from fewer than 1000
  negatives), to be shown as n/a with the reason.

With fewer than two finished seeds on a side there is no spread to measure, so no interval is
given (NaN) and no verdict is made.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .metrics import base_metric

UNIT = (0.0, 1.0)
BOUNDS: dict[str, tuple[float, float]] = {
    **dict.fromkeys(
        ("acc", "accuracy", "balanced_accuracy", "wa", "ua", "war", "uar",
         "far", "frr", "hter", "apcer", "bpcer", "npcer", "acer", "eer",
         "tpr", "fpr", "tnr", "fnr", "sensitivity", "specificity",
         "precision", "recall", "f1", "macro_f1", "weighted_f1", "micro_f1",
         "auc", "auroc", "auc_raw", "auprc", "ap", "map",
         "iou", "miou", "dice", "top1", "top5", "chance_top1", "error_rate"),
        UNIT),
    "pearson_r": (-1.0, 1.0),
}
"""Metrics with a range (by name, lower-case): every rate, accuracy, area and F-score lies in
[0, 1]; a correlation in [−1, 1]. Names are also matched after a ``val_``/``test_``/``train_``
prefix, and by pattern: ``tpr@fpr=…`` and other ``…@…`` operating points, ``r1``/``r5``/``r10``
(CMC ranks), ``top1``/``rank-5`` and names ending in ``_acc``, ``_accuracy``, ``_f1``,
``_auc``, ``_auroc``, ``_precision``, ``_recall``, and those that begin with one of them and
``_`` or ``@`` (``f1_score``, ``auc_roc``, ``precision_macro``, ``acc@1``, ``map@0.5``; a
``…loss`` excepted). ``r2`` is *not* bounded below, so it keeps the t-interval."""

_PATTERNS = (
    re.compile(r"^(tpr|fpr|tnr|fnr|far|frr|apcer|bpcer)@.+$"),
    re.compile(r"^(r|rank|rank-|top|top-)\d+$"),
    re.compile(r"^.+_(acc|accuracy|f1|auc|auroc|precision|recall)$"),
    re.compile(r"^(acc|accuracy|f1|auc|auroc|auprc|ap|map|precision|recall|iou|miou|dice|top1|top5)"
               r"[_@](?!.*loss$).+$"),
)

EPS = 1e-3
"""How far inside the range a value on the bound is moved before the logit transform (as a share
of the range); smaller when another value lies closer to a bound, see :func:`logit_interval`."""


@dataclass(frozen=True)
class Interval:
    """A mean with its confidence interval (``low``/``high`` NaN when ``n < 2``).

    ``method``: ``t`` (Student-t), ``logit-t`` (t on the logit scale, for bounded metrics) or
    ``wilson`` (one proportion from its counts)."""

    mean: float
    low: float
    high: float
    n: int
    method: str = "t"


@dataclass(frozen=True)
class Difference:
    """``b − a`` with Welch's interval; ``within_noise`` is None when no verdict can be made."""

    diff: float
    low: float
    high: float
    within_noise: bool | None
    diverged: bool = False
    """A seed on either side measured NaN (or ±inf): no difference and no verdict."""

    @property
    def verdict(self) -> str:
        """``within seed noise``, ``beyond seed noise``, ``a seed measured NaN`` or ``too few
        seeds to tell``."""
        if self.diverged:
            return "a seed measured NaN"
        if self.within_noise is None:
            return "too few seeds to tell"
        return "within seed noise" if self.within_noise else "beyond seed noise"


@dataclass(frozen=True)
class Unresolved:
    """A metric the data cannot resolve: ``metric`` needs ``needed`` negatives, the data had
    ``available``."""

    metric: str
    needed: int
    available: int

    @property
    def reason(self) -> str:
        return (f"{self.metric} needs at least {self.needed} negative samples to be resolved; "
                f"the test set has {self.available}")


def bounds_of(metric: str) -> tuple[float, float] | None:
    """The range of ``metric`` from :data:`BOUNDS` and its patterns, or None (unbounded)."""
    name = base_metric(metric)
    if name in BOUNDS:
        return BOUNDS[name]
    if name == "r2":  # R², the coefficient of determination, not CMC rank 2: unbounded below
        return None
    if any(p.match(name) for p in _PATTERNS):
        return UNIT
    return None


def _clean(values: Sequence[float | None] | np.ndarray) -> np.ndarray:
    return np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)


def interval(
    values: Sequence[float | None], confidence: float = 0.95, *,
    bounds: tuple[float, float] | None = None,
) -> Interval:
    """Mean and confidence interval of the finite ``values``: Student-t, or with ``bounds`` the
    logit-scale t-interval of :func:`logit_interval` that stays inside them."""
    x = _clean(values)
    if x.size == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if x.size < 2:
        return Interval(mean, math.nan, math.nan, 1, "t" if bounds is None else "logit-t")
    if bounds is not None:
        scaled = _fit_bounds(x, bounds)
        if scaled is not None:
            return logit_interval(x, scaled, confidence)
    half = float(_t_quantile(0.5 + confidence / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return Interval(mean, mean - half, mean + half, int(x.size))


def metric_interval(values: Sequence[float | None], metric: str, confidence: float = 0.95) -> Interval:
    """:func:`interval` with the bounds of ``metric`` (:func:`bounds_of`): the one call posts,
    overviews and the terminal use, so they agree."""
    return interval(values, confidence, bounds=bounds_of(metric))


def _fit_bounds(x: np.ndarray, bounds: tuple[float, float]) -> tuple[float, float] | None:
    """``bounds``, or [0, 100] for a [0, 1] metric logged in percent; None when the values do
    not fit the range (then the plain t-interval is used)."""
    low, high = bounds
    slack = 1e-6 * (high - low)  # 1.0000001 is float noise on 1, not a percentage
    if np.all((x >= low - slack) & (x <= high + slack)):
        return bounds
    if bounds == UNIT and np.all((x >= 0) & (x <= 100)):
        return PERCENT
    return None


PERCENT = (0.0, 100.0)


def value_range(metric: str, values: Sequence[float | None]) -> tuple[float, float] | None:
    """The range ``values`` of ``metric`` lie in: its bounds (:func:`bounds_of`), [0, 100] for a
    [0, 1] metric logged in percent (every finite value in [0, 100], one above 1), or None
    (unbounded, or values that fit neither: the plain t-interval is used)."""
    bounds = bounds_of(metric)
    x = _clean(values)
    if bounds is None or x.size == 0:
        return bounds
    return _fit_bounds(x, bounds)


def logged_in_percent(metric: str, values: Sequence[float | None]) -> bool:
    """Whether ``values`` of a [0, 1] metric were logged in percent (see :func:`value_range`)."""
    return bounds_of(metric) == UNIT and value_range(metric, values) == PERCENT


def logit_interval(
    values: Sequence[float | None] | np.ndarray, bounds: tuple[float, float], confidence: float = 0.95
) -> Interval:
    """The t-interval of bounded ``values`` on the logit scale, mapped back into ``bounds``.

    With ``[a, b]`` the range and ``w = b − a``:

    1. each value becomes a share ``p = (x − a) / w``;
    2. shares are clipped to ``[ε, 1 − ε]``, with ``ε = min(10⁻³, d / 2)`` and ``d`` the smallest
       non-zero distance of any share from 0 or 1 (so the clipping never reorders values);
    3. ``z = ln(p / (1 − p))``; the Student-t interval ``z̄ ± t(1 − α/2, n − 1) · s_z / √n``;
    4. both ends mapped back, ``a + w / (1 + e^−z)``; when a value sat on a bound and was
       clipped, an end within that bound's clipped margin (``≤ ε``, or ``≥ 1 − ε``) becomes the
       bound itself, since the data cannot tell it from the bound;
    5. the interval is widened, if needed, to contain the arithmetic mean reported beside it.

    Identical values give the zero-width interval ``[x, x]``, as the t-interval does. ``mean``
    is the arithmetic mean of the values, as in the mean ± std rows. Worked example: accuracies
    0.8 and 0.9 → logits 1.386 and 2.197, mean 1.792, ``s_z`` 0.573, ``t(0.975, 1) = 12.706``,
    half-width 5.151 → ``[1/(1+e^{3.359}), 1/(1+e^{−6.943})]`` = ``[0.0336, 0.9990]``, where the
    plain t-interval gives [0.215, 1.485].
    """
    from scipy.special import expit

    x = _clean(values)
    a, b = bounds
    w = b - a
    mean = float(x.mean()) if x.size else math.nan
    if x.size < 2:
        return Interval(mean, math.nan, math.nan, int(x.size), "logit-t")
    if bool(np.all(x == x[0])):  # before any arithmetic: mean and logits carry float noise
        return Interval(float(x[0]), float(x[0]), float(x[0]), int(x.size), "logit-t")
    p = (x - a) / w
    inner = np.minimum(p, 1.0 - p)
    off_bound = inner[inner > 0]
    eps = min(EPS, float(off_bound.min()) / 2) if off_bound.size else EPS
    q = np.clip(p, eps, 1.0 - eps)
    z = np.log(q / (1.0 - q))
    spread = float(z.std(ddof=1))
    if spread == 0:
        return Interval(mean, mean, mean, int(x.size), "logit-t")
    half = _t_quantile(0.5 + confidence / 2, x.size - 1) * spread / math.sqrt(x.size)
    lo_p, hi_p = float(expit(z.mean() - half)), float(expit(z.mean() + half))
    tolerance = eps * 1e-9
    if bool(np.any(p <= 0)) and lo_p <= eps + tolerance:  # a value sat on the lower bound
        lo_p = 0.0
    if bool(np.any(p >= 1)) and hi_p >= 1.0 - eps - tolerance:  # … on the upper bound
        hi_p = 1.0
    low, high = a + w * lo_p, a + w * hi_p
    return Interval(mean, min(low, mean), max(high, mean), int(x.size), "logit-t")


def welch(a: Sequence[float | None], b: Sequence[float | None], confidence: float = 0.95) -> Difference:
    """``mean(b) − mean(a)`` with Welch's confidence interval, over the values that are not
    None (not measured). A NaN or infinite value (a diverged seed) makes the means NaN, as in
    every table, so there is no difference and no verdict (:attr:`Difference.diverged`)."""
    if any(v is not None and not math.isfinite(v) for v in (*a, *b)):
        return Difference(math.nan, math.nan, math.nan, None, diverged=True)
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


def wilson(successes: int, total: int, confidence: float = 0.95) -> Interval:
    """The Wilson score interval of the proportion ``successes / total``.

    With ``p̂ = k / n`` and ``z`` the standard normal quantile at ``1 − α/2``: centre
    ``(p̂ + z²/2n) / (1 + z²/n)``, half-width ``z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²)``.
    It stays inside [0, 1] and is not degenerate at 0 or n successes. Worked example: 0 of 275
    attacks accepted → APCER 0 with interval [0, 0.0138]. ``n`` is ``total``; NaN when it is 0.
    """
    from scipy.special import ndtri

    if total < 0 or successes < 0 or successes > total:
        raise ValueError(f"need 0 <= successes <= total, got {successes} of {total}")
    if total == 0:
        return Interval(math.nan, math.nan, math.nan, 0, "wilson")
    z = float(ndtri(0.5 + confidence / 2))
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return Interval(p, max(0.0, centre - half), min(1.0, centre + half), total, "wilson")


_OPERATING_POINT = re.compile(r"^(?:val_|test_)?tpr@fpr=([0-9.]+(?:e-?[0-9]+)?)$", re.IGNORECASE)


def resolution_needed(metric: str) -> int | None:
    """How many negatives ``metric`` needs to be resolved: ``⌈1 / x⌉`` for ``tpr@fpr=x`` (a
    false-positive rate of ``x`` is one false positive in ``1 / x`` negatives); None for a
    metric without such a limit."""
    match = _OPERATING_POINT.match(metric.strip())
    if not match:
        return None
    try:
        rate = float(match.group(1))
    except ValueError:
        return None
    if not 0 < rate <= 1:
        return None
    return math.ceil(1 / rate - 1e-9)


def unresolved(metric: str, negatives: int | None) -> Unresolved | None:
    """Why ``metric`` cannot be resolved from ``negatives`` negative samples, or None when it can
    (or when the number of negatives is not known)."""
    needed = resolution_needed(metric)
    if needed is None or negatives is None or negatives >= needed:
        return None
    return Unresolved(metric, needed, negatives)


def _t_quantile(p: float, df: float) -> float:
    """Student-t quantile (scipy.special's, imported on first use: scipy.stats costs a build
    half a second to import)."""
    from scipy.special import stdtrit

    return float(stdtrit(df, p))
