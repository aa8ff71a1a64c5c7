"""Train ``ser``: a Light-SERNet-style CNN on spectrogram or MFCC features of WAV files.

One record per seed. Each epoch logs the training loss and the validation loss, WA and UA; the
checkpoint with the best validation UA (``ua_best``) is the one reported: its test confusion
matrix, per-class report and WA/UA/F1 are the record's final figures, and ``last`` is kept as a
selection beside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, WeightedRandomSampler

from ... import metrics
from ...config import as_dict
from ...errors import JournalError
from ...records import Dataset as DatasetInfo
from .. import RunRequest
from ..common import EpochLoop, describe_device, pick_device, seed_everything
from .config import SerConfig
from .data import DURATION_S, SAMPLE_RATE, Item, ensure_tiny_corpus, read_index, read_wav
from .features import log_spectrogram, mfcc
from .model import LightSERNet

EXPERIMENT = "ser"


def featurise(root: Path, items: list[Item], config: SerConfig) -> torch.Tensor:
    """``(n, 1, freq, time)`` features of the WAV files, each cropped or padded to one length."""
    length = int(SAMPLE_RATE * DURATION_S)
    out = []
    for item in items:
        wave, rate = read_wav(root / item.path)
        if rate != SAMPLE_RATE:
            raise JournalError(f"{root / item.path}: sample rate {rate} Hz; ser expects {SAMPLE_RATE} Hz")
        wave = np.pad(wave, (0, max(0, length - wave.size)))[:length]
        signal = torch.from_numpy(np.ascontiguousarray(wave))
        if config.features == "mfcc":
            feats = mfcc(signal, rate, config.n_mfcc)
        else:
            feats = log_spectrogram(signal, rate, config.low_freq_hz if config.low_freq_only else None)
        out.append(feats)
    return torch.stack(out)[:, None]


def split_train_val(items: list[Item], valid_rate: float, seed: int) -> tuple[list[Item], list[Item]]:
    """Hold out ``valid_rate`` of the training files, the same ones for every run seed."""
    train = [i for i in items if i.split == "train"]
    order = np.random.default_rng(seed).permutation(len(train))
    n_val = max(1, int(round(valid_rate * len(train))))
    return [train[i] for i in order[n_val:]], [train[i] for i in order[:n_val]]


def _loss(
    logits: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None, config: SerConfig
) -> torch.Tensor:
    if config.loss == "ce":
        return F.cross_entropy(logits, y, weight=weight)
    # Focal loss (Lin et al., 2017): -(1 - p_t)^γ log p_t, optionally class-weighted.
    log_p = F.log_softmax(logits, dim=1).gather(1, y[:, None]).squeeze(1)
    focal = -((1 - log_p.exp()) ** config.focal_gamma) * log_p
    if weight is not None:
        focal = focal * weight[y]
        return focal.sum() / weight[y].sum()
    return focal.mean()


def _predict(model: torch.nn.Module, x: torch.Tensor, device: torch.device) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return torch.cat([model(x[i : i + 256].to(device)).cpu() for i in range(0, len(x), 256)])


def _figures(logits: torch.Tensor, y: torch.Tensor, names: list[str]) -> tuple[list[list[int]], dict]:
    confusion = metrics.confusion_matrix(y.numpy(), logits.argmax(1).numpy(), len(names))
    return confusion, metrics.classification_metrics(confusion, names)


def run(config: SerConfig, request: RunRequest) -> list[Path]:
    """Train one seed; returns the record written."""
    device = pick_device(config.device)
    names = config.class_names()
    if request.data_root is None:
        root = ensure_tiny_corpus(names, config.n_train, config.n_test, config.data_seed)
        data_name = "speech emotion, tiny synthetic 16 kHz WAV"
    else:
        root, data_name = request.data_root, f"speech emotion corpus ({request.data_root.name})"
    items = read_index(root, names)
    train_items, val_items = split_train_val(items, config.valid_rate, config.data_seed)
    test_items = [i for i in items if i.split == "test"]
    if not train_items or not test_items:
        raise JournalError(f"{root / 'index.csv'}: needs both train and test rows")
    x = {
        k: featurise(root, v, config)
        for k, v in (("train", train_items), ("val", val_items), ("test", test_items))
    }
    y = {
        k: torch.tensor([i.label for i in v])
        for k, v in (("train", train_items), ("val", val_items), ("test", test_items))
    }
    mean, std = x["train"].mean(dim=(0, 1, 3), keepdim=True), x["train"].std(dim=(0, 1, 3), keepdim=True)
    x = {k: (v - mean) / (std + 1e-5) for k, v in x.items()}  # per-frequency standardisation
    counts = torch.bincount(y["train"], minlength=len(names)).float()
    class_weight = counts.sum() / (len(names) * counts.clamp(min=1))
    record_config = as_dict(config)
    dataset = DatasetInfo(name=data_name, root=str(root), sizes={k: len(v) for k, v in y.items()})

    with request.open_run(
        EXPERIMENT,
        "Light-SERNet",
        config=record_config,
        dataset=dataset,
        device=describe_device(device),
    ) as run:
        generator = seed_everything(request.seed)
        model = LightSERNet(len(names), config.width, config.dropout).to(device)
        train_set = TensorDataset(x["train"], y["train"])
        if config.class_balance == "sampler":
            weights = class_weight[y["train"]].tolist()
            sampler = WeightedRandomSampler(weights, len(train_set), generator=generator)
            loader = DataLoader(train_set, batch_size=config.batch_size, sampler=sampler)
        else:
            loader = DataLoader(train_set, batch_size=config.batch_size, shuffle=True, generator=generator)
        weight = class_weight.to(device) if config.class_balance == "weights" else None
        optimiser = torch.optim.Adam(model.parameters(), lr=config.lr)
        loop = EpochLoop(run, config.epochs, model=model, best={"ua_best": ("val_ua", "max")},
                         state={"model": model, "optimiser": optimiser, "generator": generator},
                         label=f"ser seed {request.seed}", progress=request.progress)
        if loop.done:  # finished in an earlier attempt of this job
            return [run.path]
        for epoch in loop:
            model.train()
            total = 0.0
            for xb, yb in loader:
                xb, yb = xb.to(device), yb.to(device)
                loss = _loss(model(xb), yb, weight, config)
                optimiser.zero_grad(set_to_none=True)
                loss.backward()
                optimiser.step()
                total += loss.item() * len(yb)
            val_logits = _predict(model, x["val"], device)
            _, report = _figures(val_logits, y["val"], names)
            summary = metrics.speech_emotion_summary(report)
            run.log(
                epoch=epoch,
                train_loss=total / len(train_set),
                val_loss=F.cross_entropy(val_logits, y["val"]).item(),
                val_wa=summary["wa"],
                val_ua=summary["ua"],
            )

        figures = {"last": _figures(_predict(model, x["test"], device), y["test"], names)}
        loop.select_last("val_ua", test=metrics.speech_emotion_summary(figures["last"][1]))

        def evaluate() -> dict[str, float]:
            figures["best"] = _figures(_predict(model, x["test"], device), y["test"], names)
            return metrics.speech_emotion_summary(figures["best"][1])

        chosen = loop.select_best(evaluate, restore=False).get("ua_best")
        confusion, report = figures.get("best", figures["last"])
        if chosen is None:  # no finite validation UA: the last weights are the ones reported
            chosen = metrics.speech_emotion_summary(report)
            never = loop.best["ua_best"]
            run.select("ua_best", metric="val_ua", mode="max", epoch=never.epoch, value=never.value,
                       test=chosen)
        run.set_checkpoint("ua_best")
        run.set_metrics(**chosen)
        run.set_confusion(confusion, names, checkpoint="ua_best")
        run.set_report(report)
        return [run.path]
