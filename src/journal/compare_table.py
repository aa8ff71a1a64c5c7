"""Two variants side by side as a table: ``journal compare A B --md`` for a pull request.

The numbers are those of ``journal compare`` in the terminal (:func:`journal.terminal.compare`):
per metric both runs have, mean ± std over finished seeds, b − a with Welch's 95% interval, and
whether the difference is within seed noise.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from . import analysis as an
from .records import Record
from .render.tables import mean_std
from .runs_table import gfm_cell, markdown
from .statistics import welch


def comparison_frame(a: Sequence[Record], b: Sequence[Record], names: tuple[str, str]) -> pd.DataFrame:
    """One row per metric both variants measured: each one's mean ± std (text), the difference
    b − a, its 95% interval (Welch) and the verdict."""
    columns = [c for c in an.ordered_keys(r.metrics for r in [*a, *b])
               if any(c in r.metrics for r in a) and any(c in r.metrics for r in b)]
    stats_a, stats_b = (an.seed_stats(an.metrics_frame(list(x), columns)) for x in (a, b))
    rows = []
    for c in columns:
        d = welch(an.finished_values(a, c), an.finished_values(b, c))
        ci = "—" if d.low != d.low else f"[{d.low:+.4f}, {d.high:+.4f}]"
        spread = [mean_std(s.at["mean", c], s.at["std", c]).replace("\u00a0", " ")
                  for s in (stats_a, stats_b)]
        rows.append([c, *spread, f"{d.diff:+.4f}", ci, d.verdict])
    headers = ["metric", f"{names[0]} (n={stats_a.attrs['n']})", f"{names[1]} (n={stats_b.attrs['n']})",
               "difference", "95% CI (Welch)", "verdict"]
    return pd.DataFrame(rows, columns=headers, dtype=object)


def comparison_markdown(a: Sequence[Record], b: Sequence[Record], names: tuple[str, str]) -> str:
    """:func:`comparison_frame` as a GitHub-flavoured Markdown table under a one-line title,
    every cell escaped (:func:`journal.runs_table.gfm_cell`)."""
    title = f"**{gfm_cell(names[1])}** against **{gfm_cell(names[0])}**"
    return f"{title}\n\n{markdown(comparison_frame(a, b, names))}"
