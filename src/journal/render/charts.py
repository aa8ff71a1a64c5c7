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

import hashlib
import io
import json
import multiprocessing as mp
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, is_dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..analysis import Series
from ..escape import chart_text
from ..records import write_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _matplotlib() -> Any:
    """matplotlib, imported on the first chart actually drawn (a warm build draws none)."""
    import matplotlib

    matplotlib.use("Agg")
    return matplotlib

INK = "#8a8a8a"
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
    from matplotlib.figure import Figure

    labels, title, ylabel = [chart_text(x) for x in labels], chart_text(title), chart_text(ylabel)
    with matplotlib.rc_context(STYLE):
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
    matplotlib = _matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    title, ylabel, xlabel = chart_text(title), chart_text(ylabel), chart_text(xlabel)
    mark_label = chart_text(mark_label)
    with matplotlib.rc_context(STYLE):
        fig = Figure(figsize=(6.4, 3.2))
        ax = fig.add_subplot()
        colours = {}
        for i, s in enumerate(series):
            (line,) = ax.plot(s.x, s.y, color=f"C{i % 10}", linewidth=1.4, label=chart_text(s.label))
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


# -- cache, deferral, parallel rendering -------------------------------------------------------
_RENDERERS: dict[str, Callable[..., bytes]] = {"line": _line_chart, "bar": _bar_chart}
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
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
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
