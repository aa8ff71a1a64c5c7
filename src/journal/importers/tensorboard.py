"""TensorBoard event files → records, read with TensorBoard's own ``EventAccumulator``.

Every folder under ``DIR`` (``DIR`` included) that holds ``events.out.tfevents.*`` files is a
run, named by its path relative to ``DIR``. Scalars come from ``add_scalar`` (simple values) and
from TF2's ``tf.summary.scalar`` (scalar tensors); TensorBoard stores them as 32-bit floats, so
that is the precision a record gets. The config comes from the HParams plugin data
(``SummaryWriter.add_hparams``, Lightning's ``TensorBoardLogger``) and from an ``hparams.yaml``
beside the event files (Lightning), the file winning. ``add_hparams`` writes its hparams and
metrics to a sub-folder of the run; such a folder is merged into the run above it, its metrics
becoming final metrics. Lightning's placeholder ``hp_metric`` (always -1) is dropped. When an
``epoch`` scalar was logged at every step (Lightning logs one with each call), epochs are read
from it unless the import options say otherwise.

Needs the ``tensorboard`` package (``pip install 'journal[tensorboard]'``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .common import ImportOptions, ImportResult, SourceError, SourceRun, plain_config, write_runs
from .csv import read_hparams_yaml

EVENT_GLOB = "events.out.tfevents.*"
_HPARAMS_PLUGIN = "hparams"
_SESSION_START = "_hparams_/session_start_info"
EPOCH_TAG = "epoch"


def _accumulator(folder: Path) -> Any:
    try:
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    except ImportError:  # pragma: no cover - depends on the environment
        raise SourceError(folder, None, "reading TensorBoard logs needs the 'tensorboard' package: "
                          "pip install 'journal[tensorboard]'") from None
    acc = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0})
    try:
        acc.Reload()
    except Exception as exc:  # a truncated or corrupt event file: name it
        raise SourceError(folder, None, f"cannot read event files: {exc}") from None
    return acc


def run_folders(root: Path) -> list[Path]:
    """Folders under ``root`` (itself included) holding event files, sorted."""
    if not root.is_dir():
        raise SourceError(root, None, "not a folder of TensorBoard logs")
    folders = sorted({p.parent for p in root.rglob(EVENT_GLOB) if p.is_file()})
    if not folders:
        raise SourceError(root, None, f"no TensorBoard event files ({EVENT_GLOB}) below it")
    return folders


def _scalars(acc: Any) -> tuple[dict[str, list[tuple[int, float]]], list[float]]:
    """Each scalar tag's (step, value) points in step order, and every event's wall time."""
    from tensorboard.util import tensor_util

    series: dict[str, list[tuple[int, float]]] = {}
    times: list[float] = []
    tags = acc.Tags()
    for tag in tags.get("scalars", []):
        events = acc.Scalars(tag)
        series[tag] = [(int(e.step), float(e.value)) for e in events]
        times += [e.wall_time for e in events]
    for tag in tags.get("tensors", []):
        if acc.SummaryMetadata(tag).plugin_data.plugin_name != "scalars":
            continue
        events = acc.Tensors(tag)
        points = []
        for e in events:
            array = tensor_util.make_ndarray(e.tensor_proto)
            if array.size != 1:
                continue
            points.append((int(e.step), float(array.reshape(()))))
        series[tag] = points
        times += [e.wall_time for e in events]
    for tag, points in series.items():
        # a re-started writer may log a step again; keep the latest value of each step
        by_step = {step: value for step, value in points}
        series[tag] = sorted(by_step.items())
    return series, times


def _hparams(acc: Any, folder: Path) -> dict[str, Any]:
    try:
        content = acc.PluginTagToContent(_HPARAMS_PLUGIN)
    except KeyError:
        return {}
    if _SESSION_START not in content:
        return {}
    from tensorboard.plugins.hparams import metadata

    try:
        info = metadata.parse_session_start_info_plugin_data(content[_SESSION_START])
    except Exception as exc:
        raise SourceError(folder, _SESSION_START, f"bad HParams plugin data: {exc}") from None
    config: dict[str, Any] = {}
    for name, value in info.hparams.items():
        kind = value.WhichOneof("kind")
        if kind == "number_value":
            x = value.number_value
            # TensorBoard keeps every number as a double: integral ones were ints
            config[name] = int(x) if math.isfinite(x) and x.is_integer() else x
        elif kind == "string_value":
            config[name] = value.string_value
        elif kind == "bool_value":
            config[name] = value.bool_value
    return config


def _is_hparams_child(folder: Path, acc: Any, runs: set[Path]) -> bool:
    """A sub-folder written by ``SummaryWriter.add_hparams``: hparams data, inside another run."""
    if folder.parent not in runs:
        return False
    try:
        return _SESSION_START in acc.PluginTagToContent(_HPARAMS_PLUGIN)
    except KeyError:
        return False


def _default_epoch_from(series: dict[str, list[tuple[int, float]]]) -> str:
    """``tag:epoch`` when an ``epoch`` scalar was logged at every step the others were (as
    Lightning's ``TensorBoardLogger`` does), else ``step``."""
    epochs = {step for step, _ in series.get(EPOCH_TAG, [])}
    steps = {step for tag, points in series.items() if tag != EPOCH_TAG for step, _ in points}
    return f"tag:{EPOCH_TAG}" if epochs and steps <= epochs else "step"


def read_runs(root: str | Path) -> Iterator[SourceRun]:
    """The runs below ``root``, one per folder of event files."""
    base = Path(root).resolve()
    folders = run_folders(base)
    runs = set(folders)
    accs = {folder: _accumulator(folder) for folder in folders}
    children = {f for f in folders if _is_hparams_child(f, accs[f], runs)}
    for folder in folders:
        if folder in children:
            continue
        acc = accs[folder]
        series, times = _scalars(acc)
        config = _hparams(acc, folder)
        final: dict[str, float | None] = {}
        for child in sorted(c for c in children if c.parent == folder):
            config.update(_hparams(accs[child], child))
            child_series, child_times = _scalars(accs[child])
            final.update({tag: pts[-1][1] for tag, pts in child_series.items() if pts})
            times += child_times
        hparams_file = folder / "hparams.yaml"
        if hparams_file.is_file():
            config.update(read_hparams_yaml(hparams_file))
        if all(v == -1.0 for _, v in series.get("hp_metric", [(0, 0.0)])):
            series.pop("hp_metric", None)
        if not series and not final:
            raise SourceError(folder, None, "no scalars in its event files")
        first = min(times) if times else acc.FirstEventTimestamp()
        last = max(times) if times else first
        name = folder.relative_to(base).as_posix()
        metrics: dict[str, float | None] = {tag: pts[-1][1] for tag, pts in series.items() if pts}
        metrics.update(final)
        yield SourceRun(
            epoch_from=_default_epoch_from(series),
            kind="tensorboard",
            identity=str(folder),
            name=base.name if name == "." else name,
            path=folder,
            experiment=base.name,
            started_at=datetime.fromtimestamp(first, UTC),
            ended_at=datetime.fromtimestamp(last, UTC),
            config=plain_config(config, folder),
            series=series,
            metrics=metrics,
        )


def import_tensorboard(root: str | Path, options: ImportOptions) -> ImportResult:
    """Import every TensorBoard run below ``root`` into ``options.results_dir``."""
    return write_runs(list(read_runs(root)), options)
