"""The Run API: records written at start, per epoch and at the end, whatever the ending."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import journal
from conftest import like_a_terminal
from journal.records import read_record


def test_finished_run_writes_everything(tmp_path: Path) -> None:
    with journal.start_run("exp", config={"lr": 1e-3, "path": Path("/x")}, variant="v", seed=3,
                           results_dir=tmp_path, device="cpu") as run:
        assert read_record(run.path).status == "running"  # written at start
        run.log(epoch=1, train_loss=torch.tensor(0.5), val_acc=np.float32(0.25))
        run.flush()
        assert read_record(run.path).history[0].values() == {"train_loss": 0.5, "val_acc": 0.25}
        run.log(epoch=1, val_loss=float("nan"))  # merges into the same epoch
        run.log(epoch=2, train_loss=0.4)
        run.set_metrics(acc=0.9)
        run.select("acc_best", metric="val_acc", mode="max", epoch=1, value=0.25, test={"acc": 0.8})
        run.evaluate("other data", acc=0.7)
        run.set_confusion(np.array([[5, 1], [2, 7]]), ["a", "b"])
        run.set_threshold("fixed", 0.5)
        run.set_dataset("tiny", {"train": 10}, root="/data")
        run.note("first")
        run.note("second")
    rec = read_record(run.path)
    assert rec.status == "finished" and rec.ended_at is not None and rec.error is None
    assert rec.config == {"lr": 1e-3, "path": "/x"}
    assert [r.epoch for r in rec.history] == [1, 2]
    assert math.isnan(rec.history[0].values()["val_loss"])
    assert rec.selections["acc_best"].test == {"acc": 0.8}
    assert rec.confusion is not None and rec.confusion.matrix == [[5, 1], [2, 7]]
    assert rec.note == "first\n\nsecond"
    assert rec.environment is not None and rec.environment.device == "cpu"
    assert rec.environment.python.count(".") == 2


def test_exception_marks_failed_and_propagates(tmp_path: Path) -> None:
    with pytest.raises(ZeroDivisionError):
        with journal.start_run("exp", results_dir=tmp_path) as run:
            run.log(epoch=1, loss=1.0)
            1 / 0  # noqa: B018
    rec = read_record(run.path)
    assert rec.status == "failed"
    assert rec.error is not None and "ZeroDivisionError" in rec.error
    assert len(rec.history) == 1


def test_keyboard_interrupt_marks_interrupted(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        with journal.start_run("exp", results_dir=tmp_path) as run:
            raise KeyboardInterrupt
    assert read_record(run.path).status == "interrupted"


def test_non_numeric_metric_names_the_key(tmp_path: Path) -> None:
    with journal.start_run("exp", results_dir=tmp_path) as run:
        with pytest.raises(TypeError, match="'acc'"):
            run.log(epoch=1, acc="high")
    assert read_record(run.path).status == "finished"


def test_an_id_collision_draws_a_new_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from journal import tracking

    ids = iter(["same", "same", "other"])
    monkeypatch.setattr(tracking, "new_run_id", lambda experiment, now=None: next(ids))
    with journal.start_run("exp", results_dir=tmp_path) as first:
        first.log(epoch=1, loss=0.5)
    with journal.start_run("exp", results_dir=tmp_path) as second:
        pass
    assert (first.id, second.id) == ("same", "other")
    assert read_record(tmp_path / "same.json").history[0].values() == {"loss": 0.5}
    assert read_record(tmp_path / "other.json").history == []


def test_two_runs_never_share_a_file(tmp_path: Path) -> None:
    with journal.start_run("exp", results_dir=tmp_path, run_id="fixed-id"):
        pass
    with pytest.raises(journal.RecordError, match="already exists"):
        with journal.start_run("exp", results_dir=tmp_path, run_id="fixed-id"):
            pass
    assert read_record(tmp_path / "fixed-id.json").status == "finished"


SCRIPT = textwrap.dedent(
    """
    import sys, time, journal
    with journal.start_run("exp", results_dir=sys.argv[1], seed=0) as run:
        for epoch in range(1, 10_000):
            run.log(epoch=epoch, loss=1.0 / epoch)
            time.sleep(0.05)
    """
)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_signal_leaves_a_valid_interrupted_record(tmp_path: Path, sig: signal.Signals) -> None:
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=like_a_terminal)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            files = list(tmp_path.glob("*.json"))
            if files and len(json.loads(files[0].read_text())["history"]) >= 3:
                break
            time.sleep(0.05)
        proc.send_signal(sig)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    (path,) = tmp_path.glob("*.json")
    rec = read_record(path)
    assert rec.status == "interrupted" and rec.ended_at is not None
    assert len(rec.history) >= 3
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_log_batches_writes_per_step_and_flushes_each_epoch(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-step logging does not rewrite the record each call: it is written when an epoch
    ends (a new one begins), when the flush interval passes, and on flush()."""
    from journal import records as records_module

    writes: list[int] = []
    real = records_module.write_atomic
    monkeypatch.setattr(records_module, "write_atomic",
                        lambda *a, **k: (writes.append(1), real(*a, **k))[1])
    clock = [1000.0]
    monkeypatch.setattr("journal.tracking.time.monotonic", lambda: clock[0])
    with journal.start_run("exp", results_dir=tmp_path, seed=0) as run:
        start = len(writes)
        for step in range(100):
            run.log(epoch=1, loss=1.0 / (step + 1), **{f"m{i}": float(step) for i in range(9)})
        assert len(writes) == start  # 100 calls, no write
        assert read_record(run.path).history == []
        run.log(epoch=2, loss=0.5)  # epoch 1 is over: written
        assert len(writes) == start + 1
        on_disk = read_record(run.path).history
        assert [r.epoch for r in on_disk] == [1] and on_disk[0].values()["m3"] == 99.0
        clock[0] += run.flush_every  # the interval passes: the next call writes
        run.log(epoch=2, acc=0.9)
        assert len(writes) == start + 2
        assert read_record(run.path).history[-1].values() == {"loss": 0.5, "acc": 0.9}
        run.log(epoch=2, acc=0.95)
        run.flush()
        assert read_record(run.path).history[-1].values() == {"loss": 0.5, "acc": 0.95}
    assert [r.epoch for r in read_record(run.path).history] == [1, 2]


def test_a_seed_given_as_text_is_read_as_its_integer(tmp_path: Path) -> None:
    import journal

    with journal.start_run("e", seed="3", results_dir=tmp_path) as run:  # argparse without type=int
        run.log(epoch=1, acc=0.5)
    assert run.record.seed == 3
    with pytest.raises(Exception, match="a seed must be an integer, not 'three'"):
        journal.start_run("e", seed="three", results_dir=tmp_path)  # type: ignore[arg-type]
