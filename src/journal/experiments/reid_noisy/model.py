"""A small CNN embedding network with an identity classifier, as re-id baselines use."""

from __future__ import annotations

import torch
from torch import nn


class ReidNet(nn.Module):
    """Conv blocks → global average pooling → a batch-normalised embedding → identity logits."""

    def __init__(self, n_ids: int, width: int = 16, embed: int = 64) -> None:
        super().__init__()

        def block(cin: int, cout: int) -> list[nn.Module]:
            return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

        self.features = nn.Sequential(
            *block(3, width),
            nn.MaxPool2d(2),
            *block(width, 2 * width),
            nn.MaxPool2d(2),
            *block(2 * width, 4 * width),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(4 * width, embed),
            nn.BatchNorm1d(embed),
        )
        self.classifier = nn.Linear(embed, n_ids)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        embedding = self.features(x)
        return self.classifier(embedding), embedding
