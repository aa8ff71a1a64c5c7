"""Face anti-spoofing with knowledge distillation: the ``fas_kd`` experiment.

Registered through the ``journal.experiments`` entry point
``fas_kd = "journal.experiments.fas_kd:EXPERIMENT"``; training is imported on first use.
"""

from ..registry import Experiment
from .config import FasKdConfig

EXPERIMENT = Experiment(
    name="fas_kd",
    summary="Face anti-spoofing on CASIA-SURF-style RGB/Depth/IR: a multi-modal teacher "
    "distilled into an RGB student (seed note 004).",
    config_cls=FasKdConfig,
    entry_point="journal.experiments.fas_kd.train:run",
)
