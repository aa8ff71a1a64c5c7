"""Hyperparameters of ``finetune``, with tiny defaults that train in seconds on a CPU."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ...errors import ConfigError


@dataclass(frozen=True)
class FinetuneConfig:
    """Cross-modal self-supervised ECG/PPG pre-training, then fine-tuning (seed note 002)."""

    task: Literal["all", "ecg_rhythm", "ppg_hr"] = "all"  # ecg_rhythm: AF vs normal; ppg_hr: bpm
    mode: Literal["full", "linear"] = "full"  # linear: frozen encoder, only the head learns
    lr: float = 3e-3  # the head's learning rate
    backbone_lr: float = 1e-3  # the encoder's learning rate (full mode)
    epochs: int = 15
    batch_size: int = 32
    pretrain_epochs: int = 12  # cross-modal InfoNCE on unlabelled ECG/PPG pairs
    pretrain_lr: float = 1e-3
    temperature: float = 0.1  # InfoNCE temperature
    width: int = 16  # channels of the encoder's first layer; doubles twice
    n_unlabelled: int = 800  # tiny synthetic data: unlabelled pairs, then labelled splits
    n_train: int = 240
    n_val: int = 80
    n_test: int = 160
    data_seed: int = 0
    reference: dict[str, float] = field(default_factory=dict)  # a paper's numbers: reference.mae=2.35
    device: str = "auto"

    def tasks(self) -> list[str]:
        return ["ecg_rhythm", "ppg_hr"] if self.task == "all" else [self.task]

    def validate(self) -> None:
        for key in ("epochs", "batch_size", "pretrain_epochs", "width", "n_unlabelled", "n_train",
                    "n_val", "n_test"):
            if getattr(self, key) < 1:
                raise ConfigError(key, f"must be at least 1, got {getattr(self, key)}")
        for key in ("lr", "backbone_lr", "pretrain_lr", "temperature"):
            if getattr(self, key) <= 0:
                raise ConfigError(key, "must be positive")
