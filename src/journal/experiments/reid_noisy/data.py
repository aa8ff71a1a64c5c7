"""Market-1501 on disk, a tiny synthetic copy, and label noise applied when loading.

Market-1501 names each image ``<pid>_c<cam>s<seq>_<frame>_<box>.jpg`` in ``bounding_box_train``,
``query`` and ``bounding_box_test``; identity ``-1`` (junk) and ``0000`` (distractors) appear only
in the gallery. The loader parses that naming, so a real Market-1501 root loads unchanged.

Synthetic people are small images whose identity shows in the colours of shirt and trousers and a
stripe pattern; each camera shifts brightness and tint, so matching across cameras must look past
the camera. Training labels are corrupted at ``noise_rate`` as noisy-label papers do: symmetric
(any other identity) or pairwise (the next identity), with a fixed seed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from ...errors import JournalError
from ..storage import build_once, data_home, is_built

NAME = re.compile(r"^(-?\d+)_c(\d+)s\d+_\d+_\d+\.jpg$")
SPLITS = ("bounding_box_train", "query", "bounding_box_test")
GENERATOR_VERSION = 2
HEIGHT, WIDTH = 32, 16


@dataclass(frozen=True)
class ReidImage:
    path: Path
    pid: int
    cam: int


def _person(
    rng: np.random.Generator, look: dict[str, Any], cam_shift: tuple[float, np.ndarray]
) -> np.ndarray:
    img = np.empty((HEIGHT, WIDTH, 3))
    img[:] = rng.uniform(0.2, 0.8, 3) * 0.5  # background
    cols = slice(3, WIDTH - 3)
    img[1:7, 5:11] = [0.85, 0.65, 0.5]  # head
    img[7:19, cols] = look["shirt"]
    stripes = (np.arange(7, 19) // look["stripe"]) % 2 == 0
    img[7:19][stripes, cols] *= 0.6
    img[19:31, cols] = look["trousers"]
    img = img * cam_shift[0] + cam_shift[1]  # camera brightness and tint
    shift = rng.integers(-2, 3)
    img = np.roll(img, shift, axis=1)
    return np.clip(img + rng.normal(0, 0.1, img.shape), 0, 1)


def make_tiny_market(
    root: Path, n_train: int, n_test: int, cameras: int, per_camera: int, seed: int = 0
) -> Path:
    """Write the tiny Market-1501-like data set (atomically) and return ``root``."""
    rng = np.random.default_rng(seed)
    shifts = [(rng.uniform(0.6, 1.4), rng.uniform(-0.15, 0.15, 3)) for _ in range(cameras)]
    palette = rng.uniform(0, 1, (6, 3))  # identities share colours: who is who needs all cues
    with build_once(root, f"journal tiny Market-1501 v{GENERATOR_VERSION}") as tmp:
        for split in SPLITS:
            (tmp / split).mkdir()
        for pid in range(1, n_train + n_test + 1):
            look = {
                "shirt": palette[rng.integers(6)] + rng.normal(0, 0.04, 3),
                "trousers": palette[rng.integers(6)] + rng.normal(0, 0.04, 3),
                "stripe": int(rng.integers(2, 6)),
            }
            train = pid <= n_train
            query_cam = int(rng.integers(0, cameras))
            for cam in range(cameras):
                for k in range(per_camera):
                    if train:
                        split = "bounding_box_train"
                    else:
                        split = "query" if cam == query_cam and k == 0 else "bounding_box_test"
                    name = f"{pid:04d}_c{cam + 1}s1_{k * 25:06d}_00.jpg"
                    pixels = (_person(rng, look, shifts[cam]) * 255).astype(np.uint8)
                    Image.fromarray(pixels).save(tmp / split / name, quality=95)
    return root


def ensure_tiny_market(n_train: int, n_test: int, cameras: int, per_camera: int, seed: int = 0) -> Path:
    root = (
        data_home("reid_noisy")
        / f"tiny-v{GENERATOR_VERSION}-s{seed}-{n_train}-{n_test}-{cameras}-{per_camera}"
    )
    return root if is_built(root) else make_tiny_market(root, n_train, n_test, cameras, per_camera, seed)


def read_split(root: Path, split: str) -> list[ReidImage]:
    """Images of one split, with identity and camera parsed from Market-1501 file names."""
    folder = Path(root) / split
    if not folder.is_dir():
        raise JournalError(f"{folder}: missing; a Market-1501 root holds {', '.join(SPLITS)}")
    images = []
    for path in sorted(folder.glob("*.jpg")):
        match = NAME.match(path.name)
        if not match:
            raise JournalError(f"{path}: not a Market-1501 name '<pid>_c<cam>s<seq>_<frame>_<box>.jpg'")
        pid, cam = int(match.group(1)), int(match.group(2))
        if pid == -1:
            continue  # junk boxes are ignored by the protocol
        images.append(ReidImage(path, pid, cam))
    return images


def load_images(images: list[ReidImage]) -> torch.Tensor:
    """``(n, 3, HEIGHT, WIDTH)`` tensors in [-1, 1] (resized if the files are larger)."""
    out = []
    for image in images:
        try:
            with Image.open(image.path) as img:
                pixels = np.asarray(img.convert("RGB").resize((WIDTH, HEIGHT)), dtype=np.float32)
        except OSError as exc:
            raise JournalError(f"{image.path}: cannot read image: {exc}") from None
        out.append(pixels.transpose(2, 0, 1) / 127.5 - 1.0)
    return torch.from_numpy(np.stack(out))


def corrupt(labels: np.ndarray, n_classes: int, rate: float, kind: str, seed: int) -> np.ndarray:
    """Labels with a ``rate`` share replaced: ``symmetric`` by any other class, ``pairwise`` by
    the next class (``(y + 1) mod n``). Exactly ``round(rate · n)`` labels change."""
    rng = np.random.default_rng(seed)
    noisy = labels.copy()
    flip = rng.choice(labels.size, size=int(round(rate * labels.size)), replace=False)
    if kind == "pairwise":
        noisy[flip] = (labels[flip] + 1) % n_classes
    else:
        offsets = rng.integers(1, n_classes, size=flip.size)
        noisy[flip] = (labels[flip] + offsets) % n_classes
    return noisy
