"""A Hugging Face ``TrainerCallback`` that writes a journal record: ``JournalCallback``.

::

    from journal.integrations.huggingface import JournalCallback

    callback = JournalCallback("sst2", variant="distilbert", seed=args.seed)
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=val,
                      callbacks=[callback])
    with callback:          # records 'failed' or 'interrupted' if training raises
        trainer.train()

What the record gets:

- **config**: the ``TrainingArguments`` (``to_sanitized_dict()``, or only ``args_keys``), plus
  ``config=`` given to the callback.
- **history**: what the trainer logs (``loss``, ``learning_rate``, ``eval_*``…) in one row per
  epoch: the trainer's fractional ``epoch`` rounded up (``0.25`` → 1, ``1.0`` → 1), the last
  value of each key in an epoch kept.
- **metrics**: the last value the trainer logged of every key (``train_loss``,
  ``train_runtime`` and ``eval_*`` included); keys starting with ``test`` (an
  ``evaluate(..., metric_key_prefix="test")``) go here only.
- **selections**: with ``metric_for_best_model`` (``load_best_model_at_end``), the best
  checkpoint as ``<metric>_best``: its metric, ``min``/``max``, epoch and best value.
- **status**: ``finished`` at the end of training. The trainer tells its callbacks nothing
  about exceptions, so ``with callback:`` around ``trainer.train()`` is what marks a run
  ``failed`` (with the traceback) or ``interrupted`` (Ctrl-C).

Needs ``pip install 'journal[huggingface]'`` (``transformers`` and ``accelerate``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from transformers import TrainerCallback

from ..tracking import Run, start_run, to_number
from .common import best_epoch, failure, selection_name

FINAL_PREFIXES = ("test",)


def epoch_of(progress: float | None) -> int:
    """The one-based epoch a fractional trainer epoch falls in (``0.5`` → 1, ``2.0`` → 2)."""
    if progress is None:
        return 1
    return max(1, math.ceil(round(float(progress), 6)))


class JournalCallback(TrainerCallback):
    """Writes one journal record for the training a ``transformers.Trainer`` runs.

    Args:
        experiment: the experiment name (posts group runs by it).
        variant: the variant the run belongs to.
        seed: the run's seed (default: ``TrainingArguments.seed``).
        config: extra config values stored beside the training arguments.
        args_keys: the training arguments to keep (default: all of them).
        results_dir: the folder of records (default ``$JOURNAL_RESULTS`` or ``./results``).
    """

    def __init__(self, experiment: str, *, variant: str = "default", seed: int | None = None,
                 config: Mapping[str, Any] | None = None, args_keys: Sequence[str] | None = None,
                 results_dir: str | Path | None = None) -> None:
        self.experiment = experiment
        self.variant = variant
        self.seed = seed
        self.config = dict(config or {})
        self.args_keys = list(args_keys) if args_keys is not None else None
        self.results_dir = results_dir
        self.run: Run | None = None
        """The journal run, once training has begun."""
        self._last: dict[str, float | None] = {}

    # -- the trainer's events --------------------------------------------------------------
    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if not state.is_world_process_zero or self.run is not None:
            return
        arguments = args.to_sanitized_dict()
        if self.args_keys is not None:
            arguments = {k: arguments[k] for k in self.args_keys if k in arguments}
        # records keep finite config numbers only: an inf argument is kept as its text
        arguments = {k: str(v) if isinstance(v, float) and not math.isfinite(v) else v
                     for k, v in arguments.items()}
        seed = self.seed if self.seed is not None else getattr(args, "seed", None)
        self.run = start_run(self.experiment, config={**arguments, **self.config},
                             variant=self.variant, seed=seed, results_dir=self.results_dir)
        self.run.save()

    def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None,
               **kwargs: Any) -> None:
        if self.run is None or not logs:
            return
        values: dict[str, float | None] = {}
        for key, value in logs.items():
            if key == "epoch":
                continue
            try:
                values[key] = to_number(value)
            except TypeError:
                continue  # a string the trainer logs now and then: not a metric
        self._last.update(values)
        epoch_values = {k: v for k, v in values.items() if not k.startswith(FINAL_PREFIXES)}
        if epoch_values:
            self.run.log(epoch_of(logs.get("epoch", state.epoch)), **epoch_values)
        if len(epoch_values) < len(values):
            self.run.set_metrics(**{k: v for k, v in values.items() if k not in epoch_values})

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is None:
            return
        self.run.flush()
        self._select_best(args, state, self.run)
        if self._last:
            self.run.set_metrics(**self._last)
        self.run.finish("finished")

    def _select_best(self, args: Any, state: Any, run: Run) -> None:
        name = getattr(args, "metric_for_best_model", None)
        if not name or state.best_metric is None:
            return
        metric = name if name.startswith("eval_") else f"eval_{name}"
        mode: Literal["min", "max"] = "max" if args.greater_is_better else "min"
        fallback = None
        step = getattr(state, "best_global_step", None)
        for entry in state.log_history:
            if entry.get("step") == step and metric in entry:
                fallback = epoch_of(entry.get("epoch"))
        epoch = best_epoch(run.record.history, metric, float(state.best_metric), fallback)
        if epoch is not None:
            run.select(selection_name(metric), metric=metric, mode=mode, epoch=epoch,
                       value=state.best_metric)

    # -- status on failure -----------------------------------------------------------------
    def __enter__(self) -> JournalCallback:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        if exc is not None and self.run is not None:
            self.run.flush()
            if self._last:
                self.run.set_metrics(**self._last)
            status, error = failure(exc, default="training raised")
            self.run.finish(status, error=error)
        return False
