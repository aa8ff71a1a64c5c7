"""The run table as a library: a pandas DataFrame of runs, filtered, with chosen columns.

:func:`runs` returns one row per run; :func:`format_table` writes it as an aligned text table,
CSV, JSON or a GitHub-flavoured Markdown table (:mod:`journal.step_summary` builds the per-variant
summary a CI job appends to its job summary from it).

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

import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from .analysis import display_status, ordered_keys
from .errors import JournalError
from .escape import clean, terminal_text
from .records import Record, load_records

Format = Literal["table", "csv", "json", "md"]
FORMATS: tuple[str, ...] = ("table", "csv", "json", "md")
BASE_COLUMNS = ("id", "experiment", "variant", "seed", "status", "started_at")
FIELDS = (*BASE_COLUMNS, "ended_at", "checkpoint", "tags")
DATE_COLUMNS = ("started_at", "ended_at")


def tags_of(record: Record) -> list[str]:
    """The run's tags (records written before tags existed have none)."""
    return [str(t) for t in (getattr(record, "tags", None) or [])]


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
        unknown = [n for n in names if n not in df.columns]
        if unknown:
            raise JournalError(f"sort: no column {', '.join(repr(u) for u in unknown)}; "
                               f"columns: {', '.join(df.columns)}")
        df = df.sort_values(names, ascending=[not k.startswith("-") for k in keys],
                            na_position="last", kind="stable").reset_index(drop=True)
    return df


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
    df = pd.read_json(io.StringIO(text), orient="records", dtype=False, precise_float=True)
    for c in df.columns:
        if c in DATE_COLUMNS:
            df[c] = pd.to_datetime(df[c], utc=True)
        elif c == "seed":
            df[c] = df[c].astype("Int64")
        elif c not in FIELDS and not str(c).startswith("config."):
            df[c] = df[c].astype("float64")
    return df


def _json_value(value: Any) -> Any:
    """A cell as JSON: times as ISO text, NaN and missing values as ``null``; floats are
    written exactly (``repr``), so they read back equal."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return text_value(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        return value.item()
    return value


def text_value(value: Any) -> str:
    """A cell as text: numbers with 4 decimals, NaN as ``nan``, missing as ``—``."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "—"
    if isinstance(value, pd.Timestamp | datetime):
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


def _is_numeric(df: pd.DataFrame, column: str) -> bool:
    return pd.api.types.is_numeric_dtype(df[column]) and not pd.api.types.is_bool_dtype(df[column])


def markdown(df: pd.DataFrame) -> str:
    """``df`` as a GitHub-flavoured pipe table, numbers right-aligned, every cell escaped."""
    header = "| " + " | ".join(gfm_cell(c) for c in df.columns) + " |"
    rule = "| " + " | ".join("---:" if _is_numeric(df, c) else ":---" for c in df.columns) + " |"
    body = ["| " + " | ".join(gfm_cell(_cell_text(v, str(c))) for v, c in zip(row, df.columns, strict=True))
            + " |" for row in df.astype(object).itertuples(index=False)]
    return "\n".join([header, rule, *body]) + "\n"


def text_table(df: pd.DataFrame) -> str:
    """``df`` as aligned plain text with a header, for a terminal (control characters dropped)."""
    cells = [[terminal_text(c) for c in df.columns]]
    cells += [[terminal_text(_cell_text(v, str(c))) for v, c in zip(row, df.columns, strict=True)]
              for row in df.astype(object).itertuples(index=False)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(df.columns))]
    numeric = [_is_numeric(df, c) for c in df.columns]
    lines = ["  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(r, widths, numeric, strict=True))
             .rstrip() for r in cells]
    return "\n".join(lines) + "\n"


def format_table(df: pd.DataFrame, fmt: str = "table") -> str:
    """``df`` as ``table`` (aligned text), ``csv``, ``json`` (a list of row objects; times as
    ISO text, NaN as ``null``; :func:`from_json` or ``pd.read_json`` read it back) or ``md``
    (GitHub-flavoured Markdown)."""
    if fmt == "table":
        return text_table(df)
    if fmt == "csv":
        out = df.copy()
        for c in out.columns:
            if c in DATE_COLUMNS:
                out[c] = out[c].map(lambda v: text_value(v) if not pd.isna(v) else "")
        return str(out.to_csv(index=False))
    if fmt == "json":
        return json.dumps([{str(k): _json_value(v) for k, v in row.items()}
                           for row in df.astype(object).to_dict(orient="records")],
                          indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if fmt == "md":
        return markdown(df)
    raise JournalError(f"format '{fmt}': choose from {', '.join(FORMATS)}")
