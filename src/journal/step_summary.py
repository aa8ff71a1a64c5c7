"""A summary of a results folder for a CI job: per experiment, its variants' mean ± std.

``journal summary --md >> "$GITHUB_STEP_SUMMARY"`` puts it on a workflow run's page, so a pull
request shows the results of its tiny runs as tables. The numbers are the posts' numbers
(:func:`journal.summary.seed_summary`): ``runs`` counts every record of a variant, ``finished``
counts its distinct finished seeds (a re-run seed counts once, :func:`journal.identity.resolve`;
retired runs are left out), and mean ± std (ddof = 1) is over those. A NaN in a finished run
makes the cell ``nan``, so a diverged seed shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .analysis import ordered_keys
from .identity import load_retirements, resolve
from .records import Record, load_records
from .runs_table import gfm_cell, markdown, select, text_value
from .summary import seed_summary


def summary_frames(results_dir: str | Path, *, columns: Sequence[str] | None = None,
                   experiment: str | None = None) -> tuple[dict[str, pd.DataFrame], int]:
    """Per experiment, a table of its variants: run count, distinct finished seeds, and the
    mean ± std (text) of each final metric (or of ``columns``); and the number of record
    files (and retirement files) that could not be read."""
    records, errors = load_records(results_dir)
    retirements, bad_retirements = load_retirements(results_dir)
    counted = {r.id for r in resolve(records, retirements).counted}
    records = select(records, experiment=experiment)
    tables: dict[str, pd.DataFrame] = {}
    for name in dict.fromkeys(r.experiment for r in records):
        recs = [r for r in records if r.experiment == name]
        metric_cols = list(columns) if columns else ordered_keys(r.metrics for r in recs)
        rows = []
        for variant in dict.fromkeys(r.variant for r in recs):
            group = [r for r in recs if r.variant == variant]
            done = [r for r in group if r.status == "finished" and r.id in counted]
            row: dict[str, Any] = {"variant": variant, "runs": len(group), "finished": len(done)}
            for col in metric_cols:
                row[col] = _mean_std(done, col)
            rows.append(row)
        tables[name] = pd.DataFrame(rows, columns=["variant", "runs", "finished", *metric_cols])
    return tables, len(errors) + len(bad_retirements)


def summary(results_dir: str | Path, *, columns: Sequence[str] | None = None,
            experiment: str | None = None) -> str:
    """The Markdown summary for a CI job (``$GITHUB_STEP_SUMMARY``): a heading and a table of
    variants per experiment (see :func:`summary_frames`)."""
    tables, bad = summary_frames(results_dir, columns=columns, experiment=experiment)
    parts = [f"### {gfm_cell(name)}\n\n{markdown(table)}" for name, table in tables.items()]
    if bad:
        parts.append(f"{bad} record file(s) could not be read.\n")
    return "\n".join(parts) if parts else "No runs.\n"


def _mean_std(records: list[Record], metric: str) -> str:
    stats = seed_summary(records, metric)
    if not stats.measured:
        return "—"
    if stats.n == 1 or stats.mean != stats.mean:  # one seed, or NaN (a diverged seed)
        return text_value(stats.mean)
    return f"{text_value(stats.mean)} ± {text_value(stats.std)}"
