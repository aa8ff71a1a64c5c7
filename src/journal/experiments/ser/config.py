"""Hyperparameters of ``ser``, with tiny defaults that train in well under a minute on a CPU."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ...errors import ConfigError


@dataclass(frozen=True)
class SerConfig:
    """Speech emotion recognition with a Light-SERNet-style CNN (seed note 003)."""

    classes: str = "正向,中性,负向"  # class names, comma-separated, as the index CSV writes them
    features: Literal["spectrogram", "mfcc"] = "spectrogram"
    low_freq_only: bool = False  # keep only the spectrogram below low_freq_hz (the notes' crop)
    low_freq_hz: float = 4000.0
    n_mfcc: int = 20
    epochs: int = 15
    batch_size: int = 32
    lr: float = 1e-3  # Adam; the notes sweep 1e-6 … 1e-3
    dropout: float = 0.2
    valid_rate: float = 0.15  # share of the training files held out for validation
    class_balance: Literal["none", "sampler", "weights"] = "weights"  # against the rare 负向
    loss: Literal["ce", "focal"] = "ce"
    focal_gamma: float = 2.0
    width: int = 8  # channels of each parallel path
    n_train: int = 480  # tiny synthetic corpus: training files (before the validation split)
    n_test: int = 240  # test files, imbalanced like the notes' 1943/2145/406
    data_seed: int = 0
    device: str = "auto"

    def class_names(self) -> list[str]:
        return [c.strip() for c in self.classes.split(",") if c.strip()]

    def validate(self) -> None:
        names = self.class_names()
        if len(names) < 2 or len(set(names)) != len(names):
            raise ConfigError("classes", f"need at least two distinct names, got {self.classes!r}")
        if not 0.0 < self.valid_rate < 0.5:
            raise ConfigError("valid_rate", f"must be in (0, 0.5), got {self.valid_rate}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError("dropout", f"must be in [0, 1), got {self.dropout}")
        for key in ("epochs", "batch_size", "width", "n_train", "n_test", "n_mfcc"):
            if getattr(self, key) < 1:
                raise ConfigError(key, f"must be at least 1, got {getattr(self, key)}")
        if not 0 < self.low_freq_hz <= 8000:
            raise ConfigError("low_freq_hz", "must be in (0, 8000] for 16 kHz audio")
        if self.lr <= 0:
            raise ConfigError("lr", "must be positive")
