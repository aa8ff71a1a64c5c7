"""Seed statistics against scipy and the seed notes' own numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import expit, logit

from journal.statistics import (
    BOUNDS,
    bounds_of,
    interval,
    logit_interval,
    metric_interval,
    resolution_needed,
    unresolved,
    welch,
    wilson,
)

# Note 004: ACER of four versions of two variants ("epoch50" vs "fixed seed 2").
EPOCH50 = [0.09445, 0.123275, 0.083104, 0.177512]
SEED2 = [0.07744642970687353, 0.05534764624778413, 0.08122765931221497, 0.10416546305390259]


def test_interval_matches_scipy_t_interval() -> None:
    ci = interval(EPOCH50)
    low, high = stats.t.interval(0.95, len(EPOCH50) - 1, loc=np.mean(EPOCH50), scale=stats.sem(EPOCH50))
    assert (ci.mean, ci.low, ci.high, ci.n) == pytest.approx((np.mean(EPOCH50), low, high, 4))


def test_welch_matches_scipy_ttest() -> None:
    d = welch(EPOCH50, SEED2)
    ref = stats.ttest_ind(SEED2, EPOCH50, equal_var=False).confidence_interval(0.95)
    assert d.diff == pytest.approx(np.mean(SEED2) - np.mean(EPOCH50))
    assert (d.low, d.high) == pytest.approx((ref.low, ref.high))
    assert d.within_noise is True  # the notes' "更好更稳定" is not yet beyond seed noise


def test_a_clear_difference_is_not_within_noise() -> None:
    d = welch([0.30, 0.31, 0.29, 0.30], [0.10, 0.11, 0.09, 0.10])
    assert d.within_noise is False and d.high < 0


def test_too_few_seeds_give_no_interval_and_no_verdict() -> None:
    assert math.isnan(interval([0.2]).low) and interval([]).n == 0
    d = welch([0.2], [0.1, 0.12])
    assert d.within_noise is None and math.isnan(d.low)
    assert interval([0.1, float("nan"), 0.3]).n == 2  # non-finite values are not seeds' results


BOUNDED_NAMES = [*BOUNDS, "val_acer", "test_acc", "tpr@fpr=1e-3", "tpr@fpr=1e-2", "r1", "r5", "r10",
                 "rank-1", "top5", "macro_f1", "val_top1", "emotion_f1", "hter", "far", "frr",
                 "f1_score", "auc_roc", "precision_macro", "accuracy_top1", "acc@1", "mAP@0.5",
                 "test_f1_score"]


def test_every_listed_metric_name_is_bounded_and_unbounded_ones_are_not() -> None:
    for name in BOUNDED_NAMES:
        assert bounds_of(name) is not None, name
    assert bounds_of("ACER") == (0.0, 1.0) and bounds_of("pearson_r") == (-1.0, 1.0)
    for name in ("mae", "rmse", "r2", "train_loss", "val_loss", "threshold", "bpm", "f1_loss",
                 "wer", "cer"):  # an edit distance rate exceeds 1 with insertions
        assert bounds_of(name) is None, name


@pytest.mark.parametrize("name", BOUNDED_NAMES)
@pytest.mark.parametrize("pair", [(0.0, 1.0), (0.99, 1.0), (0.0, 0.0), (1.0, 1.0), (0.0, 0.01), (0.5, 1.0)])
def test_bounded_interval_with_two_extreme_seeds_stays_in_range(name: str, pair: tuple[float, float]) -> None:
    low, high = bounds_of(name) or (math.nan, math.nan)
    values = [low + (high - low) * p for p in pair]
    ci = metric_interval(values, name)
    assert ci.method == "logit-t" and ci.n == 2
    assert low <= ci.low <= ci.mean <= ci.high <= high, (name, values, ci)
    plain = interval(values)
    if pair[0] != pair[1]:
        assert plain.low < low or plain.high > high  # what the t-interval did wrong


def _logit_t_by_hand(values: list[float], eps: float, confidence: float = 0.95) -> tuple[float, float]:
    """The docstring's steps 1–4 with scipy, on a (0, 1) metric none of whose values is on a bound."""
    z = logit(np.clip(values, eps, 1 - eps))
    low, high = stats.t.interval(confidence, len(z) - 1, loc=np.mean(z), scale=stats.sem(z))
    return float(expit(low)), float(expit(high))


def test_logit_interval_matches_scipy_on_the_docstring_example() -> None:
    ci = interval([0.8, 0.9], bounds=(0.0, 1.0))
    assert (ci.low, ci.high) == pytest.approx(_logit_t_by_hand([0.8, 0.9], 1e-3))
    assert (ci.low, ci.high) == pytest.approx((0.0336, 0.9990), abs=1e-4)  # the worked example
    assert ci.mean == pytest.approx(0.85)


def test_logit_interval_matches_scipy_on_note_004_acer() -> None:
    ci = metric_interval(EPOCH50, "acer")
    assert (ci.low, ci.high) == pytest.approx(_logit_t_by_hand(EPOCH50, 1e-3))
    # away from the bounds it is close to the t-interval, only skewed towards the far side
    t = interval(EPOCH50)
    assert t.low < ci.low < ci.mean < ci.high and ci.high > t.high


def test_a_value_on_the_bound_is_clipped_by_epsilon_and_the_end_snaps_to_the_bound() -> None:
    values = [0.0, 0.02, 0.01]
    ci = interval(values, bounds=(0.0, 1.0))
    by_hand_low, by_hand_high = _logit_t_by_hand(values, 1e-3)
    assert by_hand_low < 1e-3  # inside the clipped margin: indistinguishable from 0
    assert ci.low == 0.0 and ci.high == pytest.approx(by_hand_high)
    # ε shrinks below 10⁻³ when another value lies closer to the bound, so order is kept
    close = [0.0, 2e-4, 4e-4]
    ci = interval(close, bounds=(0.0, 1.0))
    assert ci.high == pytest.approx(_logit_t_by_hand(close, 1e-4)[1])


def test_logit_interval_on_another_range_and_in_percent() -> None:
    r = [-0.2, 0.4, 0.5]
    ci = metric_interval(r, "pearson_r")
    shares = [(v + 1) / 2 for v in r]
    lo, hi = _logit_t_by_hand(shares, 1e-3)
    assert (ci.low, ci.high) == pytest.approx((2 * lo - 1, 2 * hi - 1))
    pct = metric_interval([87.5, 90.0], "acc")  # accuracy logged in percent: range [0, 100]
    lo, hi = _logit_t_by_hand([0.875, 0.9], 1e-3)
    assert (pct.low, pct.high) == pytest.approx((100 * lo, 100 * hi)) and pct.high < 100


def test_unbounded_metrics_keep_the_t_interval() -> None:
    values = [2.1, 2.9, 3.4]
    assert metric_interval(values, "mae") == interval(values)
    assert metric_interval(values, "mae").method == "t"
    assert metric_interval([-0.3, 0.7], "acc") == interval([-0.3, 0.7])  # fits no range: plain t


def test_a_suffixed_bounded_name_keeps_its_interval_in_range() -> None:
    """The helper's cases, which the plain t-interval put above 1."""
    for values, metric in (([0.98, 0.99], "f1_score"), ([0.97, 0.995], "auc_roc"),
                           ([0.99, 1.0], "precision_macro")):
        ci = metric_interval(values, metric)
        assert ci.method == "logit-t" and 0 <= ci.low <= ci.mean <= ci.high <= 1, (metric, ci)


def test_single_and_identical_seeds_of_a_bounded_metric() -> None:
    one = metric_interval([0.7], "acc")
    assert one.n == 1 and one.mean == 0.7 and math.isnan(one.low)
    same = logit_interval([0.25, 0.25, 0.25], (0.0, 1.0))
    assert (same.low, same.high) == (0.25, 0.25)
    # on a bound, where the mean of three 1.0 is 1.0 but the clipped logits' spread is float noise
    for values, metric in (([1.0] * 3, "acc"), ([100.0] * 3, "acc"), ([0.0] * 3, "acer"),
                           ([1.0] * 5, "auroc"), ([0.9] * 7, "f1")):
        ci = metric_interval(values, metric)
        assert (ci.mean, ci.low, ci.high) == (values[0],) * 3, (values, ci)


@pytest.mark.parametrize("k,n", [(0, 275), (3, 10), (10, 10), (1822, 40252), (1, 1)])
def test_wilson_matches_scipy(k: int, n: int) -> None:
    ci = wilson(k, n)
    ref = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
    assert (ci.low, ci.high) == pytest.approx((ref.low, ref.high), abs=1e-12)
    assert ci.mean == k / n and ci.n == n and 0 <= ci.low <= ci.high <= 1


def test_wilson_worked_example_and_bad_counts() -> None:
    assert wilson(0, 275).high == pytest.approx(0.0138, abs=1e-4)
    assert math.isnan(wilson(0, 0).mean)
    with pytest.raises(ValueError, match="successes"):
        wilson(5, 4)


def test_tpr_at_fpr_needs_one_over_fpr_negatives() -> None:
    assert resolution_needed("tpr@fpr=1e-3") == 1000 and resolution_needed("tpr@fpr=0.01") == 100
    assert resolution_needed("acer") is None
    why = unresolved("tpr@fpr=1e-3", 275)
    assert why is not None and (why.needed, why.available) == (1000, 275)
    assert "1000" in why.reason and "275" in why.reason
    assert unresolved("tpr@fpr=1e-2", 275) is None  # 275 ≥ 100
    assert unresolved("tpr@fpr=1e-3", None) is None  # unknown counts: cannot tell
    assert unresolved("acer", 3) is None


def test_welch_uses_the_values_it_is_given_so_duplicates_must_be_removed_first() -> None:
    distinct = [0.060, 0.062, 0.068, 0.070]
    doubled = distinct * 2
    assert metric_interval(doubled, "acer").high < metric_interval(distinct, "acer").high
    assert interval(doubled).n == 8  # n is what is passed: journal.identity removes re-runs
