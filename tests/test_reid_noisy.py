"""reid_noisy end to end: Market-1501 names, label noise, co-teaching, and a diverging run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from journal.errors import JournalError
from journal.experiments.reid_noisy.config import ReidNoisyConfig
from journal.experiments.reid_noisy.data import corrupt, make_tiny_market, read_split
from journal.experiments.reid_noisy.train import forget_schedule
from journal.records import load_records
from journal.render import build_posts


def test_market_naming_and_splits(tmp_path: Path) -> None:
    root = make_tiny_market(tmp_path / "m", n_train=3, n_test=2, cameras=3, per_camera=2, seed=0)
    train = read_split(root, "bounding_box_train")
    assert len(train) == 3 * 3 * 2 and {i.pid for i in train} == {1, 2, 3}
    query, gallery = read_split(root, "query"), read_split(root, "bounding_box_test")
    assert {i.pid for i in query} == {4, 5} and len(query) + len(gallery) == 2 * 3 * 2
    assert train[0].path.name == "0001_c1s1_000000_00.jpg" and train[0].cam == 1
    (root / "query" / "bad.jpg").write_bytes(b"")
    with pytest.raises(JournalError, match="bad.jpg: not a Market-1501 name"):
        read_split(root, "query")


@pytest.mark.parametrize("kind", ["symmetric", "pairwise"])
def test_label_noise_rate_and_kind(kind: str) -> None:
    labels = np.repeat(np.arange(10), 20)
    noisy = corrupt(labels, 10, 0.3, kind, seed=1)
    changed = noisy != labels
    assert changed.sum() == 60
    if kind == "pairwise":
        assert (noisy[changed] == (labels[changed] + 1) % 10).all()
    assert (noisy >= 0).all() and (noisy < 10).all()


def test_forget_rate_ramps_over_warmup() -> None:
    config = ReidNoisyConfig(forget_rate=0.4, warmup_epochs=4)
    assert [forget_schedule(config, e) for e in (1, 3, 5, 9)] == pytest.approx([0.0, 0.2, 0.4, 0.4])


@pytest.mark.slow
def test_records_log_and_post(reid_results: Path) -> None:
    records, errors = load_records(reid_results)
    assert errors == [] and sorted(r.seed for r in records) == [0, 1]
    for rec in records:
        assert rec.status == "finished"
        assert list(rec.metrics) == ["r1", "r5", "r10", "map"]
        assert {"loss1", "loss2", "acc1", "acc2", "r1", "map"} <= set(rec.history[-1].values())
        assert rec.log.splitlines()[-1].startswith(">> Epoch: 4 | R1: ")
        assert "(Best Epoch[" in rec.log
    (post,) = build_posts(records)
    assert "training log (last lines)" in post.markdown and "Loss1:" in post.markdown


@pytest.mark.slow
def test_divergence_ends_failed_with_the_epoch(tmp_path: Path) -> None:
    env = {**os.environ, "JOURNAL_DATA": str(tmp_path / "data")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "journal.cli",
            "run",
            "reid_noisy",
            "--set",
            "lr=10",
            "--set",
            "epochs=6",
            "--results",
            str(tmp_path / "r"),
            "--quiet",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("journal: error: training diverged: loss") and proc.stderr.count("\n") == 1
    (rec,), _ = load_records(tmp_path / "r")
    assert rec.status == "failed" and rec.error is not None
    epoch = int(rec.error.rsplit("at epoch ", 1)[1])
    nan_row = rec.history[epoch - 1].values()
    assert np.isnan(nan_row["loss1"]) or np.isnan(nan_row["loss2"])
    (post,) = build_posts([rec])
    assert '??? failure "seed 0 failed"' in post.markdown and f"at epoch {epoch}" in post.markdown
