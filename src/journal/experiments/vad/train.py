"""Train ``vad``: predict the next poses; the prediction error of a frame is its anomaly score.

Windows of ``input_len`` poses, centred and scaled by their own keypoints, predict the next
``pred_len`` poses. A frame's score in a track is the mean error of the windows that predicted it;
a frame's score in a clip is the highest over the people in it; frames nobody predicted take the
clip's lowest score. Each clip's scores are Gaussian-smoothed (``sigma``) within the clip, then all
test frames are concatenated and scored by one (micro) AUC. As the notes do, the AUC is measured
on test every epoch and ``auc_best`` is the best of those epochs (an optimistic pick, kept beside
``last``, which is the reported figure).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ... import metrics
from ...config import as_dict
from ...records import Dataset as DatasetInfo
from .. import RunRequest
from ..common import EpochLoop, describe_device, pick_device, seed_everything
from .config import VadConfig
from .data import Track, ensure_tiny_data, read_masks, read_tracks
from .model import S4Predictor, TransformerPredictor

EXPERIMENT = "vad"


def windows(
    tracks: list[Track], config: VadConfig, stride: int, masks: dict[str, np.ndarray] | None = None
) -> tuple[torch.Tensor, torch.Tensor, np.ndarray, np.ndarray]:
    """Normalised (input, target) windows, their (track, first target frame), and weak labels."""
    xs, ys, where, labels = [], [], [], []
    span = config.input_len + config.pred_len
    for t, track in enumerate(tracks):
        for s in range(0, len(track.poses) - span + 1, stride):
            past = track.poses[s : s + config.input_len]
            future = track.poses[s + config.input_len : s + span]
            centre = past.reshape(-1, 2).mean(axis=0)
            scale = past.reshape(-1, 2).std() + 1e-6
            xs.append((past - centre) / scale)
            ys.append((future - centre) / scale)
            frames = track.frames[s + config.input_len : s + span]
            where.append((t, frames[0]))
            mask = masks.get(track.clip) if masks else None
            labels.append(int(mask[frames].max()) if mask is not None else 0)
    return (
        torch.tensor(np.array(xs), dtype=torch.float32),
        torch.tensor(np.array(ys), dtype=torch.float32),
        np.array(where),
        np.array(labels),
    )


def frame_scores(
    errors: np.ndarray,
    where: np.ndarray,
    tracks: list[Track],
    config: VadConfig,
    clip_lengths: dict[str, int],
) -> dict[str, np.ndarray]:
    """Per-clip frame scores from per-window, per-predicted-frame errors ``(windows, pred_len)``."""
    sums = {t: np.zeros(clip_lengths[tr.clip]) for t, tr in enumerate(tracks)}
    counts = {t: np.zeros(clip_lengths[tr.clip]) for t, tr in enumerate(tracks)}
    for (t, first), errs in zip(where, errors, strict=True):
        frames = np.arange(first, first + config.pred_len)
        sums[t][frames] += errs
        counts[t][frames] += 1
    scores: dict[str, np.ndarray] = {}
    for t, track in enumerate(tracks):
        with np.errstate(invalid="ignore"):
            per_track = sums[t] / counts[t]  # NaN where this track predicted nothing
        so_far = scores.setdefault(track.clip, np.full(clip_lengths[track.clip], np.nan))
        scores[track.clip] = np.fmax(so_far, per_track)
    for clip, values in scores.items():
        finite = values[np.isfinite(values)]
        scores[clip] = np.where(np.isfinite(values), values, finite.min() if finite.size else 0.0)
    return scores


def evaluate(
    model: nn.Module,
    data: tuple,
    tracks: list[Track],
    masks: dict[str, np.ndarray],
    config: VadConfig,
    device: torch.device,
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """Smoothed AUC, raw AUC, and the concatenated labels and smoothed scores of all test frames."""
    x, y, where, _ = data
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(x[i : i + 1024].to(device)).cpu() for i in range(0, len(x), 1024)])
    errors = ((pred - y) ** 2).mean(dim=(2, 3)).numpy()
    scores = frame_scores(errors, where, tracks, config, {c: len(m) for c, m in masks.items()})
    clips = sorted(masks)
    labels = np.concatenate([masks[c] for c in clips])
    raw = np.concatenate([scores[c] for c in clips])
    smooth = np.concatenate([metrics.gaussian_smooth(scores[c], config.sigma) for c in clips])
    return metrics.auroc(labels, smooth), metrics.auroc(labels, raw), labels, smooth


def run(config: VadConfig, request: RunRequest) -> list[Path]:
    """Train one seed; returns the record written."""
    device = pick_device(config.device)
    if request.data_root is None:
        root = ensure_tiny_data(config.n_train_clips, config.n_test_clips, config.frames, config.data_seed)
        data_name = "ShanghaiTech-like poses, tiny synthetic"
    else:
        root, data_name = request.data_root, f"ShanghaiTech poses ({request.data_root.name})"
    weak_masks = read_masks(root, "training/weak_frame_mask")
    train_tracks = [t for t in read_tracks(root, "training") if config.weak or t.clip not in weak_masks]
    test_tracks = read_tracks(root, "testing")
    test_masks = read_masks(root, "testing/test_frame_mask")
    train = windows(train_tracks, config, stride=2, masks=weak_masks if config.weak else None)
    test = windows(test_tracks, config, stride=1)
    n_frames = sum(len(m) for m in test_masks.values())
    dataset = DatasetInfo(
        name=data_name,
        root=str(root),
        sizes={
            "train clips": len({t.clip for t in train_tracks}),
            "train windows": len(train[0]),
            "test clips": len(test_masks),
            "test frames": n_frames,
        },
    )
    record_config = as_dict(config)
    name = {"s4": "S4D", "transformer": "Transformer"}[config.model]

    with request.open_run(
        EXPERIMENT,
        name,
        config=record_config,
        dataset=dataset,
        device=describe_device(device),
        untagged=("model",),
    ) as run:
        generator = seed_everything(request.seed)
        model: nn.Module = (
            S4Predictor(config.pred_len, config.d_model, config.d_state)
            if config.model == "s4"
            else TransformerPredictor(config.pred_len, config.input_len, config.d_model)
        )
        model.to(device)
        loader = DataLoader(
            TensorDataset(train[0], train[1], torch.from_numpy(train[3])),
            batch_size=config.batch_size,
            shuffle=True,
            generator=generator,
        )
        optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
        loop = EpochLoop(run, config.epochs, model=model, best={"auc_best": ("test_auc", "max")},
                         state={"model": model, "optimiser": optimiser, "generator": generator},
                         label=f"vad {name} seed {request.seed}", progress=request.progress)
        if loop.done:  # finished in an earlier attempt of this job
            return [run.path]
        for epoch in loop:
            model.train()
            total = 0.0
            for xb, yb, anomalous in loader:
                err = ((model(xb.to(device)) - yb.to(device)) ** 2).mean(dim=(1, 2, 3))
                normal = anomalous.to(device) == 0
                loss = err[normal].sum() / max(int(normal.sum()), 1)
                if config.weak and (~normal).any():
                    loss = loss + config.weak_weight * F.relu(config.margin - err[~normal]).mean()
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                total += loss.item() * len(xb)
            auc, auc_raw, _, _ = evaluate(model, test, test_tracks, test_masks, config, device)
            run.log(epoch=epoch, train_loss=total / len(train[0]), test_auc=auc, test_auc_raw=auc_raw)
            run.check_finite(epoch, train_loss=total)
        auc, auc_raw, labels, scores = evaluate(model, test, test_tracks, test_masks, config, device)
        run.set_metrics(auc=auc, auc_raw=auc_raw)
        fpr, tpr = metrics.roc_points(labels, scores)
        run.set_curve(
            f"ROC, AUC over {n_frames} frames",
            fpr,
            tpr,
            x_label="false positive rate",
            y_label="true positive rate",
        )
        loop.select_last("test_auc", value=auc, test={"auc": auc, "auc_raw": auc_raw})
        best = loop.best["auc_best"]  # chosen on test AUC itself: optimistic, shown as such
        run.select("auc_best", metric="test_auc", mode="max", epoch=best.epoch, value=best.value,
                   test={"auc": best.value})
        return [run.path]
