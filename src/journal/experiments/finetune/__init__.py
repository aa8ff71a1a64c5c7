"""Cross-modal ECG/PPG pre-training and fine-tuning: the ``finetune`` experiment.

Registered through the ``journal.experiments`` entry point
``finetune = "journal.experiments.finetune:EXPERIMENT"``; training is imported on first use.
"""

from ..registry import Experiment
from .config import FinetuneConfig

EXPERIMENT = Experiment(
    name="finetune",
    summary="ECG/PPG: cross-modal contrastive pre-training, then full or linear fine-tuning "
    "for AF detection and heart-rate regression (seed note 002).",
    config_cls=FinetuneConfig,
    entry_point="journal.experiments.finetune.train:run",
)
