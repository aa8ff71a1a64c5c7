"""The sections of a post, each rendered from one variant's records (or all of a day's).

Every function returns Markdown (and ``variant_charts`` SVG bytes); numbers come from
:mod:`journal.analysis`, formatting from :mod:`journal.render.tables`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence

from .. import analysis as an
from ..comparisons import Comparison, Ranking
from ..declarations import Declaration
from ..escape import Markdown, md, note_block
from ..notes import Note
from ..records import Record
from ..series import first_selection
from . import confusion, plots
from .display import display_of
from .i18n import t
from .tables import bold, code, config_value, escape, mean_std, metric_label, number, table

# ACER and HTER coincide on a single protocol, so the summary shows ACER with its two halves.
SUMMARY_PREFERENCE = (
    "acer", "apcer", "bpcer", "acc", "wa", "ua", "accuracy", "macro_f1", "auroc", "mae", "r2", "rmse",
)


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by ``-`` (never empty, never a path)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80] or "x"


RESERVED_SLUGS = frozenset({"index", "assets", "x"})


def unique_slugs(names: Iterable[str]) -> dict[str, str]:
    """A distinct file-name slug per name, the same whatever order or company the names come in.

    A name keeps its plain :func:`slugify` only when no other name shares it (``a b`` and
    ``a-b``; any two Chinese names, which have no ASCII letters) and it is not reserved
    (``index`` is the overview index); otherwise a short hash of the name itself is appended.
    """
    names = sorted(set(names))
    plain = {name: slugify(name) for name in names}
    counts: dict[str, int] = {}
    for slug in plain.values():
        counts[slug] = counts.get(slug, 0) + 1
    out = {}
    for name in names:
        slug = plain[name]
        if counts[slug] > 1 or slug in RESERVED_SLUGS:
            digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
            slug = f"{slug}-{digest}"
        out[name] = slug
    return out


def summary_columns(columns: Sequence[str]) -> list[str]:
    preferred = [c for c in SUMMARY_PREFERENCE if c in columns]
    return (preferred or list(columns))[:4]


def summary_cell(stats: an.SeedSummary) -> Markdown:
    """A metric's mean ± std over seeds (:func:`journal.summary.seed_summary`); ``—`` where no
    run measured it, ``n/a`` where the data cannot resolve it."""
    if stats.unresolved is not None:
        return Markdown("n/a")
    if not stats.measured or stats.n == 0:  # measured by no finished run
        return Markdown("—")
    return mean_std(stats.mean, stats.std)


def _counted(label: Markdown, stats: an.SeedSummary, finished: int) -> Markdown:
    """``label`` with its own n when fewer runs than ``finished`` measured the metric."""
    if stats.measured and 0 < stats.n != finished:
        return Markdown(f"{label} (n={stats.n})")
    return label


def results_table(records: Sequence[Record], columns: Sequence[str]) -> str:
    """One row per run (``—`` where it did not measure a metric, ``nan`` where it measured
    NaN), then mean ± std and the 95% CI over the finished runs, each as
    :func:`journal.summary.seed_summary` gives it."""
    summaries = [an.seed_summary(records, c) for c in columns]
    finished = an.finished_count(records)
    rows: list[Sequence[str]] = [
        [escape(an.seed_label(r)), escape(t(an.display_status(r)))]
        + [number(an.measured_value(r, c)) for c in columns]
        for r in records
    ]
    rows.append([bold(escape(t("mean ± std (n={n})", n=finished))), ""]
                + [bold(_counted(summary_cell(s), s, finished)) for s in summaries])
    if finished > 1:
        rows.append([t("95% CI"), ""] + [Markdown(f"[{number(s.interval.low)}, {number(s.interval.high)}]")
                                         if s.interval.low == s.interval.low else Markdown("—")
                                         for s in summaries])
    headers = [t("run"), t("status"), *[metric_label(c) for c in columns]]
    return table(headers, rows, "ll" + "r" * len(columns))


def variants_table(variants: dict[str, list[Record]], columns: Sequence[str]) -> str:
    """One row per variant: n finished seeds and mean ± std of ``columns`` (``—`` where a
    variant never measured a metric)."""
    rows = []
    for name, recs in variants.items():
        finished = an.finished_count(recs)
        rows.append([escape(name), str(finished)] + [
            _counted(summary_cell(s), s, finished) for s in (an.seed_summary(recs, c) for c in columns)])
    headers = [t("variant"), "n", *[t("{metric} (test)", metric=metric_label(c)) for c in columns]]
    return table(headers, rows)


def selections_table(records: Sequence[Record], columns: Sequence[str]) -> str:
    """Each selection rule's chosen epochs and test metrics, mean ± std over finished seeds;
    ``—`` where a rule's checkpoint was not tested on that metric."""
    tested = {k for r in records for sel in r.selections.values() for k in sel.test}
    measured = {(name, k) for r in records for name, sel in r.selections.items() for k in sel.test}
    columns = [c for c in columns if c in tested]
    stats = an.selection_stats(records, columns)
    if not stats:
        return ""
    rows = []
    for row in stats:
        cells: list[Markdown | str] = []
        for c in columns:
            n, mean, std = row.tests[c]
            cell = mean_std(mean, std) if n and (row.selection, c) in measured else Markdown("—")
            cells.append(Markdown(f"{cell} (n={n})") if 0 < n != row.n else cell)
        rows.append([escape(row.selection), escape(t(row.chosen_on)), escape(row.epochs),
                     str(row.n), *cells])
    headers = [t("checkpoint"), t("chosen on"), t("epoch per seed"), "n"]
    headers += [t("test {metric}", metric=metric_label(c)) for c in columns]
    intro = t("Test metrics of the checkpoint each rule picks (by the metric in *chosen on*), "
              "mean ± std over seeds:")
    return f"{intro}\n\n{table(headers, rows, 'llll' + 'r' * len(columns))}"


def evaluations_table(records: Sequence[Record], columns: Sequence[str]) -> str:
    measured = {k for r in records for values in r.evaluations.values() for k in values}
    columns = [c for c in columns if c in measured]
    stats = an.evaluation_stats(records, columns)
    if not stats:
        return ""
    rows = []
    for name, (runs, values) in stats.items():
        cells = []
        for c in columns:
            n, mean, std = values[c]
            cell = mean_std(mean, std) if n else Markdown("—")
            cells.append(Markdown(f"{cell} (n={n})") if 0 < n != runs else cell)
        rows.append([escape(name), str(runs), *cells])
    return table([t("evaluation"), "n", *[metric_label(c) for c in columns]], rows)


def confusion_tables(rec: Record) -> str:
    """One run's confusion matrix (see :func:`journal.render.confusion.record_matrix`)."""
    return confusion.record_matrix(rec)


def tabs(items: Sequence[tuple[str, str]]) -> str:
    if len(items) == 1:
        return items[0][1]
    out = []
    for title, body in items:
        indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
        out.append(f'=== "{escape(title)}"\n\n{indented}')
    return "\n\n".join(out)


Chart = tuple[str, bytes]
"""A chart's title (its alt text in the post) and its SVG."""


def variant_charts(records: Sequence[Record], variant: str, stem: str, key: str) -> dict[str, Chart]:
    """The charts of one variant by file name (see :func:`journal.render.plots.variant_charts`)."""
    return plots.variant_charts(records, variant, stem, key)


def _free(files: Mapping[str, object], base: str) -> str:
    return plots.free(files, base)


def _first_selection(records: Sequence[Record]) -> list[tuple[str, str]]:
    chosen = first_selection(records)
    return [chosen] if chosen else []


def _status(record: Record) -> str:
    status = an.display_status(record)
    if status == "stale":
        return t("stale: running, no update since {when} UTC",
                 when=f"{record.updated_at:%Y-%m-%d %H:%M}")
    return t(status)


SNIPPET_MARKER = re.compile(r"^([ \t]*;*-+)(8<)")
"""The start of a ``pymdownx.snippets`` marker (``--8<-- "file"``): the extension reads it on
raw lines before any code block is parsed, so a code block does not protect it."""


def _fenced(lines: Sequence[str], indent: str = "    ") -> str:
    """A text code block that no backtick run inside ``lines`` can close early, and whose
    lines cannot include a file: a line that opens like a snippet marker gets a zero-width
    space before its ``8<`` (it reads the same)."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    safe = [SNIPPET_MARKER.sub("\\1\u200b\\2", line) for line in lines]
    return "\n".join(indent + line for line in [f"{fence}text", *safe, fence])


def runs_table(records: Sequence[Record], excluded: Sequence[tuple[Record, str]] = ()) -> str:
    """Every run: id, seed, status, wall time, device and commit; runs that are not counted
    (superseded, retired) follow, their status saying why."""
    rows = []
    for r, why in [*((r, None) for r in records), *excluded]:
        env = r.environment
        commit = (env.git_commit or "")[:8] if env else ""
        if env and env.git_dirty:
            commit += " (dirty)"
        status = _status(r) if why is None else _excluded(why)
        seconds = an.duration_seconds(r)
        rows.append([
            code(r.id), escape(r.seed if r.seed is not None else "—"), escape(status),
            f"{seconds:.0f} s" if seconds > 0 else "—", escape(env.device if env and env.device else "—"),
            escape(commit or "—"),
        ])
    headers = [t("run id"), t("seed"), t("status"), t("wall time"), t("device"), t("commit")]
    return table(headers, rows, "llllll")


def excluded_reason(reason: str, *, prefix: bool = False) -> str:
    """Why a run is not counted (``superseded by ID``, ``retired: REASON``), in the page's
    language; ``prefix``: as a status, ``not counted: …``."""
    for start, plain, status, name in (
        ("superseded by ", "superseded by {id}", "not counted: superseded by {id}", "id"),
        ("retired: ", "retired: {reason}", "not counted: retired ({reason})", "reason"),
    ):
        if reason.startswith(start):
            return t(status if prefix else plain, **{name: reason.removeprefix(start)})
    return reason


def _excluded(reason: str) -> str:
    return excluded_reason(reason, prefix=True)


def notes(records: Sequence[Record], extra: Sequence[Note] = ()) -> str:
    """Each run's note (its own and those added later) as an admonition, its log excerpt
    folded, and the error of a failed run."""
    out: list[str] = []
    for r in records:
        if r.note:
            out.append(note_block(an.seed_label(r), r.note))
        later = [n for n in extra if n.matches_run(r)]
        if later:
            out.append(note_blocks(later, an.seed_label(r)))
        if r.log:
            lines = _fenced(r.log.splitlines()[-20:])
            title = t("{who}: training log (last lines)", who=an.seed_label(r))
            out.append(f'??? quote "{escape(title)}"\n\n{lines}')
        if r.status == "failed" and r.error:
            block = _fenced(r.error.splitlines()[-12:])
            out.append(f'??? failure "{escape(t("{who} failed", who=an.seed_label(r)))}"\n\n{block}')
    return "\n\n".join(out)


def hyperparameters(variants: dict[str, list[Record]]) -> tuple[str, list[str]]:
    """The keys that differ between variants (bold) and those only some variants have, as a
    table with a column per variant; the keys every variant shares folded below it."""
    configs = {name: an.variant_config(recs) for name, recs in variants.items()}
    differ = an.differing_config_keys(configs)
    partial = an.partial_config_keys(configs)
    same = [k for k in an.ordered_keys(configs.values()) if k not in differ and k not in partial]
    parts: list[str] = []
    if differ or partial:
        rows = [[bold(escape(k)) if k in differ else escape(k)]
                + [escape(config_value(c[k])) if k in c else "—" for c in configs.values()]
                for k in [*differ, *partial]]
        parts.append(table([t("hyperparameter"), *configs], rows, "l" * (len(configs) + 1)))
    if same:
        first = next(iter(configs.values()))
        rows = [[escape(k), escape(config_value(first[k]))] for k in same]
        shared = table([t("hyperparameter"), t("value")], rows, "ll")
        title = t("Shared by every variant") if len(configs) > 1 else t("Hyperparameters")
        fold = "???" if differ or partial else "???+"
        parts.append(f'{fold} info "{title} ({len(same)})"\n\n' + "\n".join(
            "    " + line for line in shared.splitlines()))
    return "\n\n".join(parts), differ


def per_class_table(records: Sequence[Record]) -> str:
    """Precision, recall and F1 of each class (mean ± std over seeds), as sklearn reports them."""
    stats = an.per_class_stats(records)
    if stats.empty:
        return ""
    rows = []
    for _, row in stats.iterrows():
        is_avg = str(row["class"]).endswith(" avg")
        label = escape(row["class"])
        rows.append([label if is_avg else bold(label), str(int(row["n"]))] + [
            mean_std(row.get(f"{k} mean"), row.get(f"{k} std")) for k in ("precision", "recall", "f1")
        ] + [number(row.get("support mean"), 0) if "support mean" in row else "—"])
    return table([t("class"), "n", t("precision"), t("recall"), "F1", t("support")], rows)


def classification_reports(records: Sequence[Record]) -> str:
    """Each run's own classification report (precision, recall, F1 and support per class, then
    the averages), in a tab per seed, as scikit-learn prints it; with its checkpoint and epoch."""
    items = []
    for r in records:
        if not r.per_class:
            continue
        rows = []
        for name, values in r.per_class.items():
            label = escape(name) if name.endswith(" avg") else bold(escape(name))
            rows.append([label, *[number(values.get(k)) for k in ("precision", "recall", "f1")],
                         number(values.get("support"), 0)])
        chosen = r.selections.get(r.checkpoint)
        where = md(t("Checkpoint {checkpoint}{epoch}."), checkpoint=code(r.checkpoint),
                   epoch=t(", epoch {epochs}", epochs=chosen.epoch) if chosen is not None else "")
        items.append((an.seed_label(r), f"{where}\n\n" + table(
            [t("class"), t("precision"), t("recall"), "F1", t("support")], rows)))
    return tabs(items) if items else ""


def references_table(
    records: Sequence[Record], columns: Sequence[str],
    declared: Mapping[str, Mapping[str, float]] | None = None,
) -> str:
    """Our mean beside each reference's numbers (the runs' own and the experiment's declared
    ones), and the difference (ours − reference)."""
    refs = an.references(records)
    for ref_name, declared_values in (declared or {}).items():
        mine = refs.setdefault(ref_name, {})
        mine.update({k: v for k, v in declared_values.items() if k not in mine})
    if not refs:
        return ""
    shared = [c for c in columns if any(c in values for values in refs.values())]
    summaries = {c: an.seed_summary(records, c) for c in shared}
    ours = {c: s.mean if s.measured and s.n else None for c, s in summaries.items()}
    rows: list[Sequence[str]] = [[bold(t("ours (mean)")), *[number(ours[c]) for c in shared]]]
    for name, values in refs.items():
        rows.append([escape(name), *[number(values.get(c)) for c in shared]])
        diffs = []
        for c in shared:
            ref = values.get(c)
            our = ours[c]
            diffs.append("—" if ref is None or our is None else Markdown(f"{our - ref:+.4f}"))
        rows.append([md(t("ours − {name}"), name=name), *diffs])
    return table(["", *[metric_label(c) for c in shared]], rows)


def note_blocks(notes: Sequence[Note], what: str | None = None) -> str:
    """Notes as admonitions titled with ``what`` they are about and the time they were written;
    each is sanitised HTML (:func:`journal.escape.note_block`), so it must stay at top level."""
    about = t("Note on {what}", what=what) if what else t("Note")
    return "\n\n".join(note_block(t("{about}, {when} UTC", about=about, when=f"{n.created:%Y-%m-%d %H:%M}"),
                                   n.text) for n in notes)


def sweep_tables(records: Sequence[Record], columns: Sequence[str]) -> str:
    """Each sweep among ``records`` as one table: a row per variant with the swept values, the
    seeds and mean ± std of ``columns``, so the grid reads at a glance."""
    out = []
    for sweep, recs in an.by_sweep(records).items():
        grid = an.swept_keys(recs)
        rows = []
        for name, group in an.by_variant(recs).items():
            overrides = group[0].launch.overrides if group[0].launch else {}
            # the record's own config wins: a shared teacher says kd none, not the point's kd
            values = {k: group[0].config.get(k, overrides.get(k)) for k in grid}
            finished = an.finished_count(group)
            rows.append([escape(name)] + [code(config_value(values[k])) if values[k] is not None
                                          else "—" for k in grid]
                        + [str(finished)]
                        + [_counted(summary_cell(s), s, finished)
                           for s in (an.seed_summary(group, c) for c in columns)])
        seeds = sorted({r.seed for r in recs if r.seed is not None})
        keys = Markdown(", ").join(code(k) for k in grid) or t("nothing")
        head = md(t("Sweep {id} over {keys}, seeds {seeds}:"), id=code(sweep), keys=keys,
                  seeds=", ".join(map(str, seeds)))
        body = table([t("variant"), *grid, "n", *[metric_label(c) for c in columns]], rows,
                     "l" * (len(grid) + 1) + "r" * (len(columns) + 1))
        out.append(f"{head}\n\n{body}")
    return "\n\n".join(out)


def comparisons_table(found: Sequence[Comparison], declaration: Declaration | None = None) -> Markdown:
    """Each variant against its comparison partner (the declared baseline, else the variant
    that differs from it in the fewest settings): what differs, the difference of means with
    its 95% Welch interval, and whether it is within seed noise."""
    rows = []
    for c in found:
        d = c.difference
        basis = t("baseline") if c.basis == "baseline" else t("nearest")
        changed = Markdown(", ").join(
            Markdown(f"{code(k)} {code(config_value(old) if old is not None else '—')} → "
                     f"{code(config_value(new) if new is not None else '—')}")
            for k, old, new in c.changes) or t("nothing")
        shown = display_of(c.metric, declaration)
        ci = shown.interval(d.low, d.high, signed=True)
        verdict = bold(t(d.verdict)) if d.within_noise is False else t(d.verdict)
        verdict = with_checkpoint_caveat(verdict, c)
        rows.append([escape(c.variant), md("{name} ({basis})", name=c.partner, basis=basis), changed,
                     shown.difference(d.diff), ci, verdict])
    if not rows:
        return Markdown("")
    first = display_of(found[0].metric, declaration)
    unit = t(" (points)") if first.percent else ""
    headers = [t("variant"), t("compared with"), t("what differs"),
               f"Δ {metric_label(found[0].metric)}{unit}", "95% CI (Welch)", t("verdict")]
    return table(headers, rows, "lllrrl")


def verdict_text(ranking: Ranking, declaration: Declaration | None = None) -> str:
    """The verdict of one ranking in the page's language, its difference printed as the key
    metric is (:mod:`.display`: percentage points for a percentage)."""
    v = ranking.verdict
    d = v.difference
    diff = ""
    if d is not None:
        shown = display_of(ranking.metric, declaration)
        diff = str(shown.difference(d.diff)) + (t(" points") if shown.percent else "")
        if d.low == d.low:
            diff += f" {shown.interval(d.low, d.high, signed=True)}"
    templates = {
        "winner": "★ {best} is best: {diff} against {against}, beyond seed noise.",
        "no_measurement": "No clear winner: no candidate measured {metric}.",
        "single_seed": "No clear winner: the best, {best}, has n={n} (a ★ needs 2 seeds or more).",
        "single_candidate": "No clear winner: {best} is the only candidate.",
        "partner_diverged": "No clear winner: a seed of {against} measured NaN, so the lead of "
                            "{best} cannot be tested.",
        "partner_single_seed": "No clear winner: {against} has fewer than 2 seeds, so the lead of "
                               "{best} cannot be tested.",
        "within_noise": "No clear winner: {best} − {against} = {diff}, within seed noise.",
        "checkpoints_differ": "No clear winner: {best} was measured at checkpoint {best_at} and "
                              "{against} at {against_at}, so {diff} is not the variants' "
                              "difference alone.",
    }
    return md(t(templates[v.code]), best=v.best or "", against=v.against or "", diff=Markdown(diff),
              n=v.n, metric=metric_label(ranking.metric), best_at=checkpoint_list(v.checkpoints[0]),
              against_at=checkpoint_list(v.checkpoints[1]))


def with_checkpoint_caveat(verdict: Markdown | str, c: Comparison) -> Markdown | str:
    """A comparison's verdict cell, "(checkpoints differ)" after it when the two sides were not
    all measured at one checkpoint (their difference is partly the choice of checkpoint)."""
    return Markdown(f"{verdict}{t(' (checkpoints differ)')}") if c.checkpoints_differ else verdict


def checkpoint_list(names: Sequence[str]) -> Markdown:
    """Checkpoint names as code, joined by commas (a variant whose seeds were measured at
    different checkpoints has several)."""
    return Markdown(", ".join(code(n) for n in names))
