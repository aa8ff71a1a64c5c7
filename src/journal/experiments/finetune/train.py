"""Train ``finetune``: cross-modal pre-training, then fine-tuning per task.

Per seed:

1. **Pre-training** (once per seed and data set; the checkpoint is cached and reused, so full and
   linear fine-tuning start from the same encoder): an ECG and a PPG encoder learn, with a
   symmetric InfoNCE loss, to match the two signals of one segment among a batch. Written as a
   ``pretrain`` record with the loss and the validation top-1 retrieval accuracy per epoch.
2. **Fine-tuning** per task, one record each: ``ecg_rhythm`` (AF vs normal, from the ECG encoder;
   accuracy, macro F1, AUROC, selected on validation AUROC) and ``ppg_hr`` (heart rate from the
   PPG encoder; MAE, R², RMSE and Pearson r in bpm, selected on validation MAE). ``mode=linear``
   freezes the encoder; ``mode=full`` trains it with ``backbone_lr`` and the head with ``lr``.
"""

from __future__ import annotations

import copy
import hashlib
import io
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ... import metrics
from ...atomic import write_atomic
from ...config import as_dict
from ...records import Dataset as DatasetInfo
from ...tracking import Run
from .. import RunRequest
from ..common import EpochLoop, describe_device, pick_device, seed_everything
from ..storage import data_home
from .config import FinetuneConfig
from .data import CLASS_NAMES, TASKS, ensure_tiny_data, load_array, load_split
from .model import CrossModal, Encoder, info_nce

EXPERIMENT = "finetune"
PRETRAIN_KEYS = ("pretrain_epochs", "pretrain_lr", "temperature", "width", "batch_size", "n_unlabelled")


class Finetuned(nn.Module):
    def __init__(self, encoder: Encoder, n_out: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.head = nn.Linear(encoder.out_features, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.encoder(x))


def _checkpoint_path(config: FinetuneConfig, root: Path, seed: int) -> Path:
    key = repr((str(root.resolve()), [getattr(config, k) for k in PRETRAIN_KEYS], seed))
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return data_home("finetune") / "checkpoints" / f"pretrain-{digest}.pt"


def pretrain(
    config: FinetuneConfig,
    *,
    request: RunRequest,
    root: Path,
    device: torch.device,
) -> tuple[CrossModal, Path, list[Path]]:
    """The pre-trained model for the seed: from the cached checkpoint, or trained (and recorded)."""
    seed, progress = request.seed, request.progress
    model = CrossModal(config.width)
    checkpoint = _checkpoint_path(config, root, seed)
    if checkpoint.is_file():
        model.load_state_dict(torch.load(checkpoint, map_location="cpu", weights_only=True))
        return model.to(device), checkpoint, []
    ecg = torch.from_numpy(load_array(root / "unlabelled_ecg.npy"))
    ppg = torch.from_numpy(load_array(root / "unlabelled_ppg.npy"))
    n_val = max(config.batch_size, len(ecg) // 10)
    record_config = {k: getattr(config, k) for k in PRETRAIN_KEYS}
    dataset = DatasetInfo(
        name="ECG/PPG pairs", root=str(root), sizes={"train": len(ecg) - n_val, "val": n_val}
    )
    with request.open_run(
        EXPERIMENT,
        "pretrain",
        config=record_config,
        dataset=dataset,
        device=describe_device(device),
    ) as run:
        generator = seed_everything(seed)
        model.to(device)
        loader = DataLoader(
            TensorDataset(ecg[n_val:], ppg[n_val:]),
            batch_size=config.batch_size,
            shuffle=True,
            drop_last=True,
            generator=generator,
        )
        optimiser = torch.optim.Adam(model.parameters(), lr=config.pretrain_lr)
        loop = EpochLoop(run, config.pretrain_epochs, model=model,
                         state={"model": model, "optimiser": optimiser, "generator": generator},
                         label=f"pretrain seed {seed}", progress=progress, show="val_top1")
        if loop.done:  # finished earlier but its cached checkpoint is gone: use its saved state
            return model.to(device), checkpoint, [run.path]
        for epoch in loop:
            model.train()
            losses = []
            for e, p in loader:
                ecg_emb, ppg_emb = model(e.to(device), p.to(device))
                loss, _ = info_nce(ecg_emb, ppg_emb, config.temperature)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                losses.append(loss.item())
            model.eval()
            with torch.no_grad():
                ecg_emb, ppg_emb = model(ecg[:n_val].to(device), ppg[:n_val].to(device))
                val_loss, top1 = info_nce(ecg_emb, ppg_emb, config.temperature)
            run.log(epoch=epoch, ssl_loss=float(np.mean(losses)), val_ssl_loss=val_loss, val_top1=top1)
        run.set_metrics(val_top1=top1, val_ssl_loss=val_loss, chance_top1=1.0 / n_val)
        checkpoint.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        torch.save({k: v.cpu() for k, v in model.state_dict().items()}, buffer)
        write_atomic(checkpoint, buffer.getvalue())
        return model, checkpoint, [run.path]


def _evaluate(
    model: Finetuned,
    x: torch.Tensor,
    y: np.ndarray,
    task: str,
    y_scale: tuple[float, float],
    device: torch.device,
) -> tuple[dict[str, float], float, Any]:
    """Metrics, loss and (classification) the confusion matrix of ``model`` on ``x``."""
    model.eval()
    with torch.no_grad():
        out = model(x.to(device)).cpu()
    if task == "ppg_hr":
        mean, std = y_scale
        target = (torch.from_numpy(y).float() - mean) / std
        loss = F.mse_loss(out[:, 0], target).item()
        return metrics.regression_metrics(y, out[:, 0].numpy() * std + mean), loss, None
    labels = torch.from_numpy(y).long()
    loss = F.cross_entropy(out, labels).item()
    confusion = metrics.confusion_matrix(y, out.argmax(1).numpy(), 2)
    report = metrics.classification_metrics(confusion, CLASS_NAMES)
    scores = torch.softmax(out, dim=1)[:, 1].numpy()
    figures = {
        "acc": report["accuracy"],
        "macro_f1": report["macro avg"]["f1"],
        "auroc": metrics.auroc(y, scores),
    }
    return figures, loss, (confusion, report)


def finetune(
    config: FinetuneConfig,
    task: str,
    encoder: Encoder,
    run: Run,
    *,
    seed: int,
    root: Path,
    device: torch.device,
    progress: bool,
) -> None:
    """Fine-tune ``encoder`` on ``task`` and fill ``run``'s record."""
    data = {split: load_split(root, task, split) for split in ("train", "val", "test")}
    x = {k: torch.from_numpy(v[0]) for k, v in data.items()}
    regression = task == "ppg_hr"
    y_train = data["train"][1]
    scale = (float(y_train.mean()), float(y_train.std()) or 1.0) if regression else (0.0, 1.0)
    if regression:
        targets = torch.from_numpy((y_train - scale[0]) / scale[1]).float()  # standardised bpm
    else:
        targets = torch.from_numpy(y_train).long()
    generator = seed_everything(seed)
    model = Finetuned(encoder, 1 if regression else 2).to(device)
    if config.mode == "linear":
        model.encoder.requires_grad_(False)
        optimiser = torch.optim.Adam(model.head.parameters(), lr=config.lr)
    else:
        optimiser = torch.optim.Adam(
            [
                {"params": model.encoder.parameters(), "lr": config.backbone_lr},
                {"params": model.head.parameters(), "lr": config.lr},
            ]
        )
    loader = DataLoader(
        TensorDataset(x["train"], targets), batch_size=config.batch_size, shuffle=True, generator=generator
    )
    key = "mae" if regression else "auroc"
    mode: Literal["min", "max"] = "min" if regression else "max"
    name = f"{key}_best"
    loop = EpochLoop(run, config.epochs, model=model, best={name: (f"val_{key}", mode)},
                     state={"model": model, "optimiser": optimiser, "generator": generator},
                     label=f"{task} seed {seed}", progress=progress)
    if loop.done:  # finished in an earlier attempt of this job
        return
    for epoch in loop:
        model.train()
        if config.mode == "linear":
            model.encoder.eval()  # frozen: batch-norm statistics stay those of pre-training
        total = 0.0
        for xb, yb in loader:
            out = model(xb.to(device))
            yb = yb.to(device)
            loss = F.mse_loss(out[:, 0], yb) if regression else F.cross_entropy(out, yb)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            total += loss.item() * len(yb)
        val, val_loss, _ = _evaluate(model, x["val"], data["val"][1], task, scale, device)
        run.log(
            epoch=epoch,
            train_loss=total / len(targets),
            val_loss=val_loss,
            **{f"val_{k}": v for k, v in val.items()},
        )
    last, _, _ = _evaluate(model, x["test"], data["test"][1], task, scale, device)
    loop.select_last(f"val_{key}", test=last)
    tested: dict[str, Any] = {}

    def evaluate() -> dict[str, float]:
        tested["chosen"], _, tested["extra"] = _evaluate(model, x["test"], data["test"][1], task,
                                                         scale, device)
        return dict(tested["chosen"])

    if not loop.select_best(evaluate, restore=False):  # no finite validation value: the last weights
        evaluate()
        never = loop.best[name]
        run.select(name, metric=f"val_{key}", mode=mode, epoch=never.epoch, value=never.value,
                   test=tested["chosen"])
    chosen, extra = tested["chosen"], tested["extra"]
    run.set_checkpoint(name)
    run.set_metrics(**chosen)
    if extra is not None:
        confusion, report = extra
        run.set_confusion(confusion, CLASS_NAMES, checkpoint=name)
        run.set_report(report)
    paper = {k: v for k, v in config.reference.items() if k in chosen}
    if paper:
        run.set_reference("paper", **paper)


def run(config: FinetuneConfig, request: RunRequest) -> list[Path]:
    """Pre-train (or load) the encoders for the seed, then fine-tune each task."""
    device = pick_device(config.device)
    if request.data_root is None:
        sizes = {"train": config.n_train, "val": config.n_val, "test": config.n_test}
        root = ensure_tiny_data(config.n_unlabelled, sizes, config.data_seed)
        data_name = "ECG/PPG, tiny synthetic .npy"
    else:
        root, data_name = request.data_root, f"ECG/PPG ({request.data_root.name})"
    pretrained, checkpoint, paths = pretrain(
        config,
        request=request,
        root=root,
        device=device,
    )
    for task in config.tasks():
        record_config = {**as_dict(config, exclude=("device", "reference")), "task": task,
                         "pretrained": checkpoint.name}
        sizes = {split: int(load_split(root, task, split)[1].shape[0]) for split in ("train", "val", "test")}
        dataset = DatasetInfo(name=f"{data_name}: {task}", root=str(root), sizes=sizes)
        encoder = copy.deepcopy(pretrained.ecg if TASKS[task] == "ecg" else pretrained.ppg)
        with request.open_run(
            EXPERIMENT,
            task,
            config=record_config,
            dataset=dataset,
            device=describe_device(device),
        ) as rec:
            finetune(
                config,
                task,
                encoder,
                rec,
                seed=request.seed,
                root=root,
                device=device,
                progress=request.progress,
            )
        paths.append(rec.path)
    return paths
