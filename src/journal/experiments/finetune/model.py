"""A small 1-D CNN encoder per modality, and the cross-modal InfoNCE objective."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Encoder(nn.Module):
    """Three strided conv blocks and global average pooling → ``4·width`` features."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = [1, width, 2 * width, 4 * width]
        for cin, cout, k in zip(channels[:-1], channels[1:], (7, 5, 5), strict=True):
            layers += [nn.Conv1d(cin, cout, k, stride=2, padding=k // 2, bias=False),
                       nn.BatchNorm1d(cout), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.AdaptiveAvgPool1d(1), nn.Flatten())
        self.out_features = 4 * width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x[:, None] if x.dim() == 2 else x)


class CrossModal(nn.Module):
    """An ECG and a PPG encoder with projection heads, trained so paired segments match."""

    def __init__(self, width: int = 16, dim: int = 32) -> None:
        super().__init__()
        self.ecg, self.ppg = Encoder(width), Encoder(width)
        self.ecg_proj = nn.Linear(self.ecg.out_features, dim)
        self.ppg_proj = nn.Linear(self.ppg.out_features, dim)

    def forward(self, ecg: torch.Tensor, ppg: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (F.normalize(self.ecg_proj(self.ecg(ecg)), dim=1),
                F.normalize(self.ppg_proj(self.ppg(ppg)), dim=1))


def info_nce(a: torch.Tensor, b: torch.Tensor, temperature: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric InfoNCE (CLIP) loss of L2-normalised pairs, and the top-1 retrieval accuracy."""
    logits = a @ b.T / temperature
    target = torch.arange(len(a), device=a.device)
    loss = (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2
    return loss, (logits.argmax(1) == target).float().mean()
