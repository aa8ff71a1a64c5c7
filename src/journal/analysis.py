"""Records → tables: grouping by day and variant, seed statistics, selections, series.

Everything a post shows is computed here from records alone; the renderers only format.

One metric over a variant's runs (n, mean, std, interval, measured or not) is in
:mod:`journal.summary`, re-exported here.

Seed statistics: for each variant, ``mean`` and ``std`` of a metric are taken over its
*finished* runs (running, failed and interrupted runs are listed but not averaged); ``std`` is
the sample standard deviation (ddof = 1), undefined (NaN) for a single run. A NaN metric in a
finished run makes the mean NaN: a diverged seed is shown, not hidden.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd

from .declarations import Declaration
from .records import STALE_AFTER as STALE_AFTER
from .records import Record, Selection
from .records import display_status as display_status
from .statistics import logged_in_percent
from .summary import NOT_MEASURED as NOT_MEASURED
from .summary import SeedSummary as SeedSummary
from .summary import finished_values as finished_values
from .summary import mean_std
from .summary import measured as measured
from .summary import measured_value as measured_value
from .summary import negatives_of as negatives_of
from .summary import seed_summary as seed_summary
from .summary import unresolved_metric as unresolved_metric


@dataclass(frozen=True)
class Series:
    """One line of a chart: a label (the seed) and its points."""

    label: str
    x: list[int] | list[float]
    y: list[float]


def day_of(record: Record) -> date:
    """The UTC day a run started: the day whose post shows it."""
    return record.started_at.date()


def group_by_post(records: Iterable[Record]) -> dict[tuple[str, date], list[Record]]:
    """Records grouped into posts, one per experiment per UTC day, each sorted by start."""
    groups: dict[tuple[str, date], list[Record]] = defaultdict(list)
    for rec in records:
        groups[(rec.experiment, day_of(rec))].append(rec)
    return {
        key: sorted(recs, key=lambda r: (r.started_at, r.id))
        for key, recs in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    }


def by_variant(records: Sequence[Record]) -> dict[str, list[Record]]:
    """Variants in order of their first run, each with its runs sorted by seed then start."""
    groups: dict[str, list[Record]] = {}
    for rec in sorted(records, key=lambda r: (r.started_at, r.id)):
        groups.setdefault(rec.variant, []).append(rec)
    for recs in groups.values():
        recs.sort(key=lambda r: (r.seed is None, r.seed if r.seed is not None else 0, r.started_at))
    return groups


def ordered_keys(dicts: Iterable[Mapping[str, object]]) -> list[str]:
    """Union of keys in order of first appearance."""
    keys: dict[str, None] = {}
    for d in dicts:
        keys.update(dict.fromkeys(d))
    return list(keys)


def percent_logged(records: Iterable[Record]) -> frozenset[str]:
    """The [0, 1] metrics that ``records`` logged in percent (an accuracy of 87.5, not 0.875:
    :func:`journal.statistics.logged_in_percent` over every final and selected test value),
    which posts print as they are instead of times 100."""
    values: dict[str, list[float | None]] = defaultdict(list)
    for rec in records:
        for name, value in rec.metrics.items():
            values[name].append(value)
        for sel in rec.selections.values():
            for name, value in sel.test.items():
                values[name].append(value)
    return frozenset(m for m, vs in values.items() if logged_in_percent(m, vs))


def seed_label(record: Record) -> str:
    return f"seed {record.seed}" if record.seed is not None else record.id


def finished_count(records: Sequence[Record]) -> int:
    """How many of ``records`` finished (the runs seed statistics are taken over)."""
    return sum(1 for r in records if r.status == "finished")


def differing_config_keys(configs: Mapping[str, Mapping[str, object]]) -> list[str]:
    """Config keys whose value differs between the variants that have them."""
    keys = ordered_keys(configs.values())
    return [k for k in keys if len({repr(c[k]) for c in configs.values() if k in c}) > 1]


def partial_config_keys(configs: Mapping[str, Mapping[str, object]]) -> list[str]:
    """Config keys that some variants lack, with one value wherever they are present."""
    differ = set(differing_config_keys(configs))
    return [k for k in ordered_keys(configs.values())
            if k not in differ and any(k not in c for c in configs.values())]


def variant_config(records: Sequence[Record]) -> dict[str, object]:
    """The config a variant's runs share (keys whose value differs between its seeds dropped)."""
    configs = [r.config for r in records]
    if not configs:
        return {}
    shared: dict[str, object] = dict(configs[0])
    for cfg in configs[1:]:
        for key in list(shared):
            if key not in cfg or repr(cfg[key]) != repr(shared[key]):
                del shared[key]
    return shared


@dataclass(frozen=True)
class SelectionSummary:
    """One selection rule over a variant's finished runs: what it was chosen on, the epoch it
    chose in each run (``"12, 14, 9"``), ``n`` runs, and ``(n, mean, std)`` of each test
    metric (:func:`journal.summary.mean_std`: a run that did not test it is left out, a NaN
    makes it NaN)."""

    selection: str
    chosen_on: str
    epochs: str
    n: int
    tests: dict[str, tuple[int, float, float]]


def selection_stats(records: Sequence[Record], columns: Sequence[str]) -> list[SelectionSummary]:
    """A :class:`SelectionSummary` per selection rule of the finished ``records``, in order of
    first appearance."""
    picks: dict[str, list[Selection]] = {}
    for rec in records:
        if rec.status == "finished":
            for name, sel in rec.selections.items():
                picks.setdefault(name, []).append(sel)
    return [
        SelectionSummary(
            name, sels[0].metric if sels[0].mode != "last" else "last epoch",
            ", ".join(str(int(s.epoch)) for s in sels), len(sels),
            {c: mean_std([s.test.get(c) for s in sels]) for c in columns})
        for name, sels in picks.items()
    ]


def evaluation_stats(records: Sequence[Record], columns: Sequence[str]
                     ) -> dict[str, tuple[int, dict[str, tuple[int, float, float]]]]:
    """Each extra evaluation of the finished ``records``: how many runs made it, and
    ``(n, mean, std)`` of each metric (:func:`journal.summary.mean_std`)."""
    made: dict[str, list[Mapping[str, float | None]]] = {}
    for rec in records:
        if rec.status == "finished":
            for name, values in rec.evaluations.items():
                made.setdefault(name, []).append(values)
    return {name: (len(runs), {c: mean_std([v.get(c) for v in runs]) for c in columns})
            for name, runs in made.items()}


def row_normalised(matrix: Sequence[Sequence[int]]) -> list[list[float]]:
    """Each row of a confusion matrix as percentages of its true class (NaN for an empty row)."""
    out = []
    for row in matrix:
        total = sum(row)
        out.append([100.0 * v / total if total else math.nan for v in row])
    return out


def history_series(records: Sequence[Record], key: str) -> list[Series]:
    """The per-epoch values of ``key``, one series per run that logged it."""
    out = []
    for rec in records:
        points = [(row.epoch, row.values().get(key)) for row in rec.history]
        xs = [x for x, y in points if y is not None]
        ys = [float(y) for _, y in points if y is not None]
        if xs:
            out.append(Series(seed_label(rec), xs, ys))
    return out


def curve_series(records: Sequence[Record], name: str) -> list[Series]:
    """Curve ``name`` of each run that has it, as chart series (non-finite points dropped)."""
    out = []
    for rec in records:
        curve = rec.curves.get(name)
        if curve is None:
            continue
        points = [(x, y) for x, y in zip(curve.x, curve.y, strict=True)
                  if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)]
        out.append(Series(seed_label(rec), [p[0] for p in points], [p[1] for p in points]))
    return out


def history_keys(records: Sequence[Record]) -> list[str]:
    """Every key logged per epoch by any of ``records``, in order of first appearance."""
    return ordered_keys(row.values() for rec in records for row in rec.history)


def selection_marks(records: Sequence[Record], name: str) -> list[tuple[str, int, float]]:
    """``(run label, chosen epoch, value)`` of selection ``name`` in each run that has it."""
    marks = []
    for rec in records:
        sel = rec.selections.get(name)
        if sel is not None and sel.value is not None:
            marks.append((seed_label(rec), sel.epoch, float(sel.value)))
    return marks


def duration_seconds(record: Record) -> float:
    """Wall time from start to end (or to the last update of a run still going)."""
    end = record.ended_at or record.updated_at
    return (end - record.started_at).total_seconds()


def per_class_stats(records: Sequence[Record]) -> pd.DataFrame:
    """Mean and std over finished runs of each class's precision, recall, f1 (and mean support).

    Rows keep the classes' order, then ``macro avg`` and ``weighted avg``.
    """
    rows = [
        {"class": name, **values}
        for rec in records
        if rec.status == "finished"
        for name, values in rec.per_class.items()
    ]
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows)
    keys = [k for k in ("precision", "recall", "f1", "support") if k in frame.columns]
    frame = frame.astype({k: "float64" for k in keys})
    grouped = frame.groupby("class", sort=False)
    out = grouped[keys].agg(["mean", "std"])
    out.columns = [f"{c} {s}" for c, s in out.columns]
    out.insert(0, "n", grouped.size())
    return out.reset_index()


def references(records: Sequence[Record]) -> dict[str, dict[str, float | None]]:
    """The reference numbers the runs carry, by name (the first run's value wins on conflict)."""
    out: dict[str, dict[str, float | None]] = {}
    for rec in records:
        for name, values in rec.references.items():
            out.setdefault(name, {}).update({k: v for k, v in values.items() if k not in out[name]})
    return out


def config_changes(
    before: Mapping[str, object], after: Mapping[str, object]
) -> list[tuple[str, object, object]]:
    """``(key, old, new)`` for each config key whose value differs (``None`` where absent)."""
    keys = ordered_keys([before, after])
    return [(k, before.get(k), after.get(k)) for k in keys if repr(before.get(k)) != repr(after.get(k))]


def baseline_runs(
    records: Sequence[Record], experiment: str, declaration: Declaration
) -> tuple[str, list[Record]] | None:
    """The declared baseline and its runs on every day, or ``None`` if it has no run."""
    name = declaration.baseline
    if name is None:
        return None
    runs = [r for r in records if r.experiment == experiment and r.variant == name]
    return (name, by_variant(runs)[name]) if runs else None


def by_sweep(records: Sequence[Record]) -> dict[str, list[Record]]:
    """Records that are points of a sweep, by sweep id, in order of first run."""
    groups: dict[str, list[Record]] = {}
    for rec in sorted(records, key=lambda r: (r.started_at, r.id)):
        if rec.launch is not None and rec.launch.sweep is not None:
            groups.setdefault(rec.launch.sweep, []).append(rec)
    return groups


def swept_keys(records: Sequence[Record]) -> list[str]:
    """The override keys whose value differs between the points of a sweep."""
    overrides = [r.launch.overrides for r in records if r.launch is not None]
    keys = ordered_keys(overrides)
    return [k for k in keys if len({o.get(k) for o in overrides}) > 1]


def best_run(records: Sequence[Record], metric: str, goal: str) -> Record | None:
    """The finished run with the best ``metric`` (lowest for ``goal`` ``min``), or None when
    fewer than two finished runs measured it (one run is not "the best" of anything)."""
    scored: list[tuple[Record, float]] = []
    for r in records:
        value = r.metrics.get(metric)
        if r.status == "finished" and value is not None and value == value:
            scored.append((r, float(value)))
    if len(scored) < 2:
        return None
    pick = min if goal == "min" else max
    return pick(scored, key=lambda rv: rv[1])[0]
