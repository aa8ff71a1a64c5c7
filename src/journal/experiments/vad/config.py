"""Hyperparameters of ``vad``, with tiny defaults that train in seconds on a CPU."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ...errors import ConfigError


@dataclass(frozen=True)
class VadConfig:
    """Pose-based video anomaly detection by future-pose prediction (seed note 000)."""

    model: Literal["s4", "transformer"] = "s4"  # S4D: a diagonal state-space layer
    input_len: int = 20  # past frames seen (the notes try 20/30/40)
    pred_len: int = 4  # future frames predicted; their error is the anomaly score
    sigma: float = 7.0  # Gaussian smoothing of each clip's frame scores (the notes: 7 or 9)
    weak: bool = False  # weak supervision: labelled anomalous training clips push their error up
    weak_weight: float = 1.0  # weight of the weak term (the notes try 10× and 30×)
    margin: float = 0.1  # weak term: anomalous windows should err by at least this much
    epochs: int = 8
    batch_size: int = 64
    lr: float = 1e-3  # Adam; the notes use 5e-4 and 5e-5
    d_model: int = 32
    d_state: int = 32  # S4D state size
    n_train_clips: int = 12
    n_test_clips: int = 8
    frames: int = 240  # frames per clip, at 25 fps
    data_seed: int = 0
    device: str = "auto"

    def validate(self) -> None:
        for key in (
            "input_len",
            "pred_len",
            "epochs",
            "batch_size",
            "d_model",
            "d_state",
            "n_train_clips",
            "n_test_clips",
        ):
            if getattr(self, key) < 1:
                raise ConfigError(key, f"must be at least 1, got {getattr(self, key)}")
        if self.frames < self.input_len + self.pred_len + 1:
            raise ConfigError("frames", "must exceed input_len + pred_len")
        if self.sigma < 0:
            raise ConfigError("sigma", "must be non-negative")
        if self.lr <= 0:
            raise ConfigError("lr", "must be positive")
