"""Helpers every experiment's training loop uses: device, seeding, progress."""

from __future__ import annotations

import copy
import io
import math
import random
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from ..errors import JournalError
from ..records import write_atomic
from ..tracking import Run


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
        data: dict[str, Any] = {
            "epoch": epoch,
            "python": random.getstate(),
            "numpy": np.random.get_state(),
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
            "parts": {name: _state_of(part) for name, part in self.parts.items()},
        }
        path = self.run.state_path
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        torch.save(data, buffer)
        write_atomic(path, buffer.getvalue())

    def restore(self) -> int:
        """Load the saved state of a reopened run and return its last completed epoch (0 when
        the run is new, or was stopped before its first epoch ended)."""
        path = self.run.state_path
        if not (self.run.resuming or self.run.done):
            return 0
        if not path.is_file():
            if self.run.done:
                raise JournalError(f"{path}: training state of finished run {self.run.id} is missing; "
                                   "it is needed to continue its job (start a new run instead)")
            self.run.continue_after(0)
            return 0
        # Our own file, holding RNG states (not only tensors), so not weights_only.
        data = torch.load(path, map_location="cpu", weights_only=False)
        for name, part in self.parts.items():
            _load_state(part, data["parts"][name])
        random.setstate(data["python"])
        np.random.set_state(data["numpy"])
        torch.set_rng_state(data["torch"])
        if data["cuda"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(data["cuda"])
        epoch = int(data["epoch"])
        if self.run.resuming:
            self.run.continue_after(epoch)
        return epoch


def _state_of(part: Any) -> Any:
    if isinstance(part, torch.Generator):
        return part.get_state()
    return part.state_dict()


def _load_state(part: Any, state: Any) -> None:
    if isinstance(part, torch.Generator):
        part.set_state(state)
    else:
        part.load_state_dict(state)
