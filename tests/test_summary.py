"""One metric over a variant's runs: measured or not, n/a, and the one summary every view prints."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from journal import summary as sm
from journal.records import Record

Factory = Callable[..., Record]


def test_measured_tells_not_measured_from_a_measured_nan(make_record: Factory) -> None:
    nan_run = make_record(metrics={"acer": math.nan})
    none_run = make_record(seed=1, metrics={"acer": None, "acc": 0.5})
    assert sm.measured([nan_run], "acer") and not sm.measured([none_run], "acer")
    assert not sm.measured([nan_run, none_run], "mae")
    assert math.isnan(sm.measured_value(nan_run, "acer"))  # type: ignore[arg-type]
    assert sm.measured_value(none_run, "acer") is sm.NOT_MEASURED is None
    assert sm.measured_value(none_run, "mae") is None and sm.measured_value(none_run, "acc") == 0.5


def test_negatives_come_from_the_confusion_matrix_or_the_counts(make_record: Factory) -> None:
    from journal.records import Confusion

    fas = make_record(confusion=Confusion(labels=["attack", "bona fide"], matrix=[[270, 5], [10, 90]]))
    assert sm.negatives_of(fas) == 275
    counts = make_record(confusion=None, metrics={"tn": 990.0, "fp": 10.0, "acer": 0.1})
    assert sm.negatives_of(counts) == 1000
    assert sm.negatives_of(make_record(confusion=None)) is None
    three = Confusion(labels=["a", "b", "c"], matrix=[[1, 0, 0], [0, 1, 0], [0, 0, 1]])
    assert sm.negatives_of(make_record(confusion=three)) is None


def test_an_operating_point_below_one_over_the_negatives_is_unresolved(make_record: Factory) -> None:
    from journal.records import Confusion

    small = make_record(confusion=Confusion(labels=["attack", "bona fide"], matrix=[[270, 5], [10, 90]]))
    big = make_record(seed=1, confusion=None, metrics={"tn": 5000.0, "fp": 0.0})
    why = sm.unresolved_metric([small, big], "tpr@fpr=1e-3")
    assert why is not None and why.available == 275 and why.needed == 1000
    assert sm.unresolved_metric([big], "tpr@fpr=1e-3") is None
    assert sm.unresolved_metric([small], "tpr@fpr=1e-2") is None
    assert sm.unresolved_metric([small], "acer") is None


def test_seed_summary_counts_measured_finished_runs_and_keeps_bounds(make_record: Factory) -> None:
    recs = [make_record(seed=0, metrics={"acc": 0.8, "mae": 2.0}),
            make_record(seed=1, metrics={"acc": 0.9, "mae": 3.0}),
            make_record(seed=2, metrics={"mae": 4.0}),  # never measured acc: left out, not NaN
            make_record(seed=3, status="failed", error="x", metrics={"acc": 0.1})]
    acc = sm.seed_summary(recs, "acc")
    assert (acc.n, acc.mean, acc.std) == pytest.approx((2, 0.85, np.std([0.8, 0.9], ddof=1)))
    assert acc.interval.method == "logit-t" and acc.interval.high < 1.0 and acc.measured
    mae = sm.seed_summary(recs, "mae")
    assert mae.n == 3 and mae.interval.method == "t" and mae.interval.low < 2.0
    missing = sm.seed_summary(recs, "auroc")
    assert missing.n == 0 and not missing.measured and math.isnan(missing.mean)
    diverged = sm.seed_summary([*recs, make_record(seed=4, metrics={"acc": math.nan})], "acc")
    assert diverged.n == 3 and math.isnan(diverged.mean) and diverged.measured  # a diverged seed shows as nan
    assert math.isnan(diverged.interval.low) and math.isnan(diverged.std)


def test_single_run_rates_get_a_wilson_interval_from_their_counts(make_record: Factory) -> None:
    from journal.records import Confusion

    conf = Confusion(labels=["attack", "bona fide"], matrix=[[270, 5], [10, 90]])  # [[tn, fp], [fn, tp]]
    rec = make_record(confusion=conf)
    assert sm.rate_counts(rec, "apcer") == (5, 275) and sm.rate_counts(rec, "FAR") == (5, 275)
    assert sm.rate_counts(rec, "bpcer") == (10, 100) and sm.rate_counts(rec, "acc") == (360, 375)
    assert sm.rate_counts(rec, "acer") is None  # a mean of two rates, not one proportion
    ci = sm.count_interval(rec, "apcer")
    from scipy import stats

    ref = stats.binomtest(5, 275).proportion_ci(0.95, method="wilson")
    assert ci is not None and (ci.low, ci.high) == pytest.approx((ref.low, ref.high))
    other_checkpoint = make_record(confusion=conf.model_copy(update={"checkpoint": "acer_best"}))
    assert sm.count_interval(other_checkpoint, "apcer") is None
    assert sm.count_interval(make_record(confusion=None), "apcer") is None
