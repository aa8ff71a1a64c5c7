"""Spectrogram and MFCC features of 16 kHz audio, in torch.

* **spectrogram**: log power ``log(|STFT|² + 1e-6)`` with a 25 ms Hann window (400 samples,
  FFT size 512) every 20 ms (320 samples); optionally cropped to the bins below ``max_hz``.
* **mfcc**: the log energies of 40 HTK-mel triangular filters (0–8 kHz) over the same power
  spectrum, then an orthonormal DCT-II, keeping ``n_mfcc`` coefficients.
"""

from __future__ import annotations

import math

import torch

N_FFT, WIN, HOP, N_MELS = 512, 400, 320, 40


def power_spectrum(wave: torch.Tensor) -> torch.Tensor:
    """``(freq, time)`` power of a mono waveform."""
    spec = torch.stft(wave, n_fft=N_FFT, hop_length=HOP, win_length=WIN,
                      window=torch.hann_window(WIN), center=True, return_complex=True)
    return spec.abs() ** 2


def log_spectrogram(wave: torch.Tensor, rate: int, max_hz: float | None = None) -> torch.Tensor:
    power = power_spectrum(wave)
    if max_hz is not None:
        keep = int(math.floor(max_hz / (rate / N_FFT))) + 1
        power = power[:keep]
    return torch.log(power + 1e-6)


def _hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
    return 2595.0 * torch.log10(1.0 + hz / 700.0)


def _mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
    return 700.0 * (10 ** (mel / 2595.0) - 1.0)


def mel_filterbank(rate: int, n_mels: int = N_MELS) -> torch.Tensor:
    """``(n_mels, N_FFT // 2 + 1)`` triangular filters evenly spaced on the HTK mel scale."""
    freqs = torch.linspace(0, rate / 2, N_FFT // 2 + 1)
    edges = _mel_to_hz(torch.linspace(0, float(_hz_to_mel(torch.tensor(rate / 2))), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0)


def dct_matrix(n_out: int, n_in: int) -> torch.Tensor:
    """Orthonormal DCT-II as a ``(n_out, n_in)`` matrix."""
    n = torch.arange(n_in, dtype=torch.float32)
    k = torch.arange(n_out, dtype=torch.float32)[:, None]
    basis = torch.cos(math.pi / n_in * (n + 0.5) * k) * math.sqrt(2.0 / n_in)
    basis[0] /= math.sqrt(2.0)
    return basis


def mfcc(wave: torch.Tensor, rate: int, n_mfcc: int = 20) -> torch.Tensor:
    mel = mel_filterbank(rate) @ power_spectrum(wave)
    return dct_matrix(n_mfcc, N_MELS) @ torch.log(mel + 1e-6)
