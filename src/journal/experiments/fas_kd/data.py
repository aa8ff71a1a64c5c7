"""CASIA-SURF on disk: a tiny synthetic copy, and the loader that reads the real layout.

The real CASIA-SURF ships RGB ("profile"/"color"), Depth and IR JPEG images per sample and list
files whose lines are ``rgb_path depth_path ir_path label`` (label 1 = real face, 0 = attack),
paths relative to the data root::

    Training/real_part/CLKJ_AS0137/real.rar_files/0001/profile/0001.jpg ... 1
    Val/0000/000000-color.jpg Val/0000/000000-depth.jpg Val/0000/000000-ir.jpg 0

``make_tiny_casia_surf`` writes a few hundred samples in that layout; ``CasiaSurfList`` reads
any root in it, so ``--data-root`` pointed at the real data set works unchanged.

The synthetic faces carry honest cues of different strength: a real face has 3-D relief in
depth and bright skin reflectance in IR (strong cues); in RGB it differs from a print or screen
only by faint shading and a moiré texture under heavy noise (weak cues). A multi-modal teacher
therefore beats an RGB-only student, and distillation has something to pass on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from ...errors import JournalError
from ..storage import build_once, data_home, is_built

LIST_FILES = {"train": "train_list.txt", "val": "val_private_list.txt", "test": "test_private_list.txt"}
LABELS = ("attack", "bona fide")  # class ids 0 and 1, as in the list files
GENERATOR_VERSION = 1
_STORED_SIZE = 48


@dataclass(frozen=True)
class Sample:
    rgb: str
    depth: str
    ir: str
    label: int


def _face(rng: np.random.Generator, size: int, live: bool) -> dict[str, np.ndarray]:
    """One sample's three modalities as float arrays in [0, 1]."""
    yy, xx = np.mgrid[0:size, 0:size].astype(float)
    cx, cy = rng.uniform(0.4, 0.6, 2) * size
    rx = rng.uniform(0.24, 0.32) * size
    ry = rx * rng.uniform(1.15, 1.35)
    d2 = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2
    mask = (d2 <= 1).astype(float)
    dome = np.sqrt(np.clip(1 - d2, 0, None))

    # Depth: relief for a live face; a flat or gently bent sheet for a print or screen.
    relief = rng.uniform(0.3, 1.0) if live else rng.uniform(0.0, 0.5)
    tilt = rng.uniform(-0.15, 0.15) * (xx - cx) / size
    depth = 0.15 + 0.6 * relief * dome + mask * tilt + rng.normal(0, 0.25, (size, size))

    # IR: skin reflects near-infrared strongly; paper and screens reflect it less, and vary.
    reflect = rng.uniform(0.35, 0.8) if live else rng.uniform(0.2, 0.6)
    ir = 0.15 + reflect * mask * (0.8 + 0.2 * dome) + rng.normal(0, 0.2, (size, size))

    # RGB: skin tone and lighting vary freely; the only cues are faint.
    tone = rng.uniform([0.45, 0.3, 0.25], [0.85, 0.65, 0.55])
    light = rng.uniform(0.7, 1.2)
    shading = (0.2 if live else 0.05) * dome
    background = rng.uniform(0.1, 0.9, 3)
    rgb = np.empty((size, size, 3))
    for c in range(3):
        rgb[..., c] = mask * (tone[c] * light + shading) + (1 - mask) * background[c]
    if not live:
        theta = rng.uniform(0, np.pi)
        freq = rng.uniform(0.25, 0.45)
        moire = np.sin(2 * np.pi * freq * (xx * np.cos(theta) + yy * np.sin(theta)))
        rgb += (rng.uniform(0.02, 0.1) * moire * mask)[..., None]
    rgb += rng.normal(0, 0.05, rgb.shape)
    return {"rgb": rgb, "depth": depth, "ir": ir}


def _save(array: np.ndarray, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = (np.clip(array, 0, 1) * 255).round().astype(np.uint8)
    Image.fromarray(pixels).save(path, quality=95)


def _split_paths(split: str, index: int, live: bool) -> tuple[str, str, str]:
    if split == "train":
        part = "real_part" if live else "fake_part"
        clip = "real.rar_files" if live else "06_enm_b.rar_files"
        base = f"Training/{part}/CLKJ_AS{index // 20:04d}/{clip}/{index:04d}"
        return f"{base}/profile/0001.jpg", f"{base}/depth/0001.jpg", f"{base}/ir/0001.jpg"
    folder = "Val" if split == "val" else "Testing"
    base = f"{folder}/{index // 50:04d}/{index:06d}"
    return f"{base}-color.jpg", f"{base}-depth.jpg", f"{base}-ir.jpg"


def make_tiny_casia_surf(root: Path, sizes: dict[str, int], seed: int = 0) -> Path:
    """Write a tiny CASIA-SURF-layout data set to ``root`` (atomically) and return ``root``.

    Deterministic in ``seed`` and ``sizes``; about 30 % of each split is bona fide.
    """
    with build_once(root, f"journal tiny CASIA-SURF v{GENERATOR_VERSION}") as tmp:
        for split_no, (split, n) in enumerate(sizes.items()):
            rng = np.random.default_rng([seed, split_no])
            lines = []
            for i in range(n):
                live = bool(rng.random() < 0.3)
                paths = _split_paths(split, i, live)
                images = _face(rng, _STORED_SIZE, live)
                for key, rel in zip(("rgb", "depth", "ir"), paths, strict=True):
                    _save(images[key], tmp / rel)
                lines.append(f"{paths[0]} {paths[1]} {paths[2]} {int(live)}")
            (tmp / LIST_FILES[split]).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Path(root)


def ensure_tiny_data(sizes: dict[str, int], seed: int = 0, base: Path | None = None) -> Path:
    """The cached tiny data set for ``sizes``/``seed``, generated on first use."""
    tag = "-".join(f"{k}{v}" for k, v in sizes.items())
    root = (base or data_home("fas_kd")) / f"tiny-v{GENERATOR_VERSION}-s{seed}-{tag}"
    if is_built(root):
        return root
    return make_tiny_casia_surf(root, sizes, seed)


def read_list(root: Path, split: str) -> list[Sample]:
    """Parse a CASIA-SURF list file; errors name the file and line."""
    path = Path(root) / LIST_FILES[split]
    if not path.is_file():
        raise JournalError(
            f"{path}: list file missing; a CASIA-SURF root holds {', '.join(LIST_FILES.values())}"
        )
    samples = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 4 or parts[3] not in ("0", "1"):
            raise JournalError(
                f"{path}:{number}: expected 'rgb depth ir label' with label 0 or 1, got {line!r}"
            )
        samples.append(Sample(parts[0], parts[1], parts[2], int(parts[3])))
    return samples


class CasiaSurfList(Dataset[tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]]):
    """One split of a CASIA-SURF root: ``(rgb, depth, ir, label)`` tensors in [-1, 1].

    Images are decoded from disk on first access and kept in memory (the tiny and the real
    CASIA-SURF both fit), so later epochs cost no decoding.
    """

    def __init__(self, root: Path, split: str, image_size: int) -> None:
        self.root = Path(root)
        self.samples = read_list(self.root, split)
        self.image_size = image_size
        self._cache: dict[int, tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]] = {}

    def __len__(self) -> int:
        return len(self.samples)

    def _load(self, rel: str, mode: str) -> torch.Tensor:
        path = self.root / rel
        try:
            with Image.open(path) as img:
                size = (self.image_size, self.image_size)
                resized = img.convert(mode).resize(size, Image.Resampling.BILINEAR)
                array = np.asarray(resized, dtype=np.float32) / 127.5 - 1.0
        except OSError as exc:
            raise JournalError(f"{path}: cannot read image: {exc}") from None
        array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)  # to C×H×W
        return torch.from_numpy(np.ascontiguousarray(array))

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
        if index not in self._cache:
            s = self.samples[index]
            self._cache[index] = (
                self._load(s.rgb, "RGB"),
                self._load(s.depth, "L"),
                self._load(s.ir, "L"),
                s.label,
            )
        return self._cache[index]
