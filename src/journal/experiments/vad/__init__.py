"""Pose-based video anomaly detection: the ``vad`` experiment.

Registered through the ``journal.experiments`` entry point
``vad = "journal.experiments.vad:EXPERIMENT"``; training is imported on first use.
"""

from ..registry import Experiment
from .config import VadConfig

EXPERIMENT = Experiment(
    name="vad",
    summary="Pose-based video anomaly detection: S4D or Transformer future-pose prediction on "
    "ShanghaiTech-like skeleton tracks, frame AUC after Gaussian smoothing (seed note 000).",
    config_cls=VadConfig,
    entry_point="journal.experiments.vad.train:run",
)
