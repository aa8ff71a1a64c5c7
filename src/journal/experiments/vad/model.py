"""Future-pose predictors: an S4D state-space model and a Transformer encoder.

S4D (Gu et al., 2022, "On the Parameterization and Initialization of Diagonal State Space
Models") is a linear time-invariant layer ``x' = A x + B u, y = C x + D u`` with a diagonal complex
``A``, discretised with a learned step ``dt`` (zero-order hold) and applied as a long convolution
computed by FFT. ``A`` starts at the S4D-Lin initialisation ``-1/2 + iπn``.
"""

from __future__ import annotations

import math

import torch
from torch import nn


class S4D(nn.Module):
    """One S4D layer over ``(batch, channels, length)`` inputs."""

    def __init__(self, channels: int, d_state: int = 32, dt_min: float = 1e-3, dt_max: float = 1e-1) -> None:
        super().__init__()
        n = d_state // 2
        self.log_dt = nn.Parameter(
            torch.rand(channels) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        )
        self.c = nn.Parameter(torch.view_as_real(torch.randn(channels, n, dtype=torch.cfloat) * 0.5**0.5))
        self.log_a_real = nn.Parameter(torch.log(0.5 * torch.ones(channels, n)))
        self.a_imag = nn.Parameter(math.pi * torch.arange(n).float().repeat(channels, 1))
        self.d = nn.Parameter(torch.randn(channels))

    def kernel(self, length: int) -> torch.Tensor:
        dt = torch.exp(self.log_dt)[:, None]
        a = -torch.exp(self.log_a_real) + 1j * self.a_imag
        dta = a * dt
        c = torch.view_as_complex(self.c) * (torch.exp(dta) - 1.0) / a
        powers = dta[..., None] * torch.arange(length, device=a.device)
        return 2 * torch.einsum("hn,hnl->hl", c, torch.exp(powers)).real

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        length = u.shape[-1]
        k = self.kernel(length)
        y = torch.fft.irfft(torch.fft.rfft(u, n=2 * length) * torch.fft.rfft(k, n=2 * length), n=2 * length)
        return y[..., :length] + u * self.d[:, None]


class S4Predictor(nn.Module):
    """Poses → S4D blocks (residual, GELU, LayerNorm) → last step → the next ``pred_len`` poses."""

    def __init__(self, pred_len: int, d_model: int = 32, d_state: int = 32, layers: int = 2) -> None:
        super().__init__()
        self.pred_len = pred_len
        self.encode = nn.Linear(34, d_model)
        self.layers = nn.ModuleList(S4D(d_model, d_state) for _ in range(layers))
        self.norms = nn.ModuleList(nn.LayerNorm(d_model) for _ in range(layers))
        self.decode = nn.Linear(d_model, pred_len * 34)

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        h = self.encode(poses.flatten(2))  # (batch, time, d)
        for layer, norm in zip(self.layers, self.norms, strict=True):
            h = norm(h + nn.functional.gelu(layer(h.transpose(1, 2)).transpose(1, 2)))
        return self.decode(h[:, -1]).view(-1, self.pred_len, 17, 2)


class TransformerPredictor(nn.Module):
    """Poses + learned positions → Transformer encoder → last token → the next ``pred_len`` poses."""

    def __init__(self, pred_len: int, input_len: int, d_model: int = 32, layers: int = 2) -> None:
        super().__init__()
        self.pred_len = pred_len
        self.encode = nn.Linear(34, d_model)
        self.position = nn.Parameter(torch.zeros(1, input_len, d_model))
        layer = nn.TransformerEncoderLayer(
            d_model, nhead=4, dim_feedforward=2 * d_model, dropout=0.1, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.decode = nn.Linear(d_model, pred_len * 34)

    def forward(self, poses: torch.Tensor) -> torch.Tensor:
        h = self.encoder(self.encode(poses.flatten(2)) + self.position[:, : poses.shape[1]])
        return self.decode(h[:, -1]).view(-1, self.pred_len, 17, 2)
