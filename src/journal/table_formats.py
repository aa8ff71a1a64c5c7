"""Tables as text: aligned for a terminal, CSV, JSON and GitHub-flavoured Markdown.

:class:`Table` (columns, rows of cell values, which columns are numeric) is what every format is
written from, so a DataFrame (:func:`format_table`, :mod:`journal.runs_table`,
:mod:`journal.step_summary`) and a table built without pandas (``journal list``) come out the
same, cell for cell. Every cell of a Markdown table is escaped (:func:`gfm_cell`); every cell of
a terminal table has its control characters dropped.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from .errors import JournalError
from .escape import clean, terminal_text

if TYPE_CHECKING:
    import pandas as pd

Format = Literal["table", "csv", "json", "md"]
FORMATS: tuple[str, ...] = ("table", "csv", "json", "md")


def check_sort(names: Sequence[str], columns: Sequence[str]) -> None:
    """Refuse sort keys that name no column (the message lists the columns)."""
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise JournalError(f"sort: no column {', '.join(repr(u) for u in unknown)}; "
                           f"columns: {', '.join(columns)}")


def _missing(value: Any) -> bool:
    """``None``, and pandas' missing values when pandas is loaded (never imported here)."""
    if value is None:
        return True
    pd = sys.modules.get("pandas")
    return pd is not None and (value is pd.NA or value is pd.NaT)


def _json_value(value: Any) -> Any:
    """A cell as JSON: times as ISO text, NaN and missing values as ``null``; floats are
    written exactly (``repr``), so they read back equal."""
    if _missing(value):
        return None
    if isinstance(value, datetime):
        return text_value(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def text_value(value: Any) -> str:
    """A cell as text: numbers with 4 decimals, NaN as ``nan``, missing as ``—``."""
    if _missing(value):
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return f"{value:.4f}"
    return str(value)


# Backslash escapes for the characters GitHub Markdown reads as inline syntax inside a table
# cell (emphasis, links, code, strikethrough, math, the cell separator); entities for HTML.
_GFM = {ord(c): "\\" + c for c in "\\`*_[]~|$"}
_GFM.update({ord("<"): "&lt;", ord(">"): "&gt;", ord("&"): "&amp;"})


def _cell_text(value: Any, column: str) -> str:
    """A table cell: config values as written, metrics with 4 decimals; a metric a run does not
    have and a NaN one both show as ``—`` (pandas cannot tell them apart; the status column
    tells a failed run)."""
    if isinstance(value, float) and math.isnan(value):
        return "—"
    if column.startswith("config.") and value is not None and not isinstance(value, bool):
        return str(value)
    return text_value(value)


def gfm_cell(value: Any) -> str:
    """Text for a GitHub-flavoured Markdown table cell: one line (:func:`journal.escape.clean`),
    ``\\ ` * _ [ ] ~ | $`` backslash-escaped and ``< > &`` as entities, so a cell shows its
    text literally and cannot end early, open a link, emphasis, math or an HTML tag."""
    return clean(value).translate(_GFM)


class Table:
    """Columns, rows of cell values and which columns are numeric (right-aligned): what every
    output format is written from, with or without pandas."""

    def __init__(self, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                 numeric: Sequence[bool]) -> None:
        self.columns = [str(c) for c in columns]
        self.rows = [list(r) for r in rows]
        self.numeric = list(numeric)

    @classmethod
    def of_frame(cls, df: pd.DataFrame) -> Table:
        import pandas as pd

        numeric = [pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
                   for c in df.columns]
        return cls(list(df.columns), [list(r) for r in df.astype(object).itertuples(index=False)],
                   numeric)

    def sorted(self, sort: str | Sequence[str] | None) -> Table:
        """The rows sorted by ``sort`` (names, ``-`` first for descending), missing values last,
        as :func:`frame` sorts them."""
        if not sort:
            return self
        keys = [sort] if isinstance(sort, str) else list(sort)
        check_sort([k.removeprefix("-") for k in keys], self.columns)
        rows = list(self.rows)
        for key in reversed(keys):
            i = self.columns.index(key.removeprefix("-"))
            present = [r for r in rows if not _absent(r[i])]
            absent = [r for r in rows if _absent(r[i])]
            numbers = all(isinstance(r[i], int | float) for r in present)
            present.sort(key=lambda r, i=i, n=numbers: r[i] if n else str(r[i]),  # type: ignore[misc]
                         reverse=key.startswith("-"))
            rows = present + absent
        return Table(self.columns, rows, self.numeric)


def _absent(value: Any) -> bool:
    return _missing(value) or (isinstance(value, float) and math.isnan(value))


def _markdown(table: Table) -> str:
    header = "| " + " | ".join(gfm_cell(c) for c in table.columns) + " |"
    rule = "| " + " | ".join("---:" if n else ":---" for n in table.numeric) + " |"
    body = ["| " + " | ".join(gfm_cell(_cell_text(v, c)) for v, c in zip(row, table.columns, strict=True))
            + " |" for row in table.rows]
    return "\n".join([header, rule, *body]) + "\n"


def _text(table: Table) -> str:
    cells = [[terminal_text(c) for c in table.columns]]
    cells += [[terminal_text(_cell_text(v, c)) for v, c in zip(row, table.columns, strict=True)]
              for row in table.rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(table.columns))]
    lines = ["  ".join(v.rjust(w) if n else v.ljust(w)
                       for v, w, n in zip(r, widths, table.numeric, strict=True)).rstrip()
             for r in cells]
    return "\n".join(lines) + "\n"


def _csv_value(value: Any) -> Any:
    """A cell for CSV: text without control characters, escape sequences, line breaks or
    bidirectional overrides (:func:`journal.escape.clean`: CSV is read in terminals too)."""
    if _absent(value):
        return ""
    if isinstance(value, datetime):
        return text_value(value)
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return clean(value) if isinstance(value, str) else value


_JSON_UNSAFE = re.compile("[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Characters JSON may leave raw that a terminal acts on (C1 controls, line separators,
bidirectional overrides): written as ``\\uXXXX`` escapes, so the data reads back the same."""


def markdown(df: pd.DataFrame) -> str:
    """``df`` as a GitHub-flavoured pipe table, numbers right-aligned, every cell escaped."""
    return _markdown(Table.of_frame(df))


def text_table(df: pd.DataFrame) -> str:
    """``df`` as aligned plain text with a header, for a terminal (control characters dropped)."""
    return _text(Table.of_frame(df))


def render_table(table: Table, fmt: str = "table") -> str:
    """``table`` as ``table`` (aligned text with a header), ``csv``, ``json`` (a list of row
    objects; times as ISO text, NaN as ``null``; :func:`from_json` or ``pd.read_json`` read it
    back) or ``md`` (GitHub-flavoured Markdown)."""
    if fmt == "table":
        return _text(table)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([clean(c) for c in table.columns])
        writer.writerows([_csv_value(v) for v in row] for row in table.rows)
        return out.getvalue()
    if fmt == "json":
        text = json.dumps([{c: _json_value(v) for c, v in zip(table.columns, row, strict=True)}
                           for row in table.rows],
                          indent=2, ensure_ascii=False, allow_nan=False) + "\n"
        return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
    if fmt == "md":
        return _markdown(table)
    raise JournalError(f"format '{fmt}': choose from {', '.join(FORMATS)}")


def format_table(df: pd.DataFrame, fmt: str = "table") -> str:
    """``df`` in one of :data:`FORMATS` (see :func:`render_table`)."""
    return render_table(Table.of_frame(df), fmt)
