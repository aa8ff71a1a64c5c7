"""Nothing lost, nothing broken: kills, concurrency, fuzzed record files, hostile strings."""

from __future__ import annotations

import json
import math
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journal import analysis as an
from journal.cli import main
from journal.errors import RecordError
from journal.records import Record, load_records, read_record, write_record
from journal.render import build_posts

Factory = Callable[..., Record]

WRITER = textwrap.dedent(
    """
    import random, sys, time, journal
    rng = random.Random(int(sys.argv[2]))
    with journal.start_run("exp", results_dir=sys.argv[1], seed=int(sys.argv[2]),
                           config={"lr": 0.1, "note": "x" * rng.randint(0, 5000)}) as run:
        for epoch in range(1, 100_000):
            run.log(epoch=epoch, loss=rng.random(), **{f"m{i}": rng.random() for i in range(20)})
            if rng.random() < 0.3:
                run.note("line " * rng.randint(1, 200))
            time.sleep(rng.random() * 0.01)
    """
)


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_broken_record(tmp_path: Path) -> None:
    rng = random.Random(1234)
    kills, records = 0, 0
    for batch in range(13):  # 13 batches × 4 processes = 52 kills
        procs = []
        for k in range(4):
            folder = tmp_path / f"{batch}-{k}"
            procs.append(
                (
                    folder,
                    subprocess.Popen(
                        [sys.executable, "-c", WRITER, str(folder), str(batch * 4 + k)],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    ),
                )
            )
        for folder, proc in procs:
            deadline = time.monotonic() + 60
            while not list(folder.glob("*.json")) and time.monotonic() < deadline:
                time.sleep(0.01)  # the run has started writing
            time.sleep(rng.random() * 0.3)  # then die at a random moment of its writes
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
            kills += 1
            files = list(folder.glob("*.json"))
            assert len(files) == 1
            rec = read_record(files[0])  # valid JSON and a valid record, whatever the moment
            assert rec.status == "running" and rec.updated_at >= rec.started_at
            records += len(rec.history) > 0
    assert kills >= 50
    assert records >= 25  # most kills hit a run in the middle of its epochs


def test_stale_running_records_are_shown_as_stale(make_record: Factory) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=5)
    rec = make_record(status="running", ended_at=None, started_at=long_ago)
    assert an.display_status(rec) == "stale"
    assert (
        an.display_status(make_record(status="running", ended_at=None, started_at=datetime.now(UTC)))
        == "running"
    )
    (post,) = build_posts([rec])
    assert "stale&#58; running, no update since" in post.markdown and "status: stale." in post.markdown


STARTER = textwrap.dedent(
    """
    import sys, time, journal
    start = float(sys.argv[2])
    while time.time() < start:
        time.sleep(0.001)
    with journal.start_run("exp", results_dir=sys.argv[1], seed=int(sys.argv[3])) as run:
        for epoch in range(1, 4):
            run.log(epoch=epoch, loss=1.0 / epoch)
    """
)


@pytest.mark.slow
def test_sixteen_runs_started_at_once_write_sixteen_records(tmp_path: Path) -> None:
    start = time.time() + 3.0  # all processes are up and waiting by then
    procs = [
        subprocess.Popen([sys.executable, "-c", STARTER, str(tmp_path), str(start), str(i)])
        for i in range(16)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0] * 16
    records, errors = load_records(tmp_path)
    assert errors == [] and len(records) == 16
    assert len({r.id for r in records}) == 16 and sorted(r.seed for r in records) == list(range(16))
    assert all(r.status == "finished" and len(r.history) == 3 for r in records)


SAME_ID = textwrap.dedent(
    """
    import sys, time, journal
    with journal.start_run("exp", results_dir=sys.argv[1], run_id="the-id", seed=int(sys.argv[2])) as run:
        time.sleep(1.0)
        run.log(epoch=1, loss=0.5)
    """
)


@pytest.mark.slow
def test_two_processes_cannot_share_a_run_id(tmp_path: Path) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", SAME_ID, str(tmp_path), str(i)], stderr=subprocess.PIPE, text=True
        )
        for i in range(2)
    ]
    results = [(p.wait(timeout=60), p.stderr.read() if p.stderr else "") for p in procs]
    assert sorted(code for code, _ in results) == [0, 1]
    refused = next(err for code, err in results if code == 1)
    assert "already exists; runs are never overwritten" in refused
    rec = read_record(tmp_path / "the-id.json")
    assert rec.status == "finished" and len(rec.history) == 1  # the winner's record is intact


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)


def _valid(make_record: Factory) -> dict[str, Any]:
    return json.loads(make_record().to_json())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_fuzzed_records_are_read_or_refused_with_the_file_named(
    tmp_path: Path, make_record: Factory, data: st.DataObject
) -> None:
    record = _valid(make_record)
    field = data.draw(st.sampled_from(sorted(record)))
    action = data.draw(st.sampled_from(["drop", "replace", "nest"]))
    if action == "drop":
        del record[field]
    elif action == "replace":
        record[field] = data.draw(json_values)
    elif isinstance(record[field], dict) and record[field]:
        key = data.draw(st.sampled_from(sorted(record[field])))
        record[field][key] = data.draw(json_values)
    path = tmp_path / "fuzzed.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    try:
        rec = read_record(path)
    except RecordError as exc:
        assert str(exc).startswith(f"{path}")
        assert exc.field is None or exc.field.split(".")[0] in {*record, field, "(record)", "schema"}
    else:
        assert rec.to_json()  # anything accepted can be written back


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300))
def test_arbitrary_bytes_never_crash_the_reader(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bytes.json"
    path.write_bytes(content)
    with pytest.raises(RecordError) as info:
        read_record(path)
    assert info.value.path == path


def test_huge_series_and_non_finite_values_are_fine(tmp_path: Path, make_record: Factory) -> None:
    from journal.records import EpochRow

    rec = make_record(
        history=[
            EpochRow(epoch=e, loss=math.nan if e % 7 == 0 else 1 / e, up=math.inf) for e in range(1, 20_001)
        ]
    )
    path = write_record(rec, tmp_path, create=True)
    back = read_record(path)
    assert len(back.history) == 20_000 and math.isnan(back.history[6].values()["loss"])


def test_unwritable_results_folder_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = CliRunner().invoke(main, ["run", "fas_kd", "--results", str(blocker / "results")])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: results folder {blocker / 'results'} is not writable: ")
    assert result.output.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_hostile_strings_never_leave_their_folders(tmp_path: Path, make_record: Factory) -> None:
    from journal.render import write_posts

    rec = make_record(
        experiment="../../etc/evil",
        variant="../x|<b>{{ y }}",
        config={"path": "../../etc/passwd", "html": "<script>alert(1)</script>"},
    )
    posts = build_posts([rec])
    written = write_posts(posts, tmp_path / "out")
    assert all((tmp_path / "out") in p.resolve().parents for p in written)
    assert all(".." not in name and not name.startswith("/") for post in posts for name in post.assets)
