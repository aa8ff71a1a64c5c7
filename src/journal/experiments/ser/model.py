"""A Light-SERNet-style CNN: three parallel convolution paths, a shared body, a classifier.

Light-SERNet (Aftab et al., 2022) looks at a spectrogram through parallel paths with kernels long
in time, long in frequency and square, concatenates them and classifies after a few small conv
blocks with global average pooling. This is the same shape at a tiny width.
"""

from __future__ import annotations

import torch
from torch import nn


def _conv(cin: int, cout: int, kernel: tuple[int, int]) -> list[nn.Module]:
    pad = (kernel[0] // 2, kernel[1] // 2)
    return [nn.Conv2d(cin, cout, kernel, padding=pad, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]


class LightSERNet(nn.Module):
    """Input ``(batch, 1, freq, time)``; output class logits."""

    def __init__(self, n_classes: int, width: int = 12, dropout: float = 0.2) -> None:
        super().__init__()
        self.stem = nn.AvgPool2d((2, 1), ceil_mode=True)  # halve the frequency axis first
        self.paths = nn.ModuleList(
            nn.Sequential(*_conv(1, width, k), nn.AvgPool2d(2, ceil_mode=True))
            for k in ((9, 1), (1, 11), (3, 3))  # along frequency, along time, square
        )
        self.body = nn.Sequential(
            *_conv(3 * width, 2 * width, (3, 3)), nn.AvgPool2d(2, ceil_mode=True),
            *_conv(2 * width, 4 * width, (3, 3)), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(4 * width, n_classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        return self.head(self.body(torch.cat([p(x) for p in self.paths], dim=1)))
