"""``Run``: what a training script uses to write its record.

A minimal script::

    import journal

    with journal.start_run("my_exp", config={"lr": 1e-3}, seed=0, variant="lr=1e-3") as run:
        for epoch in range(1, 11):
            loss = train_one_epoch()
            run.log(epoch=epoch, train_loss=loss, val_acc=evaluate())
        run.set_confusion([[50, 3], [4, 43]], labels=["attack", "live"])
        run.note("converged after 6 epochs")

The record is written when the run starts, after every ``log`` call and when the run ends.
Leaving the ``with`` block normally marks it ``finished``; an exception marks it ``failed`` with
the traceback; Ctrl-C or SIGTERM marks it ``interrupted``. Either way the record is valid.
"""

from __future__ import annotations

import contextlib
import math
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Literal

from . import __version__, metrics
from .errors import DivergedError, JournalError, RecordExistsError
from .host import recorded_hostname
from .paths import (
    DEFAULT_RESULTS_DIR,
    NOTES_DIR,
    STATE_DIR,
    PathError,
    clean_stale_tmp,
    folder_inside,
    inside,
    try_lock,
    within,
)
from .records import (
    Confusion,
    ConfusionHistory,
    Curve,
    Dataset,
    Environment,
    EpochConfusion,
    EpochRow,
    Interruption,
    Launch,
    Record,
    Selection,
    Threshold,
    find_run,
    load_records,
    matrix_text,
    new_run_id,
    read_record,
    write_atomic,
    write_record,
)

LOG_LINES = 40
FLUSH_SECONDS = 2.0
"""How often ``Run.log`` writes the record at most, between epochs."""


def default_results_dir() -> Path:
    """``$JOURNAL_RESULTS`` if set, else ``./results``."""
    return Path(os.environ.get("JOURNAL_RESULTS", DEFAULT_RESULTS_DIR))


def remove_orphans(results_dir: str | Path) -> list[Path]:
    """Remove the temporary files that killed writes left in the results folder, its notes
    and its training states, once they are an hour old (folders that links carry out of the
    results folder are left alone); returns what was removed."""
    removed: list[Path] = []
    for sub in ("", NOTES_DIR, STATE_DIR):
        folder = Path(results_dir) / sub
        try:
            within(results_dir, folder)
        except PathError:
            continue
        removed += clean_stale_tmp(folder, force=True)
    return removed


def _now() -> datetime:
    return datetime.now(UTC)


def to_number(value: Any) -> float | None:
    """A plain Python float from a number, a 0-d tensor or a NumPy scalar (``.item()``)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"expected a number, got {type(value).__name__}: {value!r}")


def _numbers(values: Mapping[str, Any]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key, value in values.items():
        try:
            out[key] = to_number(value)
        except TypeError as exc:
            raise TypeError(f"metric '{key}': {exc}") from None
    return out


def _git(args: list[str], cwd: Path) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def collect_environment(device: str | None = None, cwd: str | Path | None = None) -> Environment:
    """Python, torch, device, host and the git commit (and dirtiness) of ``cwd``."""
    where = Path(cwd or Path.cwd())
    commit = _git(["rev-parse", "HEAD"], where)
    dirty = None
    if commit is not None:
        status = _git(["status", "--porcelain", "--untracked-files=no"], where)
        dirty = bool(status) if status is not None else None
    torch_version = None
    if "torch" in sys.modules:
        torch_version = getattr(sys.modules["torch"], "__version__", None)
    return Environment(
        python=platform.python_version(),
        torch=torch_version,
        device=device,
        platform=platform.platform(terse=True),
        hostname=recorded_hostname(),
        git_commit=commit,
        git_dirty=dirty,
        journal=__version__,
    )


class Run:
    """An open run whose record is kept on disk. Create it with :func:`start_run`."""

    def __init__(self, record: Record, results_dir: Path, *, fixed_id: bool = False) -> None:
        self.record = record
        self.results_dir = results_dir
        self.path = results_dir / f"{record.id}.json"
        self._created = False
        self._fixed_id = fixed_id
        self._old_sigterm: Any = None
        self.flush_every = FLUSH_SECONDS
        """``log`` writes the record at most this often (and whenever a new epoch begins)."""
        self._pending_epoch: int | None = None
        self._pending: dict[str, float | None] = {}
        self._last_write = 0.0
        self._held: list[Any] = []
        self._abandoned = False
        self.done = False
        """True for a run reopened after it had finished: nothing is written to it again."""
        self.resuming = False
        """True for a run reopened to continue after an interruption or a crash."""

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def id(self) -> str:
        return self.record.id

    def hold(self, handle: Any) -> None:
        """Keep ``handle`` (a lock file) open until the run ends, then close it."""
        self._held.append(handle)

    @property
    def state_path(self) -> Path:
        """Where training code keeps the state it needs to resume (weights, optimiser, RNG);
        :class:`~journal.paths.PathError` when a link carries it out of the results folder."""
        return inside(self.results_dir, STATE_DIR, self.record.id, ".pt", what="run id")

    def lock(self) -> bool:
        """Take this run's lock (``<results>/.state/<id>.lock``), held until the run ends, so
        that no other process continues it meanwhile; False when another process holds it."""
        folder_inside(self.results_dir, STATE_DIR)
        handle = try_lock(inside(self.results_dir, STATE_DIR, self.record.id, ".lock",
                                 what="run id"))
        if handle is None:
            return False
        self.hold(handle)
        return True

    def __enter__(self) -> Run:
        if self.done:
            return self
        self.save()
        self._install_sigterm()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        try:
            if self.done or self._abandoned:
                self._restore_sigterm()
                return False
            return self._end(exc_type, exc, tb)
        finally:
            for handle in self._held:
                handle.close()
            self._held = []

    def abandon(self) -> None:
        """Leave the record as it is on disk: the ``with`` block ends without writing it
        (a resume refused before it continued anything, say)."""
        self._abandoned = True

    def _end(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        self._restore_sigterm()
        if exc_type is None:
            self.finish("finished")
        elif issubclass(exc_type, KeyboardInterrupt):
            self.finish("interrupted", error=f"interrupted ({exc or 'KeyboardInterrupt'})")
        elif issubclass(exc_type, SystemExit):  # a scheduler's preemption handler exiting
            self.finish("interrupted", error=f"interrupted (exit {exc})")
        else:
            text = "".join(traceback.format_exception(exc_type, exc, tb)).strip()
            self.finish("failed", error=text[-20_000:])
        return False

    def finish(self, status: Literal["finished", "failed", "interrupted"], error: str | None = None) -> None:
        """Close the run with ``status``; called by the ``with`` block for you."""
        # error first: a 'failed' status is only valid once the error text is there
        self.record.error = error
        self.record.status = status
        self.record.ended_at = _now()
        self.save()

    def flush(self) -> Path:
        """Write what ``log`` has gathered now (training code calls it at the end of an epoch;
        :class:`~journal.experiments.common.TrainingState` does before saving its state)."""
        return self.save()

    def save(self) -> Path:
        """Write the record now (atomically), with any values ``log`` gathered."""
        self._commit_pending()
        self._last_write = time.monotonic()
        self.record.updated_at = _now()
        if self._created:
            write_record(self.record, self.results_dir)
            return self.path
        for _attempt in range(5):
            try:
                self.path = write_record(self.record, self.results_dir, create=True)
                break
            except RecordExistsError:
                if self._fixed_id:
                    raise
                # Another run took this id in the same second: draw a new one, never overwrite.
                self.record.id = new_run_id(self.record.experiment)
        else:
            raise RecordExistsError(self.path, "id", "could not find a free run id in 5 tries")
        self._created = True
        clean_stale_tmp(self.results_dir)
        # A new id: nobody else holds it. Taken so that no resume can start while this runs;
        # where it cannot be taken, resumes refuse the folder themselves.
        with contextlib.suppress(PathError, OSError):
            self.lock()
        return self.path

    def _install_sigterm(self) -> None:
        # SIGTERM (a scheduler's kill, `kill PID`) ends the run like Ctrl-C: record kept.
        if os.name != "posix":
            return
        try:
            self._old_sigterm = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        except ValueError:  # not the main thread
            self._old_sigterm = None

    def _restore_sigterm(self) -> None:
        if self._old_sigterm is not None:
            signal.signal(signal.SIGTERM, self._old_sigterm)
            self._old_sigterm = None

    def continue_after(self, epoch: int) -> None:
        """Continue a reopened run from the end of ``epoch``: later history rows (written after
        the last saved training state) are dropped, and the stop is kept in ``interruptions``."""
        rec = self.record
        rec.interruptions = [*rec.interruptions, Interruption(
            at=rec.ended_at or rec.updated_at, after_epoch=epoch,
            reason=(rec.error or rec.status).splitlines()[-1][:500])]
        rec.history = [row for row in rec.history if row.epoch <= epoch]
        if rec.confusion_epochs is not None:
            rec.confusion_epochs = rec.confusion_epochs.model_copy(update={"epochs": [
                e for e in rec.confusion_epochs.epochs if e.epoch <= epoch]})
        rec.status, rec.error, rec.ended_at = "running", None, None
        self.resuming = False
        self.save()

    # -- logging -----------------------------------------------------------------------------
    def log(self, epoch: int, **values: Any) -> None:
        """Record the values of one epoch (train loss, val metrics, anything scalar).

        Calling ``log`` again for the same epoch merges the new values into that epoch's row, so
        it may be called every step. The record is not rewritten on every call: it is written
        when a new epoch begins, at most every :attr:`flush_every` seconds otherwise, on
        :meth:`flush`, and by every other method. A SIGKILL loses at most the values logged
        since the last write. Tensors and NumPy scalars become plain floats; NaN and ±inf are kept.

        ``confusion=matrix`` keeps the epoch's confusion matrix, with the labels given to an
        earlier ``set_confusion(..., epoch=)`` (see :meth:`set_confusion`).
        """
        if "confusion" in values:
            matrix = values.pop("confusion")
            history = self.record.confusion_epochs
            if history is None:
                raise TypeError("log(confusion=...) needs the class names once: call "
                                "run.set_confusion(matrix, labels, epoch=...) for the first epoch")
            self._epoch_confusion(epoch, matrix, history.labels, history.split)
        numbers = _numbers(values)
        if self._pending_epoch is not None and epoch != self._pending_epoch:
            self.save()  # the previous epoch is complete: write it
        self._pending_epoch = epoch
        self._pending.update(numbers)
        if time.monotonic() - self._last_write >= self.flush_every:
            self.save()

    def _commit_pending(self) -> None:
        """Merge the values ``log`` gathered into the record's history."""
        if self._pending_epoch is None:
            return
        epoch, values = self._pending_epoch, self._pending
        history = self.record.history
        for i in range(len(history) - 1, -1, -1):
            if history[i].epoch == epoch:
                history = [*history[:i], EpochRow(epoch=epoch, **{**history[i].values(), **values}),
                           *history[i + 1:]]
                break
        else:
            history = [*history, EpochRow(epoch=epoch, **values)]
        self.record.history = history
        self._pending_epoch, self._pending = None, {}

    def logged(self, epoch: int) -> dict[str, float | None]:
        """The values logged for ``epoch`` so far (written or not yet); empty if none."""
        row = next((r for r in reversed(self.record.history) if r.epoch == epoch), None)
        values = row.values() if row is not None else {}
        if self._pending_epoch == epoch:
            values = {**values, **self._pending}
        return values

    def set_metrics(self, **values: Any) -> None:
        """Final metrics of the run (test metrics of the last checkpoint, say)."""
        self.record.metrics = {**self.record.metrics, **_numbers(values)}
        self.save()

    def set_checkpoint(self, name: str) -> None:
        """Name the checkpoint the final metrics, confusion and report come from (``ua_best``)."""
        self.record.checkpoint = name
        self.save()

    def set_report(self, report: Mapping[str, Any]) -> None:
        """The per-class report: :func:`journal.metrics.classification_metrics` output, or a
        ``{class: {precision, recall, f1, support}}`` mapping of your own."""
        rows = metrics.report_rows(dict(report)) if "per_class" in report else report
        self.record.per_class = {str(name): _numbers(values) for name, values in rows.items()}
        self.save()

    def set_reference(self, name: str, **values: Any) -> None:
        """Numbers to compare with, e.g. ``set_reference("paper", mae=2.35, rmse=3.08)``."""
        self.record.references = {**self.record.references, name: _numbers(values)}
        self.save()

    def select(
        self,
        name: str,
        *,
        metric: str,
        mode: Literal["min", "max", "last"],
        epoch: int,
        value: Any = None,
        test: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a checkpoint selection, e.g. ``acer_best``: chosen on ``metric`` at ``epoch``."""
        selection = Selection(
            metric=metric, mode=mode, epoch=epoch, value=to_number(value), test=_numbers(test or {})
        )
        self.record.selections = {**self.record.selections, name: selection}
        self.save()

    def evaluate(self, name: str, **values: Any) -> None:
        """Metrics of an extra evaluation, e.g. ``evaluate("miss rgb", acer=0.31)``."""
        self.record.evaluations = {**self.record.evaluations, name: _numbers(values)}
        self.save()

    def set_confusion(
        self,
        matrix: Sequence[Sequence[Any]],
        labels: Sequence[str],
        *,
        split: str | None = None,
        checkpoint: str = "last",
        epoch: int | None = None,
    ) -> None:
        """The confusion matrix, rows = true class, columns = predicted class.

        With ``epoch``, the matrix of that epoch (``split`` default ``val``) joins the run's
        confusion over epochs (``confusion_epochs``; the post shows the matrices at the selected
        and last epochs and how each class's recall moved); without it, it is the run's final
        matrix (``split`` default ``test``, at ``checkpoint``).
        """
        if epoch is not None:
            self._epoch_confusion(epoch, matrix, labels, split or "val")
            self.save()
            return
        rows = [[int(to_number(v) or 0) for v in row] for row in matrix]
        self.record.confusion = Confusion(
            labels=list(labels), matrix=rows, split=split or "test", checkpoint=checkpoint
        )
        self.save()

    def _epoch_confusion(self, epoch: int, matrix: Sequence[Sequence[Any]], labels: Sequence[str],
                         split: str) -> None:
        rows = [[int(to_number(v) or 0) for v in row] for row in matrix]
        item = EpochConfusion(epoch=epoch, matrix=matrix_text(rows))
        history = self.record.confusion_epochs
        if history is not None and (list(history.labels) != list(labels) or history.split != split):
            raise ValueError(f"epoch {epoch}: the confusion matrices of a run share their labels and "
                             f"split ({history.labels}, {history.split!r})")
        kept = [e for e in (history.epochs if history else []) if e.epoch != epoch]
        self.record.confusion_epochs = ConfusionHistory(
            labels=list(labels), split=split, epochs=sorted([*kept, item], key=lambda e: e.epoch))

    def tag(self, *tags: str) -> None:
        """Add tags to the run (``run.tag("baseline", "paper")``): ``journal list --tag`` and
        ``journal.runs(tags=...)`` find runs by them. A tag already there is kept once."""
        self.record.tags = list(dict.fromkeys([*self.record.tags, *tags]))
        self.save()

    def set_threshold(self, policy: Literal["fixed", "eer"], value: float) -> None:
        """The score threshold the reported metrics were computed at, and how it was chosen."""
        self.record.threshold = Threshold(policy=policy, value=float(value))
        self.save()

    def set_dataset(self, name: str, sizes: Mapping[str, int] | None = None, root: str | None = None) -> None:
        """Name, location and split sizes of the data."""
        self.record.dataset = Dataset(name=name, root=root, sizes=dict(sizes or {}))
        self.save()

    def set_curve(self, name: str, x: Sequence[Any], y: Sequence[Any], *, x_label: str = "x",
                  y_label: str = "y") -> None:
        """A curve for the post, e.g. ``set_curve("ROC", fpr, tpr, x_label="FPR", y_label="TPR")``."""
        curve = Curve(x=[to_number(v) for v in x], y=[to_number(v) for v in y],
                      x_label=x_label, y_label=y_label)
        self.record.curves = {**self.record.curves, name: curve}
        self.save()

    def append_log(self, line: str, keep: int = LOG_LINES) -> None:
        """Add a line of the raw training log; the record keeps the last ``keep`` lines. Written
        with the next save (``log``, the end of the run), not on its own."""
        lines = [*self.record.log.splitlines(), *line.rstrip("\n").splitlines()]
        self.record.log = "\n".join(lines[-keep:])

    def check_finite(self, epoch: int, **values: Any) -> None:
        """Raise :class:`DivergedError` (the run ends ``failed`` with it) if a value is NaN/inf."""
        for name, value in _numbers(values).items():
            if value is not None and not math.isfinite(value):
                raise DivergedError(name, value, epoch)

    def note(self, text: str) -> None:
        """Append a paragraph of free text (Markdown) to the run's note (at most
        :data:`journal.notes.MAX_NOTE_CHARS` characters in all: a longer one is
        :class:`~journal.errors.JournalError`, and the note is left as it was)."""
        from .notes import MAX_NOTE_CHARS

        text = text.strip()
        note = f"{self.record.note}\n\n{text}".strip() if self.record.note else text
        if len(note) > MAX_NOTE_CHARS:
            raise JournalError(f"run {self.record.id}: a note holds at most {MAX_NOTE_CHARS:,} "
                               f"characters, this one would hold {len(note):,}")
        self.record.note = note
        self.save()


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def start_run(
    experiment: str,
    *,
    config: Mapping[str, Any] | None = None,
    variant: str = "default",
    seed: int | None = None,
    results_dir: str | Path | None = None,
    dataset: Dataset | None = None,
    device: str | None = None,
    run_id: str | None = None,
    launch: Launch | None = None,
) -> Run:
    """Open a run; use it as a context manager so that its end status is always recorded.

    Args:
        experiment: experiment name; posts group runs by experiment and day.
        config: the full hyperparameters (JSON-serialisable values).
        variant: the config family that seeds are grouped under in posts.
        seed: the random seed of this run: an integer within ±2**128 (a decimal string, as
            argparse gives without ``type=int``, is read as one).
        results_dir: the folder of records (default ``$JOURNAL_RESULTS`` or ``./results``).
        dataset: the data the run uses (also settable later with ``set_dataset``).
        device: e.g. ``"cuda:0"`` or ``"cpu"``, stored in the environment.
        run_id: a fixed id (default: a new dated, unique one).
    """
    now = _now()
    if isinstance(seed, str) and seed.strip().lstrip("+-").isdecimal():  # argparse without type=int
        seed = int(seed)
    plain_config = {k: _plain(v) for k, v in (config or {}).items()}
    for key, value in plain_config.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"config key '{key}' is {value}; config values must be finite")
    record = Record.model_validate(dict(
        id=run_id or new_run_id(experiment, now),
        experiment=experiment,
        variant=variant,
        seed=seed,
        status="running",
        started_at=now,
        updated_at=now,
        config=plain_config,
        dataset=dataset,
        environment=collect_environment(device),
        launch=launch,
    ))
    folder = Path(results_dir) if results_dir is not None else default_results_dir()
    return Run(record, folder, fixed_id=run_id is not None)


def reopen_run(record: Record, results_dir: str | Path, device: str | None = None) -> Run:
    """Reopen ``record`` to continue it: a finished run comes back with ``done`` set (nothing is
    rewritten); any other is set ``running`` again, its error and end cleared, until training
    code calls :meth:`Run.continue_after` with the epoch its saved state reached.

    Raises:
        JournalError: another process has the run open (it is still running, or being
            continued): a run is continued by one process at a time.
    """
    run = Run(record, Path(results_dir), fixed_id=True)
    run._created = True
    if record.status == "finished":
        run.done = True
        return run
    if not run.lock():
        raise JournalError(f"run {record.id} is being continued by another process (it holds "
                           f"{run.results_dir / STATE_DIR / record.id}.lock); one process at a "
                           "time may continue a run")
    run.resuming = True
    record.environment = collect_environment(device)
    return run


def tag_run(results_dir: str | Path, run_id: str, add: Sequence[str] = (),
            remove: Sequence[str] = ()) -> Record:
    """Add ``add`` and remove ``remove`` from the tags of the run ``run_id`` (an id or a unique
    prefix) in ``results_dir``; returns the record as written.

    Raises:
        JournalError: no such run, a bad tag, or a run another process holds open (still
            running, or being continued): it would write its own copy over the tags.
    """
    folder = Path(results_dir)
    paths: dict[str, Path] = {}
    records, _ = load_records(folder, paths=paths)
    record = find_run(records, run_id, folder)
    tags = [t for t in dict.fromkeys([*record.tags, *add]) if t not in set(remove)]
    try:  # checked before anything is locked or written
        updated = Record.model_validate({**record.model_dump(by_alias=True), "tags": tags})
    except ValueError as exc:
        from pydantic import ValidationError

        message = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
        raise JournalError(f"run {record.id}: {message}") from None
    run = Run(record, folder, fixed_id=True)
    run._created = True
    if not run.lock():
        raise JournalError(f"run {record.id} is open in another process; tag it when it has ended, "
                           "or from its script with run.tag()")
    try:
        # Read again under the lock: the run may have written its end since the first read.
        current = read_record(paths[record.id])
        tags = [t for t in dict.fromkeys([*current.tags, *add]) if t not in set(remove)]
        updated = current.model_copy(update={"tags": tags})
        write_atomic(paths[record.id], updated.to_json())  # where it is, in a subfolder too
        return updated
    finally:
        for handle in run._held:
            handle.close()


def _plain(value: Any) -> Any:
    """Config values as JSON: paths and other objects become strings, tuples lists."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "item") and not isinstance(value, Mapping):
        return value.item()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)
