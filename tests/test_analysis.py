"""Seed statistics and grouping, checked against NumPy and hand arithmetic."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import pytest

from journal import analysis as an
from journal.records import Record

Factory = Callable[..., Record]


def test_seed_stats_are_mean_and_sample_std_over_finished_runs(make_record: Factory) -> None:
    acers = [0.085572, 0.086069, 0.077029, 0.08173]  # four versions of one variant, note 004
    recs = [make_record(seed=i, metrics={"acer": a}) for i, a in enumerate(acers)]
    recs.append(make_record(seed=9, status="interrupted", metrics={"acer": 0.9}))
    stats = an.seed_stats(an.metrics_frame(recs))
    assert stats.attrs["n"] == 4
    assert stats.at["mean", "acer"] == pytest.approx(np.mean(acers))
    assert stats.at["std", "acer"] == pytest.approx(np.std(acers, ddof=1))


def test_single_run_has_undefined_std_and_nan_propagates(make_record: Factory) -> None:
    one = an.seed_stats(an.metrics_frame([make_record(metrics={"acer": 0.2})]))
    assert one.at["mean", "acer"] == 0.2 and math.isnan(one.at["std", "acer"])
    diverged = [make_record(seed=0, metrics={"acer": 0.2}), make_record(seed=1, metrics={"acer": math.nan})]
    assert math.isnan(an.seed_stats(an.metrics_frame(diverged)).at["mean", "acer"])


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
    recs = [make_record(seed=0), make_record(seed=1)]
    recs[1].selections["acer_best"].test["acer"] = 0.35
    stats = an.selection_stats(recs, ["acer"]).set_index("selection")
    assert stats.at["acer_best", "acer mean"] == pytest.approx(0.3)
    assert stats.at["acer_best", "acer std"] == pytest.approx(np.std([0.25, 0.35], ddof=1))
    assert stats.at["last", "n"] == 2
    assert stats.at["acer_best", "epochs"] == ", ".join(str(r.selections["acer_best"].epoch)
                                                         for r in recs)
    assert stats.at["last", "chosen on"] == "last epoch"


def test_row_normalised_percentages() -> None:
    pct = an.row_normalised([[1550, 393, 0], [0, 0, 0]])
    assert pct[0] == pytest.approx([100 * 1550 / 1943, 100 * 393 / 1943, 0.0])
    assert all(math.isnan(v) for v in pct[1])


def test_stats_of_a_variant_without_finished_runs_are_nan(make_record: Factory) -> None:
    stats = an.seed_stats(an.metrics_frame([make_record(status="failed", error="boom")]))
    assert stats.attrs["n"] == 0 and math.isnan(stats.at["mean", "acer"])


def test_config_changes_between_variants() -> None:
    before = {"lr": 1e-5, "dropout": 0.0, "valid_rate": 0.1}
    after = {"lr": 1e-5, "dropout": 0.2, "valid_rate": 0.15, "class_balance": "weights"}
    assert an.config_changes(before, after) == [
        ("dropout", 0.0, 0.2), ("valid_rate", 0.1, 0.15), ("class_balance", None, "weights")]

