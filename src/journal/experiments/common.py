"""Helpers every experiment's training loop uses: device, seeding, progress."""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Iterator

import numpy as np
import torch
from tqdm import tqdm


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


class EpochProgress:
    """A progress bar over epochs that shows the latest metric, on stderr."""

    def __init__(self, epochs: int, label: str, enabled: bool = True) -> None:
        self._bar = tqdm(
            total=epochs, desc=label, unit="epoch", disable=not enabled, leave=True, dynamic_ncols=True
        )

    def __iter__(self) -> Iterator[int]:
        for epoch in range(1, int(self._bar.total or 0) + 1):
            yield epoch
            self._bar.update(1)

    def show(self, **values: float) -> None:
        self._bar.set_postfix({k: f"{v:.4f}" for k, v in values.items()}, refresh=False)

    def close(self) -> None:
        self._bar.close()
