"""Seed statistics and grouping, checked against NumPy and hand arithmetic."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pytest

from journal import analysis as an
from journal.records import Record
from journal.summary import mean_std

Factory = Callable[..., Record]


def test_seed_stats_are_mean_and_sample_std_over_finished_runs(make_record: Factory) -> None:
    acers = [0.085572, 0.086069, 0.077029, 0.08173]  # four versions of one variant, note 004
    recs = [make_record(seed=i, metrics={"acer": a}) for i, a in enumerate(acers)]
    recs.append(make_record(seed=9, status="interrupted", metrics={"acer": 0.9}))
    stats = an.seed_summary(recs, "acer")
    assert stats.n == 4 == an.finished_count(recs)
    assert stats.mean == pytest.approx(np.mean(acers))
    assert stats.std == pytest.approx(np.std(acers, ddof=1))


def test_single_run_has_undefined_std_and_nan_propagates() -> None:
    n, mean, std = mean_std([0.2])
    assert (n, mean) == (1, 0.2) and math.isnan(std)
    n, mean, std = mean_std([0.2, math.nan])
    assert n == 2 and math.isnan(mean) and math.isnan(std)
    assert mean_std([0.2, None, 0.4])[:2] == (2, pytest.approx(0.3))  # None: not measured, left out
    assert mean_std([]) [0] == 0


def test_posts_group_by_experiment_and_utc_day(make_record: Factory) -> None:
    a = make_record(seed=0, started_at=datetime(2026, 11, 23, 23, 59, tzinfo=UTC))
    b = make_record(seed=1, started_at=datetime(2026, 11, 24, 0, 1, tzinfo=UTC))
    c = make_record(seed=2, experiment="ser", started_at=datetime(2026, 11, 23, 8, 0, tzinfo=UTC))
    groups = an.group_by_post([b, c, a])
    assert [(e, d.isoformat(), [r.seed for r in rs]) for (e, d), rs in groups.items()] == [
        ("fas_kd", "2026-11-23", [0]), ("ser", "2026-11-23", [2]), ("fas_kd", "2026-11-24", [1])
    ]


def test_differing_config_keys() -> None:
    configs = {"a": {"lr": 1, "kd": "none", "x": 1}, "b": {"lr": 1, "kd": "logit"}, "c": {"lr": 1}}
    assert an.differing_config_keys(configs) == ["kd"]  # "c" has no kd: not applicable
    assert an.partial_config_keys(configs) == ["x"]


def test_selection_stats_per_rule(make_record: Factory) -> None:
    recs = [make_record(seed=0), make_record(seed=1), make_record(seed=2)]
    recs[1].selections["acer_best"].test["acer"] = 0.35
    del recs[2].selections["acer_best"].test["acer"]  # this run did not test it: left out
    stats = {row.selection: row for row in an.selection_stats(recs, ["acer"])}
    expected = (2, pytest.approx(0.3), pytest.approx(np.std([0.25, 0.35], ddof=1)))
    assert stats["acer_best"].tests["acer"] == expected
    assert stats["last"].n == 3 and stats["last"].tests["acer"][0] == 3
    assert stats["acer_best"].epochs == ", ".join(str(r.selections["acer_best"].epoch) for r in recs)
    assert stats["last"].chosen_on == "last epoch"
    recs[0].selections["acer_best"].test["acer"] = math.nan  # a diverged seed: NaN, not skipped
    again = {r.selection: r for r in an.selection_stats(recs, ["acer"])}
    assert math.isnan(again["acer_best"].tests["acer"][1])


def test_row_normalised_percentages() -> None:
    pct = an.row_normalised([[1550, 393, 0], [0, 0, 0]])
    assert pct[0] == pytest.approx([100 * 1550 / 1943, 100 * 393 / 1943, 0.0])
    assert all(math.isnan(v) for v in pct[1])


def test_stats_of_a_variant_without_finished_runs_are_nan(make_record: Factory) -> None:
    recs = [make_record(status="failed", error="boom")]
    stats = an.seed_summary(recs, "acer")
    assert an.finished_count(recs) == 0 and stats.n == 0 and math.isnan(stats.mean)


def test_config_changes_between_variants() -> None:
    before = {"lr": 1e-5, "dropout": 0.0, "valid_rate": 0.1}
    after = {"lr": 1e-5, "dropout": 0.2, "valid_rate": 0.15, "class_balance": "weights"}
    assert an.config_changes(before, after) == [
        ("dropout", 0.0, 0.2), ("valid_rate", 0.1, 0.15), ("class_balance", None, "weights")]

