"""Matplotlib charts written as SVG bytes.

Charts are drawn on a transparent background in mid-grey ink, so they stay readable in both
Material's light (``default``) and dark (``slate``) schemes. Text stays text in the SVG
(``svg.fonttype: none``) with a CJK-capable font stack, so Chinese labels render in the browser.
The output is deterministic (fixed hash salt, no date), so an unchanged chart is byte-identical.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from ..analysis import Series  # noqa: E402

INK = "#8a8a8a"
STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "svg.hashsalt": "journal",
    "font.family": "sans-serif",
    "font.sans-serif": [
        "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
        "WenQuanYi Micro Hei", "DejaVu Sans", "Arial", "sans-serif",
    ],
    "font.size": 9,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.grid": True,
    "grid.color": INK,
    "grid.alpha": 0.25,
    "legend.frameon": False,
}


def _svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # Text stays text in the SVG; the browser, not matplotlib, picks the CJK font.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buf, format="svg", transparent=True, metadata={"Date": None})
    return buf.getvalue()


def bar_chart(
    labels: Sequence[str],
    means: Sequence[float],
    stds: Sequence[float],
    *,
    title: str,
    ylabel: str,
    highlight: int | None = None,
    horizontal: bool = False,
) -> bytes:
    """Bars with error bars (mean ± std over seeds), one per label; labels stay SVG text.

    ``highlight``: the index of a bar to stand out (the best variant), the others paler.
    ``horizontal``: one row per label, for long names such as variants.
    """
    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        height = max(2.4, 0.45 * len(labels) + 1.0) if horizontal else 3.0
        fig = Figure(figsize=(6.4, height))
        ax = fig.add_subplot()
        positions = list(range(len(labels)))
        errors = [0.0 if s != s else s for s in stds]  # a lone run has no spread
        values = [0.0 if m != m else m for m in means]
        colours = [f"C{i % 10}" for i in positions]
        if highlight is not None:
            colours = ["C1" if i == highlight else "C0" for i in positions]
        alphas = [0.95 if highlight is None or i == highlight else 0.45 for i in positions]
        top = max(1.0, max((m + e for m, e in zip(values, errors, strict=True)), default=1.0))
        bottom = min(0.0, min((m - e for m, e in zip(values, errors, strict=True)), default=0.0))
        if horizontal:
            bars = ax.barh(positions, values, xerr=errors, color=colours, capsize=4, ecolor=INK)
            ax.set_yticks(positions, labels)
            ax.invert_yaxis()  # first variant on top, as in the table
            ax.set_xlabel(ylabel)
            ax.set_xlim(bottom, top)
            fig.subplots_adjust(left=0.3, right=0.97, top=0.85, bottom=0.8 / height)
        else:
            bars = ax.bar(positions, values, yerr=errors, color=colours, capsize=4, ecolor=INK)
            ax.set_xticks(positions, labels)
            ax.set_ylabel(ylabel)
            ax.set_ylim(bottom, top)
            fig.subplots_adjust(left=0.1, right=0.98, top=0.88, bottom=0.15)
        for bar, alpha in zip(bars, alphas, strict=True):
            bar.set_alpha(alpha)
        ax.set_title(title, color=INK)
        return _svg(fig)


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    ylabel: str,
    dashed: Sequence[Series] = (),
    marks: Sequence[tuple[str, int, float]] = (),
    mark_label: str = "chosen epoch",
    xlabel: str = "epoch",
    integer_x: bool = True,
) -> bytes:
    """Lines per run (``series`` solid, ``dashed`` dashed in the same colour, e.g. train vs
    val), with optional marks ``(run label, epoch, value)`` drawn as rings."""
    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]
        fig = Figure(figsize=(6.4, 3.2))
        ax = fig.add_subplot()
        colours = {}
        for i, s in enumerate(series):
            (line,) = ax.plot(s.x, s.y, color=f"C{i % 10}", linewidth=1.4, label=s.label)
            colours[s.label] = line.get_color()
        for s in dashed:
            colour = colours.get(s.label, INK)
            ax.plot(s.x, s.y, color=colour, linewidth=1.1, linestyle="--", alpha=0.8)
        for j, (label, x, y) in enumerate(marks):
            ax.plot([x], [y], marker="o", markersize=9, markerfacecolor="none",
                    markeredgewidth=1.6, color=colours.get(label, INK),
                    label=mark_label if j == 0 else None, linestyle="none")
        ax.set_title(title, color=INK)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if integer_x:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if series or marks:
            ax.legend(fontsize=8, loc="best")
        fig.subplots_adjust(left=0.1, right=0.98, top=0.88, bottom=0.15)
        return _svg(fig)
