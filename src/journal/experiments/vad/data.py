"""Pose tracks of a ShanghaiTech-like data set on disk, and a tiny synthetic one.

Layout (as the pose-trajectory releases of ShanghaiTech Campus are organised)::

    training/trajectories/<clip>/<person>.csv      rows: frame, x0, y0, …, x16, y16 (17 COCO keypoints)
    training/weak_frame_mask/<clip>.npy            per-frame 0/1 labels of the few weakly labelled clips
    testing/trajectories/<clip>/<person>.csv
    testing/test_frame_mask/<clip>.npy             per-frame 0/1 labels (1 = anomalous)

Synthetic people walk: legs and arms swing with a gait cycle while the body moves across the
frame. Anomalous intervals make one person run (faster cycle, longer strides, faster motion),
fall (the body tips over and lies still) or move erratically (jerky keypoints).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import JournalError
from ..storage import build_once, data_home, is_built

FPS = 25
GENERATOR_VERSION = 1
# COCO keypoints of a standing person, (x, y) in body heights, y down, origin at the hips.
_REST = np.array(
    [
        (0, -0.9),
        (-0.03, -0.92),
        (0.03, -0.92),
        (-0.06, -0.9),
        (0.06, -0.9),  # nose, eyes, ears
        (-0.12, -0.7),
        (0.12, -0.7),
        (-0.15, -0.42),
        (0.15, -0.42),
        (-0.16, -0.15),
        (0.16, -0.15),
        (-0.08, 0.0),
        (0.08, 0.0),
        (-0.09, 0.45),
        (0.09, 0.45),
        (-0.09, 0.9),
        (0.09, 0.9),
    ]
)


@dataclass
class Track:
    clip: str
    person: str
    frames: np.ndarray  # (n,) frame indices
    poses: np.ndarray  # (n, 17, 2)


def _pose(phase: float, stride: float, lean: float) -> np.ndarray:
    p = _REST.copy()
    swing = stride * np.sin(phase)
    for knee, ankle, sign in ((13, 15, 1), (14, 16, -1)):
        p[knee, 0] += 0.5 * sign * swing
        p[ankle, 0] += sign * swing
        p[ankle, 1] -= 0.05 * max(0.0, sign * np.sin(phase + np.pi / 2))
    for elbow, wrist, sign in ((7, 9, -1), (8, 10, 1)):
        p[elbow, 0] += 0.4 * sign * swing
        p[wrist, 0] += 0.8 * sign * swing
    c, s = np.cos(lean), np.sin(lean)
    return p @ np.array([[c, s], [-s, c]])


def _person(rng: np.random.Generator, frames: int, anomaly: tuple[int, int, str] | None) -> np.ndarray:
    """(frames, 17, 2) pixel keypoints of one person; an anomaly is (start, end, kind)."""
    height = rng.uniform(60, 110)
    x, y = rng.uniform(100, 700), rng.uniform(200, 400)
    direction = rng.choice([-1, 1])
    freq, stride, speed = rng.uniform(0.8, 1.2), rng.uniform(0.12, 0.2), rng.uniform(0.4, 0.8)
    phase, lean, out = rng.uniform(0, 2 * np.pi), 0.0, []
    for t in range(frames):
        f, st, v, jitter = freq, stride, speed, 0.0
        if anomaly and anomaly[0] <= t < anomaly[1]:
            kind = anomaly[2]
            if kind == "run":
                f, st, v = 2.2 * freq, 1.8 * stride, 3.5 * speed
            elif kind == "fall":
                lean = min(np.pi / 2, lean + 0.12)
                f, st, v = 0.0, 0.0, 0.0
            else:  # erratic
                jitter = 0.12
        elif lean > 0:
            lean = max(0.0, lean - 0.05)  # getting up again
        phase += 2 * np.pi * f / FPS
        x += direction * v * height / FPS
        pose = _pose(phase, st, direction * lean) + rng.normal(0, 0.01 + jitter, (17, 2))
        out.append(pose * height + [x, y])
    return np.array(out)


def _write_track(path: Path, poses: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        for t, pose in enumerate(poses):
            writer.writerow([t, *np.round(pose.ravel(), 2)])


def make_tiny_data(root: Path, n_train: int, n_test: int, frames: int, seed: int = 0) -> Path:
    """Write the tiny data set (atomically) and return ``root``."""
    rng = np.random.default_rng(seed)
    with build_once(root, f"journal tiny ShanghaiTech-like poses v{GENERATOR_VERSION}") as tmp:
        n_weak = max(2, n_train // 4)
        for i in range(n_train + n_weak):
            weak = i >= n_train
            clip = f"{1 + i % 12:02d}_{i:04d}"
            mask = np.zeros(frames, dtype=np.int64)
            for person in range(int(rng.integers(1, 3))):
                anomaly = None
                if weak and person == 0:
                    start = int(rng.integers(frames // 4, frames // 2))
                    anomaly = (
                        start,
                        start + int(rng.integers(30, 60)),
                        str(rng.choice(["run", "fall", "erratic"])),
                    )
                    mask[anomaly[0] : anomaly[1]] = 1
                _write_track(
                    tmp / "training" / "trajectories" / clip / f"{person:04d}.csv",
                    _person(rng, frames, anomaly),
                )
            if weak:
                (tmp / "training" / "weak_frame_mask").mkdir(parents=True, exist_ok=True)
                np.save(tmp / "training" / "weak_frame_mask" / f"{clip}.npy", mask)
        for i in range(n_test):
            clip = f"{1 + i % 12:02d}_{1000 + i:04d}"
            mask = np.zeros(frames, dtype=np.int64)
            for person in range(int(rng.integers(1, 3))):
                anomaly = None
                if person == 0 and i % 4 != 3:  # three clips in four hold an anomaly
                    start = int(rng.integers(frames // 4, frames // 2))
                    kind = ["run", "fall", "erratic"][i % 3]
                    anomaly = (start, start + int(rng.integers(40, 80)), kind)
                    mask[anomaly[0] : anomaly[1]] = 1
                _write_track(
                    tmp / "testing" / "trajectories" / clip / f"{person:04d}.csv",
                    _person(rng, frames, anomaly),
                )
            (tmp / "testing" / "test_frame_mask").mkdir(parents=True, exist_ok=True)
            np.save(tmp / "testing" / "test_frame_mask" / f"{clip}.npy", mask)
    return root


def ensure_tiny_data(n_train: int, n_test: int, frames: int, seed: int = 0) -> Path:
    root = data_home("vad") / f"tiny-v{GENERATOR_VERSION}-s{seed}-{n_train}-{n_test}-{frames}"
    return root if is_built(root) else make_tiny_data(root, n_train, n_test, frames, seed)


def read_tracks(root: Path, split: str) -> list[Track]:
    """Every person track of ``split`` (``training`` or ``testing``); errors name file and line."""
    folder = Path(root) / split / "trajectories"
    if not folder.is_dir():
        raise JournalError(f"{folder}: missing; a data root holds {split}/trajectories/<clip>/<person>.csv")
    tracks = []
    for path in sorted(folder.glob("*/*.csv")):
        rows = []
        with open(path, encoding="utf-8", newline="") as fh:
            for line, row in enumerate(csv.reader(fh), start=1):
                if len(row) != 35:
                    raise JournalError(
                        f"{path}:{line}: expected frame + 34 coordinates, got {len(row)} fields"
                    )
                rows.append([float(v) for v in row])
        data = np.array(rows)
        tracks.append(
            Track(path.parent.name, path.stem, data[:, 0].astype(int), data[:, 1:].reshape(-1, 17, 2))
        )
    return tracks


def read_masks(root: Path, folder: str) -> dict[str, np.ndarray]:
    """Per-frame labels by clip from ``folder`` (e.g. ``testing/test_frame_mask``)."""
    path = Path(root) / folder
    return {p.stem: np.load(p, allow_pickle=False).astype(int) for p in sorted(path.glob("*.npy"))}
