"""Train ``reid_noisy``: two networks co-teach each other through noisy identity labels.

Co-teaching (Han et al., 2018): in every batch each network ranks the samples by its own loss and
keeps the small-loss share ``1 - forget_rate(epoch)`` — the samples most likely correctly
labelled — and its *peer* is updated on them. ``forget_rate(epoch)`` ramps linearly from 0 to
``forget_rate`` over ``warmup_epochs``. Each epoch, network 1's embeddings of query and gallery are
matched by Euclidean distance and scored by CMC and mAP under the Market-1501 protocol; as in the
notes' logs, the best epoch by mAP is reported beside the last. A NaN loss ends the run ``failed``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from ... import metrics
from ...config import as_dict
from ...records import Dataset as DatasetInfo
from ...tracking import Run
from .. import RunRequest
from ..common import EpochLoop, describe_device, pick_device, seed_everything
from .config import ReidNoisyConfig
from .data import corrupt, ensure_tiny_market, load_images, read_split
from .model import ReidNet

EXPERIMENT = "reid_noisy"


def forget_schedule(config: ReidNoisyConfig, epoch: int) -> float:
    """The share of large-loss samples dropped in ``epoch`` (1-based)."""
    ramp = min(1.0, (epoch - 1) / config.warmup_epochs) if config.warmup_epochs > 0 else 1.0
    return config.forget_rate * ramp


def coteach_step(
    nets: tuple[ReidNet, ReidNet],
    optimisers: tuple[torch.optim.Optimizer, ...],
    x: torch.Tensor,
    y: torch.Tensor,
    clean: torch.Tensor,
    forget: float,
) -> tuple[list[float], list[float], float]:
    """One co-teaching update; returns the two losses, the two accuracies and the share of
    truly clean labels among the samples kept."""
    logits = [net(x)[0] for net in nets]
    losses = [F.cross_entropy(out, y, reduction="none") for out in logits]
    keep = max(1, int(round((1 - forget) * len(y))))
    chosen = [torch.argsort(loss.detach())[:keep] for loss in losses]
    updates = [losses[0][chosen[1]].mean(), losses[1][chosen[0]].mean()]  # each learns from its peer
    for opt, loss in zip(optimisers, updates, strict=True):
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    accs = [(out.argmax(1) == y).float().mean().item() for out in logits]
    clean_kept = float(clean[chosen[0]].float().mean() + clean[chosen[1]].float().mean()) / 2
    return [u.item() for u in updates], accs, clean_kept


def evaluate(net: ReidNet, query: tuple, gallery: tuple, device: torch.device) -> dict[str, float]:
    """R1, R5, R10 and mAP of ``net``'s embeddings under the Market-1501 protocol."""
    net.eval()
    with torch.no_grad():
        q = F.normalize(net(query[0].to(device))[1], dim=1).cpu()
        g = F.normalize(net(gallery[0].to(device))[1], dim=1).cpu()
    cmc, mean_ap = metrics.reid_cmc_map(
        torch.cdist(q, g).numpy(), query[1], gallery[1], query[2], gallery[2], max_rank=10
    )
    return {"r1": float(cmc[0]), "r5": float(cmc[4]), "r10": float(cmc[9]), "map": mean_ap}


def _log_lines(
    run: Run, epoch: int, losses: list[float], accs: list[float], m: dict[str, float], best_epoch: int
) -> None:
    run.append_log(
        f"Epoch:[{epoch}] Loss1: {losses[0]:.4f} Loss2: {losses[1]:.4f} "
        f"Acc1: {100 * accs[0]:.2f}  Acc2: {100 * accs[1]:.2f}"
    )
    run.append_log(
        f">> Epoch: {epoch} | R1: {100 * m['r1']:.4f}% | R5: {100 * m['r5']:.4f}% | "
        f"R10: {100 * m['r10']:.4f}% | mAP: {100 * m['map']:.4f}% (Best Epoch[{best_epoch}])"
    )


def run(config: ReidNoisyConfig, request: RunRequest) -> list[Path]:
    """Train one seed; returns the record written."""
    device = pick_device(config.device)
    if request.data_root is None:
        root = ensure_tiny_market(
            config.n_train_ids, config.n_test_ids, config.cameras, config.images_per_camera, config.data_seed
        )
        data_name = "Market-1501 layout, tiny synthetic"
    else:
        root, data_name = request.data_root, "Market-1501"
    train_images = read_split(root, "bounding_box_train")
    ids = sorted({i.pid for i in train_images})
    true = np.array([ids.index(i.pid) for i in train_images])
    noisy = corrupt(true, len(ids), config.noise_rate, config.noise_type, config.data_seed)
    x_train = load_images(train_images)
    split = {}
    for name in ("query", "bounding_box_test"):
        images = [i for i in read_split(root, name) if i.pid != 0 or name != "query"]
        split[name] = (
            load_images(images),
            np.array([i.pid for i in images]),
            np.array([i.cam for i in images]),
        )
    dataset = DatasetInfo(
        name=data_name,
        root=str(root),
        sizes={
            "train images": len(train_images),
            "train ids": len(ids),
            "query": len(split["query"][1]),
            "gallery": len(split["bounding_box_test"][1]),
        },
    )
    record_config = as_dict(config)

    with request.open_run(
        EXPERIMENT,
        "co-teaching",
        config=record_config,
        dataset=dataset,
        device=describe_device(device),
    ) as run:
        generator = seed_everything(request.seed)
        nets = (ReidNet(len(ids), config.width).to(device), ReidNet(len(ids), config.width).to(device))
        optimisers = tuple(
            torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=config.weight_decay)
            for net, lr in zip(nets, (config.lr, config.lr2 or config.lr), strict=True)
        )
        loader = DataLoader(
            TensorDataset(x_train, torch.from_numpy(noisy), torch.from_numpy(noisy == true)),
            batch_size=config.batch_size,
            shuffle=True,
            generator=generator,
        )
        loop = EpochLoop(run, config.epochs, model=nets[0], best={"map_best": ("map", "max")},
                         state={"net1": nets[0], "net2": nets[1], "optimiser1": optimisers[0],
                                "optimiser2": optimisers[1], "generator": generator},
                         label=f"reid seed {request.seed}", progress=request.progress)
        if loop.done:  # finished in an earlier attempt of this job
            return [run.path]
        for epoch in loop:
            for net in nets:
                net.train()
            forget = forget_schedule(config, epoch)
            sums = np.zeros(5)
            for xb, yb, cb in loader:
                losses, accs, clean = coteach_step(
                    nets, optimisers, xb.to(device), yb.to(device), cb.to(device), forget
                )
                sums += [*losses, *accs, clean]
            means = sums / len(loader)
            m = evaluate(nets[0], split["query"], split["bounding_box_test"], device)
            run.log(
                epoch=epoch,
                loss1=means[0],
                loss2=means[1],
                acc1=means[2],
                acc2=means[3],
                clean_kept=means[4],
                forget_rate=forget,
                **m,
            )
            loop.track(epoch)  # the log line names the best epoch so far, this one included
            _log_lines(run, epoch, list(means[:2]), list(means[2:4]), m, loop.best["map_best"].epoch)
            run.check_finite(epoch, loss1=means[0], loss2=means[1])
        last = evaluate(nets[0], split["query"], split["bounding_box_test"], device)
        run.set_metrics(**last)
        loop.select_last("map", value=last["map"], test=last)
        loop.select_best(lambda: evaluate(nets[0], split["query"], split["bounding_box_test"], device),
                         restore=False)
        return [run.path]
