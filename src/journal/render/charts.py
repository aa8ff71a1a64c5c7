"""Matplotlib charts written as SVG bytes.

Charts are drawn on a transparent background in mid-grey ink, so they stay readable in both
Material's light (``default``) and dark (``slate``) schemes. Text stays text in the SVG
(``svg.fonttype: none``) with a CJK-capable font stack, so Chinese labels render in the browser.
The output is deterministic (fixed hash salt, no date), so an unchanged chart is byte-identical.

Charts are the slow part of a build (tens of milliseconds each), so they are cached and
rendered in parallel:

* **cache** — inside ``with cache_in(folder):`` a chart is looked up by a hash of exactly what
  it draws (its data, labels and options, this module's source and matplotlib's version); a hit
  is served from the folder, so changing one record re-renders only that record's charts. A
  cached file that is truncated or not an SVG is detected, re-rendered and replaced; files are
  written atomically.
* **parallel** — inside ``with deferred() as pending:`` a missing chart is not drawn at once:
  a placeholder stands in for it and its spec is queued; :func:`resolve` then draws every queued
  chart on a process pool (one worker per core) and :func:`fill` swaps the placeholders.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import multiprocessing as mp
import os
import textwrap
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, fields, is_dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analysis import Series
from ..atomic import write_atomic
from ..escape import chart_text
from ..series import Line, Mark
from ..series import log_scale as series_log_scale

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _matplotlib() -> Any:
    """matplotlib, imported on the first chart actually drawn (a warm build draws none)."""
    import matplotlib

    matplotlib.use("Agg")
    return matplotlib


INK = "#8a8a8a"
WIDTH_IN = 4.8
"""Figure width in inches (345.6 SVG units): the column scales it, down to ~350 px on a phone."""
FONT = 11.0
"""Every text's size in SVG units: ≥ 11 px as rendered when the chart is 350 px wide or more."""
STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    # Names from records are text, never mathtext: "$\\frac$" would make matplotlib raise.
    "text.parse_math": False,
    "svg.hashsalt": "journal",
    "font.family": "sans-serif",
    "font.sans-serif": [
        "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei",
        "WenQuanYi Micro Hei", "DejaVu Sans", "Arial", "sans-serif",
    ],
    "font.size": FONT,
    **{k: FONT for k in ("axes.titlesize", "axes.labelsize", "xtick.labelsize",
                         "ytick.labelsize", "legend.fontsize", "legend.title_fontsize",
                         "figure.titlesize")},
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": INK,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.grid": True,
    "grid.color": INK,
    "grid.alpha": 0.25,
    "legend.frameon": False,
    "legend.handlelength": 1.6,
    "legend.columnspacing": 1.0,
}
STYLES = ("-", "--", ":", "-.")
NAN_LABEL = "NaN/inf"


def wrap(text: str) -> str:
    """A title in lines that fit the figure's width (CJK characters count double)."""
    return "\n".join(textwrap.wrap(text, 44 if text.isascii() else 24)) or text


def shorten(label: str, width: int = 24) -> str:
    """``label`` in at most ``width`` characters: its start and its end around an ellipsis, as
    variants that share a prefix (``v2 lr=0.0001 dropout=0.21``) differ at the end."""
    if len(label) <= width:
        return label
    head = (width - 1) // 2
    return label[:head] + "…" + label[-(width - 1 - head):]


def _svg(fig: Figure) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # Text stays text in the SVG; the browser, not matplotlib, picks the CJK font.
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buf, format="svg", transparent=True, metadata={"Date": None})
    return buf.getvalue()


def _figure(height: float) -> Figure:
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    return Figure(figsize=(WIDTH_IN, height), layout=ConstrainedLayoutEngine(w_pad=0.04, h_pad=0.04))


def _bar_chart(
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
    matplotlib = _matplotlib()
    # shortened before escaping, so that the cut never splits an escape
    short = [chart_text(shorten(x)) for x in labels]  # the table names them in full
    title, ylabel = chart_text(title), chart_text(ylabel)
    with matplotlib.rc_context(STYLE):
        height = max(2.6, 0.4 * len(labels) + 1.4) if horizontal else 3.2
        fig = _figure(height)
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
            ax.set_yticks(positions, short)
            ax.invert_yaxis()  # first variant on top, as in the table
            ax.set_xlabel(ylabel)
            ax.set_xlim(bottom, top)
        else:
            bars = ax.bar(positions, values, yerr=errors, color=colours, capsize=4, ecolor=INK)
            ax.set_xticks(positions, short, rotation=30 if len(labels) > 4 else 0,
                          ha="right" if len(labels) > 4 else "center")
            ax.set_ylabel(ylabel)
            ax.set_ylim(bottom, top)
        for bar, alpha in zip(bars, alphas, strict=True):
            bar.set_alpha(alpha)
        ax.set_title(wrap(title), color=INK)
        return _svg(fig)


def _line_chart(
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
    solid_key, dashed_key = ylabel, f"{ylabel} (dashed)"
    lines = [Line(s.label, solid_key, list(s.x), list(s.y)) for s in series]
    lines += [Line(s.label, dashed_key, list(s.x), list(s.y)) for s in dashed]
    return _panel_chart(lines, title=title, ylabel=ylabel, xlabel=xlabel, integer_x=integer_x,
                        marks=[Mark(label, solid_key, x, y) for label, x, y in marks],
                        mark_label=mark_label)


def _panel_chart(
    lines: Sequence[Line],
    *,
    title: str,
    ylabel: str,
    marks: Sequence[Mark] = (),
    mark_label: str = "chosen epoch",
    xlabel: str = "epoch",
    integer_x: bool = True,
    nan_label: str = NAN_LABEL,
) -> bytes:
    """One panel: a colour per ``label`` (seed or variant), a line style per ``key`` (the logged
    series), a shaded band where a line has one, rings at ``marks`` and an ``x`` on the top (or
    bottom, for -inf) edge where a value was not finite. A log axis where positive values span
    decades. The legend sits below the plot and names each label and each key once."""
    matplotlib = _matplotlib()
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter
    from matplotlib.transforms import blended_transform_factory

    lines = [Line(**{**asdict(x), "label": chart_text(x.label), "key": chart_text(x.key)})
             for x in lines]
    marks = [Mark(chart_text(m.label), chart_text(m.key), m.x, m.y) for m in marks]
    title, ylabel, xlabel = chart_text(title), chart_text(ylabel), chart_text(xlabel)
    mark_label, nan_label = chart_text(mark_label), chart_text(nan_label)
    labels = list(dict.fromkeys(x.label for x in lines))
    keys = list(dict.fromkeys(x.key for x in lines))
    colour = {label: f"C{i % 10}" for i, label in enumerate(labels)}
    style: dict[str, Any] = {key: STYLES[i % len(STYLES)] for i, key in enumerate(keys)}
    handles = [Line2D([], [], color=colour[x], linewidth=2, label=x) for x in labels]
    if len(keys) > 1:
        handles += [Line2D([], [], color=INK, linestyle=style[k], label=k) for k in keys]
    if marks:
        handles.append(Line2D([], [], marker="o", markerfacecolor="none", color=INK,
                              linestyle="none", label=mark_label))
    if any(x.nan or x.neg for x in lines):
        handles.append(Line2D([], [], marker="x", color=INK, linestyle="none", label=nan_label))
    columns = 2 if max((len(str(h.get_label())) for h in handles), default=0) <= 22 else 1
    rows = -(-len(handles) // columns)
    with matplotlib.rc_context(STYLE):
        fig = _figure(2.7 + 0.23 * rows + 0.2 * wrap(title).count("\n"))
        ax = fig.add_subplot()
        edge = blended_transform_factory(ax.transData, ax.transAxes)
        for x in lines:
            c = colour[x.label]
            ax.plot(x.x, x.y, color=c, linestyle=style[x.key], linewidth=1.5,
                    marker="." if len(x.x) == 1 else None)
            if x.low:
                ax.fill_between(x.x, x.low, x.high, color=c, alpha=0.18, linewidth=0)
            for where, at in ((x.nan, 1.0), (x.neg, 0.0)):
                if where:
                    ax.plot(where, [at] * len(where), transform=edge, marker="x", markersize=8,
                            markeredgewidth=1.8, color=c, linestyle="none", clip_on=False)
        for m in marks:
            ax.plot([m.x], [m.y], marker="o", markersize=10, markerfacecolor="none",
                    markeredgewidth=1.6, color=colour.get(m.label, INK), linestyle="none")
        if series_log_scale(lines):
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(wrap(title), color=INK)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if integer_x:
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncols=columns)
        return _svg(fig)


def warm_up() -> None:
    """Import matplotlib and load its fonts by drawing one small chart (nothing is kept), so
    that the next chart drawn in this process does not pay for them."""
    with contextlib.suppress(Exception):  # a failed warm-up only makes the first chart slower
        _panel_chart([Line("a", "b", [1.0, 2.0], [1.0, 2.0])], title="warm-up", ylabel="y")


# -- cache, deferral, parallel rendering -------------------------------------------------------
_RENDERERS: dict[str, Callable[..., bytes]] = {
    "line": _line_chart, "bar": _bar_chart, "panel": _panel_chart}
_SOURCE = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]
_MATPLOTLIB = version("matplotlib")
PLACEHOLDER = b"\0journal-chart:"
_cache_dir: ContextVar[Path | None] = ContextVar("journal_chart_cache", default=None)
_pending: ContextVar[dict[str, Spec] | None] = ContextVar("journal_chart_pending", default=None)
_used: ContextVar[set[str] | None] = ContextVar("journal_chart_used", default=None)
renders = 0
"""How many charts this process has drawn (cache hits are not counted); tests read it."""

Spec = tuple[str, tuple[Any, ...], dict[str, Any]]


def _plain(value: Any) -> Any:
    """A dataclass as its fields, for :func:`json.dumps`, which calls this again for any
    dataclass among them: the same text as :func:`dataclasses.asdict`'s without its deep copy
    of every series (most of a cold build's key hashing)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in fields(value)}
    raise TypeError(f"cannot hash {type(value).__name__}")


def chart_key(kind: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> str:
    """A hash of exactly what a chart draws, and of the code and library that draw it."""
    text = json.dumps([kind, list(args), dict(sorted(kwargs.items())), _SOURCE,
                       _MATPLOTLIB], default=_plain, ensure_ascii=False, allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


FAILED = b"<!-- journal: chart failed -->"
"""How an SVG that could not be drawn starts: a post keeps a blank chart and reports it."""


def _draw(spec: Spec) -> bytes:
    global renders
    kind, args, kwargs = spec
    renders += 1
    try:
        return _RENDERERS[kind](*args, **kwargs)
    except Exception as exc:  # data that matplotlib refuses costs this chart, not the site
        return FAILED + (f'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1">'
                         f"<desc>{type(exc).__name__}</desc></svg>").encode()


def failed(svg: bytes) -> bool:
    """Whether ``svg`` is the stand-in for a chart that could not be drawn."""
    return svg.startswith(FAILED)


def _valid(svg: bytes) -> bool:
    return svg.startswith(b"<?xml") and svg.rstrip().endswith(b"</svg>")


def _cache_path(folder: Path, key: str) -> Path:
    return folder / key[:2] / f"{key}.svg"


def _read_cache(key: str) -> bytes | None:
    folder = _cache_dir.get()
    if folder is None:
        return None
    try:
        svg = _cache_path(folder, key).read_bytes()
    except OSError:
        return None
    return svg if _valid(svg) else None  # truncated or foreign: drawn again and replaced


def _write_cache(key: str, svg: bytes) -> None:
    folder = _cache_dir.get()
    if folder is None or failed(svg):
        return
    path = _cache_path(folder, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, svg, durable=False)


def _chart(kind: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    key = chart_key(kind, args, kwargs)
    used = _used.get()
    if used is not None:
        used.add(key)
    cached = _read_cache(key)
    if cached is not None:
        return cached
    pending = _pending.get()
    if pending is not None:
        pending[key] = (kind, args, kwargs)
        return PLACEHOLDER + key.encode()
    svg = _draw((kind, args, kwargs))
    _write_cache(key, svg)
    return svg


def line_chart(*args: Any, **kwargs: Any) -> bytes:
    """Lines per run, as SVG bytes (see :func:`_line_chart` for the arguments); cached."""
    return _chart("line", args, kwargs)


def panel_chart(*args: Any, **kwargs: Any) -> bytes:
    """One metric's lines, bands and marks, as SVG bytes (see :func:`_panel_chart`); cached."""
    return _chart("panel", args, kwargs)


def bar_chart(*args: Any, **kwargs: Any) -> bytes:
    """Bars with error bars, as SVG bytes (see :func:`_bar_chart` for the arguments); cached."""
    return _chart("bar", args, kwargs)


@contextmanager
def cache_in(folder: str | Path | None) -> Iterator[None]:
    """Serve and store charts in ``folder`` inside the block (``None``: no cache)."""
    token = _cache_dir.set(Path(folder) if folder is not None else None)
    try:
        yield
    finally:
        _cache_dir.reset(token)


@contextmanager
def track() -> Iterator[set[str]]:
    """Collect the keys of every chart asked for inside the block (drawn or served)."""
    used: set[str] = set()
    token = _used.set(used)
    try:
        yield used
    finally:
        _used.reset(token)


def prune(folder: str | Path, keep: set[str]) -> int:
    """Delete cached charts whose key is not in ``keep``; returns how many."""
    removed = 0
    for path in Path(folder).glob("*/*.svg"):
        if path.stem not in keep:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


@contextmanager
def deferred() -> Iterator[dict[str, Spec]]:
    """Queue missing charts instead of drawing them; yields the queue for :func:`resolve`."""
    pending: dict[str, Spec] = {}
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


def _draw_many(specs: list[Spec]) -> list[bytes]:
    return [_draw(spec) for spec in specs]


def resolve(pending: Mapping[str, Spec], workers: int | None = None) -> dict[str, bytes]:
    """Draw every queued chart, on ``workers`` processes (default: one per core), store each in
    the cache, and return them by key."""
    global renders
    keys = list(pending)
    if not keys:
        return {}
    workers = max(1, min(workers or os.cpu_count() or 1, len(keys)))
    if workers == 1 or len(keys) < 4:
        drawn = [_draw(pending[k]) for k in keys]
    else:
        # fork is cheapest, but only safe without other threads (mkdocs serve runs some)
        method = "fork" if threading.active_count() == 1 and "fork" in mp.get_all_start_methods() \
            else "spawn"
        chunks = [keys[i::workers * 4] for i in range(workers * 4)]
        with ProcessPoolExecutor(workers, mp_context=mp.get_context(method)) as pool:
            results = pool.map(_draw_many, [[pending[k] for k in chunk] for chunk in chunks])
            by_key = {k: svg for chunk, svgs in zip(chunks, results, strict=True)
                      for k, svg in zip(chunk, svgs, strict=True)}
        drawn = [by_key[k] for k in keys]
        renders += len(keys)
    out = dict(zip(keys, drawn, strict=True))
    for key, svg in out.items():
        _write_cache(key, svg)
    return out


def fill(content: bytes, drawn: Mapping[str, bytes]) -> bytes:
    """A chart's bytes, with a placeholder from :func:`deferred` replaced by the drawn SVG."""
    if content.startswith(PLACEHOLDER):
        return drawn[content[len(PLACEHOLDER):].decode()]
    return content
