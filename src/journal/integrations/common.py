"""What the trainer integrations share: how a run ended, and which epoch was the best."""

from __future__ import annotations

import math
import traceback
from collections.abc import Sequence
from typing import Literal

from ..records import EpochRow

_INTERRUPTS = ("KeyboardInterrupt", "SIGTERMException")
"""Exceptions that stop a run from outside (Ctrl-C; Lightning's SIGTERM), by class name."""


def failure(exc: BaseException | None, default: str) -> tuple[Literal["failed", "interrupted"], str]:
    """The status and error text of a run that ``exc`` ended (``default`` when it is unknown)."""
    if exc is None:
        return "failed", default
    names = {cls.__name__ for cls in type(exc).__mro__}
    if names & set(_INTERRUPTS) or isinstance(exc, SystemExit):
        return "interrupted", f"interrupted ({type(exc).__name__}{f': {exc}' if str(exc) else ''})"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).strip()
    return "failed", text[-20_000:]


def selection_name(metric: str) -> str:
    """``val_loss`` → ``loss_best``, ``eval_accuracy`` → ``accuracy_best``."""
    for prefix in ("val_", "val/", "eval_", "eval/"):
        if metric.startswith(prefix) and len(metric) > len(prefix):
            metric = metric[len(prefix):]
            break
    return f"{metric}_best"


def best_epoch(history: Sequence[EpochRow], metric: str, score: float,
               fallback: int | None) -> int | None:
    """The epoch whose ``metric`` equals the best ``score`` (the first such, as a checkpoint
    callback keeps the first of equal scores), else ``fallback`` (the epoch at which the
    trainer saved its best checkpoint)."""
    for row in history:
        value = row.values().get(metric)
        if value is not None and math.isclose(value, score, rel_tol=1e-6, abs_tol=1e-12):
            return row.epoch
    return fallback
