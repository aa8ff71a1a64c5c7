"""The run table as a library: a pandas DataFrame of runs, filtered, with chosen columns.

:func:`runs` returns one row per run; :func:`format_table` writes it as an aligned text table,
CSV, JSON or a GitHub-flavoured Markdown table (:mod:`journal.step_summary` builds the per-variant
summary a CI job appends to its job summary from it). :func:`list_text` is the same table without
pandas (``journal list``: the command stays quick); both share the cell formatting here.

Column specs (``columns=[...]``):

=====================  ==============================================================
``acer``               a final metric (``record.metrics``)
``val_acer@best``      the value at the checkpoint *selected on* ``val_acer`` (the
                       selection whose metric it is)
``acer@acer_best``     ``acer`` at the selection named ``acer_best``: its value if it was
                       chosen on ``acer``, else its test metric, else the history row of
                       its epoch
``config.lr``          a config value (``config.optim.lr`` reaches into nested dicts)
``id`` … ``tags``      the run's fields: ``id``, ``experiment``, ``variant``, ``seed``,
                       ``status``, ``started_at``, ``ended_at``, ``checkpoint``, ``tags``
=====================  ==============================================================
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import JournalError
from .escape import clean, terminal_text
from .records import Record, display_status, load_records

if TYPE_CHECKING:
    import pandas as pd

Format = Literal["table", "csv", "json", "md"]
FORMATS: tuple[str, ...] = ("table", "csv", "json", "md")
BASE_COLUMNS = ("id", "experiment", "variant", "seed", "status", "started_at")
FIELDS = (*BASE_COLUMNS, "ended_at", "checkpoint", "tags")
DATE_COLUMNS = ("started_at", "ended_at")


def tags_of(record: Record) -> list[str]:
    """The run's tags (records written before tags existed have none)."""
    return [str(t) for t in (getattr(record, "tags", None) or [])]


def ordered_keys(dicts: Iterable[Mapping[str, object]]) -> list[str]:
    """Union of keys in order of first appearance."""
    keys: dict[str, None] = {}
    for d in dicts:
        keys.update(dict.fromkeys(d))
    return list(keys)


def _config_value(config: Mapping[str, Any], dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _at_selection(record: Record, metric: str, selection: str) -> float | None:
    if selection == "best":
        chosen = [s for s in record.selections.values() if s.metric == metric and s.mode != "last"]
        return chosen[0].value if chosen else None
    sel = record.selections.get(selection)
    if sel is None:
        return None
    if sel.metric == metric:
        return sel.value
    if metric in sel.test:
        return sel.test[metric]
    row = next((r for r in record.history if r.epoch == sel.epoch), None)
    return row.values().get(metric) if row is not None else None


def cell(record: Record, spec: str) -> Any:
    """The value of column ``spec`` for ``record`` (``None`` where it has none)."""
    if spec == "status":
        return display_status(record)
    if spec == "tags":
        return ",".join(tags_of(record))
    if spec in FIELDS:
        return getattr(record, spec)
    if spec.startswith("config."):
        return _config_value(record.config, spec[len("config."):])
    if "@" in spec:
        metric, _, selection = spec.rpartition("@")
        return _at_selection(record, metric, selection)
    return record.metrics.get(spec)


def _as_datetime(value: date | datetime | str, end: bool, name: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value \
                else date.fromisoformat(value)
        except ValueError:
            raise JournalError(f"{name}: expected a date (YYYY-MM-DD) or an ISO time, "
                               f"got '{value}'") from None
    if not isinstance(value, datetime):
        # a day counts whole: 'until' a day includes all of it
        moment = datetime.combine(value, time(), tzinfo=UTC)
        return moment + timedelta(days=1) if end else moment
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    # the end bound is exclusive: one microsecond past an 'until' time includes that time
    return value + timedelta(microseconds=1) if end else value


def _matches(actual: Any, wanted: Any) -> bool:
    if actual == wanted or str(actual) == str(wanted):
        return True
    try:
        return float(actual) == float(wanted)
    except (TypeError, ValueError):
        return str(actual).lower() == str(wanted).lower() and isinstance(actual, bool)


def select(
    records: Iterable[Record],
    *,
    experiment: str | None = None,
    variant: str | None = None,
    status: str | None = None,
    tags: Sequence[str] | None = None,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    where: Mapping[str, Any] | None = None,
) -> list[Record]:
    """The records passing every filter, oldest first. ``where`` keys are config keys
    (``lr`` or ``config.lr``); a value matches equal values and their text (``"0.1"`` = ``0.1``).
    ``until`` a day includes that whole day (UTC)."""
    start = _as_datetime(since, False, "since") if since is not None else None
    end = _as_datetime(until, True, "until") if until is not None else None
    wanted_tags = set(tags or ())
    out = []
    for rec in records:
        if experiment is not None and rec.experiment != experiment:
            continue
        if variant is not None and rec.variant != variant:
            continue
        if status is not None and display_status(rec) != status:
            continue
        if wanted_tags and not wanted_tags <= set(tags_of(rec)):
            continue
        if start is not None and rec.started_at < start:
            continue
        if end is not None and rec.started_at >= end:
            continue
        if where and not all(
            _matches(_config_value(rec.config, k.removeprefix("config.")), v) for k, v in where.items()
        ):
            continue
        out.append(rec)
    return sorted(out, key=lambda r: (r.started_at, r.id))


def frame(records: Sequence[Record], columns: Sequence[str] | None = None,
          sort: str | Sequence[str] | None = None) -> pd.DataFrame:
    """One row per record with ``columns`` (default: the base fields and every final metric).

    ``sort``: column names, each prefixed with ``-`` for descending; missing values go last."""
    import pandas as pd

    if columns is None:
        columns = [*BASE_COLUMNS, *ordered_keys(r.metrics for r in records)]
    columns = list(dict.fromkeys(columns))
    rows = [[cell(r, c) for c in columns] for r in records]
    df = pd.DataFrame(rows, columns=columns)
    for c in columns:
        if c in DATE_COLUMNS:
            df[c] = pd.to_datetime(df[c], utc=True)
        elif c == "seed":
            df[c] = df[c].astype("Int64")
        elif c not in FIELDS and not c.startswith("config."):
            df[c] = df[c].astype("float64")
    if sort:
        keys = [sort] if isinstance(sort, str) else list(sort)
        names = [k.removeprefix("-") for k in keys]
        _check_sort(names, list(df.columns))
        df = df.sort_values(names, ascending=[not k.startswith("-") for k in keys],
                            na_position="last", kind="stable").reset_index(drop=True)
    return df


def _check_sort(names: Sequence[str], columns: Sequence[str]) -> None:
    unknown = [n for n in names if n not in columns]
    if unknown:
        raise JournalError(f"sort: no column {', '.join(repr(u) for u in unknown)}; "
                           f"columns: {', '.join(columns)}")


def runs(
    results_dir: str | Path,
    *,
    experiment: str | None = None,
    variant: str | None = None,
    status: str | None = None,
    tags: Sequence[str] | None = None,
    since: date | datetime | str | None = None,
    until: date | datetime | str | None = None,
    where: Mapping[str, Any] | None = None,
    columns: Sequence[str] | None = None,
    sort: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """A DataFrame of the runs in ``results_dir``: one row each, oldest first.

    Filters combine (every one must pass); see :func:`select`. ``columns`` are column specs
    (see the module docstring); ``sort`` names columns, ``-`` first for descending. Bad record
    files are skipped here; ``journal list`` names them.

    Example::

        journal.runs("results", experiment="fas_kd", where={"kd": "logit"},
                     columns=["variant", "seed", "acer", "val_acer@best", "config.lr"])
    """
    records, _errors = load_records(results_dir)
    chosen = select(records, experiment=experiment, variant=variant, status=status, tags=tags,
                    since=since, until=until, where=where)
    return frame(chosen, columns, sort)


def from_json(text: str) -> pd.DataFrame:
    """A DataFrame from :func:`format_table`'s JSON, with the dtypes :func:`runs` gives."""
    import pandas as pd

    df = pd.read_json(io.StringIO(text), orient="records", dtype=False, precise_float=True)
    for c in df.columns:
        if c in DATE_COLUMNS:
            df[c] = pd.to_datetime(df[c], utc=True)
        elif c == "seed":
            df[c] = df[c].astype("Int64")
        elif c not in FIELDS and not str(c).startswith("config."):
            df[c] = df[c].astype("float64")
    return df


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

    @classmethod
    def of_records(cls, records: Sequence[Record], columns: Sequence[str]) -> Table:
        """The table :func:`frame` would give, without pandas: metric columns and ``seed`` are
        numeric, a config column when every value it has is a number."""
        columns = list(dict.fromkeys(columns))
        rows = [[cell(r, c) for c in columns] for r in records]
        numeric = []
        for i, c in enumerate(columns):
            if c == "seed":
                numeric.append(True)
            elif c not in FIELDS and not c.startswith("config."):
                numeric.append(True)
                for row in rows:  # as frame(): metrics are floats, missing ones NaN
                    row[i] = float("nan") if row[i] is None else float(row[i])
            elif c.startswith("config."):
                values = [row[i] for row in rows if row[i] is not None]
                numeric.append(bool(values) and all(
                    isinstance(v, int | float) and not isinstance(v, bool) for v in values))
            else:
                numeric.append(False)
        return cls(columns, rows, numeric)

    def sorted(self, sort: str | Sequence[str] | None) -> Table:
        """The rows sorted by ``sort`` (names, ``-`` first for descending), missing values last,
        as :func:`frame` sorts them."""
        if not sort:
            return self
        keys = [sort] if isinstance(sort, str) else list(sort)
        _check_sort([k.removeprefix("-") for k in keys], self.columns)
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
    if _absent(value):
        return ""
    if isinstance(value, datetime):
        return text_value(value)
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


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
        writer.writerow(table.columns)
        writer.writerows([_csv_value(v) for v in row] for row in table.rows)
        return out.getvalue()
    if fmt == "json":
        return json.dumps([{c: _json_value(v) for c, v in zip(table.columns, row, strict=True)}
                           for row in table.rows],
                          indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt == "md":
        return _markdown(table)
    raise JournalError(f"format '{fmt}': choose from {', '.join(FORMATS)}")


def format_table(df: pd.DataFrame, fmt: str = "table") -> str:
    """``df`` in one of :data:`FORMATS` (see :func:`render_table`)."""
    return render_table(Table.of_frame(df), fmt)


def default_columns(records: Sequence[Record]) -> list[str]:
    """``journal list``'s columns: the run's fields and, per experiment, the metric it is
    usually ranked by (the first of :data:`journal.declarations.KEY_METRIC_PREFERENCE` its
    runs measured)."""
    from .declarations import KEY_METRIC_PREFERENCE

    metrics: dict[str, None] = {}
    for name in dict.fromkeys(r.experiment for r in records):
        measured = ordered_keys(r.metrics for r in records if r.experiment == name)
        preferred = [m for m in KEY_METRIC_PREFERENCE if m in measured] or measured[:1]
        metrics.update(dict.fromkeys(preferred[:1]))
    return ["id", "experiment", "variant", "seed", "status", *metrics]


def list_text(records: Sequence[Record], *, columns: Sequence[str] | None = None,
              sort: str | Sequence[str] | None = None, fmt: str = "table") -> str:
    """The run table of ``records`` in ``fmt``, without pandas (``journal list``)."""
    chosen = list(columns) if columns else default_columns(records)
    return render_table(Table.of_records(records, chosen).sorted(sort), fmt)
