"""A build's memo (``journal serve``): plans and record texts are reused for the same record
objects only, and a reused plan equals a fresh one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from conftest import T0
from journal.comparisons import plan, plan_all
from journal.declarations import Declaration
from journal.memo import Memo
from journal.records import Record

Factory = Callable[..., Record]


def _records(make_record: Factory) -> list[Record]:
    return [make_record(id=f"{variant}-{seed}", variant=variant, seed=seed,
                        config={"lr": 0.1 if variant == "a" else 0.01},
                        metrics={"acer": base + 0.01 * seed},
                        started_at=T0 + timedelta(minutes=10 * seed))
            for variant, base in (("a", 0.3), ("b", 0.2)) for seed in (0, 1, 2)]


def test_a_plan_is_reused_only_for_the_same_records_and_declaration(make_record: Factory) -> None:
    memo, computed = Memo(), []

    def compute(records: list[Record], declaration: Declaration) -> list:
        computed.append(len(records))
        return plan(records, declaration)

    records = _records(make_record)
    first = memo.plan("fas_kd", records, Declaration(), compute)
    assert memo.plan("fas_kd", list(records), Declaration(), compute) is first
    assert computed == [6]
    # an equal record parsed again is another object: computed again (never a stale plan)
    again = [*records[:-1], records[-1].model_copy(update={"metrics": {"acer": 0.05}})]
    changed = memo.plan("fas_kd", again, Declaration(), compute)
    assert computed == [6, 6] and changed == plan(again, Declaration()) != first
    assert changed[0].verdict.best == "b" and changed[0].rows[0].mean < first[0].rows[0].mean
    # another declaration of the same runs: computed again
    memo.plan("fas_kd", again, Declaration(baseline="a"), compute)
    assert computed == [6, 6, 6]


def test_plan_all_with_a_memo_equals_plan_all_without(make_record: Factory) -> None:
    memo = Memo()
    records = _records(make_record)
    assert plan_all(records, memo=memo) == plan_all(records)
    records[0] = records[0].model_copy(update={"metrics": {"acer": 0.01}})
    assert plan_all(records, memo=memo) == plan_all(records)


def test_a_records_text_is_kept_per_object_and_forgotten_when_it_goes(make_record: Factory) -> None:
    memo = Memo()
    record = make_record()
    assert memo.json_of(record) == record.to_json()
    other = record.model_copy(update={"metrics": {"acer": 0.125}})
    assert "0.125" in memo.json_of(other) and "0.125" not in memo.json_of(record)
    memo.retain([other])
    assert list(memo._json) == [id(other)]
