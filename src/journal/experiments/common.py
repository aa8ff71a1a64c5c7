"""Helpers every experiment's training loop uses: device, seeding, progress."""

from __future__ import annotations

import copy
import io
import math
import pickle
import random
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from ..errors import JournalError
from ..paths import clean_stale_tmp, folder_inside
from ..records import write_atomic
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
