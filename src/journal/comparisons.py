"""The comparison plan: which variant each variant is compared with, and who (if anyone) wins.

Pass the *counted* records (:attr:`journal.identity.Resolution.counted`): a re-run seed or a
shared teacher then counts once, and ``n`` here is the number of distinct finished seeds.

**Groups.** Variants are compared only within one *group*: one experiment, one task (the config
key ``task`` where a run has it, else a single task) and one data set (``dataset.name``). A
variant that ran on two data sets (tiny synthetic runs and imported real counts) is an *arm* in
each group; nothing is ever compared or ranked across tasks or data sets.

**Partner.** Each arm is compared with the declared baseline's arm in its group (the baseline
itself is compared with nothing); without one, with the arm whose config (the settings its seeds
share, less :func:`journal.identity.non_result_keys`) differs from its own in the fewest
settings, a setting one of them lacks counting as a difference. Ties go to the arm that ran
first, then to the name in alphabetical order. The difference is ``variant − partner`` on the
group's key metric with Welch's 95% interval.

**Ranking.** Rows are sorted by the mean of the key metric over finished seeds (best first, by
the task's goal; unmeasured and NaN means last; ties by first run, then name). Only *candidates*
(the default role) get a rank; a ``reference``, ``upper bound`` or ``lower bound`` is shown but
never ranked or starred. The best candidate gets the ★ only when it has n ≥ 2 and its difference
to the runner-up candidate (or, without one, to the declared baseline) has a Welch interval
that excludes 0; otherwise the verdict says there is no clear winner, and why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal, NamedTuple

from . import analysis as an
from .declarations import Declaration, Role, declaration_for
from .errors import JournalError
from .identity import non_result_keys
from .memo import Memo
from .records import Record
from .statistics import Difference, Interval, Unresolved, value_range, welch
from .summary import SeedSummary, seed_summary

TASK_KEY = "task"

VerdictCode = Literal[
    "winner", "no_measurement", "single_seed", "single_candidate", "partner_single_seed",
    "partner_diverged", "checkpoints_differ",
    "within_noise",
]


class Group(NamedTuple):
    """What variants are compared within: one experiment, task and data set."""

    experiment: str
    task: str | None
    dataset: str | None


@dataclass(frozen=True)
class Arm:
    """One variant within one group, with its counted records."""

    variant: str
    group: Group
    records: list[Record]
    config: dict[str, object]
    first_run: datetime
    role: Role
    settings: frozenset[tuple[str, str]] = field(init=False, repr=False, compare=False)
    """The config as ``(key, repr(value))`` pairs, ``None`` values left out (see :func:`distance`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", _settings(self.config))  # frozen: set once here


def _settings(config: Mapping[str, object]) -> frozenset[tuple[str, str]]:
    return frozenset((k, repr(v)) for k, v in config.items() if v is not None)


@dataclass(frozen=True)
class Comparison:
    """``variant`` against ``partner`` on ``metric``: ``difference`` is ``variant − partner``.

    ``basis`` is ``baseline`` (the declared one) or ``nearest`` (fewest differing settings);
    ``changes`` lists ``(key, partner's value, variant's value)`` (None where absent);
    ``checkpoints`` the checkpoints of the partner's and the variant's runs
    (:func:`checkpoints_of`)."""

    variant: str
    partner: str
    group: Group
    basis: Literal["baseline", "nearest"]
    changes: list[tuple[str, object, object]]
    metric: str
    difference: Difference
    checkpoints: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    @property
    def checkpoints_differ(self) -> bool:
        """Whether the two sides were not all measured at one and the same checkpoint."""
        return not same_checkpoint(*self.checkpoints)


@dataclass(frozen=True)
class Row:
    """One arm of a ranking: ``n`` finished seeds that measured the key metric, its mean (NaN
    when a seed measured NaN, or when the metric is :attr:`unresolved`), its interval, its rank
    (None: not a candidate, or no mean)."""

    variant: str
    role: Role
    n: int
    mean: float
    interval: Interval
    rank: int | None
    measured: bool
    unresolved: Unresolved | None = None
    checkpoints: tuple[str, ...] = ()
    """The checkpoints its ``n`` runs were measured at (:func:`checkpoints_of`)."""


@dataclass(frozen=True)
class Verdict:
    """Who gets the ★ and why, or why nobody does.

    ``code``: ``winner``; or ``no_measurement`` (no candidate has a mean), ``single_seed`` (the
    best has n < 2), ``single_candidate`` (nothing to compare the best with),
    ``partner_single_seed`` (what it is compared with has n < 2), ``partner_diverged`` (a seed
    of what it is compared with measured NaN), ``checkpoints_differ`` (the two were measured
    at different checkpoints, :attr:`checkpoints`, so their difference is not the variants'
    alone), ``within_noise`` (the Welch interval contains 0)."""

    code: VerdictCode
    best: str | None = None
    against: str | None = None
    difference: Difference | None = None
    n: int = 0
    checkpoints: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    """The checkpoints of :attr:`best`'s and :attr:`against`'s runs (:func:`checkpoints_of`)."""

    @property
    def winner(self) -> str | None:
        """The variant to star, or None: no clear winner."""
        return self.best if self.code == "winner" else None

    @property
    def text(self) -> str:
        """The verdict in plain English (pages translate :attr:`code` instead)."""
        d = self.difference
        span = "" if d is None or math.isnan(d.low) else f" [{d.low:+.4g}, {d.high:+.4g}]"
        diff = "" if d is None else f"{d.diff:+.4g}{span}"
        return {
            "winner": f"{self.best} is best: {diff} vs {self.against}, beyond seed noise",
            "no_measurement": "no clear winner: no candidate measured the key metric",
            "single_seed": f"no clear winner: the best, {self.best}, has n={self.n} (needs 2 seeds)",
            "single_candidate": f"no clear winner: {self.best} is the only candidate",
            "partner_diverged": f"no clear winner: a seed of {self.against} measured NaN, so "
                                f"{self.best}'s lead cannot be tested",
            "partner_single_seed": f"no clear winner: {self.against} has fewer than 2 seeds, so "
                                   f"{self.best}'s lead cannot be tested",
            "checkpoints_differ": f"no clear winner: {self.best} was measured at checkpoint "
                                  f"{', '.join(self.checkpoints[0])} and {self.against} at "
                                  f"{', '.join(self.checkpoints[1])}, so {diff} is not the "
                                  "variants' difference alone",
            "within_noise": f"no clear winner: {self.best} − {self.against} = {diff} is within "
                            "seed noise",
        }[self.code]


@dataclass(frozen=True)
class Ranking:
    """One group's ranking, its verdict and its comparisons."""

    group: Group
    metric: str
    goal: Literal["min", "max"]
    rows: list[Row]
    verdict: Verdict
    comparisons: list[Comparison] = field(default_factory=list)


def difference(a: Sequence[float | None], b: Sequence[float | None], metric: str) -> Difference:
    """``mean(b) − mean(a)`` with Welch's 95% interval (:func:`journal.statistics.welch`); for a
    bounded metric the interval is cut to the differences that are possible (±the width of its
    range: ±1 for a rate, ±100 for one logged in percent), as a metric's own interval is kept
    inside its range."""
    d = welch(a, b)
    bounds = value_range(metric, [*a, *b])
    if bounds is None or d.low != d.low:
        return d
    width = bounds[1] - bounds[0]
    return replace(d, low=max(d.low, -width), high=min(d.high, width))


def task_of(record: Record) -> str | None:
    """The task a record belongs to: its config's ``task`` (a text), else None (one task)."""
    value = record.config.get(TASK_KEY)
    return value if isinstance(value, str) else None


def group_of(record: Record) -> Group:
    return Group(record.experiment, task_of(record),
                 record.dataset.name if record.dataset is not None else None)


def arms(records: Sequence[Record], declaration: Declaration | None = None) -> dict[Group, list[Arm]]:
    """The arms of each group, groups and arms in order of their first run."""
    declaration = declaration or Declaration()
    cells: dict[Group, dict[str, list[Record]]] = {}
    for rec in sorted(records, key=lambda r: (r.started_at, r.id)):
        cells.setdefault(group_of(rec), {}).setdefault(rec.variant, []).append(rec)
    out: dict[Group, list[Arm]] = {}
    for group, variants in cells.items():
        ignored = non_result_keys(group.experiment)
        out[group] = [
            Arm(name, group, recs,
                {k: v for k, v in an.variant_config(recs).items() if k not in ignored},
                recs[0].started_at, declaration.role_of(name))
            for name, recs in variants.items()
        ]
    return out


def distance(a: Mapping[str, object], b: Mapping[str, object]) -> int:
    """How many settings differ between two configs (a setting one lacks counts; an absent
    setting reads as ``None``): the number of :func:`journal.analysis.config_changes`."""
    return _distance(_settings(a), _settings(b))


def _distance(a: frozenset[tuple[str, str]], b: frozenset[tuple[str, str]]) -> int:
    # a key whose value differs is in both halves of the symmetric difference: count keys
    return len({key for key, _ in a ^ b})


def partner(arm: Arm, group_arms: Sequence[Arm], declaration: Declaration) -> tuple[Arm, str] | None:
    """The arm ``arm`` is compared with and the basis (``baseline`` or ``nearest``), or None."""
    others = [a for a in group_arms if a.variant != arm.variant]
    if not others:
        return None
    if declaration.baseline is not None:
        if declaration.is_baseline(arm.variant):
            return None
        baselines = [a for a in others if declaration.is_baseline(a.variant)]
        if baselines:
            return _nearest(arm, baselines), "baseline"
    return _nearest(arm, others), "nearest"


def _nearest(arm: Arm, others: Sequence[Arm]) -> Arm:
    return min(others, key=lambda o: (_distance(o.settings, arm.settings), o.first_run, o.variant))


def checkpoints_of(records: Sequence[Record], metric: str) -> tuple[str, ...]:
    """The checkpoints (``Record.checkpoint``) at which the finished ``records`` that measured
    ``metric`` measured it, sorted: the runs a variant's ``n`` counts."""
    return tuple(sorted({r.checkpoint for r in records
                         if r.status == "finished" and r.metrics.get(metric) is not None}))


def same_checkpoint(a: Sequence[str], b: Sequence[str]) -> bool:
    """Whether two arms' runs were all measured at one checkpoint: only then is their
    difference the variants' own, not partly the choice of checkpoint."""
    return len({*a, *b}) <= 1


def _comparable(arm: Arm, metric: str) -> bool:
    """Whether ``arm`` has a value of ``metric`` to compare: a finished run measured it and the
    data resolve it (``tpr@fpr=1e-3`` from 275 attacks is n/a, and n/a has no difference)."""
    return (any(v is not None for v in an.finished_values(arm.records, metric))
            and an.unresolved_metric(arm.records, metric) is None)


def _values(arm: Arm, metric: str) -> list[float | None]:
    return an.finished_values(arm.records, metric)


def comparisons(
    group_arms: Sequence[Arm], metric: str, declaration: Declaration | None = None
) -> list[Comparison]:
    """Each arm of one group against its :func:`partner` on ``metric`` (arms that did not
    measure it or cannot resolve it, see :func:`_comparable`, and arms without a partner, are
    left out)."""
    declaration = declaration or Declaration()
    out = []
    for arm in group_arms:
        if not _comparable(arm, metric):
            continue
        found = partner(arm, group_arms, declaration)
        if found is None or not _comparable(found[0], metric):
            continue
        other, basis = found
        out.append(Comparison(
            arm.variant, other.variant, arm.group, "baseline" if basis == "baseline" else "nearest",
            an.config_changes(other.config, arm.config), metric,
            difference(_values(other, metric), _values(arm, metric), metric),
            (checkpoints_of(other.records, metric), checkpoints_of(arm.records, metric))))
    return out


def rank(
    group_arms: Sequence[Arm], metric: str, goal: Literal["min", "max"],
    declaration: Declaration | None = None,
) -> tuple[list[Row], Verdict]:
    """The rows of one group sorted by ``metric`` and the verdict on the best candidate."""
    declaration = declaration or Declaration()
    rows: list[tuple[Row, Arm]] = []
    for arm in group_arms:
        summary = an.seed_summary(arm.records, metric)
        rows.append((Row(arm.variant, arm.role, summary.n, summary.mean, summary.interval, None,
                         summary.measured, summary.unresolved,
                         checkpoints_of(arm.records, metric)), arm))
    sign = 1.0 if goal == "min" else -1.0
    rows.sort(key=lambda ra: (math.isnan(ra[0].mean), sign * ra[0].mean if not math.isnan(ra[0].mean)
                              else 0.0, ra[1].first_run, ra[0].variant))
    ranked: list[tuple[Row, Arm]] = []
    out: list[Row] = []
    for row, arm in rows:
        if row.role == "candidate" and not math.isnan(row.mean):
            ranked.append((row, arm))
            row = replace(row, rank=len(ranked))
        out.append(row)
    return out, _verdict(ranked, group_arms, metric, declaration)


def _verdict(
    ranked: Sequence[tuple[Row, Arm]], group_arms: Sequence[Arm], metric: str, declaration: Declaration
) -> Verdict:
    if not ranked:
        return Verdict("no_measurement")
    best_row, best = ranked[0]
    if best_row.n < 2:
        return Verdict("single_seed", best.variant, n=best_row.n)
    against: Arm | None = ranked[1][1] if len(ranked) > 1 else None
    if against is None:
        baselines = [a for a in group_arms if a.variant != best.variant
                     and declaration.is_baseline(a.variant) and _comparable(a, metric)]
        against = baselines[0] if baselines else None
    if against is None:
        return Verdict("single_candidate", best.variant, n=best_row.n)
    diff = difference(_values(against, metric), _values(best, metric), metric)
    if diff.diverged:
        return Verdict("partner_diverged", best.variant, against.variant, diff, best_row.n)
    if diff.within_noise is None:
        return Verdict("partner_single_seed", best.variant, against.variant, diff, best_row.n)
    at = (best_row.checkpoints, checkpoints_of(against.records, metric))
    if not same_checkpoint(*at):
        return Verdict("checkpoints_differ", best.variant, against.variant, diff, best_row.n, at)
    code: VerdictCode = "within_noise" if diff.within_noise else "winner"
    return Verdict(code, best.variant, against.variant, diff, best_row.n)


def plan(records: Sequence[Record], declaration: Declaration | None = None) -> list[Ranking]:
    """The ranking, verdict and comparisons of every group of one experiment's counted
    ``records``, groups in order of their first run; ``declaration`` is that experiment's
    (:func:`journal.declarations.declaration_for`). A group whose runs measured no metric is
    left out."""
    declaration = declaration or Declaration()
    out = []
    for group, group_arms in arms(records, declaration).items():
        measured = an.ordered_keys(r.metrics for a in group_arms for r in a.records)
        metric = declaration.key_metric_for(group.task, measured)
        if metric is None:
            continue
        goal = declaration.goal_for_task(group.task, metric)
        rows, verdict = rank(group_arms, metric, goal, declaration)
        out.append(Ranking(group, metric, goal, rows, verdict,
                           comparisons(group_arms, metric, declaration)))
    return out


def plan_all(
    counted: Sequence[Record],
    declarations: Mapping[str, Declaration] | None = None,
    on_problem: Callable[[str, Sequence[Record], BaseException | None], None] | None = None,
    memo: Memo | None = None,
) -> dict[str, list[Ranking]]:
    """:func:`plan` of each experiment's counted runs, by experiment. An experiment whose plan
    fails is passed to ``on_problem`` (``"comparisons of NAME"``, its runs, the exception) and
    gets no comparisons; without ``on_problem`` the error is raised. With ``memo``, an
    experiment whose runs and declaration are those of the memo's last build keeps its plan."""
    mine: dict[str, list[Record]] = {}
    for record in counted:
        mine.setdefault(record.experiment, []).append(record)
    plans: dict[str, list[Ranking]] = {}
    for experiment, records in mine.items():
        try:
            declaration = declaration_for(experiment, declarations or {})
            plans[experiment] = (memo.plan(experiment, records, declaration, plan) if memo
                                 else plan(records, declaration))
        except Exception as exc:  # one experiment's bad data costs its comparisons only
            if on_problem is None:
                raise
            on_problem(f"comparisons of {experiment}", records, exc)
            plans[experiment] = []
    return plans


@dataclass(frozen=True)
class PairMetric:
    """One metric of two variants in one group: each side's :class:`SeedSummary` and ``b − a``
    with Welch's interval (the numbers a post's comparison table shows).

    ``difference`` is None when a side has no value to subtract (:attr:`missing` says how to
    show it): the metric is n/a there (the data cannot resolve it) or no finished run of that
    side measured it."""

    metric: str
    a: SeedSummary
    b: SeedSummary
    difference: Difference | None
    checkpoints: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    """The checkpoints of a's and b's runs (:func:`checkpoints_of`)."""

    @property
    def checkpoints_differ(self) -> bool:
        """Whether the two sides were not all measured at one and the same checkpoint."""
        return not same_checkpoint(*self.checkpoints)

    @property
    def verdict(self) -> str:
        """The difference's verdict, "(checkpoints differ)" after it when
        :attr:`checkpoints_differ`; "" without a difference."""
        if self.difference is None:
            return ""
        caveat = " (checkpoints differ)" if self.checkpoints_differ else ""
        return self.difference.verdict + caveat

    @property
    def missing(self) -> str | None:
        """What the difference, its interval and verdict show when there is none: ``n/a`` when
        a side is n/a (unresolved), ``—`` when a side has no finished run that measured the
        metric; None when both sides have a value."""
        if self.a.unresolved is not None or self.b.unresolved is not None:
            return "n/a"
        if self.a.n == 0 or self.b.n == 0:
            return "—"
        return None


def compare_pair(a: Sequence[Record], b: Sequence[Record]) -> dict[Group, list[PairMetric]]:
    """Two variants metric by metric, within each group (task and data set) both ran in; pass
    counted records. Every metric both measured, in record order; a metric that is n/a on a
    side, or that no finished run of a side measured, has no difference (:class:`PairMetric`).

    Raises:
        JournalError: the two never ran in the same group (comparing across tasks or data sets
            is refused, as everywhere else).
    """
    by_group_a = _by_group(a)
    by_group_b = _by_group(b)
    shared = [g for g in by_group_a if g in by_group_b]
    if not shared:
        where = lambda groups: "; ".join(describe_group(g) for g in groups) or "nowhere"  # noqa: E731
        raise JournalError(f"the two variants never ran on the same task and data set "
                           f"(first: {where(by_group_a)}; second: {where(by_group_b)})")
    out: dict[Group, list[PairMetric]] = {}
    for group in shared:
        ra, rb = by_group_a[group], by_group_b[group]
        metrics = [m for m in an.ordered_keys(r.metrics for r in [*ra, *rb])
                   if an.measured(ra, m) and an.measured(rb, m)]
        out[group] = [_pair_metric(ra, rb, m) for m in metrics]
    return out


def _pair_metric(a: Sequence[Record], b: Sequence[Record], metric: str) -> PairMetric:
    row = PairMetric(metric, seed_summary(a, metric), seed_summary(b, metric), None,
                     (checkpoints_of(a, metric), checkpoints_of(b, metric)))
    if row.missing is not None:  # an n/a side has no difference, never one of its raw values
        return row
    return replace(row, difference=difference(an.finished_values(a, metric),
                                              an.finished_values(b, metric), metric))


def _by_group(records: Sequence[Record]) -> dict[Group, list[Record]]:
    out: dict[Group, list[Record]] = {}
    for rec in sorted(records, key=lambda r: (r.started_at, r.id)):
        out.setdefault(group_of(rec), []).append(rec)
    return out


def describe_group(group: Group) -> str:
    """``task T, data set D``: where a group of runs ran, for messages."""
    parts = [f"task {group.task}"] if group.task else []
    parts.append(f"data set {group.dataset}" if group.dataset else "no data set")
    return ", ".join(parts)
