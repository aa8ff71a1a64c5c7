"""CSV logs → records: Lightning's ``CSVLogger`` layout and plain epoch-per-row files.

Lightning's layout is ``<save_dir>/<name>/version_<n>/metrics.csv`` with ``hparams.yaml``
beside it. Its rows are sparse (one row per logging call, a value only in the columns logged
then) and carry ``epoch`` and ``step`` columns; each column becomes a series, its epochs read
from the ``epoch`` column (the last value logged in an epoch is kept), its final metric the last
value in the file. The experiment defaults to ``<name>`` and the variant to ``version_<n>``.

A plain CSV has one row per epoch: an ``epoch`` column if it has one, else a ``step`` column
(mapped to epochs by the import options), else the rows are epochs 1, 2, 3, …; every other
column must be numeric (empty cells are values not logged). In a file with an ``epoch`` column,
epochs always come from that column. Its
experiment and variant default to the file's stem. A folder is searched for ``metrics.csv``
files (Lightning runs) and each is imported.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .common import ImportOptions, ImportResult, SourceError, SourceRun, plain_config, write_runs

EPOCH_COLUMN = "epoch"
STEP_COLUMN = "step"
METRICS_FILE = "metrics.csv"
HPARAMS_FILE = "hparams.yaml"


def read_hparams_yaml(path: Path) -> dict[str, Any]:
    """A Lightning ``hparams.yaml`` as a dict. Python-object tags that Lightning writes for
    values it cannot represent (``!!python/object:…``) are read as their tag's text, never
    constructed."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def as_text(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> str:
        return f"<{node.tag.rsplit(':', 1)[-1]}>"

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", as_text)
    Loader.add_multi_constructor("!", as_text)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=Loader)  # a SafeLoader
    except OSError as exc:
        raise SourceError(path, None, f"cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SourceError(path, None, f"not valid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SourceError(path, None, f"expected a mapping of hyperparameters, found "
                          f"{type(data).__name__}")
    return plain_config(data, path)


def _frame(path: Path) -> Any:
    import pandas as pd

    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise SourceError(path, None, "no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SourceError(path, None, f"not a readable CSV file: {exc}") from None


def _numeric(path: Path, column: str, values: list[Any]) -> list[float | None]:
    out: list[float | None] = []
    for row, value in enumerate(values, start=2):  # line 1 is the header
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append(None)
            continue
        try:
            out.append(float(value))
        except (TypeError, ValueError):
            raise SourceError(path, column, f"line {row}: '{value}' is not a number") from None
    return out


def read_csv_run(path: str | Path) -> SourceRun:
    """One CSV file as a run (Lightning's ``metrics.csv`` or a plain epoch-per-row file)."""
    path = Path(path).resolve()
    if not path.is_file():
        raise SourceError(path, None, "no such file")
    frame = _frame(path)
    columns = [str(c) for c in frame.columns]
    if not len(frame):
        raise SourceError(path, None, "no rows")
    for column in columns:
        if not column.strip() or column.startswith("Unnamed:"):
            raise SourceError(path, column, "a column without a name")
    raw = {c: frame[c].astype(object).where(frame[c].notna(), None).tolist() for c in columns}
    if EPOCH_COLUMN in raw:
        # Lightning's sparse rows share steps, and a step can straddle an epoch's end: the row
        # index is the unique key, each row's epoch column says which epoch its values belong to
        raw.pop(STEP_COLUMN, None)
        steps = list(range(len(frame)))
    elif STEP_COLUMN in raw:
        steps_f = _numeric(path, STEP_COLUMN, raw.pop(STEP_COLUMN))
        if any(s is None or not float(s).is_integer() for s in steps_f):
            raise SourceError(path, STEP_COLUMN, "every row needs an integer step")
        steps = [int(s or 0) for s in steps_f]
    else:
        steps = list(range(1, len(frame) + 1))  # plain rows are epochs 1, 2, 3, …
    series: dict[str, list[tuple[int, float]]] = {}
    for column, values in raw.items():
        numbers = _numeric(path, column, values)
        series[column] = [(s, v) for s, v in zip(steps, numbers, strict=True) if v is not None]
    if EPOCH_COLUMN in raw and len(series[EPOCH_COLUMN]) != len(steps):
        raise SourceError(path, EPOCH_COLUMN, "every row needs an epoch")
    lightning = path.name == METRICS_FILE and (path.parent / HPARAMS_FILE).is_file()
    config = read_hparams_yaml(path.parent / HPARAMS_FILE) if lightning else {}
    stamp = datetime.fromtimestamp(os.stat(path).st_mtime, UTC)
    return SourceRun(
        kind="csv",
        identity=str(path),
        name=path.parent.name if lightning else path.stem,
        path=path,
        experiment=path.parent.parent.name if lightning else path.stem,
        started_at=stamp,
        ended_at=stamp,
        config=config,
        series=series,
        epoch_from=f"tag:{EPOCH_COLUMN}" if EPOCH_COLUMN in raw else "step",
    )


def csv_files(target: str | Path) -> list[Path]:
    """``target`` itself if it is a file, else the ``metrics.csv`` files below it."""
    path = Path(target)
    if path.is_file():
        return [path]
    if path.is_dir():
        found = sorted(p for p in path.rglob(METRICS_FILE) if p.is_file())
        if not found:
            raise SourceError(path, None, f"no {METRICS_FILE} below it")
        return found
    raise SourceError(path, None, "no such file or folder")


def read_runs(target: str | Path) -> Iterator[SourceRun]:
    """The runs in ``target`` (a CSV file, or a folder of Lightning runs)."""
    for path in csv_files(target):
        yield read_csv_run(path)


def import_csv(target: str | Path, options: ImportOptions) -> ImportResult:
    """Import a CSV file, or every Lightning ``metrics.csv`` below a folder."""
    return write_runs(list(read_runs(target)), options)
