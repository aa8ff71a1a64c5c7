"""Which charts a variant and a post get, from records alone: a panel per logged metric (every
key a run logs per epoch, grouped by :func:`journal.series.metric_group`), per-class F1 bars and
each logged curve. Titles, which are also the charts' alt text, name every series drawn."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .. import analysis as an
from .. import series as sr
from ..records import Record
from . import charts
from .i18n import t

Chart = tuple[str, bytes]
"""A chart's title (its alt text in the post) and its SVG."""


def _slug(text: str) -> str:
    from .sections import slugify

    return slugify(text)


def free(files: Mapping[str, object], base: str) -> str:
    """``base.svg``, or ``base-2.svg``, … when two names slugify alike: never an overwrite."""
    name, n = f"{base}.svg", 1
    while name in files:
        n += 1
        name = f"{base}-{n}.svg"
    return name


def _marks_for(records: Sequence[Record], keys: Sequence[str], label: str | None = None
               ) -> tuple[list[sr.Mark], str]:
    chosen = sr.first_selection(records)
    if chosen is None or chosen[1] not in keys:
        return [], ""
    return sr.selection_marks(records, chosen[0], label), t("{name} (chosen epoch)", name=chosen[0])


def variant_charts(records: Sequence[Record], variant: str, stem: str, key: str) -> dict[str, Chart]:
    """The charts of one variant by file name: a panel per metric (a line per seed), per-class
    F1, and each curve."""
    files: dict[str, Chart] = {}
    for group, keys in sr.metric_groups(records).items():
        lines = [line for k in keys for line in sr.seed_lines(records, k)]
        marks, mark_label = _marks_for(records, keys)
        title = f"{variant}: {', '.join(keys)}"
        files[free(files, f"{stem}/{key}-{_slug(group)}")] = (title, charts.panel_chart(
            lines, title=title, ylabel=group, marks=marks, mark_label=mark_label or "chosen epoch"))
    stats = an.per_class_stats(records)
    if not stats.empty and "f1 mean" in stats:
        classes = stats[~stats["class"].astype(str).str.endswith(" avg")]
        title = t("{variant}: F1 per class (mean ± std over seeds)", variant=variant)
        files[free(files, f"{stem}/{key}-per-class-f1")] = (title, charts.bar_chart(
            [str(c) for c in classes["class"]], list(classes["f1 mean"]), list(classes["f1 std"]),
            title=title, ylabel="F1"))
    for name in an.ordered_keys(r.curves for r in records):
        first = next(r.curves[name] for r in records if name in r.curves)
        title = f"{variant}: {name}"
        files[free(files, f"{stem}/{key}-{_slug(name)}")] = (title, charts.line_chart(
            an.curve_series(records, name), title=title, ylabel=first.y_label, xlabel=first.x_label,
            integer_x=False))
    return files


def post_charts(variants: Mapping[str, Sequence[Record]], stem: str) -> dict[str, Chart]:
    """A panel per metric over the whole post: each variant's mean over seeds with a ± std band,
    the chosen epochs marked; files under ``<stem>/by-metric/``."""
    everything = [r for recs in variants.values() for r in recs]
    files: dict[str, Chart] = {}
    for group, keys in sr.metric_groups(everything).items():
        lines, marks, mark_label = [], [], ""
        for name, recs in variants.items():
            lines += [x for k in keys if (x := sr.mean_line(recs, k, name)) is not None]
            found, label = _marks_for(recs, keys, name)
            marks += found
            mark_label = mark_label or label
        title = t("{keys}: mean ± std over seeds", keys=", ".join(keys))
        files[free(files, f"{stem}/by-metric/{_slug(group)}")] = (title, charts.panel_chart(
            lines, title=title, ylabel=group, marks=marks, mark_label=mark_label or "chosen epoch"))
    return files
