"""MLflow runs → records, read through MLflow's own ``MlflowClient``.

``PATH_OR_URI`` is a local ``mlruns`` folder (MLflow's file store) or a tracking URI
(``file:``, ``sqlite:``, ``http(s):``, ``databricks``). MLflow 3 refuses to open a file store
unless ``MLFLOW_ALLOW_FILE_STORE`` is set, to push *writers* towards a database; reading an old
store is what the importer is for, so it sets that variable while it reads one.

Each run becomes a record: its params are the config (``"0.1"`` read back as ``0.1``), the full
history of each metric the series (per step, the latest value logged at that step), MLflow's
latest value of each metric the final metrics, its status ``FINISHED``/``FAILED``/``KILLED``/
``RUNNING`` the record's ``finished``/``failed``/``interrupted``/``running``. The experiment
defaults to the MLflow experiment's name and the variant to the run's name. Deleted runs and
experiments are not imported.

Needs ``mlflow-skinny`` (or ``mlflow``): ``pip install 'journal[mlflow]'``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..records import Status
from .common import (
    ImportOptions,
    ImportResult,
    SourceError,
    SourceRun,
    parse_scalar,
    plain_config,
    write_runs,
)

_STATUS: dict[str, Status] = {
    "FINISHED": "finished",
    "FAILED": "failed",
    "KILLED": "interrupted",
    "RUNNING": "running",
    "SCHEDULED": "running",
}
_PAGE = 1000
_DATABASES = ("sqlite", "postgresql", "mysql", "mssql")


def tracking_uri(path_or_uri: str | Path) -> str:
    """A tracking URI for a local folder (its ``file:`` URI), or the URI as given."""
    text = str(path_or_uri)
    if "://" in text or text.startswith(("file:", "sqlite:", "databricks")):
        return text
    folder = Path(text)
    if not folder.is_dir():
        raise SourceError(folder, None, "no such MLflow store (a folder like ./mlruns, or a URI)")
    return folder.resolve().as_uri()


@contextmanager
def _file_store_allowed() -> Iterator[None]:
    old = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = old


def _time(ms: int | None) -> datetime | None:
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC)


def _series(client: Any, run_id: str, key: str) -> list[tuple[int, float]]:
    by_step: dict[int, tuple[int, float]] = {}
    for m in client.get_metric_history(run_id, key):
        kept = by_step.get(m.step)
        if kept is None or m.timestamp >= kept[0]:
            by_step[m.step] = (m.timestamp, float(m.value))
    return [(step, value) for step, (_, value) in sorted(by_step.items())]


def _experiments(client: Any) -> Iterator[Any]:
    token = None
    while True:
        page = client.search_experiments(max_results=_PAGE, page_token=token)
        yield from page
        token = page.token
        if not token:
            return


def _runs(client: Any, experiment_ids: list[str]) -> Iterator[Any]:
    token = None
    while True:
        page = client.search_runs(experiment_ids, max_results=_PAGE, page_token=token,
                                  order_by=["attributes.start_time ASC"])
        yield from page
        token = page.token
        if not token:
            return


def read_runs(path_or_uri: str | Path, experiments: Sequence[str] | None = None) -> Iterator[SourceRun]:
    """The runs of the store, or of the ``experiments`` named, oldest first."""
    try:
        from mlflow.exceptions import MlflowException
        from mlflow.tracking import MlflowClient
    except ImportError:  # pragma: no cover - depends on the environment
        raise SourceError(Path(str(path_or_uri)), None, "reading MLflow runs needs 'mlflow-skinny': "
                          "pip install 'journal[mlflow]'") from None
    uri = tracking_uri(path_or_uri)
    where = Path(str(path_or_uri))
    if uri.split(":", 1)[0].split("+", 1)[0] in _DATABASES:
        try:
            import sqlalchemy  # noqa: F401
        except ImportError:
            raise SourceError(where, None, f"the database store '{uri}' needs the full 'mlflow' "
                              "package (mlflow-skinny reads file stores and tracking servers)"
                              ) from None
    with _file_store_allowed():
        try:
            client = MlflowClient(tracking_uri=uri)
            found = {e.experiment_id: e.name for e in _experiments(client)}
            if experiments:
                missing = [n for n in experiments if n not in found.values()]
                if missing:
                    raise SourceError(where, "experiment", f"no experiment named "
                                      f"{', '.join(repr(m) for m in missing)}; experiments: "
                                      f"{', '.join(sorted(found.values()))}")
                found = {i: n for i, n in found.items() if n in experiments}
            if not found:
                raise SourceError(where, None, "no MLflow experiments in it")
            for run in _runs(client, list(found)):
                info, data = run.info, run.data
                status = _STATUS.get(info.status, "interrupted")
                params = {k: parse_scalar(v) for k, v in sorted(data.params.items())}
                yield SourceRun(
                    kind="mlflow",
                    identity=info.run_id,
                    name=info.run_name or info.run_id[:8],
                    path=where,
                    experiment=found[info.experiment_id],
                    started_at=_time(info.start_time) or datetime.now(UTC),
                    ended_at=_time(info.end_time),
                    status=status,
                    error=f"the MLflow run ended {info.status} (MLflow keeps no error text)"
                    if status == "failed" else None,
                    config=plain_config(params, where, f"{info.run_id}.params"),
                    series={key: _series(client, info.run_id, key) for key in sorted(data.metrics)},
                    metrics={k: float(v) for k, v in data.metrics.items()},
                )
        except MlflowException as exc:
            raise SourceError(where, None, f"MLflow ({uri}): {exc.message}") from None


def import_mlflow(path_or_uri: str | Path, options: ImportOptions,
                  experiments: Sequence[str] | None = None) -> ImportResult:
    """Import the runs of an MLflow store (or of the ``experiments`` named in it)."""
    return write_runs(list(read_runs(path_or_uri, experiments)), options)
