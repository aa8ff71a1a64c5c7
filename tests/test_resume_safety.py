"""Resuming is safe: training states load as tensors only, names from records never become
paths outside the results folder, links out of it are refused, and one process at a time
continues a run."""

from __future__ import annotations

import builtins
import os
import pickle
import random
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from click.testing import CliRunner

import journal
from journal.cli import main
from journal.errors import JournalError
from journal.experiments.common import BestCheckpoint, TrainingState
from journal.paths import PathError, check_name, inside
from journal.records import Launch, Record, read_record, write_record
from journal.tracking import STATE_DIR, Run, reopen_run

REPO = Path(__file__).resolve().parents[1]
Factory = Callable[..., Record]


class _Evil:
    """A pickle that creates ``marker`` when it is loaded without ``weights_only``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return builtins.exec, (f"open({str(self.marker)!r}, 'w').close()",)


def _interrupted_run(folder: Path, epochs: int = 1) -> Run:
    """A run that logged ``epochs`` epochs and was interrupted; its record is on disk."""
    with pytest.raises(KeyboardInterrupt), journal.start_run("exp", results_dir=folder, seed=0) as run:
        for epoch in range(1, epochs + 1):
            run.log(epoch, loss=1.0 / epoch)
        run.flush()
        raise KeyboardInterrupt
    return run


def _parts() -> tuple[torch.nn.Module, torch.optim.Optimizer, BestCheckpoint, torch.Generator]:
    model = torch.nn.Linear(3, 2)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    model(torch.ones(4, 3)).sum().backward()
    optimiser.step()
    best = BestCheckpoint("min")
    best.update(0.5, 1, model)
    generator = torch.Generator()
    generator.manual_seed(7)
    return model, optimiser, best, generator


def test_state_round_trips_through_weights_only_load(tmp_path: Path) -> None:
    model, optimiser, best, generator = _parts()
    with pytest.raises(KeyboardInterrupt), journal.start_run("exp", results_dir=tmp_path) as run:
        run.log(1, loss=0.5)
        TrainingState(run, model=model, optimiser=optimiser, best=best, generator=generator).save(1)
        expected = (random.random(), float(np.random.rand()), float(torch.rand(1)),
                    float(torch.rand(1, generator=generator)))
        run.log(2, loss=0.4)  # logged after the last saved state: dropped on resume
        run.flush()
        raise KeyboardInterrupt
    reopened = reopen_run(read_record(run.path), tmp_path)
    other, other_opt, other_best, other_gen = _parts()
    with torch.no_grad():
        other.weight.zero_()
    with reopened:
        state = TrainingState(reopened, model=other, optimiser=other_opt, best=other_best,
                              generator=other_gen)
        assert state.restore() == 1
        assert torch.equal(other.weight, model.weight)
        assert other_opt.state_dict()["state"][0]["step"] == optimiser.state_dict()["state"][0]["step"]
        assert (other_best.value, other_best.epoch) == (0.5, 1)
        assert (random.random(), float(np.random.rand()), float(torch.rand(1)),
                float(torch.rand(1, generator=other_gen))) == expected
        assert [r.epoch for r in reopened.record.history] == [1]


@pytest.mark.parametrize("how", ["torch.save", "pickle"])
def test_crafted_state_is_refused_and_never_runs(tmp_path: Path, how: str) -> None:
    run = _interrupted_run(tmp_path / "results")
    marker = tmp_path / "pwned"
    payload = {"format": 2, "epoch": 1, "parts": _Evil(marker)}
    if how == "torch.save":
        torch.save(payload, run.state_path)
    else:
        run.state_path.write_bytes(pickle.dumps(payload))
    before = read_record(run.path)
    reopened = reopen_run(before.model_copy(deep=True), tmp_path / "results")
    model = torch.nn.Linear(3, 2)
    with pytest.raises(JournalError) as caught, reopened:
        TrainingState(reopened, model=model).restore()
    message = str(caught.value)
    assert message.startswith(f"{run.state_path}: training state refused: ")
    assert "\n" not in message
    assert not marker.exists()
    after = read_record(run.path)
    assert after.status == "interrupted" and after.error == before.error
    assert after.history == before.history and after.interruptions == []
    assert not (tmp_path / "results" / STATE_DIR / f"{run.id}.lock").exists()  # lock released
    # The control: loaded the unsafe way, the same file does run its code.
    if how == "torch.save":
        torch.load(run.state_path, weights_only=False)
    else:
        pickle.loads(run.state_path.read_bytes())  # noqa: S301 - the point of the test
    assert marker.exists()


def test_state_in_an_old_format_is_refused_by_name(tmp_path: Path) -> None:
    run = _interrupted_run(tmp_path)
    torch.save({"epoch": 1, "parts": {}}, run.state_path)
    reopened = reopen_run(read_record(run.path), tmp_path)
    with pytest.raises(JournalError, match="not written by this version of journal"):
        TrainingState(reopened).restore()


@pytest.mark.parametrize("value", ["../../../x", "a/b", "..", ".hidden", "", "a\nb", "x" * 201])
def test_names_that_could_be_paths_are_refused(value: str) -> None:
    with pytest.raises(PathError, match="is not a valid name"):
        check_name(value, "launch.sweep")


def test_resume_refuses_a_sweep_id_that_is_a_path(tmp_path: Path, make_record: Factory) -> None:
    results = tmp_path / "a" / "b" / "results"
    record = make_record(status="interrupted", launch=Launch(job="fas_kd-s0-0000", sweep="../../../x"))
    write_record(record, results, create=True)
    before = sorted(p for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(main, ["run", "fas_kd", "--resume", record.id, "--results", str(results)])
    assert result.exit_code == 2
    assert result.stderr == (f"journal: error: record {record.id}: field 'launch.sweep': "
                             "'../../../x' is not a valid name (letters, digits and '_.+-', "
                             "starting with a letter or digit, at most 200 characters, no '..')\n")
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_resume_refuses_a_job_id_that_is_a_path(tmp_path: Path, make_record: Factory) -> None:
    record = make_record(status="interrupted", launch=Launch(job="../../etc/x"))
    write_record(record, tmp_path, create=True)
    result = CliRunner().invoke(main, ["run", "fas_kd", "--resume", record.id, "--results", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"journal: error: record {record.id}: field 'launch.job': ")
    assert result.stderr.count("\n") == 1


def test_state_folder_linked_outside_is_refused(tmp_path: Path) -> None:
    results, outside = tmp_path / "results", tmp_path / "outside"
    run = _interrupted_run(results)
    outside.mkdir()
    for child in (results / STATE_DIR).iterdir():
        child.unlink()
    (results / STATE_DIR).rmdir()
    (results / STATE_DIR).symlink_to(outside, target_is_directory=True)
    with pytest.raises(PathError, match="a symbolic link leads outside the results folder"):
        reopen_run(read_record(run.path), results)
    with pytest.raises(PathError, match="a symbolic link leads outside the results folder"):
        TrainingState(run).save(1)
    assert list(outside.iterdir()) == []


def test_state_file_linked_outside_is_refused(tmp_path: Path) -> None:
    results = tmp_path / "results"
    run = _interrupted_run(results)
    target = tmp_path / "elsewhere.pt"
    target.write_bytes(b"")
    (results / STATE_DIR / f"{run.id}.pt").symlink_to(target)
    with pytest.raises(PathError):
        inside(results, STATE_DIR, run.id, ".pt")
    assert target.read_bytes() == b""


def test_a_link_inside_the_folder_is_fine(tmp_path: Path) -> None:
    results = tmp_path / "results"
    (results / "real").mkdir(parents=True)
    (results / STATE_DIR).symlink_to(results / "real", target_is_directory=True)
    assert inside(results, STATE_DIR, "run-1", ".pt") == results / STATE_DIR / "run-1.pt"


def test_a_running_run_cannot_be_reopened_meanwhile(tmp_path: Path) -> None:
    with journal.start_run("exp", results_dir=tmp_path) as run:
        with pytest.raises(JournalError, match="is being continued by another process"):
            reopen_run(read_record(run.path), tmp_path)
        run.log(1, loss=0.5)
    assert not (tmp_path / STATE_DIR / f"{run.id}.lock").exists()  # released with the run
    run = _interrupted_run(tmp_path / "r2")
    with reopen_run(read_record(run.path), tmp_path / "r2") as again:  # free again once it ended
        again.continue_after(1)


_HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from journal.records import read_record
    from journal.tracking import reopen_run
    path, go = Path(sys.argv[1]), Path(sys.argv[2])
    with reopen_run(read_record(path), path.parent) as run:
        run.continue_after(1)
        run.log(2, loss=0.25)
        run.flush()
        Path(str(go) + ".ready").write_text("")
        deadline = time.monotonic() + 60
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        run.log(3, loss=0.125)
""")

_SECOND = textwrap.dedent("""
    import sys
    from pathlib import Path
    from journal.errors import JournalError
    from journal.records import read_record
    from journal.tracking import reopen_run
    path = Path(sys.argv[1])
    try:
        with reopen_run(read_record(path), path.parent) as run:
            run.continue_after(1)
            run.log(2, loss=99.0)
    except JournalError as exc:
        print(exc, file=sys.stderr)
        sys.exit(3)
""")


def test_two_processes_resuming_one_run(tmp_path: Path) -> None:
    """The second process is refused in one line; the first's history is all there."""
    run = _interrupted_run(tmp_path / "results")
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    first = subprocess.Popen([sys.executable, "-c", _HOLDER, str(run.path), str(go)], env=env,
                             stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not Path(str(go) + ".ready").exists():
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.05)
        second = subprocess.run([sys.executable, "-c", _SECOND, str(run.path)], env=env,
                                capture_output=True, text=True, timeout=120, check=False)
        assert second.returncode == 3, second.stderr
        assert second.stderr == (f"run {run.id} is being continued by another process (it holds "
                                 f"{tmp_path / 'results' / STATE_DIR / run.id}.lock); one process "
                                 "at a time may continue a run\n")
    finally:
        go.write_text("")
        first.wait(timeout=60)
    assert first.returncode == 0
    record = read_record(run.path)
    assert record.status == "finished"
    assert [(r.epoch, r.values()["loss"]) for r in record.history] == [(1, 1.0), (2, 0.25), (3, 0.125)]
    assert len(record.interruptions) == 1
