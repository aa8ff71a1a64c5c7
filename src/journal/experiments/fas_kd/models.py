"""A multi-modal teacher (RGB + Depth + IR) and an RGB-only student, small ResNet-free CNNs."""

from __future__ import annotations

import torch
from torch import nn

MODALITIES = ("rgb", "depth", "ir")


def branch(in_channels: int, width: int) -> nn.Sequential:
    """conv-BN-ReLU ×3 with two poolings, then global average pooling → ``4·width`` features."""

    def block(cin: int, cout: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU()]

    return nn.Sequential(
        *block(in_channels, width),
        nn.MaxPool2d(2),
        *block(width, 2 * width),
        nn.MaxPool2d(2),
        *block(2 * width, 4 * width),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
    )


class Teacher(nn.Module):
    """One branch per modality, features concatenated, then an embedding and a classifier.

    ``forward(rgb, depth, ir)`` returns ``(logits, embedding)``; a missing modality is passed
    as zeros, which is how the notes test "miss rgb / miss ir / miss depth".
    """

    def __init__(self, width: int = 16, dropout: float = 0.2, embed: int = 64) -> None:
        super().__init__()
        self.rgb = branch(3, width)
        self.depth = branch(1, width)
        self.ir = branch(1, width)
        self.embed = nn.Sequential(nn.Linear(12 * width, embed), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(embed, 2))

    def forward(
        self, rgb: torch.Tensor, depth: torch.Tensor, ir: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        fused = torch.cat([self.rgb(rgb), self.depth(depth), self.ir(ir)], dim=1)
        embedding = self.embed(fused)
        return self.head(embedding), embedding


class Student(nn.Module):
    """The RGB branch alone, with an embedding of the teacher's size for feature distillation."""

    def __init__(self, width: int = 16, dropout: float = 0.2, embed: int = 64) -> None:
        super().__init__()
        self.rgb = branch(3, width)
        self.embed = nn.Sequential(nn.Linear(4 * width, embed), nn.ReLU())
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(embed, 2))
        # FitNets-style regressor mapping the student embedding onto the teacher's.
        self.regressor = nn.Linear(embed, embed)

    def forward(
        self, rgb: torch.Tensor, depth: torch.Tensor | None = None, ir: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        embedding = self.embed(self.rgb(rgb))
        return self.head(embedding), self.regressor(embedding)
