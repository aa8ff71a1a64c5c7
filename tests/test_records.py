"""The record contract: round trips, validation errors that name file and field, safe writes."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from journal.errors import RecordError, RecordExistsError
from journal.records import (
    SCHEMA_VERSION,
    Record,
    load_records,
    new_run_id,
    read_record,
    write_record,
)

Factory = Callable[..., Record]
FIXTURES = Path(__file__).parent / "fixtures"


def test_round_trip_keeps_nan_and_inf(tmp_path: Path, make_record: Factory) -> None:
    rec = make_record(metrics={"loss": math.nan, "up": math.inf, "down": -math.inf, "acer": 0.1})
    path = write_record(rec, tmp_path, create=True)
    raw = json.loads(path.read_text())  # strict JSON: the standard parser reads it
    assert raw["metrics"]["loss"] == "NaN" and raw["metrics"]["up"] == "Infinity"
    back = read_record(path)
    assert math.isnan(back.metrics["loss"]) and back.metrics["up"] == math.inf
    assert back.metrics["down"] == -math.inf and back.metrics["acer"] == 0.1
    assert back.history[0].values() == rec.history[0].values()
    assert back.to_json() == rec.to_json()


def test_bare_nan_from_other_writers_is_accepted(tmp_path: Path, make_record: Factory) -> None:
    data = json.loads(make_record().to_json())
    data["metrics"]["acer"] = math.nan
    path = tmp_path / "x.json"
    path.write_text(json.dumps(data))  # Python's json writes a bare NaN
    assert "NaN" in path.read_text()
    assert math.isnan(read_record(path).metrics["acer"])


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "bad.json"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


@pytest.mark.parametrize(
    ("mutate", "field", "cause"),
    [
        (lambda d: d.update(seed="zero"), "seed", "integer"),
        (lambda d: d.update(seed=True), "seed", "a seed must be an integer, not True"),
        (lambda d: d.update(seed="7"), "seed", "not '7'"),
        (lambda d: d.update(seed=2**128), "seed", "±2**128"),
        (lambda d: d.update(seed=-(10**400)), "seed", "not a number of 401 digits"),
        (lambda d: d.pop("experiment"), "experiment", "required"),
        (lambda d: d.update(status="done"), "status", "running"),
        (lambda d: d.update(schema=SCHEMA_VERSION + 1), "schema", "newer"),
        (lambda d: d["history"][1].update(val_acer="high"), "history.1.val_acer", "number"),
        (lambda d: d["history"][0].pop("epoch"), "history.0.epoch", "required"),
        (lambda d: d.update(id="../escape"), "id", "letters"),
        (lambda d: d["confusion"].update(matrix=[[1, 2]]), "confusion", "2×2"),
        (lambda d: d.update(status="failed"), "(record)", "error"),
        (lambda d: d.update(started_at="2026-11-23T06:10:00"), "started_at", "time zone"),
        (lambda d: d["metrics"].update(acc=True), "metrics.acc", "not true or false"),
        (lambda d: d["metrics"].update(acc="0.9"), "metrics.acc", "not the text '0.9'"),
        (lambda d: d["selections"]["last"]["test"].update(acer=False), "selections.last.test.acer",
         "not true or false"),
        (lambda d: d.update(experiment="   "), "experiment", "more than spaces"),
        (lambda d: d["metrics"].update(acc="-Infinity!"), "metrics.acc", "not the text"),
        (lambda d: d.update(variant="\t"), "variant", "more than spaces"),
        (lambda d: d.update(ended_at="2026-11-23T06:09:59Z"), "ended_at", "ends before it starts"),
    ],
)
def test_bad_fields_are_named(tmp_path: Path, make_record: Factory, mutate, field, cause) -> None:
    data = json.loads(make_record().to_json())
    mutate(data)
    path = _write(tmp_path, json.dumps(data))
    with pytest.raises(RecordError) as info:
        read_record(path)
    assert info.value.field == field
    assert cause in info.value.cause
    assert str(info.value).startswith(f"{path}: field '{field}': ")


@pytest.mark.parametrize(
    ("content", "cause"),
    [
        (b"", "empty"),
        (b'{"schema": 1, "id": "x", ', "invalid JSON at line 1"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"[1, 2]", "JSON object"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, content: bytes, cause: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(RecordError, match=cause) as info:
        read_record(path)
    assert info.value.path == path and str(path) in str(info.value)


def test_create_refuses_to_overwrite(tmp_path: Path, make_record: Factory) -> None:
    rec = make_record()
    path = write_record(rec, tmp_path, create=True)
    before = path.read_bytes()
    with pytest.raises(RecordExistsError, match="never overwritten"):
        write_record(make_record(variant="other"), tmp_path, create=True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left


def test_update_replaces_atomically(tmp_path: Path, make_record: Factory) -> None:
    rec = make_record(status="running", ended_at=None)
    path = write_record(rec, tmp_path, create=True)
    rec.status = "finished"
    write_record(rec, tmp_path)
    assert read_record(path).status == "finished"
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_load_records_keeps_good_and_reports_bad(tmp_path: Path, make_record: Factory) -> None:
    write_record(make_record(seed=0), tmp_path, create=True)
    write_record(make_record(seed=1), tmp_path, create=True)
    (tmp_path / "broken.json").write_text("{")
    records, errors = load_records(tmp_path)
    assert [r.seed for r in records] == [0, 1]
    assert len(errors) == 1 and errors[0].path.name == "broken.json"


def test_a_copied_record_counts_once_and_is_named(tmp_path: Path, make_record: Factory) -> None:
    """The same run id in two files (a copied folder): one run, and one error that names the
    copy, the field and the file the run is in; before, both copies were dropped, each
    "superseded by" itself, with a warning naming no file."""
    from journal.folder import load_journal

    first = write_record(make_record(seed=0), tmp_path / "a", create=True)
    copy = tmp_path / "b" / first.name
    copy.parent.mkdir()
    copy.write_bytes(first.read_bytes())
    write_record(make_record(seed=1), tmp_path / "a", create=True)
    journal = load_journal(tmp_path)
    assert len(journal.records) == 2 and len(journal.resolution().counted) == 2
    [error] = journal.errors
    run_id = make_record(seed=0).id
    assert error.path == copy and error.field == "id"
    assert str(error) == (f"{copy}: field 'id': run id {run_id} is also the run of {first}, "
                          "written as late or later; this file is an older copy and is not read")
    # the copy written later is the one read, wherever it lies; the older file is named
    newer = make_record(seed=0, updated_at=make_record(seed=0).updated_at + timedelta(hours=1),
                        metrics={"acer": 0.5})
    copy.write_text(newer.to_json())
    journal = load_journal(tmp_path)
    assert [r.metrics.get("acer") for r in journal.records if r.id == run_id] == [0.5]
    assert journal.paths[run_id] == copy
    [error] = journal.errors
    assert error.path == first and f"also the run of {copy}" in str(error)


def test_hidden_folders_hold_no_records(tmp_path: Path, make_record: Factory) -> None:
    """Training state (``.state``) and job logs (``.submitit``) may hold JSON of their own."""
    write_record(make_record(seed=0), tmp_path, create=True)
    sub = tmp_path / "2026" / "fas_kd"
    sub.mkdir(parents=True)
    write_record(make_record(seed=1), sub, create=True)
    for hidden in (".state", ".submitit/123", "2026/.cache"):
        (tmp_path / hidden).mkdir(parents=True)
        (tmp_path / hidden / "optimizer.json").write_text('{"lr": 0.1}')
    (tmp_path / ".half-written.json").write_text("{")
    records, errors = load_records(tmp_path)
    assert sorted(r.seed for r in records) == [0, 1] and errors == []


def test_run_ids_sort_by_time_and_do_not_collide() -> None:
    from datetime import UTC, datetime

    early = new_run_id("fas_kd", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    late = new_run_id("fas_kd", datetime(2026, 1, 2, 3, 4, 6, tzinfo=UTC))
    assert early.startswith("20260102T030405Z-fas_kd-") and early < late
    assert len(early) == len("20260102T030405Z-fas_kd-") + 8
    assert "/" not in new_run_id("../../etc")


def test_reference_page_documents_every_field() -> None:
    page = (Path(__file__).resolve().parents[1] / "docs" / "reference" / "records.md").read_text()
    for name, info in Record.model_fields.items():
        assert f"| `{info.alias or name}` |" in page, f"{info.alias or name} missing from records.md"


def test_a_version_1_record_is_migrated_on_read(tmp_path: Path) -> None:
    """A record written by schema 1 (before launch and interruptions) reads as version 2 and
    writes back as version 2 with nothing else changed."""
    v1 = FIXTURES / "record_v1.json"
    original = json.loads(v1.read_text())
    assert original["schema"] == 1 and "launch" not in original
    record = read_record(v1)
    assert record.schema_version == SCHEMA_VERSION == 2
    assert record.launch is None and record.interruptions == []
    path = write_record(record, tmp_path, create=True)
    again = json.loads(path.read_text())
    assert again["schema"] == 2
    new_only = ("schema", "launch", "interruptions", "updated_at")
    assert {k: v for k, v in again.items() if k not in new_only} == {
        k: v for k, v in original.items() if k not in ("schema", "updated_at")}


def test_numpy_bools_are_not_metrics(make_record: Factory) -> None:
    import numpy as np
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="not true or false"):
        make_record(metrics={"acc": np.bool_(True)})
    assert make_record(metrics={"acc": np.float32(0.5), "n": np.int64(3)}).metrics == {"acc": 0.5, "n": 3.0}


def test_a_seed_is_any_integer_torch_or_numpy_takes(make_record: Factory) -> None:
    import numpy as np

    data = json.loads(make_record().to_json())
    entropy = np.random.SeedSequence().entropy  # up to 128 bits
    for seed in (-(2**63), 0, 2**64 - 1, 2**128 - 1, entropy):
        assert Record.model_validate_json(json.dumps({**data, "seed": seed})).seed == seed
    assert Record.model_validate({**data, "seed": np.int64(7)}).seed == 7
    assert type(Record.model_validate({**data, "seed": np.int64(7)}).seed) is int


def test_a_record_error_survives_pickling(tmp_path: Path) -> None:
    import pickle

    error = RecordError(tmp_path / "x.json", "seed", "a seed must be an integer")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is RecordError and str(again) == str(error)
    assert (again.path, again.field, again.cause) == (error.path, "seed", "a seed must be an integer")
