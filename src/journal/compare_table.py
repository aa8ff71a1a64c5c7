"""Two variants side by side as Markdown: ``journal compare A B --md`` for a pull request.

The numbers are those of ``journal compare`` in the terminal and of the posts
(:func:`journal.comparisons.compare_pair` over counted records): per task and data set both ran,
per metric both measured, n and mean ± std with the metric's 95% interval, b − a with Welch's
95% interval, and whether the difference is within seed noise.
"""

from __future__ import annotations

from collections.abc import Sequence

from .comparisons import compare_pair, describe_group
from .records import Record
from .render.tables import mean_std, number
from .summary import SeedSummary
from .table_formats import Table, gfm_cell, render_table

HEADERS = ("metric", "{a}", "n", "{b}", "n", "difference", "95% CI (Welch)", "verdict")


def summary_text(stats: SeedSummary) -> str:
    """``mean ± std [low, high]`` as posts print it; ``—`` not measured (by a finished run),
    ``n/a`` unresolvable."""
    if not stats.measured:
        return "—"
    if stats.unresolved is not None:
        return "n/a"
    if stats.n == 0:  # only an unfinished run measured it: nothing to average, not a NaN seed
        return "—"
    text = mean_std(stats.mean, stats.std).replace("\u00a0", " ")
    ci = stats.interval
    if stats.n > 1 and ci.low == ci.low:
        text += f" [{number(ci.low)}, {number(ci.high)}]"
    return text


def comparison_tables(a: Sequence[Record], b: Sequence[Record],
                      names: tuple[str, str]) -> list[tuple[str, Table]]:
    """Per task and data set both variants ran in: a title and the table of metrics.

    Raises:
        JournalError: the two never ran on the same task and data set.
    """
    groups = compare_pair(a, b)
    out = []
    for group, rows in groups.items():
        where = f" ({describe_group(group)})" if len(groups) > 1 else ""
        cells = []
        for row in rows:
            d = row.difference
            if d is None:  # a side is n/a or has no finished measurement: no difference
                diff = ci = verdict = row.missing or "—"
            else:
                diff, verdict = f"{d.diff:+.4f}", row.verdict
                ci = "—" if d.low != d.low else f"[{d.low:+.4f}, {d.high:+.4f}]"
            cells.append([row.metric, summary_text(row.a), str(row.a.n), summary_text(row.b),
                          str(row.b.n), diff, ci, verdict])
        headers = [h.format(a=names[0], b=names[1]) for h in HEADERS]
        numeric = [False, False, True, False, True, True, False, False]
        out.append((f"{names[1]} against {names[0]}{where}", Table(headers, cells, numeric)))
    return out


def comparison_markdown(a: Sequence[Record], b: Sequence[Record], names: tuple[str, str]) -> str:
    """:func:`comparison_tables` as GitHub-flavoured Markdown: each title in bold, then its
    table; every cell escaped (:func:`journal.runs_table.gfm_cell`)."""
    parts = [f"**{gfm_cell(title)}**\n\n{render_table(table, 'md')}"
             for title, table in comparison_tables(a, b, names)]
    return "\n".join(parts)
