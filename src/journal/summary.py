"""A summary of a results folder for a CI job: per experiment, its variants' mean ± std.

``journal summary --md >> "$GITHUB_STEP_SUMMARY"`` puts it on a workflow run's page, so a pull
request shows the results of its tiny runs as tables. Means and standard deviations (ddof = 1)
are over each variant's *finished* runs, as in the posts; a NaN in a finished run makes its
mean ``nan``, so a diverged seed shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .analysis import ordered_keys
from .records import load_records
from .runs_table import cell, gfm_cell, markdown, select, text_value


def summary_frames(results_dir: str | Path, *, columns: Sequence[str] | None = None,
                   experiment: str | None = None) -> tuple[dict[str, pd.DataFrame], int]:
    """Per experiment, a table of its variants: run count, finished runs, and the mean ± std
    (text) of each final metric (or of ``columns``) over the finished runs; and the number of
    record files that could not be read."""
    records, errors = load_records(results_dir)
    records = select(records, experiment=experiment)
    tables: dict[str, pd.DataFrame] = {}
    for name in dict.fromkeys(r.experiment for r in records):
        recs = [r for r in records if r.experiment == name]
        metric_cols = list(columns) if columns else ordered_keys(r.metrics for r in recs)
        rows = []
        for variant in dict.fromkeys(r.variant for r in recs):
            group = [r for r in recs if r.variant == variant]
            done = [r for r in group if r.status == "finished"]
            row: dict[str, Any] = {"variant": variant, "runs": len(group), "finished": len(done)}
            for col in metric_cols:
                row[col] = _mean_std([cell(r, col) for r in done])
            rows.append(row)
        tables[name] = pd.DataFrame(rows, columns=["variant", "runs", "finished", *metric_cols])
    return tables, len(errors)


def summary(results_dir: str | Path, *, columns: Sequence[str] | None = None,
            experiment: str | None = None) -> str:
    """The Markdown summary for a CI job (``$GITHUB_STEP_SUMMARY``): a heading and a table of
    variants per experiment (see :func:`summary_frames`)."""
    tables, bad = summary_frames(results_dir, columns=columns, experiment=experiment)
    parts = [f"### {gfm_cell(name)}\n\n{markdown(table)}" for name, table in tables.items()]
    if bad:
        parts.append(f"{bad} record file(s) could not be read.\n")
    return "\n".join(parts) if parts else "No runs.\n"


def _mean_std(values: list[Any]) -> str:
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers:
        return "—"
    mean = sum(numbers) / len(numbers)
    if len(numbers) == 1:
        return text_value(mean)
    var = sum((x - mean) ** 2 for x in numbers) / (len(numbers) - 1)
    return f"{text_value(mean)} ± {text_value(math.sqrt(var))}"
