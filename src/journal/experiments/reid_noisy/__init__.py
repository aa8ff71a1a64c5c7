"""Person re-identification under label noise: the ``reid_noisy`` experiment.

Registered through the ``journal.experiments`` entry point
``reid_noisy = "journal.experiments.reid_noisy:EXPERIMENT"``; training is imported on first use.
"""

from ..registry import Experiment
from .config import ReidNoisyConfig

EXPERIMENT = Experiment(
    name="reid_noisy",
    summary="Person re-id on Market-1501-style images with noisy labels: two co-teaching "
    "networks, CMC and mAP under the Market-1501 protocol (seed note 001).",
    config_cls=ReidNoisyConfig,
    entry_point="journal.experiments.reid_noisy.train:run",
)
