"""Shared fixtures: record factories and one real tiny ``fas_kd`` run reused by slow tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from journal.records import Confusion, Dataset, EpochRow, Record, Selection

REPO = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 11, 23, 6, 10, 0, tzinfo=UTC)


def expand(confusion: Any) -> tuple[list[int], list[int]]:
    """The (true, predicted) label lists behind a confusion matrix (rows = true class)."""
    y_true: list[int] = []
    y_pred: list[int] = []
    for i, row in enumerate(confusion):
        for j, count in enumerate(row):
            y_true += [i] * int(count)
            y_pred += [j] * int(count)
    return y_true, y_pred


@pytest.fixture
def make_record() -> Callable[..., Record]:
    """A factory of complete, valid records; keyword arguments override fields."""

    def factory(**overrides: Any) -> Record:
        seed = overrides.get("seed", 0)
        start = overrides.pop("started_at", T0 + timedelta(minutes=seed or 0))
        base: dict[str, Any] = dict(
            id=f"20261123T0610{seed:02d}Z-fas_kd-00000{seed}",
            experiment="fas_kd",
            variant="student",
            seed=seed,
            status="finished",
            started_at=start,
            updated_at=start + timedelta(seconds=30),
            ended_at=start + timedelta(seconds=30),
            config={"lr": 0.001, "epochs": 3, "kd": "none"},
            dataset=Dataset(name="tiny", sizes={"train": 10, "test": 8}),
            history=[
                EpochRow(epoch=e, train_loss=1.0 / e, val_loss=1.2 / e, val_acer=0.5 - 0.1 * e)
                for e in (1, 2, 3)
            ],
            metrics={"acc": 0.75, "apcer": 0.25, "bpcer": 0.25, "acer": 0.25},
            selections={
                "last": Selection(metric="val_acer", mode="last", epoch=3, value=0.2,
                                  test={"acer": 0.25, "acc": 0.75}),
                "acer_best": Selection(metric="val_acer", mode="min", epoch=3, value=0.2,
                                       test={"acer": 0.25, "acc": 0.75}),
            },
            confusion=Confusion(labels=["attack", "bona fide"], matrix=[[3, 1], [1, 3]]),
        )
        base.update(overrides)
        return Record(**base)

    return factory


@pytest.fixture(scope="session")
def fas_kd_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Records of a real ``journal run fas_kd --seeds 0,1`` (6 epochs), made once per session."""
    return run_cli(tmp_path_factory, "fas_kd", "--seeds", "0,1", "--set", "epochs=6")


def run_cli(tmp_path_factory: pytest.TempPathFactory, *args: str) -> Path:
    """Run ``journal run …`` in a subprocess with its own data cache; returns the results folder."""
    results = tmp_path_factory.mktemp("results")
    env = {**os.environ, "JOURNAL_DATA": str(tmp_path_factory.mktemp("data"))}
    proc = subprocess.run(
        [sys.executable, "-m", "journal.cli", "run", *args, "--results", str(results), "--quiet"],
        capture_output=True, text=True, env=env, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return results


@pytest.fixture(scope="session")
def ser_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Records of a real ``journal run ser --seeds 0,1`` (4 epochs)."""
    return run_cli(tmp_path_factory, "ser", "--seeds", "0,1", "--set", "epochs=4")


@pytest.fixture(scope="session")
def finetune_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Records of ``journal run finetune --seeds 0,1 --set mode=linear`` with a paper reference."""
    return run_cli(tmp_path_factory, "finetune", "--seeds", "0,1", "--set", "mode=linear",
                   "--set", "epochs=4", "--set", "pretrain_epochs=3",
                   "--set", "reference.mae=2.35", "--set", "reference.rmse=3.08")


@pytest.fixture(scope="session")
def vad_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Records of ``journal run vad --seeds 0,1`` with S4D and with the Transformer (3 epochs)."""
    common = ("vad", "--seeds", "0,1", "--set", "epochs=3", "--set")
    results = run_cli(tmp_path_factory, *common, "model=s4")
    more = run_cli(tmp_path_factory, *common, "model=transformer")
    for path in more.glob("*.json"):
        path.rename(results / path.name)
    return results


@pytest.fixture(scope="session")
def reid_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Records of ``journal run reid_noisy --seeds 0,1`` (4 epochs)."""
    return run_cli(tmp_path_factory, "reid_noisy", "--seeds", "0,1", "--set", "epochs=4")


def like_a_terminal() -> None:
    """``preexec_fn`` of a child that a test stops with SIGINT, as Ctrl-C in a terminal would.

    A test run started in the background (``nohup``, ``&``) inherits SIGINT ignored, and a
    Python child that starts with SIGINT ignored keeps ignoring it, as it should; the child of
    such a test is given SIGINT's default back, so that the test does not hang."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
