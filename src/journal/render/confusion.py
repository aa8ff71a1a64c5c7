"""Confusion matrices as raw HTML tables: counts with each cell shaded by its share of the row
(the true class) in a semi-transparent accent that reads on light and dark pages, the share also
written as text (for screen readers and print), the diagonal bold, the checkpoint and epoch
named, wide matrices scrolling inside their own container and long labels abbreviated (the full
label in a ``title``).

A cell's shade is a class, ``h1`` (a share below 15 %) to ``h10`` (95 % or more), which
``journal.css`` colours: a class is a quarter of the bytes of an inline colour, and matrices are
most of a post's Markdown, which every build reads (Zensical's link check reads it all on each
build). The exact share is the cell's text.

The HTML sits inside Markdown (a folded block, a tab), which still reads its text: every text
from a record goes through :func:`journal.escape.html_md`.

A raw HTML block must start at the beginning of a line outside any indented block, so
:func:`section` writes its tabs (the sum over seeds first, then each seed) as Material's tab
markup itself instead of indenting HTML into ``===`` tabs.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

from ..confusions import recall_moves, shown_epochs
from ..escape import Markdown, html_md
from ..records import Record
from ..series import chosen_epoch, row_shares, seed_label, summed_matrix
from .i18n import t

LABEL_CHARS = 12
SHADES = 10
"""Steps of a cell's shade (``h1`` … ``h10`` in ``journal.css``); a share of 0 is not shaded."""


def shade(share: float) -> int:
    """The shade step of a row share: its nearest tenth (halves up), at least 1 for any share
    above 0; 0 for none or an empty row."""
    if math.isnan(share) or share <= 0:
        return 0
    return max(1, min(SHADES, math.floor(SHADES * share + 0.5)))


def _label(text: str, tag: str, scope: str) -> str:
    short = text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"
    title = f' title="{html_md(text)}"' if short != text else ""
    return f'<{tag} scope="{scope}"{title}>{html_md(short)}</{tag}>'


def matrix_html(labels: Sequence[str], matrix: Sequence[Sequence[int]], caption: str) -> str:
    """One matrix as a ``<table>`` (rows = true class) in a scrolling ``div``, on one line."""
    shares = row_shares(matrix)
    head = "".join(_label(x, "th", "col") for x in labels)
    rows = []
    for i, (label, row, share) in enumerate(zip(labels, matrix, shares, strict=True)):
        cells = []
        for j, (count, s) in enumerate(zip(row, share, strict=True)):
            text = "—" if math.isnan(s) else f"{100 * s:.1f}\u00a0%"
            step = shade(s)
            shaded = f' class="h{step}"' if step else ""
            value = f"<strong>{count}</strong>" if i == j else str(count)
            cells.append(f"<td{shaded}>{value}<br><small>{text}</small></td>")
        rows.append(f"<tr>{_label(label, 'th', 'row')}{''.join(cells)}<td>{sum(row)}</td></tr>")
    corner = html_md(t("true \\ predicted"))
    return (f'<div class="journal-scroll" style="overflow-x:auto"><table class="journal-confusion">'
            f"<caption>{html_md(caption)}</caption><thead><tr><th>{corner}</th>{head}"
            f"<th>n</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def _where(records: Sequence[Record]) -> str:
    conf = next(r.confusion for r in records if r.confusion is not None)
    epochs = [chosen_epoch(r, conf.checkpoint) for r in records]
    known = sorted({e for e in epochs if e is not None})
    epoch = "" if not known else t(", epoch {epochs}", epochs=", ".join(map(str, known)))
    return t("{split} split, checkpoint {checkpoint}{epoch}; rows are the true class",
             split=conf.split, checkpoint=conf.checkpoint, epoch=epoch)


def record_matrix(record: Record) -> str:
    """One run's matrix with its split, checkpoint and epoch, then its matrices over epochs
    (:func:`epochs_section`); "" without either."""
    conf = record.confusion
    final = "" if conf is None else matrix_html(conf.labels, conf.matrix, _where([record]))
    return final + epochs_section(record)


SPARKS = "▁▂▃▄▅▆▇█"


def _spark(values: Sequence[float]) -> str:
    """Recall (0 to 1) over epochs as one character each; NaN (no samples) as a space."""
    return "".join(" " if math.isnan(v) else SPARKS[min(len(SPARKS) - 1, int(v * len(SPARKS)))]
                   for v in values)


def _recall(value: float) -> str:
    return "—" if math.isnan(value) else f"{100 * value:.1f}\u00a0%"


def epochs_section(record: Record) -> str:
    """The run's confusion over epochs: the matrix at each epoch a selection chose and at the
    last one, then each class's recall at the first, chosen and last epochs with its change and
    a sparkline over every epoch ("" when the run logged no matrices per epoch). The numbers are
    :func:`journal.confusions.recall_moves`'."""
    history = record.confusion_epochs
    moves = recall_moves(record)
    if history is None or moves is None:
        return ""
    parts = []
    for shown in shown_epochs(record):
        matrix = history.at(shown.epoch) or []
        caption = t("{split} split, epoch {epoch} ({why}); rows are the true class",
                    split=history.split, epoch=shown.epoch, why=", ".join(shown.reasons))
        parts.append(matrix_html(history.labels, matrix, caption))
    head = "".join(f'<th scope="col">{html_md(t("epoch {epoch}", epoch=e))}</th>' for e in moves.epochs)
    rows = []
    for label, values, change in moves.rows:
        cells = "".join(f"<td>{_recall(v)}</td>" for v in values)
        delta = "—" if math.isnan(change) else f"{100 * change:+.1f}\u00a0pp"
        spark = _spark([v for _, v in moves.series[label]])
        rows.append(f"{_label(label, 'th', 'row')}{cells}<td>{delta}</td>"
                    f'<td><span aria-hidden="true">{html_md(spark)}</span></td>')
    caption = t("Recall per class over epochs ({split} split)", split=history.split)
    parts.append(
        f'<div class="journal-scroll" style="overflow-x:auto"><table class="journal-recall">'
        f"<caption>{html_md(caption)}</caption><thead><tr><th>{html_md(t('class'))}</th>{head}"
        f"<th>{html_md(t('change'))}</th><th>{html_md(t('over epochs'))}</th></tr></thead>"
        f"<tbody>{''.join(f'<tr>{r}</tr>' for r in rows)}</tbody></table></div>")
    return "".join(parts)


def section(records: Sequence[Record], key: str = "") -> Markdown:
    """The matrix summed over the runs that have one (when they share labels), then each run's
    (with its matrices over epochs, :func:`epochs_section`), as tabs; ``key`` (the variant's
    slug) keeps the tabs of two variants apart on one page."""
    runs = [r for r in records if r.confusion is not None or r.confusion_epochs is not None]
    if not runs:
        return Markdown("")
    tabs = [(seed_label(r), record_matrix(r)) for r in runs]
    final = [r for r in runs if r.confusion is not None]
    confusions = [r.confusion for r in final if r.confusion is not None]
    total = summed_matrix(confusions)
    if total is not None and len(final) > 1:
        caption = t("Sum over {n} runs", n=len(final)) + "; " + _where(final)
        tabs.insert(0, (t("sum over seeds"), matrix_html(confusions[0].labels, total, caption)))
    if len(tabs) == 1:
        return Markdown(tabs[0][1])
    group = "__journal_cm_" + hashlib.sha256(f"{key}\0{runs[0].id}".encode()).hexdigest()[:8]
    inputs = "".join(f'<input{" checked" if i == 0 else ""} id="{group}_{i}" name="{group}" type="radio">'
                     for i in range(len(tabs)))
    labels = "".join(f'<label for="{group}_{i}">{html_md(title)}</label>'
                     for i, (title, _) in enumerate(tabs))
    blocks = "".join(f'<div class="tabbed-block">{body}</div>' for _, body in tabs)
    return Markdown(f'<div class="tabbed-set tabbed-alternate" data-tabs="1:{len(tabs)}">{inputs}'
                    f'<div class="tabbed-labels">{labels}</div><div class="tabbed-content">{blocks}'
                    "</div></div>")
