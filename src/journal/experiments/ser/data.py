"""A speech-emotion corpus on disk: 16 kHz mono WAV files and an ``index.csv``.

The index has one row per file, ``path,label,split`` (path relative to the corpus root, label a
class name, split ``train`` or ``test``); validation is carved out of ``train`` with
``valid_rate``. ``make_tiny_corpus`` writes synthetic voiced sounds whose class shows in pitch,
energy and spectral tilt, imbalanced like the seed note's test split (1943/2145/406), so a real
corpus in the same layout loads with the same code.
"""

from __future__ import annotations

import csv
import hashlib
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import JournalError
from ..storage import build_once, data_home, is_built

SAMPLE_RATE = 16_000
DURATION_S = 1.0
PROPORTIONS = (1943, 2145, 406)  # the notes' test split: 正向, 中性, 负向
GENERATOR_VERSION = 2


@dataclass(frozen=True)
class Item:
    path: str
    label: int
    split: str


def write_wav(path: Path, signal: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write mono 16-bit PCM."""
    pcm = (np.clip(signal, -1, 1) * 32767).round().astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float samples in [-1, 1] and the sample rate of a 16-bit PCM WAV (stereo is averaged)."""
    try:
        with wave.open(str(path), "rb") as src:
            if src.getsampwidth() != 2:
                bits = 8 * src.getsampwidth()
                raise JournalError(f"{path}: only 16-bit PCM WAV is supported, got {bits}-bit")
            frames = src.readframes(src.getnframes())
            channels, rate = src.getnchannels(), src.getframerate()
    except (OSError, EOFError, wave.Error) as exc:
        raise JournalError(f"{path}: cannot read WAV: {exc}") from None
    samples = np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples.reshape(-1, channels).mean(axis=1)
    return samples, rate


def _voice(rng: np.random.Generator, cls: int) -> np.ndarray:
    """One second of a voiced sound; pitch, loudness and brightness depend on the class."""
    t = np.arange(int(SAMPLE_RATE * DURATION_S)) / SAMPLE_RATE
    f0 = rng.uniform(*[(150, 290), (120, 240), (90, 190)][min(cls, 2)])
    slope = [0.15, 0.0, -0.12][min(cls, 2)] + rng.normal(0, 0.15)  # rising, flat, falling contour
    pitch = f0 * (1 + slope * (t - 0.5)) * (1 + 0.02 * np.sin(2 * np.pi * rng.uniform(4, 7) * t))
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    tilt = [1.0, 1.25, 1.5][min(cls, 2)] + rng.normal(0, 0.3)
    harmonics = sum(k ** -tilt * np.sin(k * phase) for k in range(1, 16) if k * f0 < SAMPLE_RATE / 2)
    syllables = np.clip(np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, np.pi)), 0, None) ** 0.5
    loud = rng.uniform(*[(0.3, 0.9), (0.25, 0.7), (0.15, 0.6)][min(cls, 2)])
    signal = loud * syllables * harmonics / np.max(np.abs(harmonics))
    return signal + rng.normal(0, rng.uniform(0.02, 0.1), t.size)


def make_tiny_corpus(root: Path, class_names: list[str], n_train: int, n_test: int, seed: int = 0) -> Path:
    """Write the tiny corpus (atomically) and return ``root``."""
    rng = np.random.default_rng(seed)
    weights = np.array([PROPORTIONS[min(i, 2)] for i in range(len(class_names))], dtype=float)
    weights /= weights.sum()
    rows = []
    with build_once(root, f"journal tiny SER corpus v{GENERATOR_VERSION}") as tmp:
        for split, n in (("train", n_train), ("test", n_test)):
            labels = rng.choice(len(class_names), size=n, p=weights)
            for i, cls in enumerate(labels):
                rel = f"wav/{split}/{split}_{i:05d}.wav"
                write_wav(tmp / rel, _voice(rng, int(cls)))
                rows.append((rel, class_names[cls], split))
        with open(tmp / "index.csv", "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(["path", "label", "split"])
            writer.writerows(rows)
    return root


def ensure_tiny_corpus(class_names: list[str], n_train: int, n_test: int, seed: int = 0) -> Path:
    """The cached tiny corpus for these settings, generated on first use."""
    names = hashlib.sha1(",".join(class_names).encode("utf-8")).hexdigest()[:8]
    tag = f"v{GENERATOR_VERSION}-s{seed}-{n_train}-{n_test}-{names}"
    root = data_home("ser") / tag
    if is_built(root):
        return root
    return make_tiny_corpus(root, class_names, n_train, n_test, seed)


def read_index(root: Path, class_names: list[str]) -> list[Item]:
    """Parse ``index.csv``; errors name the file, the line and the field."""
    path = Path(root) / "index.csv"
    if not path.is_file():
        raise JournalError(f"{path}: index missing; a corpus root holds index.csv with path,label,split")
    items = []
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = {"path", "label", "split"} - set(reader.fieldnames or [])
        if missing:
            raise JournalError(f"{path}: header lacks {', '.join(sorted(missing))}")
        for line, row in enumerate(reader, start=2):
            if row["label"] not in class_names:
                raise JournalError(
                    f"{path}:{line}: field 'label': '{row['label']}' is not one of {', '.join(class_names)}"
                )
            if row["split"] not in ("train", "test"):
                split = row["split"]
                raise JournalError(f"{path}:{line}: field 'split': expected train or test, got '{split}'")
            items.append(Item(row["path"], class_names.index(row["label"]), row["split"]))
    return items
