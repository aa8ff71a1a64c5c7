"""Hyperparameters of ``fas_kd``, with the tiny defaults that train in seconds on a CPU."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ...errors import ConfigError


@dataclass(frozen=True)
class FasKdConfig:
    """Face anti-spoofing with knowledge distillation (seed note 004)."""

    epochs: int = 12  # the notes train 50–100 epochs on the full data set
    batch_size: int = 32
    lr: float = 1e-3  # Adam, for teacher and students alike
    weight_decay: float = 5e-4
    image_size: int = 32  # every modality is resized to image_size × image_size
    width: int = 16  # channels of the first conv layer; doubles twice
    dropout: float = 0.2  # before the classifier
    kd: Literal["logit", "feature", "none"] = "logit"  # how the RGB student learns from the teacher
    temperature: float = 4.0  # logit KD: softmax temperature (Hinton et al.)
    kd_weight: float = 0.7  # logit KD: weight of the distillation term vs cross-entropy
    feature_weight: float = 1.0  # feature KD: weight of the feature-regression term
    baseline: bool = True  # also train an RGB student without KD, the comparison that matters
    threshold: Literal["eer", "fixed"] = "eer"  # eer: found on val, applied to test; fixed: 0.5
    n_train: int = 480  # tiny synthetic data: samples per split (≈30% bona fide, as CASIA-SURF)
    n_val: int = 160
    n_test: int = 400
    data_seed: int = 0  # the synthetic data set is the same for every run seed
    device: str = "auto"  # auto: CUDA when available, else CPU

    def validate(self) -> None:
        """Reject values no run could use, naming the key."""
        for key in ("epochs", "batch_size", "image_size", "width", "n_train", "n_val", "n_test"):
            if getattr(self, key) < 1:
                raise ConfigError(key, f"must be at least 1, got {getattr(self, key)}")
        if self.image_size < 8:
            raise ConfigError("image_size", "must be at least 8 (the model pools twice)")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError("dropout", f"must be in [0, 1), got {self.dropout}")
        if not 0.0 <= self.kd_weight <= 1.0:
            raise ConfigError("kd_weight", f"must be in [0, 1], got {self.kd_weight}")
        if self.lr <= 0 or self.temperature <= 0:
            key = "lr" if self.lr <= 0 else "temperature"
            raise ConfigError(key, "must be positive")
