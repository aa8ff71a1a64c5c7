"""The experiment registry: name → config dataclass and training entry point.

Entry points are imported lazily, so listing experiments or building the site never imports
torch. Each experiment's ``run(config, request: RunRequest)`` trains one seed and writes its
records through :mod:`journal.tracking`, returning their paths.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import apply_overrides
from ..errors import UnknownExperimentError
from ..records import Dataset
from ..tracking import Run, start_run
from .fas_kd.config import FasKdConfig
from .finetune.config import FinetuneConfig
from .reid_noisy.config import ReidNoisyConfig
from .ser.config import SerConfig
from .vad.config import VadConfig


@dataclass(frozen=True)
class RunRequest:
    """What ``journal run`` asks of an experiment's entry point for one seed."""

    seed: int
    results_dir: Path
    data_root: Path | None = None  # a real data set in the experiment's layout; None: tiny data
    overrides: dict[str, str] = field(default_factory=dict)  # the command line's --set values
    progress: bool = True  # show progress bars

    def open_run(self, experiment: str, variant: str, *, config: dict[str, Any], dataset: Dataset,
                 device: str, untagged: tuple[str, ...] = ()) -> Run:
        """:func:`journal.tracking.start_run` for this seed and results folder, the variant tagged
        with the overrides (except keys in ``untagged``, which the variant name already says)."""
        tags = {k: v for k, v in self.overrides.items() if k not in untagged}
        return start_run(experiment, config=config, variant=f"{variant}{variant_suffix(tags)}",
                         seed=self.seed, results_dir=self.results_dir, dataset=dataset, device=device)


@dataclass(frozen=True)
class Experiment:
    """A registered experiment."""

    name: str
    summary: str
    config_cls: type
    entry_point: str  # "module:function", imported on first use

    def runner(self) -> Callable[..., list[Path]]:
        module, _, func = self.entry_point.partition(":")
        runner: Callable[..., list[Path]] = getattr(importlib.import_module(module), func)
        return runner


REGISTRY: dict[str, Experiment] = {
    "fas_kd": Experiment(
        name="fas_kd",
        summary="Face anti-spoofing on CASIA-SURF-style RGB/Depth/IR: a multi-modal teacher "
        "distilled into an RGB student (seed note 004).",
        config_cls=FasKdConfig,
        entry_point="journal.experiments.fas_kd.train:run",
    ),
    "finetune": Experiment(
        name="finetune",
        summary="ECG/PPG: cross-modal contrastive pre-training, then full or linear fine-tuning "
        "for AF detection and heart-rate regression (seed note 002).",
        config_cls=FinetuneConfig,
        entry_point="journal.experiments.finetune.train:run",
    ),
    "reid_noisy": Experiment(
        name="reid_noisy",
        summary="Person re-id on Market-1501-style images with noisy labels: two co-teaching "
        "networks, CMC and mAP under the Market-1501 protocol (seed note 001).",
        config_cls=ReidNoisyConfig,
        entry_point="journal.experiments.reid_noisy.train:run",
    ),
    "ser": Experiment(
        name="ser",
        summary="Speech emotion recognition (正向/中性/负向) from 16 kHz WAV files with a "
        "Light-SERNet-style CNN on spectrograms or MFCCs (seed note 003).",
        config_cls=SerConfig,
        entry_point="journal.experiments.ser.train:run",
    ),
    "vad": Experiment(
        name="vad",
        summary="Pose-based video anomaly detection: S4D or Transformer future-pose prediction on "
        "ShanghaiTech-like skeleton tracks, frame AUC after Gaussian smoothing (seed note 000).",
        config_cls=VadConfig,
        entry_point="journal.experiments.vad.train:run",
    ),
}


def get_experiment(name: str) -> Experiment:
    """The experiment called ``name``; :class:`UnknownExperimentError` lists the valid ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownExperimentError(name, sorted(REGISTRY)) from None


UNTAGGED = ("reference.",)
"""Override prefixes that do not change training (a paper's numbers), so do not tag variants."""


def variant_suffix(overrides: dict[str, str]) -> str:
    """A readable tag of command-line overrides, so differently-configured runs never mix."""
    return "".join(
        f" · {k}={v}" for k, v in sorted(overrides.items()) if not k.startswith(UNTAGGED)
    )


def run_experiment(
    name: str,
    *,
    seeds: Iterable[int],
    overrides: dict[str, str] | None = None,
    results_dir: str | Path,
    data_root: str | Path | None = None,
    progress: bool = True,
) -> list[Path]:
    """Train ``name`` once per seed with ``overrides`` applied; returns the records written.

    The config is validated (unknown key, wrong type) before anything is trained or written.
    """
    experiment = get_experiment(name)
    overrides = overrides or {}
    config: Any = apply_overrides(experiment.config_cls(), overrides)
    run = experiment.runner()
    paths: list[Path] = []
    for seed in seeds:
        request = RunRequest(
            seed=seed,
            results_dir=Path(results_dir),
            data_root=Path(data_root) if data_root is not None else None,
            overrides=overrides,
            progress=progress,
        )
        paths += run(config, request)
    return paths
