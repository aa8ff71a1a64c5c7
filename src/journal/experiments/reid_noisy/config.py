"""Hyperparameters of ``reid_noisy``, with tiny defaults that train in seconds on a CPU."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ...errors import ConfigError


@dataclass(frozen=True)
class ReidNoisyConfig:
    """Person re-id with noisy labels by co-teaching two networks (seed note 001)."""

    noise_rate: float = 0.2  # share of training labels corrupted when loading
    noise_type: Literal["symmetric", "pairwise"] = "symmetric"  # any other id, or the next id
    forget_rate: float = 0.2  # co-teaching: share of large-loss samples each net drops
    warmup_epochs: int = 4  # the forget rate ramps linearly from 0 over these epochs
    epochs: int = 12
    batch_size: int = 64
    lr: float = 0.01  # SGD (momentum 0.9) of network 1; the notes sweep 0.001 … 0.05
    lr2: float = 0.0  # learning rate of network 2; 0 means the same as lr
    weight_decay: float = 5e-4
    width: int = 16
    n_train_ids: int = 32  # tiny synthetic Market-1501: identities × cameras × images
    n_test_ids: int = 16
    cameras: int = 4
    images_per_camera: int = 3
    data_seed: int = 0
    device: str = "auto"

    def validate(self) -> None:
        for key in ("epochs", "batch_size", "width", "n_train_ids", "n_test_ids", "images_per_camera"):
            if getattr(self, key) < 1:
                raise ConfigError(key, f"must be at least 1, got {getattr(self, key)}")
        if self.cameras < 2:
            raise ConfigError("cameras", "must be at least 2 (queries are matched across cameras)")
        for key in ("noise_rate", "forget_rate"):
            if not 0.0 <= getattr(self, key) < 1.0:
                raise ConfigError(key, f"must be in [0, 1), got {getattr(self, key)}")
        if self.lr <= 0 or self.lr2 < 0:
            raise ConfigError("lr" if self.lr <= 0 else "lr2", "must be positive")
