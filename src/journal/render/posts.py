"""A dated post per experiment per day, in Markdown with SVG charts, from records alone.

A post reads like the researchers' notes: a summary above the fold, then the hyperparameters of
every variant (the keys that differ between variants first and in bold), and per variant its
results per seed with a mean ± std row, the checkpoint selections, extra evaluations, the
confusion matrix (counts and row-normalised %), charts, the runs and their notes.

``write_posts`` writes a post as ``<day>-<experiment>.md`` plus a folder of charts beside it;
it needs no site generator (``journal render --out DIR``), and the MkDocs plugin feeds the same
files to the Material blog.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import yaml

from .. import analysis as an
from ..records import Record
from . import charts
from .tables import bold, code, config_value, escape, mean_std, number, table

# ACER and HTER coincide on a single protocol, so the summary shows ACER with its two halves.
SUMMARY_PREFERENCE = ("acer", "apcer", "bpcer", "acc", "accuracy", "auc", "map", "f1", "mae")


@dataclass
class Post:
    """A rendered post: its Markdown and its chart files, named relative to the post's folder."""

    experiment: str
    day: date
    slug: str
    filename: str
    markdown: str
    assets: dict[str, bytes] = field(default_factory=dict)
    run_ids: list[str] = field(default_factory=list)


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by ``-`` (never empty, never a path)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80] or "x"


def _utc(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def _front_matter(experiment: str, records: Sequence[Record], slug: str) -> str:
    created = min(r.started_at for r in records)
    updated = max(r.ended_at or r.updated_at for r in records)
    rest = yaml.safe_dump(
        {"slug": slug, "categories": [experiment]}, allow_unicode=True, sort_keys=False
    )
    # Material wants an unquoted UTC timestamp with seconds, so the date is written by hand.
    return f"---\ndate:\n  created: {_utc(created)}\n  updated: {_utc(updated)}\n{rest}---\n"


def _summary_columns(columns: Sequence[str]) -> list[str]:
    preferred = [c for c in SUMMARY_PREFERENCE if c in columns]
    return (preferred or list(columns))[:4]


def _stats_row(label: str, stats: pd.DataFrame, columns: Sequence[str]) -> list[str]:
    return [bold(escape(label)), ""] + [
        bold(mean_std(stats.at["mean", c], stats.at["std", c])) for c in columns
    ]


def _results_table(records: Sequence[Record], columns: Sequence[str]) -> str:
    frame = an.metrics_frame(records, columns)
    stats = an.seed_stats(frame)
    rows = [
        [escape(run), escape(row["status"])] + [number(row[c]) for c in columns]
        for run, row in frame.iterrows()
    ]
    n = stats.attrs["n"]
    rows.append(_stats_row(f"mean ± std (n={n})", stats, columns))
    return table(["run", "status", *columns], rows, "ll" + "r" * len(columns))


def _selections_table(records: Sequence[Record], columns: Sequence[str]) -> str:
    tested = {k for r in records for sel in r.selections.values() for k in sel.test}
    columns = [c for c in columns if c in tested]
    stats = an.selection_stats(records, columns)
    if stats.empty:
        return ""
    frame = an.selections_frame([r for r in records if r.status == "finished"], columns)
    epochs = frame.groupby("selection", sort=False)["epoch"].apply(
        lambda e: ", ".join(str(int(x)) for x in e)
    )
    chosen = frame.groupby("selection", sort=False)["chosen on"].first()
    rows = []
    for _, row in stats.iterrows():
        name = row["selection"]
        rows.append(
            [escape(name), escape(chosen[name]), escape(epochs[name]), str(int(row["n"]))]
            + [mean_std(row[f"{c} mean"], row[f"{c} std"]) for c in columns]
        )
    headers = ["checkpoint", "chosen on (val)", "epoch per seed", "n", *[f"test {c}" for c in columns]]
    return table(headers, rows, "llll" + "r" * len(columns))


def _evaluations_table(records: Sequence[Record], columns: Sequence[str]) -> str:
    measured = {k for r in records for values in r.evaluations.values() for k in values}
    columns = [c for c in columns if c in measured]
    frame = an.evaluations_frame(records, columns)
    if frame.empty:
        return ""
    rows = [
        [escape(row["evaluation"]), str(int(row["n"]))]
        + [mean_std(row[f"{c} mean"], row[f"{c} std"]) for c in columns]
        for _, row in frame.iterrows()
    ]
    return table(["evaluation", "n", *columns], rows)


def _confusion_tables(rec: Record) -> str:
    conf = rec.confusion
    if conf is None:
        return ""
    labels = [escape(lab) for lab in conf.labels]
    counts, percent = [], []
    for i, (row, pct) in enumerate(zip(conf.matrix, an.row_normalised(conf.matrix), strict=True)):
        counts.append([bold(labels[i])] + [bold(str(v)) if i == j else str(v) for j, v in enumerate(row)])
        cells = ["nan" if p != p else f"{p:.1f}%" for p in pct]
        percent.append([bold(labels[i])] + [bold(c) if i == j else c for j, c in enumerate(cells)])
    head = ["true \\ predicted", *conf.labels]
    where = f"{escape(conf.split)} split, checkpoint {escape(conf.checkpoint)}"
    return (
        f"Counts ({where}; rows are the true class):\n\n{table(head, counts)}\n\n"
        f"Row-normalised (% of each true class):\n\n{table(head, percent)}"
    )


def _tabs(items: Sequence[tuple[str, str]]) -> str:
    if len(items) == 1:
        return items[0][1]
    out = []
    for title, body in items:
        indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
        out.append(f'=== "{title}"\n\n{indented}')
    return "\n\n".join(out)


def _charts(records: Sequence[Record], variant: str, stem: str, key: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    logged = an.history_keys(records)
    train = [k for k in logged if k.endswith("loss") and not k.startswith("val")]
    val = [k for k in logged if k.endswith("loss") and k.startswith("val")]
    if train or val:
        solid = an.history_series(records, (train or val)[0])
        dashed = an.history_series(records, val[0]) if train and val else []
        title = f"{variant}: {(train or val)[0]}" + (f" (solid), {val[0]} (dashed)" if dashed else "")
        files[f"{stem}/{key}-loss.svg"] = charts.line_chart(
            solid, dashed=dashed, title=title, ylabel="loss"
        )
    for name, sel in _first_selection(records):
        series = an.history_series(records, sel)
        if series:
            files[f"{stem}/{key}-{slugify(name)}.svg"] = charts.line_chart(
                series, marks=an.selection_marks(records, name), title=f"{variant}: {sel} per epoch",
                ylabel=sel, mark_label=f"{name} (chosen epoch)",
            )
    return files


def _first_selection(records: Sequence[Record]) -> list[tuple[str, str]]:
    for rec in records:
        for name, sel in rec.selections.items():
            if sel.mode != "last":
                return [(name, sel.metric)]
    return []


def _runs_table(records: Sequence[Record]) -> str:
    rows = []
    for r in records:
        env = r.environment
        commit = (env.git_commit or "")[:8] if env else ""
        if env and env.git_dirty:
            commit += " (dirty)"
        rows.append([
            code(r.id), escape(r.seed if r.seed is not None else "—"), escape(r.status),
            f"{an.duration_seconds(r):.0f} s", escape(env.device if env and env.device else "—"),
            escape(commit or "—"),
        ])
    return table(["run id", "seed", "status", "wall time", "device", "commit"], rows, "llllll")


def _notes(records: Sequence[Record]) -> str:
    out = []
    for r in records:
        if r.note:
            body = r.note.replace("<script", "&lt;script").replace("</script", "&lt;/script")
            indented = "\n".join("    " + line for line in body.splitlines())
            out.append(f'!!! note "{escape(an.seed_label(r))}"\n\n{indented}')
        if r.status == "failed" and r.error:
            tail = "\n".join(r.error.splitlines()[-12:])
            code = "\n".join("    " + line for line in ["```text", *tail.splitlines(), "```"])
            out.append(f'??? failure "{escape(an.seed_label(r))} failed"\n\n{code}')
    return "\n\n".join(out)


def _hyperparameters(variants: dict[str, list[Record]]) -> tuple[str, list[str]]:
    """The keys that differ between variants as a table; the shared ones folded below it."""
    configs = {name: an.variant_config(recs) for name, recs in variants.items()}
    differ = an.differing_config_keys(configs)
    same = [k for k in an.ordered_keys(configs.values()) if k not in differ]
    parts = []
    if differ:
        rows = [[bold(escape(k))] + [escape(config_value(c.get(k, "—"))) for c in configs.values()]
                for k in differ]
        parts.append(table(["hyperparameter", *configs], rows, "l" * (len(configs) + 1)))
    if same:
        first = next(iter(configs.values()))
        rows = [[escape(k), escape(config_value(first[k]))] for k in same]
        shared = table(["hyperparameter", "value"], rows, "ll")
        title = "Shared by every variant" if len(configs) > 1 else "Hyperparameters"
        fold = "???+" if not differ else "???"
        parts.append(f'{fold} info "{title} ({len(same)})"\n\n' + "\n".join(
            "    " + line for line in shared.splitlines()))
    return "\n\n".join(parts), differ


def render_post(experiment: str, day: date, records: Sequence[Record], slug: str) -> Post:
    """The post of ``experiment`` on ``day`` from its ``records``."""
    stem = f"{day.isoformat()}-{slugify(experiment)}"
    variants = an.by_variant(records)
    columns = an.ordered_keys(r.metrics for r in records)
    key_cols = _summary_columns(columns)
    title = f"{experiment}: " + " · ".join(variants)
    statuses = sorted({r.status for r in records})
    datasets = {r.dataset.name: r.dataset for r in records if r.dataset}
    data_text = "; ".join(
        f"{escape(d.name)} ({' · '.join(f'{k} {v}' for k, v in d.sizes.items())})"
        for d in datasets.values()
    )
    seeds = {len(v) for v in variants.values()}
    parts = [
        _front_matter(experiment, records, slug),
        f"# {escape(title)}\n",
        f"{len(records)} runs of {len(variants)} variant{'s' * (len(variants) != 1)}"
        f" ({'/'.join(map(str, sorted(seeds)))} per variant)"
        + (f" on {data_text}" if data_text else "")
        + f"; status: {', '.join(statuses)}.\n",
    ]
    summary_rows = []
    for name, recs in variants.items():
        stats = an.seed_stats(an.metrics_frame(recs, key_cols))
        summary_rows.append([escape(name), str(stats.attrs["n"])] + [
            mean_std(stats.at["mean", c], stats.at["std", c]) for c in key_cols
        ])
    if key_cols:
        parts.append(table(["variant", "n", *[f"{c} (test)" for c in key_cols]], summary_rows) + "\n")
    parts.append("<!-- more -->\n")
    hyper, differ = _hyperparameters(variants)
    parts.append("## Hyperparameters\n")
    if differ:
        parts.append(f"What differs between the variants: {', '.join(code(k) for k in differ)}.\n")
    parts.append(hyper + "\n")
    assets: dict[str, bytes] = {}
    used: set[str] = set()
    for name, recs in variants.items():
        key = slugify(name)
        while key in used:
            key += "-x"
        used.add(key)
        rec_cols = an.ordered_keys(r.metrics for r in recs)
        parts.append(f"## {escape(name)}\n")
        parts.append(f"Final metrics on test, one row per seed:\n\n{_results_table(recs, rec_cols)}\n")
        sel = _selections_table(recs, _summary_columns(rec_cols))
        if sel:
            parts.append(f"### Checkpoint selections\n\nTest metrics of the checkpoint each rule "
                         f"chooses on validation, mean ± std over seeds:\n\n{sel}\n")
        evals = _evaluations_table(recs, _summary_columns(rec_cols))
        if evals:
            parts.append(f"### Extra evaluations\n\n{evals}\n")
        with_cm = [r for r in recs if r.confusion is not None]
        if with_cm:
            parts.append("### Confusion matrix\n\n" + _tabs(
                [(an.seed_label(r), _confusion_tables(r)) for r in with_cm]) + "\n")
        chart_files = _charts(recs, name, stem, key)
        if chart_files:
            parts.append("### Charts\n")
            for rel in chart_files:
                parts.append(f"![{escape(name)}: {rel.rsplit('/', 1)[-1][:-4]}]({rel})\n")
        assets.update(chart_files)
        parts.append(f"### Runs\n\n{_runs_table(recs)}\n")
        notes = _notes(recs)
        if notes:
            parts.append(notes + "\n")
    return Post(experiment, day, slug, f"{stem}.md", "\n".join(parts), assets,
                [r.id for r in records])


def build_posts(records: Iterable[Record]) -> list[Post]:
    """Every post, oldest first, with unique slugs."""
    posts, slugs = [], set()
    for (experiment, day), recs in an.group_by_post(records).items():
        slug = f"{slugify(experiment)}-{day.isoformat()}"
        while slug in slugs:
            slug += "-x"
        slugs.add(slug)
        posts.append(render_post(experiment, day, recs, slug))
    return posts


def write_posts(posts: Iterable[Post], out_dir: str | Path) -> list[Path]:
    """Write posts and their charts below ``out_dir``; unchanged files are not touched."""
    out = Path(out_dir)
    written = []
    for post in posts:
        files: dict[str, bytes] = {post.filename: post.markdown.encode("utf-8"), **post.assets}
        for rel, content in files.items():
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != content:
                path.write_bytes(content)
            written.append(path)
    return written
