"""Helpers every experiment's training loop uses: device, seeding, progress, the training state
runs resume from, and :class:`EpochLoop`, the resumable epoch loop with its ``last``/best
checkpoint selections (the bundled experiments and yours)."""

from __future__ import annotations

import copy
import io
import math
import pickle
import random
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from ..atomic import write_atomic
from ..errors import JournalError
from ..paths import clean_stale_tmp, folder_inside
from ..tracking import STATE_DIR, Run


def pick_device(name: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; any other value is passed to torch."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    """``cpu`` or ``cuda:0 (NVIDIA H100 80GB HBM3)``, as stored in the record's environment."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    return str(device)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; returns a generator for data-loader shuffling."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


class BestCheckpoint:
    """The best epoch so far by one validation metric, with a copy of the model's weights.

    Ties keep the earlier epoch; a NaN value never wins.
    """

    def __init__(self, mode: str = "min") -> None:
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.mode = mode
        self.value = float("nan")
        self.epoch = 0
        self.state: dict[str, torch.Tensor] | None = None

    def update(self, value: float, epoch: int, model: torch.nn.Module) -> bool:
        """Keep ``model``'s weights if ``value`` beats the best so far; True when it did."""
        if math.isnan(value):
            return False
        better = self.state is None or (value < self.value if self.mode == "min" else value > self.value)
        if better:
            self.value, self.epoch = value, epoch
            self.state = copy.deepcopy(model.state_dict())
        return better

    def state_dict(self) -> dict[str, Any]:
        return {"value": self.value, "epoch": self.epoch, "state": self.state}

    def load_state_dict(self, data: dict[str, Any]) -> None:
        self.value, self.epoch, self.state = data["value"], data["epoch"], data["state"]


class EpochProgress:
    """A progress bar over epochs that shows the latest metric, on stderr."""

    def __init__(self, epochs: int, label: str, enabled: bool = True, start: int = 0) -> None:
        self._bar = tqdm(
            total=epochs, initial=start, desc=label, unit="epoch", disable=not enabled, leave=True,
            dynamic_ncols=True,
        )
        self._start = start

    def __iter__(self) -> Iterator[int]:
        for epoch in range(self._start + 1, int(self._bar.total or 0) + 1):
            yield epoch
            self._bar.update(1)

    def show(self, **values: float) -> None:
        self._bar.set_postfix({k: f"{v:.4f}" for k, v in values.items()}, refresh=False)

    def close(self) -> None:
        self._bar.close()


class TrainingState:
    """What a training loop needs to continue after a stop, saved at the end of every epoch.

    ``parts`` are objects with ``state_dict``/``load_state_dict`` (modules, optimisers,
    schedulers, :class:`BestCheckpoint`) or a ``torch.Generator``; Python, NumPy and torch
    random states are saved too, so a resumed run draws the same batches as one never stopped.
    The file is written atomically beside the records (``<results>/.state/<run id>.pt``), so a
    kill mid-save leaves the previous epoch's state.

    The file holds tensors and plain values only (the random states are stored as tensors and
    lists), and is read back with ``torch.load(weights_only=True)``: a file that someone
    replaced with a crafted pickle is refused, never executed.

    Usage::

        state = TrainingState(run, model=model, optimiser=optimiser, best=best, generator=gen)
        for epoch in range(state.restore() + 1, epochs + 1):
            ...
            run.log(epoch, ...)
            state.save(epoch)
    """

    def __init__(self, run: Run, **parts: Any) -> None:
        self.run = run
        self.parts = parts

    def save(self, epoch: int) -> None:
        """Write the record (so it holds ``epoch``), then the state of the end of ``epoch``."""
        self.run.flush()
        version, internal, gauss = random.getstate()
        kind, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
        data: dict[str, Any] = {
            "format": STATE_FORMAT,
            "epoch": int(epoch),
            "python": [int(version), torch.tensor(internal, dtype=torch.int64), gauss],
            "numpy": [str(kind), torch.from_numpy(np.asarray(keys, dtype=np.int64)), int(pos),
                      int(has_gauss), float(cached)],
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "parts": {name: _state_of(part) for name, part in self.parts.items()},
        }
        path = self.run.state_path
        folder = folder_inside(self.run.results_dir, STATE_DIR)
        clean_stale_tmp(folder)
        buffer = io.BytesIO()
        torch.save(data, buffer)
        write_atomic(path, buffer.getvalue())

    def restore(self) -> int:
        """Load the saved state of a reopened run and return its last completed epoch (0 when
        the run is new, or was stopped before its first epoch ended).

        Raises:
            JournalError: the state file is missing for a finished run, or is not a training
                state this journal wrote (a pickle with code in it, a truncated file): it is
                named and never executed.
        """
        path = self.run.state_path
        if not (self.run.resuming or self.run.done):
            return 0
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise JournalError(f"{path}: training state refused: not a regular file")
        if not path.is_file():
            if self.run.done:
                raise JournalError(f"{path}: training state of finished run {self.run.id} is missing; "
                                   "it is needed to continue its job (start a new run instead)")
            self.run.continue_after(0)
            return 0
        try:
            data = load_state_file(path)
        except JournalError:
            self.run.abandon()  # refused before anything continued: the record stays as it was
            raise
        try:
            for name, part in self.parts.items():
                _load_state(part, data["parts"][name])
            version, internal, gauss = data["python"]
            random.setstate((int(version), tuple(int(v) for v in internal.tolist()), gauss))
            kind, keys, pos, has_gauss, cached = data["numpy"]
            np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
            torch.set_rng_state(data["torch"])
            if data["cuda"] is not None and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(data["cuda"])
            epoch = int(data["epoch"])
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
            self.run.abandon()
            raise JournalError(f"{path}: training state does not fit this run: "
                               f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
                               ) from None
        if self.run.resuming:
            self.run.continue_after(epoch)
        return epoch


STATE_FORMAT = 2
"""Version of the training-state file: 2 holds tensors and plain values only."""


def load_state_file(path: Path) -> dict[str, Any]:
    """A training state file read with ``weights_only=True`` (no code can run while it loads).

    Raises:
        JournalError: one line naming the file when it is not a state this journal wrote.
    """
    try:
        with warnings.catch_warnings():  # a foreign pickle protocol warns before it is refused
            warnings.simplefilter("ignore", UserWarning)
            data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise JournalError(f"{path}: training state refused: it holds objects other than tensors "
                           "and plain values (code could run if it were loaded); delete it to "
                           "start the run's job afresh") from None
    except Exception as exc:  # a corrupt zip, a truncated file, …: refused just the same
        first = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise JournalError(f"{path}: training state refused: unreadable ({first}); delete it to "
                           "start the run's job afresh") from None
    if not isinstance(data, dict) or data.get("format") != STATE_FORMAT:
        raise JournalError(f"{path}: training state refused: not written by this version of "
                           f"journal (format {STATE_FORMAT}); delete it to start the run's job "
                           "afresh")
    return data


def _state_of(part: Any) -> Any:
    if isinstance(part, torch.Generator):
        return part.get_state()
    return part.state_dict()


def _load_state(part: Any, state: Any) -> None:
    if isinstance(part, torch.Generator):
        part.set_state(state)
    else:
        part.load_state_dict(state)


class EpochLoop:
    """The resumable epoch loop: progress bar, best checkpoints, the state saved every epoch,
    and the ``last`` and best selections at the end.

    ``best`` names each checkpoint to keep and the logged metric and goal that choose it
    (``{"acer_best": ("val_acer", "min")}``); after each epoch's body the loop reads that
    metric from what the body logged (``run.log``), keeps the model's weights when it is the
    best so far, and saves the training state (``state``: the modules, optimisers and
    generators to restore, by name; the trackers are added under their own names); the progress
    bar shows the logged metric ``show`` (default: the first best's). A reopened
    run continues after its last saved epoch; a finished one comes back with :attr:`done` set.

    Usage (``journal.experiments.ser.train`` reads the same)::

        loop = EpochLoop(run, config.epochs, model=model, best={"ua_best": ("val_ua", "max")},
                         state={"model": model, "optimiser": optimiser, "generator": gen},
                         label=f"ser seed {request.seed}", progress=request.progress)
        if loop.done:
            return [run.path]
        for epoch in loop:
            train_one_epoch()
            run.log(epoch, train_loss=..., val_ua=...)
        loop.select_last("val_ua", test=evaluate())
        chosen = loop.select_best(evaluate)   # each best checkpoint's weights, evaluated
    """

    def __init__(self, run: Run, epochs: int, *, model: torch.nn.Module,
                 state: Mapping[str, Any], best: Mapping[str, tuple[str, str]] | None = None,
                 label: str = "", progress: bool = True, show: str | None = None) -> None:
        self.run = run
        self.epochs = epochs
        self.model = model
        self.metrics = dict(best or {})
        self.best = {name: BestCheckpoint(mode) for name, (_, mode) in self.metrics.items()}
        self.state = TrainingState(run, **state, **self.best)
        self.start = self.state.restore()
        self.label = label
        self.progress = progress
        self.show = show or next((m for m, _ in self.metrics.values()), None)
        """The logged metric the progress bar shows (default: the first best's)."""
        self._tracked = 0

    @property
    def done(self) -> bool:
        """The run had finished in an earlier attempt of its job: its final weights are back."""
        return self.run.done

    def track(self, epoch: int) -> None:
        """Update the best checkpoints from the metrics logged for ``epoch`` now (the loop does
        it after the epoch's body; call it inside to read :attr:`best` for this epoch)."""
        if self._tracked == epoch:
            return
        values = self.run.logged(epoch)
        for name, (metric, _) in self.metrics.items():
            value = values.get(metric)
            if value is not None:
                self.best[name].update(value, epoch, self.model)
        self._tracked = epoch

    def __iter__(self) -> Iterator[int]:
        bar = EpochProgress(self.epochs, self.label, enabled=self.progress, start=self.start)
        try:
            for epoch in bar:
                yield epoch
                self.track(epoch)
                value = self.run.logged(epoch).get(self.show) if self.show else None
                if value is not None:
                    bar.show(**{str(self.show): value})
                self.state.save(epoch)
        finally:
            bar.close()

    def select_last(self, metric: str, *, test: Mapping[str, Any], value: Any = None) -> None:
        """Record the ``last`` selection: the final epoch, ``metric``'s logged value there (or
        ``value``) and the ``test`` metrics of the final weights."""
        if value is None and self.run.record.history:
            value = self.run.record.history[-1].values().get(metric)
        self.run.select("last", metric=metric, mode="last", epoch=self.epochs, value=value,
                        test=test)

    def select_best(self, evaluate: Callable[[], Mapping[str, Any]], *,
                    restore: bool = True) -> dict[str, Mapping[str, Any]]:
        """For each best checkpoint that was found: load its weights, ``evaluate()`` them and
        record the selection; returns name → test metrics. ``restore``: put the final weights
        back afterwards (else the model keeps the last best checkpoint's)."""
        final = copy.deepcopy(self.model.state_dict()) if restore else None
        chosen: dict[str, Mapping[str, Any]] = {}
        for name, tracker in self.best.items():
            if tracker.state is None:
                continue
            self.model.load_state_dict(tracker.state)
            chosen[name] = evaluate()
            metric, mode = self.metrics[name]
            self.run.select(name, metric=metric, mode=mode,  # type: ignore[arg-type]
                            epoch=tracker.epoch, value=tracker.value, test=chosen[name])
        if final is not None:
            self.model.load_state_dict(final)
        return chosen
