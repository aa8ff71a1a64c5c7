"""Real sweeps and a real resume: `journal sweep` locally and through submitit, SIGTERM + resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from journal.escape import md_text
from journal.records import load_records
from journal.render import build_posts

pytestmark = pytest.mark.slow

TINY = ["--set", "epochs=2", "--set", "baseline=false", "--set", "n_train=160", "--set", "n_val=80",
        "--set", "n_test=120"]
SWEEP = ["sweep", "fas_kd", "--grid", "kd=logit,feature", "--seeds", "0,1", *TINY]


@pytest.fixture(scope="module")
def data_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("data")


def journal(data_home: Path, *args: str, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JOURNAL_DATA": str(data_home)}
    return subprocess.run([sys.executable, "-m", "journal.cli", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, check=False)


def _check_sweep_records(results: Path) -> str:
    records, errors = load_records(results)
    assert errors == []
    sweeps = {r.launch.sweep for r in records if r.launch is not None}
    assert len(sweeps) == 1
    (sweep,) = sweeps
    students = [r for r in records if r.config["model"] == "student"]
    assert sorted((r.config["kd"], r.seed) for r in students) == [
        ("feature", 0), ("feature", 1), ("logit", 0), ("logit", 1)]
    assert all(r.status == "finished" for r in records)
    # the teacher does not depend on kd: one per seed, shared by both points of that seed (a
    # worker that needs a teacher another is training waits for it, then reuses it)
    teachers = [r for r in records if r.config["model"] == "teacher"]
    assert sorted(r.seed for r in teachers) == [0, 1]
    assert all(r.variant == "teacher · epochs=2 · n_test=120 · n_train=160 · n_val=80" for r in teachers)
    return str(sweep)


def test_local_sweep_writes_one_record_per_point_and_skips_when_done(
    tmp_path: Path, data_home: Path
) -> None:
    results = tmp_path / "results"
    first = journal(data_home, *SWEEP, "--jobs", "2", "--results", str(results))
    assert first.returncode == 0, first.stderr
    sweep = _check_sweep_records(results)
    assert f"sweep {sweep}: 4 points; 4 to run, 0 to resume, 0 skipped" in first.stdout
    assert first.stdout.count("finished ") >= 4 and "4 finished" in first.stdout
    (post,) = build_posts(load_records(results)[0])
    assert f"Sweep <code>{md_text(sweep)}</code> over <code>kd</code>, seeds 0, 1:" in post.markdown
    count = len(load_records(results)[0])
    again = journal(data_home, *SWEEP, "--jobs", "2", "--results", str(results))
    assert again.returncode == 0
    assert "4 skipped" in again.stdout and "nothing to run" in again.stdout
    assert len(load_records(results)[0]) == count


def test_slurm_launcher_through_submitit_local_executor(tmp_path: Path, data_home: Path) -> None:
    results = tmp_path / "results"
    result = journal(data_home, *SWEEP, "--launcher", "slurm", "--cluster", "local",
                     "--array-parallelism", "2", "--results", str(results))
    assert result.returncode == 0, result.stdout + result.stderr
    sweep = _check_sweep_records(results)
    logs = results / ".submitit" / sweep
    assert any(p.name.endswith("_log.out") for p in logs.rglob("*"))  # logs beside the records
    assert "4 finished" in result.stdout


def test_slurm_launcher_refuses_a_machine_without_slurm(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """submitit's AutoExecutor would run the points here instead: a login node would train."""
    pytest.importorskip("submitit")
    from journal.errors import JournalError
    from journal.launchers import SlurmOptions, run_slurm

    monkeypatch.setenv("PATH", str(tmp_path))  # no sbatch
    with pytest.raises(JournalError, match="Slurm is not here \\(no sbatch on the PATH\\)"):
        run_slurm([], options=SlurmOptions(), logs=tmp_path, echo=lambda *a, **k: None)


def _student_epochs(results: Path) -> int:
    for path in results.glob("*.json"):
        try:
            data = json.loads(path.read_text())
        except (ValueError, OSError):
            continue
        if data.get("config", {}).get("model") == "student" and data["history"]:
            return int(data["history"][-1]["epoch"])
    return 0


def test_sigterm_then_resume_continues_the_same_record(tmp_path: Path, data_home: Path) -> None:
    """Stopped after epoch k by SIGTERM and resumed, a run ends finished in one record, each
    epoch logged once, the stop kept, and the same numbers as a run never stopped."""
    args = ["run", "fas_kd", "--quiet", *TINY, "--set", "epochs=5"]
    stopped = tmp_path / "stopped"
    env = {**os.environ, "JOURNAL_DATA": str(data_home)}
    proc = subprocess.Popen([sys.executable, "-m", "journal.cli", *args, "--results", str(stopped)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while _student_epochs(stopped) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    (student,) = [r for r in load_records(stopped)[0] if r.config["model"] == "student"]
    assert student.status == "interrupted"
    assert f"continue it with: journal run {student.experiment} --resume {student.id}" in err
    teacher_before = next(r for r in load_records(stopped)[0] if r.config["model"] == "teacher")

    resumed = journal(data_home, "run", "fas_kd", "--resume", student.id[:24], "--quiet",
                      "--results", str(stopped))
    assert resumed.returncode == 0, resumed.stderr
    records = load_records(stopped)[0]
    assert len(records) == 2  # nothing new: the same two records
    after = next(r for r in records if r.id == student.id)
    assert after.status == "finished"
    assert [row.epoch for row in after.history] == [1, 2, 3, 4, 5]
    (stop,) = after.interruptions
    assert stop.reason == "interrupted (SIGTERM)" and 1 <= stop.after_epoch < 5
    teacher_after = next(r for r in records if r.id == teacher_before.id)
    assert teacher_after == teacher_before  # finished: reused, not retrained or rewritten

    never = tmp_path / "never"
    assert journal(data_home, *args, "--results", str(never)).returncode == 0
    (reference,) = [r for r in load_records(never)[0] if r.config["model"] == "student"]
    assert after.metrics == reference.metrics
    assert [r.values() for r in after.history] == [r.values() for r in reference.history]

    done = journal(data_home, "run", "fas_kd", "--resume", student.id, "--results", str(stopped))
    assert done.returncode == 2 and "have finished; nothing to resume" in done.stderr
