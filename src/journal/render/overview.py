"""Experiment overview pages: every variant of an experiment across all days on one page.

Each overview has a sortable table (mean ± std over finished seeds of the key metrics, the
number of seeds, links to the dated posts the variant appears in), the best variant by the key
metric marked ★, the difference of each variant from a declared baseline with its Welch
interval, the experiment's reference numbers beside the best variant, a bar chart of the key
metric per variant with error bars, and the notes written about each variant.

An index page lists the experiments. Pages are plain Markdown plus SVG files, like posts; the
table is made sortable in the browser by the vendored ``tablesort`` script, which the page asks
for with an empty ``<div class="journal-overview">`` marker.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from .. import analysis as an
from ..declarations import Declaration
from ..escape import Markdown, md
from ..notes import Note
from ..records import Record
from . import charts
from . import sections as sec
from .i18n import t
from .posts import Problem, baseline_runs, raise_problem
from .tables import bold, escape, mean_std, metric_label, table

MARKER = '<div class="journal-overview" hidden></div>'
MAX_DAY_LINKS = 6


@dataclass
class Page:
    """A rendered page: its file name and charts, relative to the overview folder."""

    filename: str
    markdown: str
    title: str
    assets: dict[str, bytes] = field(default_factory=dict)


PostLinks = Mapping[tuple[str, date], str]
"""``(experiment, day)`` → the link from an overview page to that day's post."""


def _days_cell(experiment: str, days: Sequence[date], links: PostLinks) -> Markdown:
    cells = []
    for day in days[-MAX_DAY_LINKS:]:
        link = links.get((experiment, day))  # a relative path we built from slugs
        cells.append(Markdown(f"[{day.isoformat()}]({link})") if link else day.isoformat())
    more = len(days) - MAX_DAY_LINKS
    return Markdown(("… " if more > 0 else "") + Markdown(", ").join(cells))


def key_metric(records: Sequence[Record], declaration: Declaration) -> tuple[list[str], str]:
    """The columns an overview shows and the metric variants are ranked by."""
    columns = sec.summary_columns(an.ordered_keys(r.metrics for r in records))
    key = declaration.key_metric if declaration.key_metric else (columns[0] if columns else "")
    if key and key not in columns:
        columns = [key, *columns][:5]
    return columns, key


def render_overview(
    experiment: str,
    records: Sequence[Record],
    *,
    declaration: Declaration | None = None,
    notes: Sequence[Note] = (),
    post_links: PostLinks | None = None,
    stem: str | None = None,
) -> Page:
    """The overview page of one experiment from all of its records (``stem.md``)."""
    declaration = declaration or Declaration()
    links = post_links or {}
    stem = stem or sec.slugify(experiment)
    columns, key = key_metric(records, declaration)
    goal = declaration.goal_for(key) if key else "max"
    frame = an.variant_overview(records, columns)
    best = an.best_variant(frame, key, goal) if key else None
    variants = an.by_variant(records)
    baseline = baseline_runs(records, experiment, declaration)
    days = sorted({an.day_of(r) for r in records})

    parts = [f"# {escape(experiment)}\n", MARKER + "\n"]
    span = days[0].isoformat() + (f" to {days[-1].isoformat()}" if len(days) > 1 else "")
    intro = t("{n} runs of {m} variants on {d} {days} ({span}).", n=len(records), m=len(variants),
              d=len(days), days=t("day") if len(days) == 1 else t("days"), span=span)
    if key:
        word = t("lower") if goal == "min" else t("higher")
        intro += md(t(" Variants are ranked by test {metric} ({direction} is better)"),
                    metric=metric_label(key), direction=word)
        intro += md(t("; ★ marks the best, {name}."), name=best) if best else "."
    if baseline:
        intro += md(t(" The baseline is {name}."), name=baseline[0])
    parts.append(intro + t(" Click a column header to sort.") + "\n")

    differences = {}
    if baseline and key:
        differences = {after: d for _, after, d in
                       an.baseline_differences(variants, baseline[0], baseline[1], key)}
    rows = []
    for _, row in frame.iterrows():
        name = str(row["variant"])
        label = bold(f"★ {name}") if name == best else escape(name)
        if baseline and name == baseline[0]:
            label = Markdown(f"{label} {escape(t('(baseline)'))}")
        cells = [label, str(int(row["n"])), _days_cell(experiment, row["days"], links)]
        cells += [mean_std(row[f"{c} mean"], row[f"{c} std"]) for c in columns]
        if baseline and key:
            d = differences.get(name)
            if d is None:
                cells += ["—", "—"]
            else:
                ci = "" if d.low != d.low else f" [{d.low:+.4f}, {d.high:+.4f}]"
                cells += [Markdown(f"{d.diff:+.4f}{ci}"), t(d.verdict)]
        rows.append(cells)
    headers = [t("variant"), "n", t("days"), *[metric_label(c) for c in columns]]
    if baseline and key:
        headers += [t("Δ {metric} vs baseline [95% CI]", metric=metric_label(key)), t("verdict (Welch)")]
    parts.append(table(headers, rows, "lrl" + "r" * (len(headers) - 3)) + "\n")

    if declaration.references and best:
        parts.append(f"## {t('References')}\n")
        parts.append(md(t("The best variant, {name}, beside the declared references:"), name=best)
                     + "\n\n"
                     + sec.references_table(variants[best], columns, declaration.references) + "\n")

    assets: dict[str, bytes] = {}
    plotted = frame[frame[f"{key} mean"].notna()] if key else frame.iloc[0:0]
    if len(plotted):
        names = [str(v) for v in plotted["variant"]]
        title = t("{experiment}: test {metric} per variant (mean ± std over seeds)",
                  experiment=experiment, metric=metric_label(key))
        chart = f"{stem}/{sec.slugify(key)}-by-variant.svg"
        assets[chart] = charts.bar_chart(
            names, list(plotted[f"{key} mean"]), list(plotted[f"{key} std"]), title=title,
            ylabel=metric_label(key), highlight=names.index(best) if best in names else None,
            horizontal=True)
        parts.append(f"![{escape(title)}]({chart})\n")

    noted = [(name, [n for n in notes if n.matches_variant(experiment, name, None)])
             for name in variants]
    noted = [(name, found) for name, found in noted if found]
    if noted:
        parts.append(f"## {t('Notes')}\n")
        parts += [sec.note_blocks(found, name) + "\n" for name, found in noted]
    return Page(f"{stem}.md", "\n".join(parts), experiment, assets)


def experiment_stems(experiments: Sequence[str]) -> dict[str, str]:
    """A distinct file stem per experiment name (never ``index``, the index page's)."""
    return sec.unique_slugs(experiments)


def render_index(
    records: Sequence[Record], declarations: Mapping[str, Declaration] | None = None
) -> Page:
    """The list of experiments, each with its runs, variants, days, last run and best variant."""
    declarations = declarations or {}
    stems = experiment_stems(sorted({r.experiment for r in records}))
    groups: dict[str, list[Record]] = {}
    for rec in records:
        groups.setdefault(rec.experiment, []).append(rec)
    rows = []
    for experiment in sorted(groups):
        recs = groups[experiment]
        declaration = declarations.get(experiment) or Declaration()
        columns, key = key_metric(recs, declaration)
        frame = an.variant_overview(recs, columns)
        best = an.best_variant(frame, key, declaration.goal_for(key)) if key else None
        best_cell = "—"
        if best:
            row = frame.set_index("variant").loc[best]
            best_cell = md("{name}: {metric} {value}", name=best, metric=metric_label(key),
                           value=mean_std(row[f"{key} mean"], row[f"{key} std"]))
        last = max(r.started_at for r in recs)
        rows.append([Markdown(f"[{escape(experiment)}]({stems[experiment]}.md)"), str(len(recs)),
                     str(len(frame)), str(len({an.day_of(r) for r in recs})),
                     f"{last:%Y-%m-%d}", best_cell])
    headers = [t("experiment"), t("runs"), t("variants"), t("days"), t("last run"),
               t("best variant (test)")]
    body = table(headers, rows, "lrrrll") if rows else t("*No runs yet.*")
    text = (f"# {t('Experiments')}\n\n{MARKER}\n\n"
            f"{t('Every experiment of the journal, with its best variant.')}\n\n{body}\n")
    return Page("index.md", text, t("Overview"))


def render_overviews(
    records: Sequence[Record],
    *,
    declarations: Mapping[str, Declaration] | None = None,
    notes: Sequence[Note] = (),
    post_links: PostLinks | None = None,
    on_problem: Problem | None = None,
) -> list[Page]:
    """The index page and one overview per experiment. An overview that fails to render is
    passed to ``on_problem`` (see :func:`~journal.render.posts.build_posts`) and left out."""
    declarations = declarations or {}
    report = on_problem or raise_problem
    pages = []
    try:
        pages.append(render_index(records, declarations))
    except Exception as exc:
        report("the experiments index", records, exc)
    with charts.deferred() as pending:
        for experiment, stem in experiment_stems(sorted({r.experiment for r in records})).items():
            mine = [r for r in records if r.experiment == experiment]
            try:
                pages.append(render_overview(experiment, mine, declaration=declarations.get(experiment),
                                             notes=notes, post_links=post_links, stem=stem))
            except Exception as exc:  # one bad record costs its overview, never the site
                report(f"overview of {experiment}", mine, exc)
    drawn = charts.resolve(pending)
    for page in pages:
        page.assets = {rel: charts.fill(svg, drawn) for rel, svg in page.assets.items()}
        broken = [rel for rel, svg in page.assets.items() if charts.failed(svg)]
        if broken:
            report(f"chart {broken[0]} of the overview {page.filename}",
                   [r for r in records if r.experiment == page.title], None)
    return pages

