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

import contextvars
import hashlib
import multiprocessing as mp
import os
import pickle
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

import yaml

from .. import analysis as an
from .. import comparisons, identity
from ..atomic import write_atomic
from ..code_hash import library_code
from ..comparisons import Comparison, Ranking
from ..declarations import Declaration, declaration_for
from ..escape import Markdown, clean, front_matter_text, md
from ..memo import Memo
from ..notes import Note
from ..records import Record
from . import charts, confusion, i18n, lead
from . import sections as sec
from .display import percent_logged
from .i18n import t
from .tables import config_value, escape, group_title


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
    cache_key: str = ""
    chart_keys: list[str] = field(default_factory=list)  # the cached charts it is drawn from


def _utc(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


MAX_CATEGORY = 60
"""Characters of a category name: a blog makes a folder of it, and a file name has 255 bytes."""


def category(experiment: str) -> str:
    """The blog category of ``experiment``'s posts: its name without markup characters
    (Material's category pages turn it back into HTML), at most :data:`MAX_CATEGORY`
    characters (a longer name is cut and keeps a hash of the whole, so two stay apart)."""
    name = re.sub(r"[<>&\"'`]", "", clean(experiment)).strip() or "experiment"
    if len(name) > MAX_CATEGORY:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:6]
        name = f"{name[:MAX_CATEGORY - 8]}… {digest}"
    return name


def _front_matter(experiment: str, records: Sequence[Record], slug: str, title: str,
                  readtime: int | None = None) -> str:
    created = min(r.started_at for r in records)
    updated = max(r.ended_at or r.updated_at for r in records)
    # The theme prints the title and categories unescaped (<title>, blog index, navigation,
    # category pages): they are HTML-escaped here, and YAML-quoted by the dumper.
    meta: dict[str, object] = {"title": front_matter_text(title), "slug": slug,
            "categories": [category(experiment)]}
    if readtime is not None:
        meta["readtime"] = readtime
    rest = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    # Material wants an unquoted UTC timestamp with seconds, so the date is written by hand.
    return f"---\ndate:\n  created: {_utc(created)}\n  updated: {_utc(updated)}\n{rest}---\n"


@dataclass(frozen=True)
class Context:
    """What a post needs beyond its own records: the experiment's declarations, its baseline's
    runs (from any day), and the notes of the results folder."""

    declaration: Declaration = field(default_factory=Declaration)
    baseline: tuple[str, list[Record]] | None = None
    notes: Sequence[Note] = ()
    rankings: Sequence[Ranking] = ()
    """The experiment's comparison plan over every counted run (:func:`journal.comparisons.plan`)."""
    excluded: Sequence[tuple[Record, str]] = ()
    """This post's runs that are not counted, with the reason (superseded, retired)."""

    def comparison(self, variant: str, group: comparisons.Group | None = None) -> Comparison | None:
        """``variant``'s comparison (in ``group``, its task and data set, when given)."""
        return next((c for r in self.rankings for c in r.comparisons
                     if c.variant == variant and (group is None or c.group == group)), None)


def _overview_line(records: Sequence[Record], variants: dict[str, list[Record]]) -> str:
    """``8 runs of 4 variants (2 per variant) on tiny (train 10 · test 8); status: finished.``"""
    variant_word = t("variant") if len(variants) == 1 else t("variants")
    seeds = "/".join(map(str, sorted({len(v) for v in variants.values()})))
    datasets = {r.dataset.name: r.dataset for r in records if r.dataset}
    data_text = Markdown("; ").join(
        md("{name} ({sizes})", name=d.name, sizes=" · ".join(f"{k} {v}" for k, v in d.sizes.items()))
        if d.sizes else md("{name}", name=d.name)
        for d in datasets.values()
    )
    statuses = ", ".join(t(s) for s in sorted({an.display_status(r) for r in records}))
    line = t("{n} runs of {m} {variants} ({seeds} per variant)", n=len(records), m=len(variants),
             variants=variant_word, seeds=seeds)
    return (line + (md(t(" on {data}"), data=data_text) if data_text else "")
            + t("; status: {statuses}.", statuses=statuses) + "\n")


def _excluded_line(ctx: Context) -> str:
    listed = Markdown("; ").join(md(t("{who} of {variant}: {why}"), who=an.seed_label(r),
                                    variant=r.variant, why=sec.excluded_reason(why))
                                 for r, why in ctx.excluded)
    return md(t("Not counted ({k}): {listed}."), k=len(ctx.excluded), listed=listed) + "\n"


def _headline(records: Sequence[Record], variants: dict[str, list[Record]], ctx: Context) -> list[str]:
    """The answer: the headline table and verdicts, what ran, what was not counted."""
    here = {(c.group, c.variant): c for r in ctx.rankings for c in r.comparisons if c.variant in variants}
    parts = []
    top = lead.headline(variants, ctx.rankings, here, ctx.declaration)
    if top:
        parts.append(top)
        elsewhere = any(row.n > len([r for r in variants.get(row.variant, [])
                                     if r.status == "finished"
                                     and comparisons.group_of(r) == ranking.group])
                        for ranking in ctx.rankings for row in ranking.rows if row.variant in variants)
        if elsewhere:
            parts.append(t("n, means and comparisons count every counted run of a variant, on any "
                           "day; the blocks below show this day's runs.") + "\n")
    else:
        key_cols = sec.summary_columns(an.ordered_keys(r.metrics for r in records))
        if key_cols:
            parts.append(sec.variants_table(variants, key_cols) + "\n")
    parts.append(_overview_line(records, variants))
    if ctx.excluded:
        parts.append(_excluded_line(ctx))
    return parts


def _what_changed(recs: list[Record], ctx: Context) -> str:
    """What this variant changes against its comparison partner (the declared baseline, or the
    variant that differs from it in the fewest settings)."""
    variant = recs[0].variant
    if ctx.declaration.is_baseline(variant):
        return t("The baseline of this experiment.") + "\n"
    role = ctx.declaration.role_of(variant)
    found = ctx.comparison(variant, comparisons.group_of(recs[0]))
    prefix = md(t("Role: {role} (shown, not ranked)."), role=t(role)) + " " if role != "candidate" else ""
    if found is None:
        return prefix + "\n" if prefix else ""
    changes = found.changes
    basis = t("the baseline, {name}") if found.basis == "baseline" else t("the nearest variant, {name}")
    name = md(basis, name=found.partner)
    if not changes:
        return prefix + md(t("Same hyperparameters as {name}."), name=name) + "\n"
    listed = Markdown(", ").join(
        Markdown(f"{sec.code(k)} {sec.code(config_value(old) if old is not None else '—')} → "
                 f"{sec.code(config_value(new) if new is not None else '—')}") for k, old, new in changes)
    return prefix + md(t("Changed from {name}: {listed}."), name=name, listed=listed) + "\n"


def _key_of(recs: Sequence[Record], ctx: Context) -> str | None:
    """The key metric of the ranking this variant is in (its task's), else the declared one."""
    variant, group = recs[0].variant, comparisons.group_of(recs[0])
    for ranking in sorted(ctx.rankings, key=lambda r: r.group != group):  # its own group first
        if any(row.variant == variant for row in ranking.rows):
            return ranking.metric
    measured = an.ordered_keys(r.metrics for r in recs)
    return ctx.declaration.key_metric_for(None, measured)


def _details(
    name: str, recs: list[Record], stem: str, key: str, ctx: Context
) -> tuple[str, dict[str, bytes]]:
    """Everything of a variant beyond its lead block: all metrics per seed with their intervals,
    references, per-class reports, selections, extra evaluations, confusion matrices, charts and
    runs (folded in the post)."""
    columns = an.ordered_keys(r.metrics for r in recs)
    key_cols = sec.summary_columns(columns)
    checkpoints = {r.checkpoint for r in recs}
    at = (md(t("checkpoint {name}"), name=sec.code(checkpoints.pop())) if len(checkpoints) == 1
          else t("each run's checkpoint"))
    parts = [md(t("Test metrics at {at}, one row per seed:"), at=at)
             + f"\n\n{sec.results_table(recs, columns)}\n"]
    optional = [
        (t("References"), sec.references_table(recs, columns, ctx.declaration.references)),
        (t("Per-class report"), sec.per_class_table(recs)),
        (t("Classification report of each run"), sec.classification_reports(recs)),
        (t("Checkpoint selections"), sec.selections_table(recs, key_cols)),
        (t("Extra evaluations"), sec.evaluations_table(recs, key_cols)),
    ]
    # bold labels, not headings: the page's table of contents lists the variants, not the
    # parts folded inside them
    parts += [f"**{title}**\n\n{body}\n" for title, body in optional if body]
    with_cm = [r for r in recs if r.confusion is not None or r.confusion_epochs is not None]
    if with_cm:  # summed over the seeds first, then each seed's
        parts.append(f"**{t('Confusion matrix')}**\n\n" + confusion.section(with_cm, key) + "\n")
    chart_files = sec.variant_charts(recs, name, stem, key)
    if chart_files:
        parts.append(f"**{t('Charts')}**\n")
        parts += [f"![{escape(title)}]({rel})\n" for rel, (title, _) in chart_files.items()]
    group = comparisons.group_of(recs[0])
    excluded = [(r, why) for r, why in ctx.excluded
                if r.variant == name and comparisons.group_of(r) == group]
    parts.append(f"**{t('Runs')}**\n\n{sec.runs_table(recs, excluded)}\n")
    return "\n".join(parts), {rel: svg for rel, (_, svg) in chart_files.items()}


def _variant_section(
    name: str, recs: list[Record], stem: str, key: str, ctx: Context, level: int = 2,
    variant_notes: bool = True,
) -> tuple[list[str], dict[str, bytes]]:
    """A variant's lead block (what it changes, a row per seed, the summary line and the
    comparison, the author's notes: ``variant_notes`` False in its later sections of a post,
    which shows a note on the variant once), then the rest folded."""
    parts = [f"{'#' * level} {escape(name)}\n"]
    changed = _what_changed(recs, ctx)
    if changed:
        parts.append(changed)
    parts.append(lead.lead_block(recs, _key_of(recs, ctx), ctx.declaration,
                                 ctx.comparison(name, comparisons.group_of(recs[0]))))
    day = an.day_of(recs[0])
    on_variant = [n for n in ctx.notes if n.matches_variant(recs[0].experiment, name, day)]
    if on_variant and variant_notes:
        parts.append(sec.note_blocks(on_variant, name) + "\n")
    notes = sec.notes(recs, ctx.notes)
    if notes:
        parts.append(notes + "\n")
    body, assets = _details(name, recs, stem, key, ctx)
    parts.append(lead.details(t("{name}: every metric, checkpoints, confusion matrices, charts, runs",
                                name=name), body))
    return parts, assets


def _group_head(group: comparisons.Group, members: dict[str, list[Record]], ctx: Context) -> list[str]:
    """The heading of a task and data set and, when the runs or the declarations hold reference
    numbers (a paper's), its best variant beside them."""
    title = group_title(group)
    parts = [f"## {escape(title) if title else t('Other runs')}\n"]
    ranking = next((r for r in ctx.rankings if r.group == group
                    and any(row.variant in members for row in r.rows)), None)
    best = None
    if ranking is not None:
        best = ranking.verdict.winner or ranking.verdict.best
    if best not in members:
        best = next(iter(members))
    recs = members[best]
    columns = an.ordered_keys(r.metrics for r in recs)
    refs = sec.references_table(recs, columns, ctx.declaration.references)
    if refs:
        parts.append(md(t("The best variant, {name}, beside the references:"), name=best)
                     + f"\n\n{refs}\n")
    return parts


def render_post(
    experiment: str, day: date, records: Sequence[Record], slug: str, ctx: Context | None = None,
    *, file_stem: str | None = None,
) -> Post:
    """The post of ``experiment`` on ``day`` from its counted ``records`` (``ctx.excluded``
    holds the others); ``file_stem`` is the experiment's slug in file names (default:
    :func:`~journal.render.sections.slugify` of it)."""
    with percent_logged(an.percent_logged(records)):
        return _render_post(experiment, day, records, slug, ctx or Context(), file_stem)


def _render_post(experiment: str, day: date, records: Sequence[Record], slug: str, ctx: Context,
                 file_stem: str | None) -> Post:
    stem = f"{day.isoformat()}-{file_stem or sec.slugify(experiment)}"
    variants = an.by_variant(records)
    every = [*records, *(r for r, _ in ctx.excluded)]
    on_day = [n for n in ctx.notes if n.matches_day(experiment, day)]
    title = lead.post_title(experiment, day, variants or an.by_variant(every), on_day)
    parts = [_front_matter(experiment, every, slug, title), f"# {escape(title)}\n"]
    if on_day:  # the author's answer first
        parts.append(sec.note_blocks(lead.without_title(on_day, title)) + "\n")
    if not records:  # every run of the day was superseded or retired
        parts += [_excluded_line(ctx), "<!-- more -->\n",
                  f"## {t('Runs')}\n\n{sec.runs_table([], ctx.excluded)}\n"]
        return Post(experiment, day, slug, f"{stem}.md", "\n".join(parts), {}, [r.id for r in every])
    parts += _headline(records, variants, ctx)
    sweeps = sec.sweep_tables(records, sec.summary_columns(an.ordered_keys(r.metrics for r in records)))
    if sweeps:  # a grid (lr × backbone_lr) reads best as the table it is
        parts.append(sweeps + "\n")
    parts.append("<!-- more -->\n")
    hyper, differ = sec.hyperparameters(variants)
    if hyper.strip():
        intro = ""
        if differ:
            keys = Markdown(", ").join(sec.code(k) for k in differ)
            intro = md(t("What differs between the variants: {keys}."), keys=keys) + "\n\n"
        parts.append(lead.details(t("Hyperparameters"), intro + hyper))
    assets: dict[str, bytes] = {}
    used: set[str] = set()
    # a section per task and data set: a variant run on two data sets is two arms, never pooled
    groups: dict[comparisons.Group, dict[str, list[Record]]] = {}
    for name, recs in variants.items():
        for rec in recs:
            groups.setdefault(comparisons.group_of(rec), {}).setdefault(name, []).append(rec)
    grouped = len(groups) > 1
    noted: set[str] = set()
    for group, members in groups.items():
        if grouped:  # its comparison with the paper at the top
            parts += _group_head(group, members, ctx)
        for name, recs in members.items():
            key = sec.slugify(name)
            while key in used:
                key += "-x"
            used.add(key)
            section, chart_files = _variant_section(name, recs, stem, key, ctx, 3 if grouped else 2,
                                                    variant_notes=name not in noted)
            noted.add(name)
            parts += section
            assets.update(chart_files)
    # the reading time of what is read: the folded parts are there to look things up
    parts[0] = _front_matter(experiment, every, slug, title, lead.reading_minutes("\n".join(parts[1:])))
    return Post(experiment, day, slug, f"{stem}.md", "\n".join(parts), assets, [r.id for r in records])


def render_diary(experiment: str, day: date, notes: Sequence[Note], slug: str,
                 *, file_stem: str | None = None) -> Post:
    """The post of a day without runs: the notes written about it (a to-do list, a conclusion,
    what went wrong), dated and filed under the experiment like every other post."""
    stem = f"{day.isoformat()}-{file_stem or sec.slugify(experiment)}"
    title = lead.post_title(experiment, day, {}, notes)
    if title.endswith(": "):
        title = f"{experiment} · {day.isoformat()}: " + t("diary")
    created = min(n.created for n in notes)
    meta = {"title": front_matter_text(title), "slug": slug,
            "categories": [category(experiment)]}
    rest = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    when = _utc(datetime.combine(day, created.timetz())) if created.date() != day else _utc(created)
    front = f"---\ndate:\n  created: {when}\n  updated: {_utc(max(n.created for n in notes))}\n{rest}---\n"
    parts = [front, f"# {escape(title)}\n", t("No runs on this day.") + "\n",
             sec.note_blocks(lead.without_title(notes, title)) + "\n"]
    return Post(experiment, day, slug, f"{stem}.md", "\n".join(parts), {}, [])


Problem = Callable[[str, Sequence[Record], BaseException | None], None]
"""Where a post or page that cannot be rendered is reported: ``(what, its runs, the error)``."""


def raise_problem(what: str, records: Sequence[Record], exc: BaseException | None) -> None:
    if exc is not None:
        raise exc
    raise RuntimeError(f"{what} could not be rendered")


def build_posts(
    records: Iterable[Record],
    *,
    notes: Sequence[Note] = (),
    declarations: Mapping[str, Declaration] | None = None,
    workers: int | None = None,
    cache_dir: Path | None = None,
    on_problem: Problem | None = None,
    salt: str = "",
    resolution: identity.Resolution | None = None,
    plans: Mapping[str, list[Ranking]] | None = None,
    memo: Memo | None = None,
) -> list[Post]:
    """Every post, oldest first, with unique slugs and file names; posts to render (when many,
    see :func:`_render_all`) and charts missing from the cache are done on ``workers``
    processes (default: one per core). With ``cache_dir``, a post whose
    inputs (records, declarations, notes, language, the library code, ``salt``) are unchanged is
    not rendered again but read back from there.

    A post that fails to render (or a chart of it that cannot be drawn) is passed to
    ``on_problem`` and left out (its chart drawn blank); without ``on_problem`` the error is
    raised.

    Runs that ``resolution`` (default: :func:`journal.identity.resolve` of ``records``) excludes
    (a seed run again, a retired run) are listed in their post with the reason, never counted.
    ``plans``: :func:`journal.comparisons.plan_all` of the counted runs, when the caller has it
    already (:func:`journal.site.build_site`); computed here otherwise. ``memo``: what an
    earlier build in this process computed (:class:`journal.memo.Memo`).
    """
    records = list(records)
    report = on_problem or raise_problem
    resolution = resolution or identity.resolve(records)
    why = {r.id: reason for r, reason in resolution.excluded}
    counted = [r for r in records if r.id not in why]
    posts: list[Post] = []
    groups = an.group_by_post(records)
    diaries = sorted({(n.target.experiment, n.target.day) for n in notes
                      if n.target.kind == "day" and n.target.experiment and n.target.day
                      and (n.target.experiment, n.target.day) not in groups})
    names = sec.unique_slugs([*(experiment for experiment, _ in groups), *(e for e, _ in diaries)])
    if plans is None:
        plans = comparisons.plan_all(counted, declarations, report, memo)
    json_of = memo.json_of if memo is not None else Record.to_json
    baselines: dict[str, tuple[str, list[Record]] | None] = {}  # by experiment
    todo: list[_Work] = []
    with charts.deferred() as pending:
        for (experiment, day), all_recs in groups.items():
            slug = f"{names[experiment]}-{day.isoformat()}"
            declaration = declaration_for(experiment, declarations)
            recs = [r for r in all_recs if r.id not in why]
            excluded = [(r, why[r.id]) for r in all_recs if r.id in why]
            if experiment not in baselines:
                baselines[experiment] = an.baseline_runs(counted, experiment, declaration)
            ctx = Context(declaration, baselines[experiment], notes, plans.get(experiment, []),
                          excluded)
            key = (_post_key(experiment, day, recs, slug, ctx, salt, json_of)
                   if cache_dir is not None else "")
            post = _cached(cache_dir, key)
            if post is None:
                todo.append(_Work(experiment, day, recs, slug, ctx, names[experiment], key))
            else:
                posts.append(post)
        for work, (post, used, queued, exc) in zip(todo, _render_all(todo, workers), strict=True):
            if post is None:  # one bad record costs its post, never the site
                report(f"post of {work.experiment} on {work.day.isoformat()}", work.records, exc)
                continue
            post.cache_key, post.chart_keys = work.key, sorted(used)
            pending.update(queued)
            posts.append(post)
        for experiment, day in diaries:
            written = [n for n in notes if n.matches_day(experiment, day)]
            try:
                posts.append(render_diary(experiment, day, written,
                                          f"{names[experiment]}-{day.isoformat()}",
                                          file_stem=names[experiment]))
            except Exception as exc:
                report(f"diary post of {experiment} on {day.isoformat()}", [], exc)
    posts.sort(key=lambda p: (p.day, p.experiment))
    drawn = charts.resolve(pending, workers)
    by_id = {r.id: r for r in records}
    for post in posts:
        fresh = any(svg.startswith(charts.PLACEHOLDER) for svg in post.assets.values())
        post.assets = {rel: charts.fill(svg, drawn) for rel, svg in post.assets.items()}
        broken = [rel for rel, svg in post.assets.items() if charts.failed(svg)]
        if broken:
            report(f"chart {broken[0]} of the post of {post.experiment} on {post.day.isoformat()}",
                   [by_id[i] for i in post.run_ids if i in by_id], None)
        elif cache_dir is not None and (fresh or not _cache_file(cache_dir, post).is_file()):
            _store(cache_dir, post)
    return posts


@dataclass(frozen=True)
class _Work:
    """A post to render: its inputs and its cache key."""

    experiment: str
    day: date
    records: list[Record]
    slug: str
    ctx: Context
    stem: str
    key: str


Rendering = tuple[Post | None, set[str], dict[str, charts.Spec], BaseException | None]
"""A post (None if it failed), the charts it uses, those it queued to draw, and its error."""

PARALLEL_POSTS = 16
"""Posts to render below which one process renders them all (a pool costs more than it saves)."""

_pool_work: tuple[list[_Work], contextvars.Context] | None = None
"""The posts a forked pool renders and the context (language, chart cache) to render them in:
a forked worker reads them from its copy of this module instead of unpickling every record."""


def _render_one(work: _Work) -> Rendering:
    with charts.deferred() as queued, charts.track() as used:
        try:
            post = render_post(work.experiment, work.day, work.records, work.slug, work.ctx,
                               file_stem=work.stem)
        except Exception as exc:
            return None, set(), {}, exc
    return post, used, dict(queued), None


def _render_chunk(indices: list[int]) -> list[Rendering]:
    """Render the posts at ``indices`` of :data:`_pool_work`, in a forked worker; an error
    that cannot be pickled back is sent as a RuntimeError with its text."""
    assert _pool_work is not None
    work, context = _pool_work
    out: list[Rendering] = []
    for i in indices:
        post, used, queued, exc = context.run(_render_one, work[i])
        if exc is not None:
            try:  # the parent unpickles it: an error whose __init__ takes other arguments fails
                pickle.loads(pickle.dumps(exc))
            except Exception:
                exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        out.append((post, used, queued, exc))
    return out


def _render_all(todo: list[_Work], workers: int | None) -> list[Rendering]:
    """Each post of ``todo`` rendered, in order: on ``workers`` forked processes (default: one
    per core) when there are at least :data:`PARALLEL_POSTS` of them and this process may fork
    (Linux, no other thread running: ``journal render``, ``mkdocs build``, the first build of
    ``mkdocs serve``), in this process otherwise (rebuilds while serving, a few changed posts)."""
    global _pool_work
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo)))
    if (workers == 1 or len(todo) < PARALLEL_POSTS or threading.active_count() != 1
            or "fork" not in mp.get_all_start_methods()):
        return [_render_one(work) for work in todo]
    chunks = [list(range(i, len(todo), workers * 4)) for i in range(workers * 4)]
    _pool_work = (todo, contextvars.copy_context())
    try:
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            results = list(pool.map(_render_chunk, chunks))
    finally:
        _pool_work = None
    by_index = {i: r for chunk, rs in zip(chunks, results, strict=True)
                for i, r in zip(chunk, rs, strict=True)}
    return [by_index[i] for i in range(len(todo))]


_CODE = library_code()


def _post_key(
    experiment: str, day: date, records: Sequence[Record], slug: str, ctx: Context, salt: str,
    json_of: Callable[[Record], str],
) -> str:
    """A hash of everything a post is rendered from: its records (their text, ``json_of``), the
    experiment's declarations, the baseline's runs, its comparisons and the runs it does not
    count, the notes, the language, the library code and the caller's ``salt`` (its options)."""
    parts = [_CODE, salt, i18n.current(), experiment, day.isoformat(), slug,
             ctx.declaration.model_dump_json(),
             *(json_of(r) for r in records),
             *(json_of(r) for r in (ctx.baseline[1] if ctx.baseline else [])),
             # computed from every day's runs: a change elsewhere (or to how it is computed)
             # that changes what this post shows of the comparisons renders it again
             _shown_plan(ctx.rankings, {r.variant for r in records}),
             *(f"{json_of(r)}{why}" for r, why in ctx.excluded),
             *(f"{n.target.model_dump_json()}{n.created.isoformat()}{n.text}" for n in ctx.notes
               if n.target.experiment == experiment)]
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()


def _shown_plan(rankings: Sequence[Ranking], variants: set[str]) -> str:
    """What a post with ``variants`` shows of its experiment's plan: how many rankings there
    are, and of each ranking holding one of them its group, metric, verdict, and their rows and
    comparisons, in their order. A run of another variant that changes none of these leaves the
    post cached. A row's rank is left out: only the overview shows it, and a new variant that
    ranks above shifts the rank of every variant below."""
    shown = [(r.group, r.metric, r.goal, r.verdict,
              [replace(row, rank=None) for row in r.rows if row.variant in variants],
              [c for c in r.comparisons if c.variant in variants])
             for r in rankings if any(row.variant in variants for row in r.rows)]
    return repr((len(rankings), shown))


def _cache_file(cache_dir: Path, post: Post) -> Path:
    return cache_dir / f"{post.cache_key}.pickle"


def _cached(cache_dir: Path | None, key: str) -> Post | None:
    """The post rendered from exactly these inputs before, or None (also for a damaged file)."""
    if cache_dir is None:
        return None
    try:
        with open(cache_dir / f"{key}.pickle", "rb") as fh:
            post = pickle.load(fh)
    except Exception:  # missing, truncated or from another version: render it again
        return None
    if not isinstance(post, Post) or post.cache_key != key:
        return None
    return post


def _store(cache_dir: Path, post: Post) -> None:
    cache_dir.mkdir(parents=True, exist_ok=True)
    write_atomic(_cache_file(cache_dir, post), pickle.dumps(post, protocol=pickle.HIGHEST_PROTOCOL),
                 durable=False)


class Rendered(Protocol):
    """A post or a page: a Markdown file and its charts, named relative to one folder."""

    @property
    def filename(self) -> str: ...
    @property
    def markdown(self) -> str: ...
    @property
    def assets(self) -> dict[str, bytes]: ...


def write_posts(posts: Iterable[Rendered], out_dir: str | Path) -> list[Path]:
    """Write posts (or pages) and their charts below ``out_dir``; unchanged files are not
    touched, so a site generator watching the folder sees only real changes."""
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
