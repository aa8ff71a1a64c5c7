"""Seed statistics against scipy and the seed notes' own numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from journal.statistics import interval, welch

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
