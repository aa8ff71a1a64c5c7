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

import yaml

from .. import analysis as an
from .. import comparisons
from ..comparisons import Ranking, Row
from ..declarations import Declaration, declaration_for
from ..escape import Markdown, front_matter_text, md
from ..notes import Note
from ..records import Record
from . import charts
from . import sections as sec
from .display import Display, display_of, percent_logged
from .i18n import t
from .posts import Problem, raise_problem
from .tables import bold, escape, group_title, metric_label, table

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


def _ranking_table(
    experiment: str, ranking: Ranking, records: Sequence[Record], columns: Sequence[str],
    links: PostLinks, declaration: Declaration,
) -> str:
    """The variants of one group sorted by the key metric: rank, ★, role (when any variant has
    one), n, the key metric with its interval, the other summary metrics, and the days each
    variant ran (linked). Numbers print as in posts (:mod:`.display`)."""
    variants = an.by_variant([r for r in records if comparisons.group_of(r) == ranking.group])
    key = ranking.metric
    others = [c for c in columns if c != key]
    shown = {m: display_of(m, declaration) for m in [key, *others]}
    with_roles = any(row.role != "candidate" for row in ranking.rows)
    rows = []
    for row in ranking.rows:
        recs = variants.get(row.variant, [])
        name = bold(f"★ {row.variant}") if row.variant == ranking.verdict.winner else escape(row.variant)
        cells = [str(row.rank) if row.rank is not None else "—", name]
        if with_roles:
            cells.append("" if row.role == "candidate" else t(row.role))
        cells += [str(row.n), _summary_cell(an.seed_summary(recs, key), shown[key])]
        cells += [_summary_cell(an.seed_summary(recs, c), shown[c]) for c in others]
        cells.append(_days_cell(experiment, sorted({an.day_of(r) for r in recs}), links))
        rows.append(cells)
    headers = ["#", t("variant"), *([t("role")] if with_roles else []), "n",
               t("{metric} (test) [95% CI]", metric=shown[key].label),
               *[shown[c].label for c in others], t("days")]
    return table(headers, rows, "rl" + ("l" if with_roles else "") + "r" * (len(others) + 2) + "l")


def _summary_cell(summary: an.SeedSummary, shown: Display) -> Markdown:
    """``mean ± std [low, high]``; ``—`` when not measured; ``n/a`` when unresolvable."""
    if not summary.measured:
        return Markdown("—")
    if summary.unresolved is not None:
        return Markdown("n/a")
    if summary.n == 0:  # only an unfinished run measured it: nothing to average, not a NaN seed
        return Markdown("—")
    cell = shown.mean_std(summary.mean, summary.std)
    ci = summary.interval
    if summary.n > 1 and ci.low == ci.low:
        cell = Markdown(f"{cell} {shown.interval(ci.low, ci.high)}")
    return cell


def render_overview(
    experiment: str,
    records: Sequence[Record],
    *,
    declaration: Declaration | None = None,
    notes: Sequence[Note] = (),
    post_links: PostLinks | None = None,
    stem: str | None = None,
    rankings: Sequence[Ranking] | None = None,
    excluded: Sequence[tuple[Record, str]] = (),
) -> Page:
    """The overview page of one experiment from its counted records (``stem.md``): a ranking per
    task and data set (:func:`journal.comparisons.plan`), its verdict, each variant's
    comparison, references, a chart of the key metric and the notes on each variant."""
    with percent_logged(an.percent_logged(records)):
        return _render_overview(experiment, records, declaration or Declaration(), notes,
                                post_links, stem, rankings, excluded)


def _render_overview(experiment: str, records: Sequence[Record], declaration: Declaration,
                     notes: Sequence[Note], post_links: PostLinks | None, stem: str | None,
                     rankings: Sequence[Ranking] | None,
                     excluded: Sequence[tuple[Record, str]]) -> Page:
    links = post_links or {}
    stem = stem or sec.slugify(experiment)
    if rankings is None:
        rankings = comparisons.plan(records, declaration)
    columns, _ = key_metric(records, declaration)
    variants = an.by_variant(records)
    days = sorted({an.day_of(r) for r in records})

    # MkDocs would take the title from the heading, unescaped: the front matter names it escaped
    title = yaml.safe_dump({"title": front_matter_text(experiment)}, allow_unicode=True, width=10_000)
    parts = [f"---\n{title}---\n\n# {escape(experiment)}\n", MARKER + "\n"]
    span = days[0].isoformat() + (f" to {days[-1].isoformat()}" if len(days) > 1 else "") if days else ""
    intro = t("{n} runs of {m} variants on {d} {days} ({span}).", n=len(records), m=len(variants),
              d=len(days), days=t("day") if len(days) == 1 else t("days"), span=span)
    if excluded:
        intro += " " + t("{k} more runs are not counted (superseded or retired; see the posts).",
                         k=len(excluded))
    parts.append(intro + " " + t("Only candidates are ranked; a ★ needs 2 seeds or more and a lead "
                                 "beyond seed noise.") + "\n")

    assets: dict[str, bytes] = {}
    for ranking in rankings:
        title = group_title(ranking.group) if len(rankings) > 1 else ""
        if title:
            parts.append(f"## {escape(title)}\n")
        word = t("lower") if ranking.goal == "min" else t("higher")
        named = ranking.metric.lower().startswith("test_")  # `test_acer`: not "test test_acer"
        parts.append(md(t("Ranked by {metric} ({direction} is better).") if named
                        else t("Ranked by test {metric} ({direction} is better)."),
                        metric=metric_label(ranking.metric), direction=word)
                     + " " + sec.verdict_text(ranking, declaration) + "\n")
        parts.append(_ranking_table(experiment, ranking, records, columns, links, declaration) + "\n")
        if ranking.comparisons:
            parts.append(sec.comparisons_table(ranking.comparisons, declaration) + "\n")
        measured = [row for row in ranking.rows if row.mean == row.mean]
        plotted = _charted(measured, declaration)
        if plotted:
            names = [row.variant for row in plotted]
            recs = {n: variants.get(n, []) for n in names}
            stats = [an.seed_summary(recs[n], ranking.metric) for n in names]
            whose = " · ".join([experiment, title]) if title else experiment
            chart_title = (t("{experiment}: test {metric} per variant (mean ± std over seeds)",
                             experiment=whose, metric=metric_label(ranking.metric))
                           if len(plotted) == len(measured) else
                           t("{experiment}: test {metric}, the best {k} variants (mean ± std over "
                             "seeds)", experiment=whose, metric=metric_label(ranking.metric),
                             k=len(plotted)))
            group = sec.slugify(title) + "-" if title else ""
            chart = f"{stem}/{group}{sec.slugify(ranking.metric)}-by-variant.svg"
            winner = ranking.verdict.winner
            assets[chart] = charts.bar_chart(
                names, [s.mean for s in stats], [s.std for s in stats], title=chart_title,
                ylabel=metric_label(ranking.metric),
                highlight=names.index(winner) if winner in names else None, horizontal=True)
            parts.append(f"![{escape(chart_title)}]({chart})\n")

    best = next((r.verdict.winner or r.verdict.best for r in rankings if r.verdict.best), None)
    if declaration.references and best in variants:
        parts.append(f"## {t('References')}\n")
        parts.append(md(t("The best variant, {name}, beside the declared references:"), name=best)
                     + "\n\n"
                     + sec.references_table(variants[best], columns, declaration.references) + "\n")

    noted = [(name, [n for n in notes if n.matches_variant(experiment, name, None)])
             for name in variants]
    noted = [(name, found) for name, found in noted if found]
    if noted:
        parts.append(f"## {t('Notes')}\n")
        parts += [sec.note_blocks(found, name) + "\n" for name, found in noted]
    return Page(f"{stem}.md", "\n".join(parts), experiment, assets)


CHART_BARS = 20
"""The most bars an overview's chart draws (the table above it lists every variant): a chart of
a hundred variants is taller than a phone's screen many times over, and redrawn by each run."""


def _charted(rows: Sequence[Row], declaration: Declaration) -> list[Row]:
    """``rows`` (in ranking order) that the overview's chart draws: all of them when they fit,
    else the best candidates, with the declared baseline and every reference or bound however
    they rank, :data:`CHART_BARS` bars in all."""
    if len(rows) <= CHART_BARS:
        return list(rows)
    always = {row.variant for row in rows
              if row.role != "candidate" or declaration.is_baseline(row.variant)}
    others = [row.variant for row in rows if row.variant not in always]
    kept = always | set(others[:max(CHART_BARS - len(always), 1)])
    return [row for row in rows if row.variant in kept]


def experiment_stems(experiments: Sequence[str]) -> dict[str, str]:
    """A distinct file stem per experiment name (never ``index``, the index page's)."""
    return sec.unique_slugs(experiments)


def render_index(
    records: Sequence[Record], declarations: Mapping[str, Declaration] | None = None,
    plans: Mapping[str, Sequence[Ranking]] | None = None,
) -> Page:
    """The list of experiments, each with its runs, variants, days, last run and best variant
    (``plans``: each experiment's :func:`journal.comparisons.plan`, where known already)."""
    declarations = declarations or {}
    plans = plans or {}
    stems = experiment_stems(sorted({r.experiment for r in records}))
    groups: dict[str, list[Record]] = {}
    for rec in records:
        groups.setdefault(rec.experiment, []).append(rec)
    rows = []
    for experiment in sorted(groups):
        recs = groups[experiment]
        declaration = declaration_for(experiment, declarations)
        rankings = plans.get(experiment)
        if rankings is None:
            rankings = comparisons.plan(recs, declaration)
        best_cell: str = "—"
        if rankings:
            first = rankings[0]
            winner = first.verdict.winner
            if winner is not None:
                summary = an.seed_summary([r for r in recs if r.variant == winner
                                           and comparisons.group_of(r) == first.group], first.metric)
                with percent_logged(an.percent_logged(recs)):
                    shown = display_of(first.metric, declaration)
                best_cell = md("★ {name}: {metric} {value}{unit}", name=winner,
                               metric=metric_label(first.metric),
                               value=shown.mean_std(summary.mean, summary.std),
                               unit="\u00a0%" if shown.percent else "")
            else:
                best_cell = t("no clear winner")
        last = max(r.started_at for r in recs)
        rows.append([Markdown(f"[{escape(experiment)}]({stems[experiment]}.md)"), str(len(recs)),
                     str(len({r.variant for r in recs})), str(len({an.day_of(r) for r in recs})),
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
    excluded: Sequence[tuple[Record, str]] = (),
    plans: Mapping[str, Sequence[Ranking]] | None = None,
) -> list[Page]:
    """The index page and one overview per experiment, from the counted ``records`` (those not
    superseded or retired; ``excluded`` holds the others with the reason). An overview that
    fails to render is passed to ``on_problem`` (see :func:`~journal.render.posts.build_posts`)
    and left out."""
    declarations = declarations or {}
    report = on_problem or raise_problem
    pages = []
    try:
        pages.append(render_index(records, declarations, plans))
    except Exception as exc:
        report("the experiments index", records, exc)
    with charts.deferred() as pending:
        for experiment, stem in experiment_stems(sorted({r.experiment for r in records})).items():
            mine = [r for r in records if r.experiment == experiment]
            try:
                pages.append(render_overview(
                    experiment, mine, declaration=declaration_for(experiment, declarations),
                    notes=notes, post_links=post_links, stem=stem,
                    rankings=(plans or {}).get(experiment),
                    excluded=[(r, why) for r, why in excluded if r.experiment == experiment]))
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
