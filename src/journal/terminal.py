"""Tables for the terminal (``journal show``, ``journal compare``), with the site's statistics.

Every string from a record (ids, names, config keys and values, labels, errors) reaches rich
through :func:`journal.escape.rich_text`: control characters and escape sequences are dropped
and rich's ``[markup]`` is shown as the literal text it is, never interpreted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from . import analysis as an
from .comparisons import compare_pair, describe_group
from .escape import rich_text
from .records import Record
from .render.tables import config_value, mean_std, metric_label, number
from .summary import SeedSummary

MAX_CELL = 200
"""Characters of one cell shown at most (a record may hold a long value)."""
MIN_FIRST = 8
"""Columns a table's first column keeps on a narrow terminal."""


def _t(value: Any, fmt: Callable[[Any], str] = str) -> str:
    """``fmt(value)`` as rich text: escaped, one line, cut to :data:`MAX_CELL` characters."""
    try:
        text = fmt(value)
    except (ValueError, OverflowError, TypeError):  # an integer too long to print, say
        text = "(unprintable value)"
    text = text if len(text) <= MAX_CELL else text[:MAX_CELL] + "…"
    return rich_text(text)


def _table(title: str, headers: Sequence[str]) -> Table:
    """A table; ``title`` and ``headers`` are plain text (escaped here)."""
    table = Table(title=_t(title), box=box.SIMPLE_HEAD, title_justify="left", title_style="bold")
    for i, header in enumerate(headers):
        # on a narrow terminal every column folds its text; the first (what a row is) keeps
        # room for a name, where rich would otherwise squeeze it to nothing
        table.add_column(_t(header), justify="left" if i == 0 else "right", overflow="fold",
                         min_width=None if i else MIN_FIRST)
    return table


def _plain(text: str) -> str:
    """Plain spaces for the terminal (the site keeps ``mean ± std`` together with NBSPs)."""
    return text.replace("\u00a0", " ")


def show(record: Record, console: Console, *, excluded: str | None = None) -> None:
    """One run: what it is, its config, final metrics, selections and confusion matrix;
    ``excluded`` says why seed statistics leave it out (superseded or retired)."""
    env = record.environment
    seed = record.seed if record.seed is not None else "—"
    console.print(f"[bold]{_t(record.id)}[/bold]  {_t(record.experiment)} · {_t(record.variant)} · "
                  f"seed {_t(seed)} · {_t(an.display_status(record))}", markup=True, highlight=False)
    console.print(f"started {record.started_at:%Y-%m-%d %H:%M:%S} UTC, "
                  f"{an.duration_seconds(record):.0f} s, checkpoint {_t(record.checkpoint)}"
                  + (f", on {_t(env.device)}" if env and env.device else ""), highlight=False)
    if excluded:
        console.print(f"not counted in seed statistics: {_t(excluded)}", highlight=False)
    if record.error and record.error.strip():
        console.print(f"error: {_t(record.error.strip().splitlines()[-1])}", highlight=False)
    config = _table("config", ["key", "value"])
    for key, value in record.config.items():
        config.add_row(_t(key), _t(value, config_value))
    metrics = _table("metrics", ["metric", "value"])
    for key, value in record.metrics.items():
        metrics.add_row(_t(key, metric_label), "—" if value is None else _t(value, number))
    console.print(config, metrics)
    if record.selections:
        cols = an.ordered_keys(s.test for s in record.selections.values())
        sel = _table("checkpoint selections", ["checkpoint", "chosen on", "epoch", *map(metric_label, cols)])
        for name, s in record.selections.items():
            chosen = "last epoch" if s.mode == "last" else s.metric  # `last` is chosen on nothing
            sel.add_row(_t(name), _t(chosen), str(s.epoch), *[_t(s.test.get(c), number) for c in cols])
        console.print(sel)
    if record.confusion:
        cm = _table("confusion (rows = true class)", ["", *record.confusion.labels])
        for label, row in zip(record.confusion.labels, record.confusion.matrix, strict=True):
            cm.add_row(_t(label), *(_t(v) for v in row))
        console.print(cm)


def _summary(stats: SeedSummary) -> str:
    """``mean ± std [low, high]`` as posts print it; ``—`` not measured (by a finished run),
    ``n/a`` unresolvable."""
    if not stats.measured:
        return "—"
    if stats.unresolved is not None:
        return "n/a"
    if stats.n == 0:  # only an unfinished run measured it: nothing to average, not a NaN seed
        return "—"
    text = _plain(mean_std(stats.mean, stats.std))
    ci = stats.interval
    if stats.n > 1 and ci.low == ci.low:
        text += f" [{number(ci.low)}, {number(ci.high)}]"
    return text


def compare(a: Sequence[Record], b: Sequence[Record], names: tuple[str, str], console: Console) -> None:
    """Two variants metric by metric, within each task and data set both ran in (pass counted
    records): n, mean ± std with the metric's 95% interval, b − a with Welch's 95% interval,
    and whether the difference is within seed noise: the numbers posts and overviews show.

    Raises:
        JournalError: the two never ran on the same task and data set.
    """
    groups = compare_pair(a, b)
    for group, rows in groups.items():
        where = f" ({describe_group(group)})" if len(groups) > 1 else ""
        table = _table(f"{names[1]} against {names[0]}{where}",
                       ["metric", f"{names[0]}", "n", f"{names[1]}", "n", "difference",
                        "95% CI (Welch)", "verdict"])
        flagged: list[tuple[tuple[str, ...], tuple[str, ...]]] = []  # each side's, where they differ
        for row in rows:
            d = row.difference
            if d is None:  # a side is n/a or has no finished measurement: no difference
                diff = ci = verdict = row.missing or "—"
            else:
                # a narrow column folds a long caveat mid-word: a mark here, the words below
                verdict = _t(d.verdict) + (" †" if row.checkpoints_differ else "")
                if row.checkpoints_differ and row.checkpoints not in flagged:
                    flagged.append(row.checkpoints)
                diff = _t(d.diff, lambda x: f"{x:+.4f}")
                ci = "—" if d.low != d.low else _t(f"[{d.low:+.4f}, {d.high:+.4f}]")
            table.add_row(_t(row.metric, metric_label), _t(_summary(row.a)), str(row.a.n),
                          _t(_summary(row.b)), str(row.b.n), diff, ci, verdict)
        console.print(table)
        for at_a, at_b in flagged:
            console.print(rich_text(
                f"† measured at different checkpoints ({names[0]}: {', '.join(at_a)}; {names[1]}: "
                f"{', '.join(at_b)}), so the difference is not the variants' alone"))


def sweep_summary(
    sweep_id: str, rows: Sequence[Sequence[str]], totals: Mapping[str, int], console: Console
) -> None:
    """The end of a sweep: one row per point (status, wall time, records) and the totals."""
    table = _table(f"sweep {sweep_id}", ["point", "status", "wall time", "records"])
    for row in rows:
        table.add_row(*map(_t, row))
    console.print(table)
    console.print(_t(", ".join(f"{n} {status}" for status, n in totals.items())), highlight=False)
