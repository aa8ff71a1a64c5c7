"""A Lightning logger that writes a journal record: ``JournalLogger``.

::

    from journal.integrations.lightning import JournalLogger

    logger = JournalLogger("digits", variant="mlp", seed=0)
    trainer = lightning.pytorch.Trainer(max_epochs=10, logger=logger,
                                        callbacks=[ModelCheckpoint(monitor="val_loss")])
    trainer.fit(model, train_loader, val_loader)

What the record gets:

- **config**: the hyperparameters Lightning logs (``save_hyperparameters()`` of the module and
  the data module), plus ``config=`` given to the logger.
- **history**: one row per epoch (Lightning's ``epoch`` plus ``epoch_offset``, 1 by default,
  so the first epoch is 1 as in the bundled experiments); a value logged several times in an
  epoch (``on_step=True``) keeps its last value.
- **metrics**: the last value of everything logged, which is what ``trainer.logged_metrics``
  holds; values whose name starts with ``test`` (``trainer.test``) go here only, not into the
  history.
- **selections**: with a ``ModelCheckpoint`` that monitors a metric, its best checkpoint as
  ``<metric>_best`` (``val_`` dropped): the monitored metric, ``min``/``max``, the epoch and
  the best score.
- **status**: ``finished`` when Lightning ends a stage successfully; ``failed`` with the
  traceback on an exception; ``interrupted`` on Ctrl-C or SIGTERM (Lightning catches both and
  finalizes its loggers while the exception is being handled, which is where it is read).

The logger's ``experiment`` is the :class:`journal.Run`, for anything else
(``trainer.logger.experiment.set_confusion(...)``). Needs ``pip install 'journal[lightning]'``.
"""

from __future__ import annotations

import math
import os
import sys
from argparse import Namespace
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from lightning.fabric.utilities.logger import _convert_params
from lightning.pytorch.loggers import Logger
from lightning.pytorch.utilities import rank_zero_only

from ..tracking import Run, start_run, to_number
from .common import best_epoch, failure, selection_name

FINAL_PREFIXES = ("test",)


class JournalLogger(Logger):
    """Writes one journal record for the run a ``Trainer`` drives.

    Args:
        experiment: the experiment name (posts group runs by it).
        variant: the variant the run belongs to.
        seed: the run's seed (default: the one ``seed_everything`` set, if any).
        config: extra config values to store beside the logged hyperparameters.
        results_dir: the folder of records (default ``$JOURNAL_RESULTS`` or ``./results``).
        epoch_offset: added to Lightning's zero-based epoch.
    """

    def __init__(self, experiment: str, *, variant: str = "default", seed: int | None = None,
                 config: Mapping[str, Any] | None = None, results_dir: str | Path | None = None,
                 epoch_offset: int = 1) -> None:
        super().__init__()
        self._experiment_name = experiment
        self._variant = variant
        self._seed = seed
        self._config: dict[str, Any] = _json(dict(config or {}))
        self._results_dir = results_dir
        self._epoch_offset = epoch_offset
        self._run: Run | None = None
        self._written = False
        self._epoch = epoch_offset
        self._last: dict[str, float | None] = {}
        self._checkpoint: Any = None
        self._best_path = ""
        self._best_epoch: int | None = None

    # -- what Lightning asks of a logger -------------------------------------------------
    @property
    def name(self) -> str:
        return self._experiment_name

    @property
    def version(self) -> str:
        return self.experiment.id

    @property
    def experiment(self) -> Run:
        """The journal run this logger writes (created on first use)."""
        if self._run is None:
            seed = self._seed
            if seed is None:
                env = os.environ.get("PL_GLOBAL_SEED")
                seed = int(env) if env and env.lstrip("-").isdigit() else None
            self._run = start_run(self._experiment_name, config=self._config, variant=self._variant,
                                  seed=seed, results_dir=self._results_dir)
        return self._run

    def _write(self) -> Run:
        run = self.experiment
        if not self._written:
            run.save()
            self._written = True
        return run

    @rank_zero_only
    def log_hyperparams(self, params: dict[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        """Store the hyperparameters in the record's config."""
        values = _convert_params(params) or {}
        self._config.update({str(k): _json(v) for k, v in values.items()})
        run = self.experiment
        run.record.config = {**run.record.config, **self._config}
        if self._written:
            run.save()
        else:
            self._write()

    @rank_zero_only
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        """One logging call: a row of the epoch it belongs to, or final (test) metrics."""
        values = {k: to_number(v) for k, v in metrics.items()}
        if "epoch" in values and values["epoch"] is not None:
            self._epoch = int(values["epoch"]) + self._epoch_offset
        values.pop("epoch", None)
        self._last.update(values)
        epoch_values = {k: v for k, v in values.items() if not k.startswith(FINAL_PREFIXES)}
        run = self._write()
        if epoch_values:
            run.log(self._epoch, **epoch_values)
        if len(epoch_values) < len(values):
            run.set_metrics(**{k: v for k, v in values.items() if k not in epoch_values})

    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        """Note which epoch the monitored checkpoint's best score came from."""
        self._checkpoint = checkpoint_callback
        path = getattr(checkpoint_callback, "best_model_path", "") or ""
        if path and path != self._best_path:
            self._best_path, self._best_epoch = path, self._epoch

    @rank_zero_only
    def finalize(self, status: str) -> None:
        """Close the record: ``finished``, or ``failed``/``interrupted`` from the exception
        Lightning is handling."""
        run = self._write()
        run.flush()
        self._select_best(run)
        if self._last:
            run.set_metrics(**self._last)
        if status == "success":
            run.finish("finished")
            return
        outcome, error = failure(sys.exc_info()[1], default=f"Lightning ended the run: {status}")
        run.finish(outcome, error=error)

    def _select_best(self, run: Run) -> None:
        cb = self._checkpoint
        monitor = getattr(cb, "monitor", None)
        score = to_number(getattr(cb, "best_model_score", None))
        if cb is None or not monitor or score is None:
            return
        mode: Literal["min", "max"] = "max" if getattr(cb, "mode", "min") == "max" else "min"
        epoch = best_epoch(run.record.history, monitor, score, self._best_epoch)
        if epoch is None:
            return
        run.select(selection_name(monitor), metric=monitor, mode=mode, epoch=epoch, value=score)


def _json(value: Any) -> Any:
    """A hyperparameter as JSON: plain values kept, containers walked, anything else as text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # records keep finite config numbers only
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return str(value)


__all__ = ["JournalLogger"]
