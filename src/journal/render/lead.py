"""The part of a post that is read: its short title, the headline table and one lead block per
variant, shaped like the researchers' notes.

A note of 004 spends a line per seed (``0:[0.9176, 0.0367, …]``), a mean, a comparison and a
sentence of conclusion; a post opens the same way:

* **the headline**: one table of the day's variants with the key metric first (mean and 95%
  interval over every counted seed of the variant, on any day), what each is compared with, the
  difference with Welch's interval and the verdict; then the ★ sentence;
* **a lead block per variant**: what it changes, one row per seed in the experiment's declared
  metric order (percentages, :mod:`.display`), the raw ``TP FN TN FP`` counts of a FAS run, a
  summary line (``ACER 7.52 ± 0.41 % (n=4)``), the comparison and the author's notes. Metrics
  equal in every run (FAR = APCER on one protocol) are printed once, with a footnote.

Everything else of a variant (all metrics per seed with intervals, checkpoint selections, extra
evaluations, confusion matrices, charts, runs) is in a folded block below its lead, so nothing
is lost and nothing is in the way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date

from .. import analysis as an
from ..comparisons import Comparison, Group, Ranking, group_of
from ..declarations import Declaration
from ..escape import Markdown, md
from ..notes import Note
from ..records import Record
from ..summary import equal_metrics, fas_counts, seed_summary
from .display import Display, display_of
from .i18n import t
from .tables import bold, code, config_value, escape, group_title, metric_label, table

LEAD_COLUMNS = 6
"""Metrics in a lead block's per-seed table at most: it fits Material's content column at a
1280-px window without a horizontal scroll bar; the rest are in the folded details."""


def details(title: str, body: str, kind: str = "info") -> str:
    """A folded block (Material's ``???``) holding ``body``, indented as its content."""
    indented = "\n".join(("    " + line) if line else "" for line in body.splitlines())
    return f'??? {kind} "{escape(title)}"\n\n{indented}\n'


def post_title(experiment: str, day: date, variants: Mapping[str, Sequence[Record]],
               day_notes: Sequence[Note] = ()) -> str:
    """A short title: the first heading of the day's note if it has one, else the experiment,
    the day and what varied between its variants (the differing settings, else their names when
    there are at most two, else how many there are)."""
    for note in day_notes:
        first = note.text.strip().splitlines()[0] if note.text.strip() else ""
        if first.startswith("#"):
            heading = first.lstrip("#").strip()
            if heading:
                return heading[:120]
    configs = {name: an.variant_config(list(recs)) for name, recs in variants.items()}
    differ = an.differing_config_keys(configs)
    if differ:
        what = ", ".join(differ[:3]) + (" …" if len(differ) > 3 else "")
    elif len(variants) <= 2:
        what = " · ".join(variants)
    else:
        what = t("{n} variants", n=len(variants))
    return f"{experiment} · {day.isoformat()}: {what}"


def without_title(notes: Sequence[Note], title: str) -> list[Note]:
    """``notes`` with the heading that became the post's ``title`` taken out of the first of
    them (the page shows it once, as its title)."""
    out = list(notes)
    for i, note in enumerate(out):
        lines = note.text.strip().splitlines()
        if lines and lines[0].startswith("#") and lines[0].lstrip("#").strip()[:120] == title:
            rest = "\n".join(lines[1:]).strip()
            if rest:
                out[i] = dataclasses.replace(note, text=rest)
            else:  # the note was only its title: no empty box under it
                del out[i]
            break
    return out


def _verdict_cell(c: Comparison | None) -> Markdown | str:
    if c is None:
        return "—"
    d = c.difference
    if d.diverged:
        return t("a seed measured NaN")
    if d.within_noise is None:
        return t("too few seeds")
    from .sections import with_checkpoint_caveat

    cell = bold(t("beyond seed noise")) if not d.within_noise else t("within seed noise")
    return with_checkpoint_caveat(cell, c)


def headline(variants: Mapping[str, Sequence[Record]], rankings: Sequence[Ranking],
             comparisons: Mapping[tuple[Group, str], Comparison], declaration: Declaration) -> str:
    """One table per task and data set with this post's variants, ranked as the overview ranks
    them; then the verdict of each ranking (see the module)."""
    from .sections import verdict_text

    parts: list[str] = []
    for ranking in rankings:
        # this post's runs of each variant in the ranking's task and data set
        here = {name: [r for r in recs if group_of(r) == ranking.group]
                for name, recs in variants.items()}
        rows_here = [row for row in ranking.rows if here.get(row.variant)]
        if not rows_here:
            continue
        shown = display_of(ranking.metric, declaration)
        rows = []
        for row in rows_here:
            name: Markdown | str = escape(row.variant)
            if row.variant == ranking.verdict.winner:
                name = bold(f"★ {row.variant}")
            if row.role != "candidate":
                name = Markdown(f"{name} ({escape(t(row.role))})")
            value: Markdown | str = "—"
            if row.unresolved is not None:
                value = "n/a"
            elif row.measured and row.n > 0:  # n=0: only an unfinished run measured it
                value = shown.value(row.mean)
                if row.n > 1:
                    value = Markdown(f"{value} {shown.interval(row.interval.low, row.interval.high)}")
            c = comparisons.get((ranking.group, row.variant))
            partner: Markdown | str = "—"
            diff: Markdown | str = "—"
            if c is not None:
                partner = md("{name} ({basis})", name=c.partner,
                             basis=t("baseline") if c.basis == "baseline" else t("nearest"))
                diff = shown.difference(c.difference.diff)
                d = c.difference
                if d.low == d.low:
                    diff = Markdown(f"{diff} {shown.interval(d.low, d.high, signed=True)}")
            # a reference or bound is shown, not judged: its verdict is never bold
            verdict = _verdict_cell(c) if row.role == "candidate" else (
                t(c.difference.verdict) if c is not None else "—")
            rows.append([name, str(row.n), value, partner, diff, verdict])
        unit = t(" (points)") if shown.percent else ""
        headers = [t("variant"), "n", t("{metric} [95% CI]", metric=shown.label), t("compared with"),
                   t("Δ{unit} [95% CI]", unit=unit), t("verdict")]
        group = group_title(ranking.group)
        if len(rankings) > 1 and group:
            parts.append(f"**{escape(group)}**\n")
        parts.append(table(headers, rows, "lrrlrl") + "\n")
        parts.append(verdict_text(ranking, declaration) + "\n")
        table_of_two = grid({row.variant: here[row.variant] for row in rows_here},
                            ranking.metric, declaration)
        if table_of_two:
            parts.append(table_of_two + "\n")
    return "\n".join(parts)


def _in_order(texts: list[str], raw: Mapping[str, object]) -> list[str]:
    """Setting values in numeric order when they are all numbers, else as they came."""
    numbers = {x: raw.get(x) for x in texts}
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in numbers.values()):
        return sorted(texts, key=lambda x: float(numbers[x]))  # type: ignore[arg-type]
    return texts


def grid(variants: Mapping[str, Sequence[Record]], metric: str, declaration: Declaration) -> str:
    """When the variants differ in exactly two settings and each pair of values is one variant
    (an lr × backbone_lr search, note 002's), ``metric``'s mean as a grid: a row per value of
    the first setting, a column per value of the second; "" otherwise."""
    if len(variants) < 3:
        return ""
    configs = {name: an.variant_config(list(recs)) for name, recs in variants.items()}
    differ = an.differing_config_keys(configs)
    if len(differ) != 2 or any(k not in c for c in configs.values() for k in differ):
        return ""
    first, second = differ
    cells: dict[tuple[str, str], Markdown] = {}
    shown = display_of(metric, declaration)
    for name, recs in variants.items():
        where = (config_value(configs[name][first]), config_value(configs[name][second]))
        if where in cells:
            return ""  # two variants share the pair: not a grid
        stats = seed_summary(recs, metric)
        cells[where] = shown.value(stats.mean) if stats.measured else Markdown("—")
    raw = {config_value(c[k]): c[k] for c in configs.values() for k in differ}
    rows_of = _in_order(list(dict.fromkeys(a for a, _ in cells)), raw)
    cols_of = _in_order(list(dict.fromkeys(b for _, b in cells)), raw)
    rows = [[bold(escape(a)), *[cells.get((a, b), Markdown("—")) for b in cols_of]] for a in rows_of]
    head = md(t("{metric} by {first} and {second} (mean over seeds):"), metric=shown.label,
              first=code(first), second=code(second))
    body = table([f"{first} \\ {second}", *cols_of], rows, "l" + "r" * len(cols_of))
    return f"{head}\n\n{body}"


def lead_columns(records: Sequence[Record], key: str | None, declaration: Declaration
                 ) -> tuple[list[str], dict[str, str]]:
    """The metrics of a lead block's per-seed table, at most :data:`LEAD_COLUMNS`, and the
    metrics left out because they equal a shown one (``{dropped: shown}``).

    The declared metrics the runs measured, in declared order; when the runs measured none of
    them (a script that names its metrics otherwise), the usual summary metrics with the key
    metric first. The key metric, when measured, is always shown (in the last column when the
    declaration lists it after :data:`LEAD_COLUMNS` others): the headline ranks by it."""
    from .sections import summary_columns

    measured = an.ordered_keys(r.metrics for r in records)
    declared = [m for m in declaration.metrics or () if m in measured]
    wanted = declared or summary_columns(measured)
    if key in measured and (not declared or key not in wanted):
        wanted = [key, *[m for m in wanted if m != key]]
    same = equal_metrics(records, wanted, keep=[key] if key else [])
    shown = [m for m in wanted if m not in same]
    if key in shown[LEAD_COLUMNS:]:  # declared late among many: it takes the last column
        shown = [*shown[:LEAD_COLUMNS - 1], key]
    shown = shown[:LEAD_COLUMNS]
    return shown, {k: v for k, v in same.items() if v in shown}


def lead_block(records: Sequence[Record], key: str | None, declaration: Declaration,
               comparison: Comparison | None) -> str:
    """A variant's seeds, one row each, its summary line and its comparison (see the module)."""
    columns, same = lead_columns(records, key, declaration)
    shows = {m: display_of(m, declaration) for m in columns}
    counts = {r.id: fas_counts(r) for r in records}
    # the epoch a selection chose, when the metrics are that checkpoint's (ser's `epoch-422`)
    chosen_epochs = {r.id: r.selections[r.checkpoint].epoch for r in records
                     if r.checkpoint in r.selections and r.selections[r.checkpoint].mode != "last"}
    with_counts = any(c is not None for c in counts.values())
    best = an.best_run(records, key, declaration.goal_for(key)) if key else None
    rows = []
    for r in records:
        label = an.seed_label(r)
        if r.status != "finished":
            label += f" ({t(an.display_status(r))})"
        elif best is not None and r.id == best.id:
            label += f" ({t('best')})"
        if r.id in chosen_epochs:  # in the run's cell, not a column: the table keeps its width
            label += t(", epoch {epochs}", epochs=chosen_epochs[r.id])
        row: list[Markdown | str] = [escape(label)]
        row += [shows[m].value(r.metrics.get(m)) for m in columns]
        if with_counts:
            found = counts[r.id]
            row.append(Markdown(" ".join(map(str, found))) if found else "—")
        rows.append(row)
    headers = [t("run"), *[shows[m].label for m in columns]]
    if with_counts:
        headers.append("TP FN TN FP")

    parts = [str(table(headers, rows, "l" + "r" * (len(headers) - 1)))]
    if same:
        parts.append(escape(t("Equal in every run, shown once: {pairs}.", pairs=", ".join(
            f"{metric_label(a)} = {metric_label(b)}" for a, b in same.items()))))
    summary = summary_line(records, key, declaration, comparison)
    if summary:
        parts.append(summary)
    epochs = epoch_lines(records, key, declaration)
    if epochs:
        parts.append(epochs)
    return "\n\n".join(parts) + "\n"


MAX_EPOCH_LINE = 30
"""Epochs written out in a per-epoch line at most (a longer run has its chart)."""


def epoch_lines(records: Sequence[Record], key: str | None, declaration: Declaration) -> str:
    """For a run that measured its key metric on the test set every epoch (``test_<key>`` in
    its history, as the VAD notes keep it): one line per seed, ``seed 0: ep1 71.20 · ep2 78.10 ·
    … · **ep7 84.66** % AUC over 40791 test frames``, the best epoch in bold."""
    if key is None:
        return ""
    series = f"test_{key}"
    shown = display_of(key, declaration)
    goal = declaration.goal_for(key)
    lines = []
    for r in records:
        points: list[tuple[int, float]] = []
        for row in r.history:
            value = row.values().get(series)
            if value is not None:
                points.append((row.epoch, float(value)))
        if not points or len(points) > MAX_EPOCH_LINE:
            continue
        finite = [(e, v) for e, v in points if v == v]
        top = (min if goal == "min" else max)(finite, key=lambda p: p[1])[0] if finite else None
        cells = [Markdown(f"ep{e} {shown.value(v)}") for e, v in points]
        cells = [bold(c) if e == top else c for (e, _), c in zip(points, cells, strict=True)]
        where = _test_size(r)
        unit = "\u00a0%" if shown.percent else ""
        tail = md(t("{unit} {metric} over {n}"), unit=unit, metric=metric_label(key), n=where) if where \
            else md("{unit} {metric}", unit=unit, metric=metric_label(key))
        lines.append(md("{who}: ", who=an.seed_label(r)) + " · ".join(cells) + tail)
    return "  \n".join(lines)


def _test_size(record: Record) -> str:
    """``40791 test frames``: the test split's size as the data set names it, or empty."""
    sizes = record.dataset.sizes if record.dataset is not None else {}
    for name, size in sizes.items():
        if name.lower().startswith("test"):
            return f"{size} {name}" if name.lower() != "test" else f"{size} " + t("test samples")
    return ""


def summary_line(records: Sequence[Record], key: str | None, declaration: Declaration,
                 comparison: Comparison | None) -> str:
    """``**ACER 7.52 ± 0.41 % (n=4)**, 95% CI [6.90, 8.21]; −1.20 points [−2.03, −0.37]
    against student (baseline): beyond seed noise.``"""
    if key is None:
        return ""
    stats = seed_summary(records, key)
    if not stats.measured:
        return ""
    shown: Display = display_of(key, declaration)
    if stats.unresolved is not None:
        return md(t("{metric}: n/a ({why})."), metric=metric_label(key), why=stats.unresolved.reason)
    if stats.n == 0:
        return md(t("{metric}: no finished run measured it."), metric=metric_label(key))
    unit = "\u00a0%" if shown.percent else ""
    head = bold(Markdown(f"{escape(metric_label(key))} {shown.mean_std(stats.mean, stats.std)}{unit} "
                         f"(n={stats.n})"))
    text = str(head)
    if stats.n > 1 and stats.interval.low == stats.interval.low:
        text += t(", ") + t("95% CI") + " " + shown.interval(stats.interval.low, stats.interval.high)
    if comparison is not None:
        d = comparison.difference
        points = t(" points") if shown.percent else ""
        against = md(t("{diff}{points} against {name}"), diff=shown.difference(d.diff), points=points,
                     name=comparison.partner)
        if d.low == d.low:
            against = Markdown(f"{against} {shown.interval(d.low, d.high, signed=True)}")
        text += t("; ") + f"{against}" + t(": ") + f"{_verdict_cell(comparison)}"
    return text + t(".")


def visible(markdown: str) -> str:
    """The part of a post's Markdown shown before anything is unfolded: every line outside a
    ``???`` block (a folded block is its ``???`` line and the indented lines after it)."""
    out: list[str] = []
    folded = False
    for line in markdown.splitlines():
        if line.startswith("??? "):
            folded = True
            continue
        if folded and (line.startswith("    ") or not line.strip()):
            continue
        folded = False
        out.append(line)
    return "\n".join(out)


def reading_minutes(markdown: str, words_per_minute: int = 265) -> int:
    """Minutes to read the visible part of a post (at least 1): what Material's blog shows as
    the reading time, which would otherwise count the folded tables too."""
    words = len(visible(markdown).split())
    return max(1, -(-words // words_per_minute))
