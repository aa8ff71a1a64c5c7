"""Markdown tables and number formatting.

Every header and cell goes through :mod:`journal.escape`: text from records (variant names,
config values, class labels) can hold ``|``, ``*``, ``<script>`` or ``{: onclick=…}`` and must
reach the page as text. Cells that are already Markdown (numbers, bold, code, links we build) are
:class:`~journal.escape.Markdown` and pass through unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..escape import Markdown, md_bold, md_code, md_text

if TYPE_CHECKING:
    from ..comparisons import Group

escape = md_text
"""Text safe inside a Markdown table cell, heading or paragraph (see :func:`journal.escape.md_text`)."""


def number(value: Any, digits: int = 4) -> Markdown:
    """A metric for a table: ``nan``, ``inf``/``-inf``, ``—`` for missing, else fixed digits."""
    return Markdown(_number(value, digits))


def _number(value: Any, digits: int) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    x = float(value)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) >= 1000:
        return str(int(x))
    return f"{x:.{digits}f}"


def mean_std(mean: Any, std: Any, digits: int = 4) -> Markdown:
    """``0.2105 ± 0.0123`` (non-breaking spaces); a lone run shows its value alone."""
    if std is None or (isinstance(std, float) and math.isnan(std)):
        return number(mean, digits)
    return Markdown(f"{number(mean, digits)}\u00a0±\u00a0{number(std, digits)}")  # no line break


def config_value(value: Any) -> str:
    """A hyperparameter value as the notes write it (``1e-05``, ``true``, ``[3, 3]``)."""
    if isinstance(value, bool) or value is None:
        return "null" if value is None else str(value).lower()
    if isinstance(value, float):
        return repr(value) if value == 0 or 1e-3 <= abs(value) < 1e5 else f"{value:.0e}".replace("e-0", "e-")
    return str(value)


METRIC_LABELS = {
    "acc": "Acc", "far": "FAR", "frr": "FRR", "hter": "HTER", "apcer": "APCER", "bpcer": "BPCER",
    "acer": "ACER", "wa": "WA", "ua": "UA", "macro_f1": "macro F1", "weighted_f1": "weighted F1",
    "auroc": "AUROC", "auc": "AUC", "auc_raw": "AUC (unsmoothed)", "map": "mAP", "r1": "R1", "r5": "R5",
    "r10": "R10", "mae": "MAE", "r2": "R²", "rmse": "RMSE", "pearson_r": "Pearson r",
    "accuracy": "accuracy", "precision": "precision", "recall": "recall", "f1": "F1",
}


def metric_label(key: str) -> str:
    """How a metric key is written in a table header: ``r2`` → ``R²``, ``acer`` → ``ACER``."""
    return METRIC_LABELS.get(key, key)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], align: str | None = None) -> Markdown:
    """A pipe table. Headers and cells are escaped here, except those that are already
    :class:`~journal.escape.Markdown`.

    ``align`` holds one letter per column: ``l``, ``c`` or ``r`` (default: first column left,
    the rest right, as numbers read best).
    """
    align = align or "l" + "r" * (len(headers) - 1)
    marks = {"l": ":---", "c": ":---:", "r": "---:"}
    lines = [
        "| " + " | ".join(escape(h) for h in headers) + " |",
        "| " + " | ".join(marks[a] for a in align) + " |",
    ]
    lines += ["| " + " | ".join(escape(cell) for cell in row) + " |" for row in rows]
    return Markdown("\n".join(lines))


code = md_code
"""Inline code (see :func:`journal.escape.md_code`)."""

bold = md_bold
"""Bold text, escaped unless already Markdown (see :func:`journal.escape.md_bold`)."""


def group_title(group: Group) -> str:
    """``task · data set`` of a group of runs, as headings name it ("" when it has neither)."""
    return " · ".join(x for x in (group.task, group.dataset) if x)
