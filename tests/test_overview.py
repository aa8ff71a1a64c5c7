"""Experiment overviews and declarations: every variant across days, best marked, baseline and
references beside it, numbers checked by hand arithmetic."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import T0
from journal.declarations import Declaration, load_declarations
from journal.errors import FileError
from journal.folder import load_journal
from journal.metrics import goal_of
from journal.records import Record, write_record
from journal.render import build_posts
from journal.render.overview import render_index, render_overview

Factory = Callable[..., Record]
ACER = {"student": [0.30, 0.26], "student + KD": [0.22, 0.20, 0.21], "teacher": [0.08, 0.10]}


@pytest.fixture
def records(make_record: Factory) -> list[Record]:
    """Three variants over two days; the teacher ran on the second day only."""
    out = []
    for variant, values in ACER.items():
        for seed, acer in enumerate(values):
            day = 1 if variant == "teacher" or seed == 2 else 0
            start = T0 + timedelta(days=day, minutes=seed)
            out.append(make_record(
                id=f"{variant.replace(' ', '').replace('+', '-')}-{seed}", variant=variant, seed=seed,
                started_at=start, config={"lr": 0.001, "kd": "logit" if "KD" in variant else "none"},
                metrics={"acer": acer, "acc": 1 - acer}))
    return out


def test_goal_of_metrics() -> None:
    assert [goal_of(m) for m in ("acer", "mae", "val_loss", "HTER", "acc", "ua", "r2", "map")] == [
        "min", "min", "min", "min", "max", "max", "max", "max"]
    assert Declaration(key_metric="acc", goal="min").goal_for("acc") == "min"
    assert Declaration(key_metric="acc", goal="min").goal_for("acer") == "min"
    assert Declaration(key_metric="acc", goal="min").goal_for("ua") == "max"


def test_overview_ranks_variants_over_all_days(records: list[Record]) -> None:
    day2 = (T0 + timedelta(days=1)).date()
    links = {("fas_kd", T0.date()): "../p/day1.md", ("fas_kd", day2): "../p/day2.md"}
    page = render_overview("fas_kd", records, post_links=links)
    md = page.markdown
    rows = {line.split(" | ")[0].strip("| "): line for line in md.splitlines() if line.startswith("| ")}
    kd = statistics.mean(ACER["student + KD"]), statistics.stdev(ACER["student + KD"])
    assert f"{kd[0]:.4f}\u00a0±\u00a0{kd[1]:.4f}" == "0.2100\u00a0±\u00a00.0100"
    assert "0.2100\u00a0±\u00a00.0100" in rows["student + KD"]
    assert "| 3 |" in rows["student + KD"]  # three seeds over two days
    assert "[2026-11-23](../p/day1.md), [2026-11-24](../p/day2.md)" in rows["student + KD"]
    assert "**★ teacher**" in rows  # lowest mean ACER, 0.09
    assert "ranked by test ACER (lower is better); ★ marks the best, teacher." in md
    assert '<div class="journal-overview" hidden></div>' in md
    (chart,) = page.assets
    svg = page.assets[chart].decode()
    assert chart == "fas-kd/acer-by-variant.svg" and all(v in svg for v in ("student + KD", "teacher"))


def test_a_declared_goal_and_key_metric_change_the_best(records: list[Record]) -> None:
    page = render_overview("fas_kd", records, declaration=Declaration(key_metric="acer", goal="max"))
    assert "**★ student**" in page.markdown and "(higher is better)" in page.markdown


def test_baseline_differences_and_references(records: list[Record]) -> None:
    declaration = Declaration(baseline="student", references={"Paper": {"acer": 0.05, "acc": 0.96}})
    md = render_overview("fas_kd", records, declaration=declaration).markdown
    rows = {line.split(" | ")[0].strip("| "): line for line in md.splitlines() if line.startswith("| ")}
    diff = statistics.mean(ACER["student + KD"]) - statistics.mean(ACER["student"])  # -0.07
    assert f"| {diff:+.4f} [" in rows["student + KD"] and "within seed noise" in rows["student + KD"]
    from scipy import stats

    welch = stats.ttest_ind(ACER["student + KD"], ACER["student"], equal_var=False)
    low, high = welch.confidence_interval(0.95)
    assert f"| {diff:+.4f} [{low:+.4f}, {high:+.4f}] |" in rows["student + KD"]
    assert rows["student (baseline)"].endswith("| — | — |")
    ours = statistics.mean(ACER["teacher"])
    assert f"| ours − Paper | {ours - 0.05:+.4f} | {(1 - ours) - 0.96:+.4f} |" in md


def test_posts_compare_with_the_declared_baseline(records: list[Record]) -> None:
    declaration = Declaration(baseline="student")
    posts = build_posts(records, declarations={"fas_kd": declaration})
    day2 = posts[1].markdown  # the baseline did not run that day: its runs come from day 1
    assert "Each variant against the baseline, student:" in day2
    assert "| teacher | student |" in day2
    assert ("Changed from the baseline, student: <code>kd</code> <code>none</code> → "
            "<code>logit</code>.") in day2
    assert "Same hyperparameters as the baseline, student." in day2
    assert "The baseline of this experiment." in posts[0].markdown


def test_index_lists_each_experiment_with_its_best(records: list[Record], make_record: Factory) -> None:
    other = make_record(id="ser-0", experiment="ser", metrics={"ua": 0.6})
    page = render_index([*records, other])
    best = "teacher: ACER 0.0900\u00a0±\u00a00.0141"
    assert f"| [fas&#95;kd](fas-kd.md) | 7 | 3 | 2 | 2026-11-24 | {best} |" in page.markdown
    assert "| [ser](ser.md) | 1 | 1 | 1 | 2026-11-23 | student: UA 0.6000 |" in page.markdown


def test_declarations_file_errors_name_file_and_field(tmp_path: Path, records: list[Record]) -> None:
    for rec in records:
        write_record(rec, tmp_path, create=True)
    path = tmp_path / "experiments.yml"
    path.write_text("fas_kd:\n  goal: lowest\n")
    with pytest.raises(FileError, match=f"{path}: field 'fas_kd.goal': Input should be 'min' or 'max'"):
        load_declarations(tmp_path)
    path.write_text("fas_kd:\n  baseline: studnet\n  key_metric: acer\n  refs: {}\n")
    assert "field 'fas_kd.refs': Extra inputs are not permitted" in str(load_journal(tmp_path).errors[0])
    path.write_text("fas_kd:\n  baseline: studnet\n  key_metric: ACER\n")
    errors = [str(e) for e in load_journal(tmp_path).errors]
    assert errors == [
        f"{path}: field 'fas_kd.baseline': no run of variant 'studnet'; variants: student, "
        "student + KD, teacher",
        f"{path}: field 'fas_kd.key_metric': no run measured 'ACER'; metrics: acc, acer",
    ]
