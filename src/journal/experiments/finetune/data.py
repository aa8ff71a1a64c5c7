"""ECG and PPG segments as NumPy arrays on disk, and a tiny synthetic set of them.

Layout of a data root (``.npy`` arrays of float32 signals, one row per segment)::

    unlabelled_ecg.npy, unlabelled_ppg.npy        paired segments for pre-training
    ecg_rhythm/{train,val,test}_x.npy, _y.npy     ECG → 0 normal rhythm, 1 atrial fibrillation
    ppg_hr/{train,val,test}_x.npy, _y.npy         PPG → mean heart rate in beats per minute

The synthetic segments are 8 s at 50 Hz. Each beat draws a P wave (absent in AF), a QRS complex
and a T wave in the ECG, and a systolic peak with a dicrotic notch in the PPG a pulse-transit time
later; AF makes the RR intervals irregular. Noise, baseline wander and amplitude vary per segment.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import JournalError
from ..storage import build_once, data_home, is_built

RATE_HZ = 50
SECONDS = 8
TASKS = {"ecg_rhythm": "ecg", "ppg_hr": "ppg"}
CLASS_NAMES = ["normal", "AF"]
GENERATOR_VERSION = 1


def _bump(t: np.ndarray, centre: float, width: float, amp: float) -> np.ndarray:
    return amp * np.exp(-0.5 * ((t - centre) / width) ** 2)


def _segment(rng: np.random.Generator, hr: float, af: bool) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(RATE_HZ * SECONDS) / RATE_HZ
    rr_mean = 60.0 / hr
    beats, now = [], rng.uniform(0, rr_mean)
    while now < SECONDS + 1:
        beats.append(now)
        jitter = rng.uniform(-0.3, 0.3) if af else rng.normal(0, 0.03)
        now += rr_mean * (1 + jitter)
    ecg = np.zeros_like(t)
    ppg = np.zeros_like(t)
    ptt = rng.uniform(0.18, 0.3)
    for b in beats:
        if not af:
            ecg += _bump(t, b - 0.16, 0.025, 0.15)
        ecg += _bump(t, b - 0.02, 0.01, -0.1) + _bump(t, b, 0.014, 1.0) + _bump(t, b + 0.025, 0.01, -0.2)
        ecg += _bump(t, b + 0.25, 0.05, 0.3)
        ppg += _bump(t, b + ptt, 0.08, 1.0) + _bump(t, b + ptt + 0.28, 0.07, 0.4)
    if af:
        ecg += 0.05 * np.sin(2 * np.pi * rng.uniform(5, 8) * t)  # fibrillatory waves
    wander = lambda: rng.uniform(0, 0.3) * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t)  # noqa: E731
    ecg = ecg * rng.uniform(0.7, 1.3) + wander() + rng.normal(0, rng.uniform(0.03, 0.12), t.size)
    ppg = ppg * rng.uniform(0.6, 1.4) + wander() + rng.normal(0, rng.uniform(0.05, 0.2), t.size)
    return _zscore(ecg), _zscore(ppg)


def _zscore(x: np.ndarray) -> np.ndarray:
    return ((x - x.mean()) / (x.std() + 1e-8)).astype(np.float32)


def _draw(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    hr = rng.uniform(50, 130, n)
    af = rng.random(n) < 0.35
    pairs = [_segment(rng, h, a) for h, a in zip(hr, af, strict=True)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs]), af.astype(np.int64), hr


def make_tiny_data(root: Path, n_unlabelled: int, sizes: dict[str, int], seed: int = 0) -> Path:
    """Write the tiny data set (atomically) and return ``root``."""
    rng = np.random.default_rng(seed)
    with build_once(root, f"journal tiny ECG/PPG v{GENERATOR_VERSION}") as tmp:
        ecg, ppg, _, _ = _draw(rng, n_unlabelled)
        np.save(tmp / "unlabelled_ecg.npy", ecg)
        np.save(tmp / "unlabelled_ppg.npy", ppg)
        for task in TASKS:
            (tmp / task).mkdir()
        for split, n in sizes.items():
            ecg, ppg, af, hr = _draw(rng, n)
            np.save(tmp / "ecg_rhythm" / f"{split}_x.npy", ecg)
            np.save(tmp / "ecg_rhythm" / f"{split}_y.npy", af)
            np.save(tmp / "ppg_hr" / f"{split}_x.npy", ppg)
            np.save(tmp / "ppg_hr" / f"{split}_y.npy", hr.astype(np.float32))
    return root


def ensure_tiny_data(n_unlabelled: int, sizes: dict[str, int], seed: int = 0) -> Path:
    tag = "-".join(f"{k}{v}" for k, v in sizes.items())
    root = data_home("finetune") / f"tiny-v{GENERATOR_VERSION}-s{seed}-u{n_unlabelled}-{tag}"
    if is_built(root):
        return root
    return make_tiny_data(root, n_unlabelled, sizes, seed)


def load_array(path: Path) -> np.ndarray:
    """A ``.npy`` array; a missing or unreadable file is an error naming it."""
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise JournalError(f"{path}: cannot read array: {exc}") from None


def load_split(root: Path, task: str, split: str) -> tuple[np.ndarray, np.ndarray]:
    x = load_array(root / task / f"{split}_x.npy")
    y = load_array(root / task / f"{split}_y.npy")
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise JournalError(f"{root / task}: {split}_x must be (n, length) and {split}_y (n,); "
                           f"got {x.shape} and {y.shape}")
    return x.astype(np.float32), y
