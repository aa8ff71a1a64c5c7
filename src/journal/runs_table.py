"""The run table as a library: a pandas DataFrame of runs, filtered, with chosen columns.

:func:`runs` returns one row per run; :func:`format_table` writes it as an aligned text table,
CSV, JSON or a GitHub-flavoured Markdown table (:mod:`journal.step_summary` builds the per-variant
summary a CI job appends to its job summary from it). :func:`list_text` is the same table without
pandas (``journal list``: the command stays quick); both are written by
:mod:`journal.table_formats`.

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
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import JournalError
from .records import Record, display_status, load_records
from .table_formats import FORMATS as FORMATS
from .table_formats import Format as Format
from .table_formats import Table, check_sort, render_table
from .table_formats import format_table as format_table
from .table_formats import gfm_cell as gfm_cell
from .table_formats import markdown as markdown
from .table_formats import text_table as text_table
from .table_formats import text_value as text_value

if TYPE_CHECKING:
    import pandas as pd

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
        check_sort(names, list(df.columns))
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


def records_table(records: Sequence[Record], columns: Sequence[str]) -> Table:
    """The :class:`~journal.table_formats.Table` :func:`frame` would give, without pandas:
    metric columns and ``seed`` are numeric, a config column when every value it has is one."""
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
    return Table(columns, rows, numeric)


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
    return render_table(records_table(records, chosen).sorted(sort), fmt)
