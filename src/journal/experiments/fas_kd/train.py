"""Train ``fas_kd``: a multi-modal teacher, then RGB students with and without distillation.

Per seed this writes one record per model:

* ``teacher`` — RGB + Depth + IR, also evaluated with each modality (and pair) missing;
* ``student`` — RGB only, no distillation (when ``baseline`` is on);
* ``student + logit KD`` or ``student + feature KD`` — RGB only, distilled from the teacher.

Each epoch logs the training loss and validation loss/metrics. ``acer_best`` and ``hter_best``
keep the checkpoint with the lowest validation ACER/HTER; at the end ``last`` and both selections
are evaluated on test with the threshold policy of the config (``eer``: the equal-error-rate
threshold of that checkpoint on validation; ``fixed``: 0.5).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from ... import metrics
from ...config import as_dict
from ...records import Dataset as DatasetInfo
from .. import RunRequest
from ..common import EpochLoop, describe_device, pick_device, seed_everything
from .config import FasKdConfig
from .data import LABELS, LIST_FILES, CasiaSurfList, ensure_tiny_data
from .models import MODALITIES, Student, Teacher

EXPERIMENT = "fas_kd"
Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]
Loss = Callable[[nn.Module, Batch], torch.Tensor]

MISSING = {
    "miss rgb": ("rgb",),
    "miss depth": ("depth",),
    "miss ir": ("ir",),
    "miss rgb+depth": ("rgb", "depth"),
    "miss rgb+ir": ("rgb", "ir"),
    "miss depth+ir": ("depth", "ir"),
}
KD_ONLY = ("kd", "temperature", "kd_weight", "feature_weight", "baseline")
"""Config keys the teacher does not depend on: a sweep over them trains each teacher once."""
UNUSED_BY = {"none": ("temperature", "kd_weight", "feature_weight"), "logit": ("feature_weight",),
             "feature": ("temperature", "kd_weight")}
"""Per distillation mode of a student, the settings its loss does not read: left out of its
record, so they neither show as its hyperparameters nor tag its variant."""
REPORTED = ("acc", "far", "frr", "hter", "apcer", "bpcer", "acer", "tpr@fpr=1e-2", "tpr@fpr=1e-3")


def _scores(
    model: nn.Module, loader: DataLoader[Any], device: torch.device, missing: tuple[str, ...] = ()
) -> tuple[np.ndarray, np.ndarray, float]:
    """Labels, bona fide probabilities and mean cross-entropy over ``loader``."""
    model.eval()
    labels, scores, losses = [], [], []
    with torch.no_grad():
        for batch in loader:
            inputs = [t.to(device) for t in batch[:3]]
            for name in missing:
                i = MODALITIES.index(name)
                inputs[i] = torch.zeros_like(inputs[i])
            y = batch[3].to(device)
            logits, _ = model(*inputs)
            losses.append(F.cross_entropy(logits, y, reduction="sum").item())
            scores.append(torch.softmax(logits, dim=1)[:, 1].cpu().numpy())
            labels.append(y.cpu().numpy())
    y_all = np.concatenate(labels)
    return y_all, np.concatenate(scores), sum(losses) / max(len(y_all), 1)


def _fas(
    config: FasKdConfig, y: np.ndarray, s: np.ndarray, val_y: np.ndarray, val_s: np.ndarray
) -> dict[str, float]:
    return metrics.fas_metrics_from_scores(
        y, s, policy=config.threshold, threshold=0.5, val_labels=val_y, val_scores=val_s
    )


def _loss_fn(config: FasKdConfig, kd: str, teacher: nn.Module | None) -> Loss:
    def loss(model: nn.Module, batch: Batch) -> torch.Tensor:
        rgb, depth, ir, y = batch
        logits, embedding = model(rgb, depth, ir)
        ce = F.cross_entropy(logits, y)
        if kd == "none" or teacher is None:
            return ce
        with torch.no_grad():
            t_logits, t_embedding = teacher(rgb, depth, ir)
        if kd == "logit":
            t = config.temperature
            distill = F.kl_div(
                F.log_softmax(logits / t, dim=1), F.softmax(t_logits / t, dim=1), reduction="batchmean"
            ) * (t * t)
            return (1 - config.kd_weight) * ce + config.kd_weight * distill
        return ce + config.feature_weight * F.mse_loss(embedding, t_embedding)

    return loss


def _train_model(
    *,
    role: str,
    kd: str,
    model: nn.Module,
    teacher: nn.Module | None,
    config: FasKdConfig,
    request: RunRequest,
    splits: dict[str, CasiaSurfList],
    dataset: DatasetInfo,
    device: torch.device,
    variant: str,
) -> Path:
    seed, progress = request.seed, request.progress
    modalities = "rgb+depth+ir" if role == "teacher" else "rgb"
    record_config = {**as_dict(config), "model": role, "modalities": modalities, "kd": kd}
    unused = KD_ONLY[1:] if role == "teacher" else UNUSED_BY[kd]
    record_config = {k: v for k, v in record_config.items() if k not in unused}
    with request.open_run(
        EXPERIMENT,
        variant,
        config=record_config,
        dataset=dataset,
        device=describe_device(device),
        untagged=KD_ONLY if role == "teacher" else unused,
        shared=role == "teacher",
    ) as run:
        generator = seed_everything(seed)
        model.to(device)
        train = DataLoader(splits["train"], batch_size=config.batch_size, shuffle=True, generator=generator)
        val = DataLoader(splits["val"], batch_size=256)
        test = DataLoader(splits["test"], batch_size=256)
        optimiser = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        loss_fn = _loss_fn(config, kd, teacher)
        loop = EpochLoop(run, config.epochs, model=model,
                         best={"acer_best": ("val_acer", "min"), "hter_best": ("val_hter", "min")},
                         state={"model": model, "optimiser": optimiser, "generator": generator},
                         label=f"{variant} seed {seed}", progress=progress)
        if loop.done:  # finished in an earlier attempt of this job: its final weights are back
            model.eval()
            return run.path
        for epoch in loop:
            model.train()
            total, count = 0.0, 0
            for rgb, depth, ir, y in train:
                batch = (rgb.to(device), depth.to(device), ir.to(device), y.to(device))
                loss = loss_fn(model, batch)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                total += loss.item() * len(y)
                count += len(y)
            val_y, val_s, val_loss = _scores(model, val, device)
            m = _fas(config, val_y, val_s, val_y, val_s)
            run.log(
                epoch=epoch,
                train_loss=total / max(count, 1),
                val_loss=val_loss,
                **{f"val_{k}": m[k] for k in ("acc", "acer", "hter", "apcer", "bpcer")},
            )

        def evaluate(missing: tuple[str, ...] = ()) -> dict[str, float]:
            val_y, val_s, _ = _scores(model, val, device)
            test_y, test_s, _ = _scores(model, test, device, missing)
            return _fas(config, test_y, test_s, val_y, val_s)

        last = evaluate()
        run.set_metrics(**{k: last[k] for k in REPORTED})
        run.set_threshold(config.threshold, last["threshold"])
        counts = {k: int(last[k]) for k in ("tp", "fn", "tn", "fp")}
        run.set_confusion([[counts["tn"], counts["fp"]], [counts["fn"], counts["tp"]]], LABELS)
        if role == "teacher":
            for name, missing in MISSING.items():
                run.evaluate(name, **{k: v for k, v in evaluate(missing).items() if k in REPORTED})
        kept = (*REPORTED, "threshold")
        loop.select_last("val_acer", test={k: last[k] for k in kept})

        def evaluate_kept() -> dict[str, float]:
            chosen = evaluate()
            return {k: chosen[k] for k in kept}

        loop.select_best(evaluate_kept)
        model.eval()
        return run.path


def run(config: FasKdConfig, request: RunRequest) -> list[Path]:
    """Train the teacher and the students for one seed; returns the records written."""
    device = pick_device(config.device)
    if request.data_root is None:
        sizes = {"train": config.n_train, "val": config.n_val, "test": config.n_test}
        root = ensure_tiny_data(sizes, seed=config.data_seed)
        name = "CASIA-SURF layout, tiny synthetic"
    else:
        root, name = request.data_root, "CASIA-SURF"
    splits = {split: CasiaSurfList(root, split, config.image_size) for split in LIST_FILES}
    dataset = DatasetInfo(name=name, root=str(root), sizes={k: len(v) for k, v in splits.items()})
    common: dict[str, Any] = dict(
        config=config, request=request, splits=splits, dataset=dataset, device=device
    )
    seed_everything(request.seed)
    teacher = Teacher(config.width, config.dropout)
    paths = [
        _train_model(
            role="teacher",
            kd="none",
            model=teacher,
            teacher=None,
            variant="teacher",
            **common,
        )
    ]
    teacher.eval()
    kinds = (["none"] if config.baseline or config.kd == "none" else []) + (
        [config.kd] if config.kd != "none" else []
    )
    for kd in kinds:
        seed_everything(request.seed)
        student = Student(config.width, config.dropout)
        label = "student" if kd == "none" else f"student + {kd} KD"
        paths.append(
            _train_model(
                role="student",
                kd=kd,
                model=student,
                teacher=teacher,
                variant=label,
                **common,
            )
        )
    return paths
