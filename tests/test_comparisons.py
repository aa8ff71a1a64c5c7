"""The comparison plan: partners, groups, ranking and the ★ verdict."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from scipy import stats

from journal.comparisons import arms, distance, plan
from journal.declarations import Declaration, TaskDeclaration, declaration_for
from journal.identity import resolve
from journal.records import Confusion, Dataset, Record
from journal.statistics import welch

Factory = Callable[..., Record]
T0 = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
STUDENT = {"lr": 0.001, "epochs": 12, "model": "student", "modalities": "rgb", "kd": "none",
           "temperature": 4.0, "baseline": True, "device": "auto"}
TEACHER = {"lr": 0.001, "epochs": 12, "model": "teacher", "modalities": "rgb+depth+ir", "kd": "none",
           "device": "auto"}


@pytest.fixture
def rec(make_record: Factory) -> Callable[..., Record]:
    count = iter(range(10_000))

    def make(variant: str, seed: int, metrics: dict[str, float], config: dict[str, Any], *,
             minutes: float | None = None, dataset: str = "tiny", experiment: str = "fas_kd",
             **kw: Any) -> Record:
        i = next(count)
        start = T0 + timedelta(minutes=i if minutes is None else minutes)
        return make_record(id=f"run-{i:04d}", experiment=experiment, variant=variant, seed=seed,
                           metrics=metrics, config=config, started_at=start, updated_at=start,
                           ended_at=start + timedelta(seconds=1), dataset=Dataset(name=dataset), **kw)

    return make


def seeds(rec: Callable[..., Record], variant: str, values: list[float], config: dict[str, Any],
          metric: str = "acer", **kw: Any) -> list[Record]:
    return [rec(variant, s, {metric: v}, config, **kw) for s, v in enumerate(values)]


def fas_kd_runs(rec: Callable[..., Record]) -> list[Record]:
    return [
        *seeds(rec, "teacher", [0.010, 0.012, 0.011, 0.013], TEACHER),
        *seeds(rec, "student", [0.100, 0.110, 0.105, 0.108], STUDENT),
        *seeds(rec, "student + logit KD", [0.060, 0.062, 0.064, 0.061], {**STUDENT, "kd": "logit"}),
        *seeds(rec, "student + feature KD", [0.080, 0.070, 0.090, 0.085], {**STUDENT, "kd": "feature"}),
    ]


def test_a_declared_baseline_is_every_variants_partner(rec: Callable[..., Record]) -> None:
    [ranking] = plan(fas_kd_runs(rec), Declaration(baseline="student"))
    partners = {c.variant: (c.partner, c.basis) for c in ranking.comparisons}
    assert partners == {"teacher": ("student", "baseline"),
                        "student + logit KD": ("student", "baseline"),
                        "student + feature KD": ("student", "baseline")}
    feature = next(c for c in ranking.comparisons if c.variant == "student + feature KD")
    assert feature.changes == [("kd", "none", "feature")]
    assert feature.difference.diff == pytest.approx(0.08125 - 0.10575)
    ref = stats.ttest_ind([0.080, 0.070, 0.090, 0.085], [0.100, 0.110, 0.105, 0.108],
                          equal_var=False).confidence_interval(0.95)
    assert (feature.difference.low, feature.difference.high) == pytest.approx((ref.low, ref.high))


def test_without_a_baseline_the_partner_differs_in_the_fewest_settings(rec: Callable[..., Record]) -> None:
    s4 = {"model": "s4", "sigma": 3, "lr": 0.001}
    runs = [
        *seeds(rec, "S4D", [0.70, 0.72], s4, metric="auc", experiment="vad"),
        *seeds(rec, "Transformer", [0.65, 0.66], {**s4, "model": "transformer"}, metric="auc",
               experiment="vad"),
        *seeds(rec, "S4D · sigma=9", [0.74, 0.75], {**s4, "sigma": 9}, metric="auc", experiment="vad"),
        *seeds(rec, "Transformer · lr=0.01", [0.6, 0.61], {**s4, "model": "transformer", "lr": 0.01},
               metric="auc", experiment="vad"),
    ]
    [ranking] = plan(runs, Declaration())
    partners = {c.variant: (c.partner, c.basis, len(c.changes)) for c in ranking.comparisons}
    assert partners["S4D · sigma=9"] == ("S4D", "nearest", 1)  # never the Transformer: 2 settings
    assert partners["Transformer · lr=0.01"] == ("Transformer", "nearest", 1)
    # S4D is one setting from both the Transformer and S4D · sigma=9: the earlier first run wins
    assert partners["S4D"] == ("Transformer", "nearest", 1)
    assert partners["Transformer"] == ("S4D", "nearest", 1)
    assert all(len(c.changes) == 1 for c in ranking.comparisons)


def test_ties_go_to_the_earliest_first_run_then_the_name(rec: Callable[..., Record]) -> None:
    base = {"a": 1, "b": 1}
    runs = [rec("zeta", 0, {"acc": 0.5}, {"a": 2, "b": 1}, minutes=5),
            rec("alpha", 0, {"acc": 0.5}, {"a": 1, "b": 2}, minutes=5),
            rec("mid", 0, {"acc": 0.5}, base, minutes=9)]
    [ranking] = plan(runs, Declaration())
    assert {c.variant: c.partner for c in ranking.comparisons}["mid"] == "alpha"
    runs.append(rec("early", 0, {"acc": 0.5}, {"a": 1, "b": 3}, minutes=1))
    [ranking] = plan(runs, Declaration())
    assert {c.variant: c.partner for c in ranking.comparisons}["mid"] == "early"


def test_a_setting_one_side_lacks_counts_and_non_result_keys_do_not() -> None:
    assert distance({"a": 1}, {"a": 1, "b": 2}) == 1
    assert distance({"a": 1, "b": None}, {"a": 1}) == 0  # absent reads as None, as config_changes
    assert distance(STUDENT, {**STUDENT, "kd": "logit", "temperature": 2.0}) == 2


def test_distance_counts_exactly_the_changes_config_changes_lists() -> None:
    import random

    from journal.analysis import config_changes

    rng = random.Random(7)
    values = [None, 0, 1, 1.0, "1", True, [1, 2], {"x": 1}, "a b"]
    for _ in range(2000):
        a = {k: rng.choice(values) for k in rng.sample("abcdef", rng.randint(0, 6))}
        b = {k: rng.choice(values) for k in rng.sample("abcdef", rng.randint(0, 6))}
        assert distance(a, b) == len(config_changes(a, b)), (a, b)


def test_device_and_baseline_flags_do_not_make_a_difference(rec: Callable[..., Record]) -> None:
    runs = [*seeds(rec, "student", [0.1, 0.11], STUDENT),
            *seeds(rec, "student + logit KD", [0.06, 0.07],
                   {**STUDENT, "kd": "logit", "baseline": False, "device": "cuda"})]
    [ranking] = plan(runs, Declaration())
    kd = next(c for c in ranking.comparisons if c.variant == "student + logit KD")
    assert kd.changes == [("kd", "none", "logit")]


def test_comparisons_never_cross_tasks_and_each_task_has_its_key_metric(rec: Callable[..., Record]) -> None:
    common = {"mode": "full", "lr": 0.003}
    runs = [
        *[rec("ecg_rhythm", s, {"acc": a, "auroc": 0.9}, {**common, "task": "ecg_rhythm"},
              experiment="finetune", dataset="ECG/PPG: ecg_rhythm") for s, a in enumerate([0.81, 0.83])],
        *[rec("ppg_hr", s, {"mae": m, "r2": 0.3}, {**common, "task": "ppg_hr"},
              experiment="finetune", dataset="ECG/PPG: ppg_hr") for s, m in enumerate([4.1, 4.4])],
        *[rec("ppg_hr · mode=linear", s, {"mae": m, "r2": 0.2},
              {**common, "mode": "linear", "task": "ppg_hr"}, experiment="finetune",
              dataset="ECG/PPG: ppg_hr") for s, m in enumerate([5.0, 5.3])],
    ]
    rankings = plan(runs, declaration_for("finetune"))
    by_task = {r.group.task: r for r in rankings}
    assert set(by_task) == {"ecg_rhythm", "ppg_hr"}
    assert (by_task["ecg_rhythm"].metric, by_task["ecg_rhythm"].goal) == ("acc", "max")
    assert (by_task["ppg_hr"].metric, by_task["ppg_hr"].goal) == ("mae", "min")
    assert by_task["ecg_rhythm"].comparisons == []  # alone in its task: nothing to compare with
    [c] = [c for c in by_task["ppg_hr"].comparisons if c.variant == "ppg_hr · mode=linear"]
    assert c.partner == "ppg_hr" and c.changes == [("mode", "full", "linear")]
    for ranking in rankings:
        tasks = {r.config.get("task") for a in arms(runs)[ranking.group] for r in a.records}
        assert tasks == {ranking.group.task}
    # the regression task gets a verdict: lower MAE is better, and the rows are sorted so
    assert [row.variant for row in by_task["ppg_hr"].rows] == ["ppg_hr", "ppg_hr · mode=linear"]
    assert by_task["ppg_hr"].verdict.code in ("winner", "within_noise")


def test_imported_real_data_is_never_ranked_with_tiny_synthetic_runs(rec: Callable[..., Record]) -> None:
    runs = [*seeds(rec, "student", [0.10, 0.11], STUDENT, dataset="CASIA-SURF layout, tiny synthetic"),
            *seeds(rec, "student + logit KD", [0.06, 0.07], {**STUDENT, "kd": "logit"},
                   dataset="CASIA-SURF layout, tiny synthetic"),
            *seeds(rec, "KD", [0.002, 0.003], {}, dataset="CASIA-SURF")]
    rankings = plan(runs, Declaration())
    assert [(r.group.dataset, [row.variant for row in r.rows]) for r in rankings] == [
        ("CASIA-SURF layout, tiny synthetic", ["student + logit KD", "student"]),
        ("CASIA-SURF", ["KD"]),
    ]
    assert all(c.partner != "KD" and c.variant != "KD" for r in rankings for c in r.comparisons)


def test_an_upper_bound_teacher_is_shown_but_never_ranked_or_starred(rec: Callable[..., Record]) -> None:
    [ranking] = plan(fas_kd_runs(rec), declaration_for("fas_kd"))
    assert [row.variant for row in ranking.rows] == [
        "teacher", "student + logit KD", "student + feature KD", "student"]  # sorted by ACER
    ranks = {row.variant: row.rank for row in ranking.rows}
    assert ranks == {"teacher": None, "student + logit KD": 1, "student + feature KD": 2, "student": 3}
    verdict = ranking.verdict
    assert verdict.winner == "student + logit KD" and verdict.against == "student + feature KD"
    assert verdict.difference is not None and verdict.difference.high < 0


def test_n_equal_one_is_never_starred(rec: Callable[..., Record]) -> None:
    runs = [rec("lucky", 0, {"acer": 0.001}, {**STUDENT, "lr": 0.1}),
            rec("lucky", 1, {"acc": 0.9}, {**STUDENT, "lr": 0.1}),  # a second seed, but no ACER
            *seeds(rec, "student", [0.100, 0.110, 0.105], STUDENT)]
    [ranking] = plan(runs, Declaration())
    assert ranking.rows[0].variant == "lucky" and ranking.rows[0].rank == 1
    assert ranking.verdict.winner is None and ranking.verdict.code == "single_seed"
    assert "n=1" in ranking.verdict.text


def test_a_lead_within_seed_noise_is_no_clear_winner(rec: Callable[..., Record]) -> None:
    runs = [*seeds(rec, "a", [0.10, 0.20, 0.15], STUDENT),
            *seeds(rec, "b", [0.12, 0.22, 0.16], {**STUDENT, "lr": 0.01})]
    [ranking] = plan(runs, Declaration())
    assert ranking.verdict.code == "within_noise" and ranking.verdict.winner is None
    assert ranking.verdict.best == "a" and ranking.verdict.against == "b"
    assert "within seed noise" in ranking.verdict.text


def test_the_runner_up_needs_two_seeds_too(rec: Callable[..., Record]) -> None:
    runs = [*seeds(rec, "a", [0.10, 0.11], STUDENT), rec("b", 0, {"acer": 0.3}, {**STUDENT, "lr": 0.01})]
    [ranking] = plan(runs, Declaration())
    assert ranking.verdict.code == "partner_single_seed" and ranking.verdict.winner is None


def test_a_single_candidate_is_compared_with_the_declared_baseline(rec: Callable[..., Record]) -> None:
    runs = [*seeds(rec, "oracle", [0.01, 0.012], TEACHER), *seeds(rec, "student", [0.10, 0.11], STUDENT)]
    alone = plan(runs, Declaration(roles={"oracle": "upper bound"}))[0].verdict
    assert alone.code == "single_candidate" and alone.winner is None
    runs += seeds(rec, "paper model", [0.20, 0.21], {**STUDENT, "lr": 0.1})
    decl = Declaration(roles={"oracle": "upper bound", "paper model": "reference"}, baseline="paper model")
    verdict = plan(runs, decl)[0].verdict
    assert verdict.code == "winner" and (verdict.best, verdict.against) == ("student", "paper model")


def test_no_measurement_and_nan_means_are_not_ranked(rec: Callable[..., Record]) -> None:
    runs = [*seeds(rec, "a", [0.1, math.nan], STUDENT), rec("b", 0, {"acc": 0.5}, STUDENT)]
    [ranking] = plan(runs, Declaration(key_metric="acer"))
    rows = {row.variant: row for row in ranking.rows}
    assert math.isnan(rows["a"].mean) and rows["a"].rank is None and rows["a"].measured
    assert not rows["b"].measured and rows["b"].n == 0  # its one finished run has no ACER
    assert ranking.verdict.code == "no_measurement"


def test_a_nan_seed_leaves_no_difference_and_no_verdict(rec: Callable[..., Record]) -> None:
    """The helper's case: kd's third seed diverged. Its mean is NaN in every table, so it is not
    compared on its two finite seeds (that Welch interval would say beyond seed noise)."""
    runs = [*seeds(rec, "student", [0.30, 0.31, 0.29], STUDENT),
            *seeds(rec, "kd", [0.10, 0.11, math.nan], {**STUDENT, "kd": "logit"})]
    [ranking] = plan(runs, Declaration(baseline="student"))
    [found] = [c for c in ranking.comparisons if c.variant == "kd"]
    d = found.difference
    assert d.diverged and d.within_noise is None and math.isnan(d.diff) and math.isnan(d.low)
    assert d.verdict == "a seed measured NaN"
    assert welch([0.1, None, 0.2], [0.3, 0.4]).within_noise is not None  # None: not measured, left out
    # the runner-up diverged: no ★ for the best
    runs = [*seeds(rec, "a", [0.10, 0.11], STUDENT), *seeds(rec, "b", [0.2, 0.3], {**STUDENT, "lr": 0.01}),
            rec("b", 2, {"acer": math.nan}, {**STUDENT, "lr": 0.01})]
    [ranking] = plan(runs, Declaration(baseline="b"))
    assert ranking.verdict.code == "partner_diverged" and ranking.verdict.winner is None


def test_a_re_run_seed_counts_once_in_n_and_in_the_welch_test(rec: Callable[..., Record]) -> None:
    first = seeds(rec, "a", [0.10, 0.12], STUDENT)
    again = seeds(rec, "a", [0.10, 0.12], STUDENT)  # the same two seeds, run again later
    other = seeds(rec, "b", [0.13, 0.15], {**STUDENT, "lr": 0.01})
    counted = resolve([*first, *again, *other]).counted
    [ranking] = plan(counted, Declaration())
    assert {row.variant: row.n for row in ranking.rows} == {"a": 2, "b": 2}
    d = ranking.verdict.difference
    ref = stats.ttest_ind([0.10, 0.12], [0.13, 0.15], equal_var=False).confidence_interval(0.95)
    assert d is not None and (d.low, d.high) == pytest.approx((ref.low, ref.high))
    [inflated] = plan([*first, *again, *other], Declaration())
    assert {row.variant: row.n for row in inflated.rows}["a"] == 4  # what resolve prevents


def test_bounded_key_metric_rows_carry_an_interval_inside_the_range(rec: Callable[..., Record]) -> None:
    runs = [*seeds(rec, "a", [0.0, 1.0], STUDENT, metric="auroc")]
    [ranking] = plan(runs, Declaration())
    ci = ranking.rows[0].interval
    assert ranking.metric == "auroc" and 0.0 <= ci.low <= ci.high <= 1.0 and ci.method == "logit-t"


def test_an_unresolvable_key_metric_is_na_with_its_reason(rec: Callable[..., Record]) -> None:
    conf = Confusion(labels=["attack", "bona fide"], matrix=[[270, 5], [10, 90]])
    runs = [*seeds(rec, "a", [0.5, 0.6], STUDENT, metric="tpr@fpr=1e-3", confusion=conf)]
    [ranking] = plan(runs, Declaration(key_metric="tpr@fpr=1e-3"))
    row = ranking.rows[0]
    assert row.unresolved is not None and row.unresolved.available == 275
    assert math.isnan(row.mean) and row.rank is None and ranking.verdict.code == "no_measurement"


def test_an_unresolvable_side_has_no_difference_and_no_verdict_against_it(
        rec: Callable[..., Record]) -> None:
    few = Confusion(labels=["attack", "bona fide"], matrix=[[270, 5], [10, 90]])  # 275 attacks
    many = Confusion(labels=["attack", "bona fide"], matrix=[[9990, 10], [10, 90]])
    runs = [*seeds(rec, "student", [0.50, 0.60, 0.55], STUDENT, metric="tpr@fpr=1e-3", confusion=few),
            *seeds(rec, "student + logit KD", [0.70, 0.72, 0.71], {**STUDENT, "kd": "logit"},
                   metric="tpr@fpr=1e-3", confusion=many),
            *seeds(rec, "student + feature KD", [0.60, 0.61, 0.62], {**STUDENT, "kd": "feature"},
                   metric="tpr@fpr=1e-3", confusion=many)]
    decl = Declaration(key_metric="tpr@fpr=1e-3", baseline="student")
    [ranking] = plan(runs, decl)
    # the declared baseline is n/a: nothing is compared with it, and the ★ needs a resolved partner
    assert ranking.comparisons == []
    assert [(r.variant, r.rank) for r in ranking.rows] == [
        ("student + logit KD", 1), ("student + feature KD", 2), ("student", None)]
    verdict = ranking.verdict
    assert (verdict.code, verdict.best, verdict.against) == ("winner", "student + logit KD",
                                                             "student + feature KD")
    ref = stats.ttest_ind([0.70, 0.72, 0.71], [0.60, 0.61, 0.62], equal_var=False).confidence_interval()
    assert verdict.difference is not None and verdict.difference.diff == pytest.approx(0.10)
    assert verdict.difference.low == pytest.approx(ref.low)


def test_variants_measured_at_different_checkpoints_get_no_star(rec: Callable[..., Record]) -> None:
    kd = {**STUDENT, "kd": "logit"}
    runs = [*seeds(rec, "student", [0.100, 0.110, 0.105], STUDENT, checkpoint="last"),
            *seeds(rec, "student + logit KD", [0.060, 0.062], kd, checkpoint="acer_best"),
            rec("student + logit KD", 2, {"acer": 0.064}, kd, checkpoint="last")]
    decl = Declaration(baseline="student")
    [ranking] = plan(runs, decl)
    assert [(r.variant, r.checkpoints) for r in ranking.rows] == [
        ("student + logit KD", ("acer_best", "last")), ("student", ("last",))]
    v = ranking.verdict
    assert (v.code, v.best, v.against, v.winner) == ("checkpoints_differ", "student + logit KD",
                                                     "student", None)
    assert v.checkpoints == (("acer_best", "last"), ("last",))
    ref = stats.ttest_ind([0.060, 0.062, 0.064], [0.100, 0.110, 0.105], equal_var=False)
    assert v.difference is not None and v.difference.diff == pytest.approx(-0.043)
    assert v.difference.low == pytest.approx(ref.confidence_interval().low)  # still shown
    assert "measured at checkpoint acer_best, last and student at last" in v.text
    [c] = ranking.comparisons
    assert c.checkpoints == (("last",), ("acer_best", "last")) and c.checkpoints_differ

    same = [r.model_copy(update={"checkpoint": "last"}) for r in runs]
    [ranking] = plan(same, decl)
    assert ranking.verdict.code == "winner" and not ranking.comparisons[0].checkpoints_differ


def test_declared_task_metric_overrides_the_experiment_default(rec: Callable[..., Record]) -> None:
    runs = [*seeds(rec, "x", [0.8, 0.9], {"task": "t1"}, metric="acc")]
    runs += [rec("x", 0, {"acc": 0.7, "loss": 1.0}, {"task": "t2"})]
    decl = Declaration(tasks={"t1": TaskDeclaration(key_metric="acc", goal="min")})
    rankings = {r.group.task: r for r in plan(runs, decl)}
    assert (rankings["t1"].metric, rankings["t1"].goal) == ("acc", "min")
    assert (rankings["t2"].metric, rankings["t2"].goal) == ("acc", "max")


def test_a_bounded_metric_difference_stays_within_the_possible_differences() -> None:
    from scipy import stats

    from journal.comparisons import difference

    a, b = [0.10, 0.95], [0.05, 0.90]  # two seeds a side, wildly apart
    welch = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert welch.low < -1 and welch.high > 1  # Welch's own interval leaves [−1, 1]
    d = difference(a, b, "acc")
    assert (d.low, d.high) == (-1.0, 1.0) and d.within_noise is True
    loss = difference(a, b, "val_loss")  # unbounded: untouched
    assert loss.low == pytest.approx(welch.low) and loss.high == pytest.approx(welch.high)


def test_plan_all_costs_a_failing_experiment_its_comparisons_only(
        rec: Callable[..., Record], monkeypatch: pytest.MonkeyPatch) -> None:
    import journal.comparisons as comparisons

    runs = [*seeds(rec, "student", [0.1, 0.11], STUDENT),
            *[r.model_copy(update={"experiment": "ser", "id": f"ser-{r.id}"})
              for r in seeds(rec, "student", [0.1, 0.11], STUDENT)]]
    real = comparisons.plan

    def broken(records: list[Record], declaration: Declaration | None = None) -> list[Any]:
        if records[0].experiment == "ser":
            raise ValueError("bad data")
        return real(records, declaration)

    monkeypatch.setattr(comparisons, "plan", broken)
    problems: list[tuple[str, int, str]] = []
    plans = comparisons.plan_all(runs, {}, lambda what, recs, exc: problems.append(
        (what, len(recs), str(exc))))
    assert plans["ser"] == [] and len(plans["fas_kd"]) == 1
    assert problems == [("comparisons of ser", 2, "bad data")]
    with pytest.raises(ValueError, match="bad data"):
        comparisons.plan_all(runs, {})
