"""fas_kd end to end: the on-disk layout, the loader, and the records of a real training run."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import like_a_terminal
from journal.errors import JournalError
from journal.experiments.fas_kd.data import (
    LIST_FILES,
    CasiaSurfList,
    make_tiny_casia_surf,
    read_list,
)
from journal.metrics import fas_metrics
from journal.records import load_records, read_record

pytestmark = pytest.mark.slow


def test_tiny_data_is_in_the_casia_surf_layout_and_deterministic(tmp_path: Path) -> None:
    sizes = {"train": 12, "val": 6, "test": 6}
    a = make_tiny_casia_surf(tmp_path / "a", sizes, seed=0)
    b = make_tiny_casia_surf(tmp_path / "b", sizes, seed=0)
    for split, name in LIST_FILES.items():
        lines = (a / name).read_text().splitlines()
        assert len(lines) == sizes[split]
        assert lines == (b / name).read_text().splitlines()
    first = (a / "train_list.txt").read_text().split()
    assert first[0].startswith("Training/") and first[0].endswith("/profile/0001.jpg")
    assert "/depth/" in first[1] and "/ir/" in first[2] and first[3] in ("0", "1")
    assert (a / first[0]).read_bytes() == (b / first[0]).read_bytes()
    val = (a / "val_private_list.txt").read_text().split()
    assert val[0].startswith("Val/") and val[0].endswith("-color.jpg")
    ds = CasiaSurfList(a, "train", image_size=16)
    rgb, depth, ir, label = ds[0]
    assert tuple(rgb.shape) == (3, 16, 16) and tuple(depth.shape) == (1, 16, 16)
    assert tuple(ir.shape) == (1, 16, 16) and label == int(first[3])
    assert float(rgb.min()) >= -1.0 and float(rgb.max()) <= 1.0


def test_loader_names_bad_list_lines(tmp_path: Path) -> None:
    (tmp_path / "train_list.txt").write_text("a.jpg b.jpg c.jpg 1\nonly two\n")
    with pytest.raises(JournalError, match=r"train_list.txt:2: expected 'rgb depth ir label'"):
        read_list(tmp_path, "train")
    with pytest.raises(JournalError, match="val_private_list.txt: list file missing"):
        read_list(tmp_path, "val")


def test_run_writes_valid_records_per_model_and_seed(fas_kd_results: Path) -> None:
    records, errors = load_records(fas_kd_results)
    assert errors == []
    # --set epochs=6 tags each variant, so differently-configured runs never mix.
    assert sorted((r.variant, r.seed) for r in records) == sorted(
        (f"{v} · epochs=6", s) for v in ("student", "student + logit KD", "teacher") for s in (0, 1)
    )
    for rec in records:
        assert rec.status == "finished" and rec.experiment == "fas_kd"
        assert [row.epoch for row in rec.history] == [1, 2, 3, 4, 5, 6]
        assert {"train_loss", "val_loss", "val_acer", "val_hter"} <= set(rec.history[0].values())
        assert set(rec.selections) == {"last", "acer_best", "hter_best"}
        assert rec.threshold is not None and rec.threshold.policy == "eer"
        assert rec.dataset is not None and rec.dataset.sizes == {"train": 480, "val": 160, "test": 400}
        assert rec.environment is not None and rec.environment.device == "cpu"
        assert rec.config["epochs"] == 6
        best = rec.selections["acer_best"]
        assert best.value == min(row.values()["val_acer"] for row in rec.history)
        # The metrics equal the formula applied to the stored confusion matrix.
        assert rec.confusion is not None
        (tn, fp), (fn, tp) = rec.confusion.matrix
        assert tn + fp + fn + tp == 400
        expected = fas_metrics(tp=tp, fn=fn, tn=tn, fp=fp)
        for key, value in expected.items():
            assert rec.metrics[key] == pytest.approx(value)
    teacher = [r for r in records if r.variant.startswith("teacher")]
    assert all({"miss rgb", "miss depth", "miss ir"} <= set(r.evaluations) for r in teacher)
    students = [r for r in records if r.variant.startswith("student ·")]
    mean = lambda rs: sum(r.metrics["acer"] for r in rs) / len(rs)  # noqa: E731
    assert mean(teacher) < mean(students)  # depth and IR carry the stronger cues


def test_ctrl_c_leaves_an_interrupted_record(tmp_path: Path) -> None:
    # PYTHONFAULTHANDLER: if the run does not stop, SIGABRT makes it print where it hangs.
    env = {**os.environ, "JOURNAL_DATA": str(tmp_path / "data"), "PYTHONFAULTHANDLER": "1"}
    log = tmp_path / "stderr.txt"
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "journal.cli", "run", "fas_kd", "--set", "epochs=500",
             "--set", "baseline=false", "--results", str(tmp_path / "r"), "--quiet"],
            env=env, stdout=subprocess.DEVNULL, stderr=stderr, text=True,
            preexec_fn=like_a_terminal,
        )
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline and proc.poll() is None:
                files = list((tmp_path / "r").glob("*.json"))
                if files and json.loads(files[0].read_text())["history"]:
                    break
                time.sleep(0.1)
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=180)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGABRT)
                proc.wait(timeout=30)
                pytest.fail(f"Ctrl-C did not stop the run:\n{log.read_text()}")
        finally:
            proc.kill()
    err = log.read_text()
    assert proc.returncode == 130, err
    (path,) = (tmp_path / "r").glob("*.json")
    rec = read_record(path)
    assert err.strip().endswith(
        f"with status 'interrupted'; continue it with: journal run fas_kd --resume {rec.id}")
    assert rec.status == "interrupted" and len(rec.history) >= 1 and rec.ended_at is not None


@pytest.mark.parametrize("kd", ["feature", "none"])
def test_other_distillation_modes_train(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kd: str) -> None:
    from journal.experiments import run_experiment

    monkeypatch.setenv("JOURNAL_DATA", str(tmp_path / "data"))
    overrides = {"kd": kd, "epochs": "2", "n_train": "40", "n_val": "20", "n_test": "20"}
    paths = run_experiment("fas_kd", seeds=[3], overrides=overrides, results_dir=tmp_path / "r",
                           progress=False)
    records = [read_record(p) for p in paths]
    expected = ["teacher", "student"] + (["student + feature KD"] if kd == "feature" else [])
    assert [r.variant.split(" · ")[0] for r in records] == expected
    assert all(r.status == "finished" and len(r.history) == 2 for r in records)
    assert records[-1].config["kd"] == kd


def test_build_once_is_atomic_and_keeps_a_finished_copy(tmp_path: Path) -> None:
    from journal.experiments.storage import build_once, is_built

    root = tmp_path / "set"
    with pytest.raises(RuntimeError), build_once(root, "x") as tmp:
        (tmp / "half.txt").write_text("half")
        raise RuntimeError("generator crashed")
    assert not root.exists() and list(tmp_path.iterdir()) == []  # nothing half-written left
    with build_once(root, "x") as tmp:
        (tmp / "a.txt").write_text("first")
    with build_once(root, "x") as tmp:  # a second writer that lost the race
        (tmp / "a.txt").write_text("second")
    assert is_built(root) and (root / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]
