"""Speech emotion recognition: the ``ser`` experiment.

Registered through the ``journal.experiments`` entry point
``ser = "journal.experiments.ser:EXPERIMENT"``; training is imported on first use.
"""

from ..registry import Experiment
from .config import SerConfig

EXPERIMENT = Experiment(
    name="ser",
    summary="Speech emotion recognition (正向/中性/负向) from 16 kHz WAV files with a "
    "Light-SERNet-style CNN on spectrograms or MFCCs (seed note 003).",
    config_cls=SerConfig,
    entry_point="journal.experiments.ser.train:run",
)
