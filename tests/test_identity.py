"""Seed identity: a re-run seed and a shared teacher count once; retired runs are excluded."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from journal import statistics
from journal.analysis import finished_values
from journal.config import as_dict
from journal.errors import JournalError
from journal.experiments.fas_kd.config import FasKdConfig
from journal.identity import (
    Retirement,
    RetirementError,
    fingerprint,
    identity_of,
    load_retirements,
    resolve,
    retire,
    unretire,
)
from journal.records import Dataset, Record, write_record

Factory = Callable[..., Record]
T0 = datetime(2026, 11, 23, 6, 10, tzinfo=UTC)


def run(make_record: Factory, rid: str, seed: int | None, minutes: float, **kw: object) -> Record:
    start = T0 + timedelta(minutes=minutes)
    times: dict[str, object] = {"updated_at": start + timedelta(minutes=1),
                                "ended_at": start + timedelta(minutes=1), **kw}
    rec = make_record(id=rid, seed=seed or 0, started_at=start, **times)
    return rec if seed is not None else rec.model_copy(update={"seed": None})


def test_a_seed_run_twice_counts_once_and_the_latest_finished_run_wins(make_record: Factory) -> None:
    first = run(make_record, "a-s0", 0, 0, metrics={"acer": 0.2})
    other = run(make_record, "a-s1", 1, 1, metrics={"acer": 0.3})
    again = run(make_record, "b-s0", 0, 10, metrics={"acer": 0.25})
    res = resolve([first, other, again])
    assert [r.id for r in res.counted] == ["a-s1", "b-s0"]
    assert res.excluded == [(first, "superseded by b-s0")]
    assert res.reason("a-s0") == "superseded by b-s0" and res.reason("b-s0") is None
    assert len(finished_values(res.counted, "acer")) == 2


def test_the_issue_example_eight_records_of_four_seeds_give_the_four_seed_interval(
    make_record: Factory,
) -> None:
    acers = [0.0610, 0.0630, 0.0655, 0.0680]
    recs = [run(make_record, f"{job}-s{s}", s, 10 * j + s, variant="teacher", metrics={"acer": a})
            for j, job in enumerate(("logit", "feature")) for s, a in enumerate(acers)]
    counted = resolve(recs).counted
    assert [r.id for r in counted] == [f"feature-s{s}" for s in range(4)]
    ci = statistics.metric_interval(finished_values(counted, "acer"), "acer")
    inflated = statistics.metric_interval(finished_values(recs, "acer"), "acer")
    assert ci.n == 4 and inflated.n == 8 and inflated.high - inflated.low < ci.high - ci.low


def test_ended_at_decides_then_the_id(make_record: Factory) -> None:
    early_start_late_end = run(make_record, "x-1", 0, 0).model_copy(
        update={"ended_at": T0 + timedelta(hours=5)})
    late_start = run(make_record, "x-2", 0, 30)
    assert resolve([early_start_late_end, late_start]).superseded_by == {"x-2": "x-1"}
    twin_a, twin_b = run(make_record, "y-a", 0, 0), run(make_record, "y-b", 0, 0)
    assert resolve([twin_b, twin_a]).superseded_by == {"y-a": "y-b"}


def test_unfinished_runs_before_the_winner_are_superseded_later_ones_keep_their_status(
    make_record: Factory,
) -> None:
    crashed = run(make_record, "r-1", 0, 0, status="failed", error="boom")
    done = run(make_record, "r-2", 0, 5)
    going = run(make_record, "r-3", 0, 20, status="running", ended_at=None)
    res = resolve([crashed, done, going])
    assert res.superseded_by == {"r-1": "r-2"}
    assert [r.id for r in res.counted] == ["r-2", "r-3"]
    only_failed = resolve([crashed, run(make_record, "r-4", 0, 9, status="interrupted")])
    assert only_failed.excluded == []  # nothing finished: nothing supersedes


def test_what_makes_two_runs_the_same(make_record: Factory) -> None:
    base = run(make_record, "i-1", 0, 0, config={"lr": 0.001, "device": "cpu", "num_workers": 0})
    moved = run(make_record, "i-2", 0, 5, config={"lr": 0.001, "device": "cuda:0", "num_workers": 8})
    assert identity_of(base) == identity_of(moved)  # where it ran changes no result
    for change in ({"config": {"lr": 0.01}}, {"variant": "other"}, {"experiment": "vad"},
                   {"dataset": Dataset(name="CASIA-SURF")}):
        assert identity_of(run(make_record, "i-3", 0, 9, **change)) != identity_of(base), change
    assert identity_of(run(make_record, "i-4", 1, 9, config=base.config)) != identity_of(base)
    seedless = [run(make_record, f"n-{i}", None, i) for i in range(2)]
    assert identity_of(seedless[0]) is None and resolve(seedless).excluded == []


def test_fingerprint_is_canonical_json_without_non_result_keys() -> None:
    assert fingerprint({"a": 1, "b": [1, 2]}) == fingerprint({"b": [1, 2], "a": 1, "device": "cuda"})
    assert fingerprint({"lr": 1e-3}) != fingerprint({"lr": 3e-4})
    assert fingerprint({"kd": "logit", "baseline": False}, "fas_kd") == fingerprint({"kd": "logit"}, "fas_kd")
    assert fingerprint({"kd": "logit", "baseline": False}) != fingerprint({"kd": "logit"})


def _teacher_config(**overrides: object) -> dict[str, object]:
    """The teacher's record config exactly as fas_kd/train.py builds it."""
    from journal.experiments.fas_kd.train import KD_ONLY

    cfg = {**as_dict(FasKdConfig(**overrides)), "model": "teacher",  # type: ignore[arg-type]
           "modalities": "rgb+depth+ir", "kd": "none"}
    return {k: v for k, v in cfg.items() if k not in KD_ONLY[1:]}


def test_a_teacher_trained_again_by_a_second_job_is_one_run(make_record: Factory) -> None:
    logit = _teacher_config(kd="logit")
    feature = _teacher_config(kd="feature", temperature=2.0, baseline=False)
    assert fingerprint(logit, "fas_kd") == fingerprint(feature, "fas_kd")
    first = run(make_record, "j1-teacher", 0, 0, variant="teacher", config=logit)
    second = run(make_record, "j2-teacher", 0, 30, variant="teacher", config=feature)
    student = run(make_record, "j2-student", 0, 31, variant="student + feature KD",
                  config={**feature, "kd": "feature"})
    res = resolve([first, second, student])
    assert res.superseded_by == {"j1-teacher": "j2-teacher"}
    assert [r.id for r in res.counted] == ["j2-teacher", "j2-student"]
    other_lr = run(make_record, "j3-teacher", 0, 40, variant="teacher", config=_teacher_config(lr=3e-4))
    assert resolve([first, other_lr]).excluded == []  # a real change of the teacher: its own run


def _folder(tmp_path: Path, make_record: Factory, *ids: str) -> Path:
    for i, rid in enumerate(ids):
        write_record(run(make_record, rid, i, i), tmp_path, create=True)
    return tmp_path


def test_retire_writes_a_file_of_its_own_and_excludes_the_run(make_record: Factory, tmp_path: Path) -> None:
    results = _folder(tmp_path, make_record, "20261123T0610Z-fas_kd-aa", "20261123T0611Z-fas_kd-bb")
    before = (results / "20261123T0610Z-fas_kd-aa.json").read_bytes()
    when = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    path = retire(results, "20261123T0610Z-fas_kd-aa", "data leak: test images in train", now=when)
    assert path == results / "retired" / "20261123T0610Z-fas_kd-aa.yml"
    assert (results / "20261123T0610Z-fas_kd-aa.json").read_bytes() == before  # record untouched
    retirements, errors = load_retirements(results)
    assert errors == []
    got = retirements["20261123T0610Z-fas_kd-aa"]
    assert (got.reason, got.at) == ("data leak: test images in train", when)
    from journal.records import load_records

    records, _ = load_records(results)
    res = resolve(records, retirements)
    assert [r.id for r in res.counted] == ["20261123T0611Z-fas_kd-bb"]
    assert res.excluded[0][1] == "retired: data leak: test images in train"
    assert unretire(results, "20261123T0610Z-fas_kd-aa") == path and not path.exists()
    assert load_retirements(results) == ({}, [])


def test_a_retired_run_does_not_supersede(make_record: Factory) -> None:
    old, new = run(make_record, "o", 0, 0), run(make_record, "n", 0, 9)
    res = resolve([old, new], {"n": Retirement("n", "wrong data", T0)})
    assert [r.id for r in res.counted] == ["o"] and res.superseded_by == {}


def test_retire_refuses_bad_ids_missing_runs_empty_reasons_and_twice(
    make_record: Factory, tmp_path: Path,
) -> None:
    results = _folder(tmp_path, make_record, "run-1")
    for bad in ("../run-1", "run 1", "", ".hidden"):
        with pytest.raises(JournalError, match="not a run id"):
            retire(results, bad, "why")
    with pytest.raises(JournalError, match="no record"):
        retire(results, "run-2", "why")
    with pytest.raises(JournalError, match="reason"):
        retire(results, "run-1", "  ")
    retire(results, "run-1", "why")
    with pytest.raises(JournalError, match="already retired"):
        retire(results, "run-1", "again")
    with pytest.raises(JournalError, match="not retired"):
        unretire(results, "run-9")


def test_a_retired_folder_that_is_a_link_is_refused(make_record: Factory, tmp_path: Path) -> None:
    results = _folder(tmp_path / "results", make_record, "run-1")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, results / "retired")
    with pytest.raises(RetirementError, match="symbolic link"):
        retire(results, "run-1", "why")
    assert list(outside.iterdir()) == []
    retirements, errors = load_retirements(results)
    assert retirements == {} and len(errors) == 1
    (results / "retired").unlink()
    (results / "retired").write_text("not a folder")
    with pytest.raises(RetirementError, match="is a file"):
        retire(results, "run-1", "why")


@pytest.mark.parametrize("text,field", [
    ("run: other\nreason: x\nat: 2026-11-30T12:00:00Z\n", "run"),
    ("run: run-1\nreason: ''\nat: 2026-11-30T12:00:00Z\n", "reason"),
    ("run: run-1\nreason: x\nat: yesterday\n", "at"),
    ("run: run-1\nreason: x\nat: 2026-11-30T12:00:00\n", "at"),
    ("- a list\n", None),
    ("run: [unclosed\n", None),
])
def test_bad_retirement_files_are_errors_naming_the_field(
    tmp_path: Path, text: str, field: str | None,
) -> None:
    (tmp_path / "retired").mkdir()
    (tmp_path / "retired" / "run-1.yml").write_text(text, encoding="utf-8")
    (tmp_path / "retired" / "run-2.yml").write_text("run: run-2\nreason: fine\nat: 2026-11-30T12:00:00Z\n")
    retirements, errors = load_retirements(tmp_path)
    assert list(retirements) == ["run-2"]
    assert len(errors) == 1 and errors[0].field == field and errors[0].path.name == "run-1.yml"


def test_restrict_keeps_the_folder_wide_decision(make_record: Factory) -> None:
    day1 = run(make_record, "d1", 0, 0)
    day2 = run(make_record, "d2", 0, 24 * 60)
    res = resolve([day1, day2]).restrict([day1])
    assert res.counted == [] and res.excluded == [(day1, "superseded by d2")]


@pytest.mark.slow
def test_two_real_fas_kd_jobs_train_one_teacher_per_seed_that_counts_once(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """`journal run fas_kd` then `journal run fas_kd --set kd=feature`: the second job trains the
    teacher and the no-KD student again with the same configs; each supersedes the first, and n
    stays 1 per seed."""
    from conftest import run_cli
    from journal.records import load_records

    args = ("fas_kd", "--seeds", "0", "--set", "epochs=1", "--set", "n_train=64", "--set", "n_val=32",
            "--set", "n_test=64")
    results = run_cli(tmp_path_factory, *args)
    second = run_cli(tmp_path_factory, *args, "--set", "kd=feature")
    for path in second.glob("*.json"):
        path.rename(results / path.name)
    records, errors = load_records(results)
    assert errors == []
    teachers = [r for r in records if r.variant.startswith("teacher")]
    assert len(teachers) == 2 and identity_of(teachers[0]) == identity_of(teachers[1])
    res = resolve(records)
    assert [r.variant.startswith("teacher") for r in res.counted].count(True) == 1
    # the no-KD student of the second job is the first job's student again (its name carries no
    # kd=feature tag, its config is the same): it supersedes it too
    assert sorted(r.variant.split(" · ")[0] for r, _ in res.excluded) == ["student", "teacher"]
    assert all(why.startswith("superseded by ") for _, why in res.excluded)
