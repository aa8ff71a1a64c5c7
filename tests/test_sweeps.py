"""Sweeps: grid parsing, stable ids, and what a re-run does with each point's records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from journal.errors import JournalError
from journal.records import Launch, Record, write_record
from journal.sweeps import Sweep, load_sweep_file, parse_grid, plan

Factory = Callable[..., Record]


def test_parse_grid_and_points() -> None:
    grid = parse_grid(["kd=logit, feature", "lr=1e-3,1e-4,1e-3"])
    assert grid == {"kd": ["logit", "feature"], "lr": ["1e-3", "1e-4"]}
    sweep = Sweep("fas_kd", grid, [0, 1], {"epochs": "2"})
    assert sweep.points() == [
        {"epochs": "2", "kd": "logit", "lr": "1e-3"}, {"epochs": "2", "kd": "logit", "lr": "1e-4"},
        {"epochs": "2", "kd": "feature", "lr": "1e-3"}, {"epochs": "2", "kd": "feature", "lr": "1e-4"},
    ]
    for bad, message in [("kd", "expected KEY=V1,V2"), ("kd=", "expected KEY=V1,V2"), ("=a", "KEY")]:
        with pytest.raises(JournalError, match=message):
            parse_grid([bad])
    with pytest.raises(JournalError, match="key 'kd' given twice"):
        parse_grid(["kd=a", "kd=b"])


def test_sweep_id_names_what_is_asked() -> None:
    a = Sweep("fas_kd", {"kd": ["logit", "feature"], "lr": ["1e-3"]}, [0, 1])
    same = Sweep("fas_kd", {"lr": ["1e-3"], "kd": ["logit", "feature"]}, [0, 1])  # key order
    assert a.id == same.id and a.id.startswith("fas_kd-sweep-")
    assert a.id != Sweep("fas_kd", {"kd": ["logit", "feature"], "lr": ["1e-3"]}, [0, 1, 2]).id
    assert a.id != Sweep("fas_kd", a.grid, [0, 1], {"epochs": "3"}).id


def test_sweep_file(tmp_path: Path) -> None:
    path = tmp_path / "kd.yml"
    path.write_text("experiment: fas_kd\nseeds: [0, 1]\ngrid:\n  kd: [logit, feature]\n  lr: [0.001]\n"
                    "set:\n  epochs: 2\n  baseline: false\n")
    assert load_sweep_file(path) == {"experiment": "fas_kd", "seeds": "0,1",
                                     "grid": {"kd": ["logit", "feature"], "lr": ["0.001"]},
                                     "fixed": {"epochs": "2", "baseline": "false"}}
    path.write_text("experiment: fas_kd\ngird:\n  kd: [logit]\n")
    with pytest.raises(JournalError, match=f"{path}: field 'gird': unknown"):
        load_sweep_file(path)
    path.write_text("experiment: fas_kd\ngrid:\n  kd: logit\n")
    with pytest.raises(JournalError, match="field 'grid': expected key → non-empty list"):
        load_sweep_file(path)


def _point(make_record: Factory, sweep: Sweep, overrides: dict[str, str], seed: int, job: str,
           status: str, minutes: int = 0, updated: datetime | None = None) -> Record:
    start = datetime.now(UTC) - timedelta(minutes=30 - minutes)
    extra = {"error": "boom"} if status == "failed" else {}
    return make_record(id=f"{job}-{minutes}", seed=seed, status=status, started_at=start,
                       updated_at=updated or start, ended_at=None if status == "running" else start,
                       launch=Launch(job=job, overrides=overrides, sweep=sweep.id), **extra)


def test_plan_skips_finished_resumes_interrupted_and_reruns_failed(
    tmp_path: Path, make_record: Factory
) -> None:
    sweep = Sweep("fas_kd", {"kd": ["logit", "feature"]}, [0, 1, 2])
    logit, feature = sweep.points()
    old = datetime.now(UTC) - timedelta(hours=3)
    records = [
        _point(make_record, sweep, logit, 0, "j-done", "finished"),
        _point(make_record, sweep, logit, 1, "j-stopped", "interrupted"),
        _point(make_record, sweep, logit, 2, "j-failed", "failed"),
        _point(make_record, sweep, feature, 0, "j-busy", "running"),
        _point(make_record, sweep, feature, 1, "j-stale", "running", updated=old),
        _point(make_record, sweep, feature, 2, "j-first", "failed", minutes=1),
        _point(make_record, sweep, feature, 2, "j-again", "finished", minutes=2),  # a later try won
    ]
    for rec in records:
        write_record(rec, tmp_path, create=True)
    other = Sweep("fas_kd", {"kd": ["logit"]}, [0])  # another sweep's records are not ours
    write_record(_point(make_record, other, logit, 0, "j-other", "finished", minutes=3), tmp_path,
                 create=True)
    actions = {(p.spec.overrides["kd"], p.spec.seed): (p.action, p.spec.job)
               for p in plan(sweep, tmp_path)}
    assert actions[("logit", 0)][0] == "skip"
    assert actions[("logit", 1)] == ("resume", "j-stopped")
    assert actions[("logit", 2)][0] == "run" and actions[("logit", 2)][1] != "j-failed"
    assert actions[("feature", 0)][0] == "busy"
    assert actions[("feature", 1)] == ("resume", "j-stale")
    assert actions[("feature", 2)][0] == "skip"
    assert {p.action for p in plan(sweep, tmp_path, rerun=True)} == {"run"}
    assert {p.action for p in plan(other, tmp_path)} == {"skip"}
