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
    # the split prefix, a name's last word and an operating point do not hide an error rate
    lower = ("test_acer", "val_eer", "test_far", "test_hter", "val_bpcer", "npcer", "error_rate",
             "fpr", "fnr", "val_mse", "cer", "wer", "ppg_mae", "top1_error", "fpr@tpr=0.95",
             "apcer@bpcer=0.01", "val_nll")
    assert {m: goal_of(m) for m in lower} == dict.fromkeys(lower, "min")
    higher = ("test_acc", "val_auc", "tpr@fpr=1e-3", "macro_f1", "r1", "test_map", "pearson_r",
              "tpr_at_fpr", "tar_at_far", "recall_at_fpr")  # after _at_: the condition
    assert goal_of("word_error_rate") == goal_of("fpr_at_tpr95") == "min"
    assert {m: goal_of(m) for m in higher} == dict.fromkeys(higher, "max")
    assert Declaration(key_metric="acc", goal="min").goal_for("acc") == "min"
    assert Declaration(key_metric="acc", goal="min").goal_for("acer") == "min"
    assert Declaration(key_metric="acc", goal="min").goal_for("ua") == "max"


def _rows(markdown: str) -> dict[str, str]:
    """Ranking-table rows by their variant cell (the second column; the first is the rank)."""
    return {line.split(" | ")[1]: line for line in markdown.splitlines()
            if line.startswith("| ") and (line.split(" | ")[0].strip("| ").isdigit()
                                          or line.startswith("| — |"))}


def test_overview_ranks_variants_over_all_days(records: list[Record]) -> None:
    day2 = (T0 + timedelta(days=1)).date()
    links = {("fas_kd", T0.date()): "../p/day1.md", ("fas_kd", day2): "../p/day2.md"}
    page = render_overview("fas_kd", records, post_links=links)
    md = page.markdown
    rows = _rows(md)
    kd = statistics.mean(ACER["student + KD"]), statistics.stdev(ACER["student + KD"])
    assert f"{100 * kd[0]:.2f}\u00a0±\u00a0{100 * kd[1]:.2f}" == "21.00\u00a0±\u00a01.00"  # percent
    assert "21.00\u00a0±\u00a01.00" in rows["student + KD"]
    assert "| 3 |" in rows["student + KD"]  # three seeds over two days
    assert "[2026-11-23](../p/day1.md), [2026-11-24](../p/day2.md)" in rows["student + KD"]
    # sorted by the key metric, best first; the teacher leads beyond seed noise, n=2: starred
    assert list(rows) == ["**★ teacher**", "student + KD", "student"]
    assert rows["**★ teacher**"].startswith("| 1 |")
    assert "Ranked by test ACER (lower is better). ★ teacher is best:" in md
    assert '<div class="journal-overview" hidden></div>' in md
    (chart,) = page.assets
    svg = page.assets[chart].decode()
    assert chart == "fas-kd/acer-by-variant.svg" and all(v in svg for v in ("student + KD", "teacher"))


def test_an_upper_bound_is_shown_but_never_starred(records: list[Record]) -> None:
    declaration = Declaration(roles={"teacher": "upper bound"})
    md = render_overview("fas_kd", records, declaration=declaration).markdown
    rows = _rows(md)
    assert rows["teacher"].startswith("| — | teacher | upper bound |")  # listed, never ranked
    assert not any("★" in name for name in rows)  # KD vs student: within seed noise
    assert "No clear winner" in md and "within seed noise" in md


def test_a_prefixed_error_rate_ranks_lowest_first(make_record: Factory) -> None:
    runs = [make_record(id=f"{v}-{seed}", variant=v, seed=seed, started_at=T0 + timedelta(minutes=i),
                        metrics={"test_acer": value})
            for i, (v, seed, value) in enumerate([("a", 0, 0.30), ("a", 1, 0.31), ("a", 2, 0.29),
                                                  ("b", 0, 0.10), ("b", 1, 0.11), ("b", 2, 0.12)])]
    md = render_overview("fas_kd", runs).markdown
    assert "Ranked by test&#95;acer (lower is better)." in md  # not "test test_acer"
    assert list(_rows(md)) == ["**★ b**", "a"]  # the ★: beyond seed noise


def test_a_declared_goal_and_key_metric_change_the_ranking(records: list[Record]) -> None:
    page = render_overview("fas_kd", records, declaration=Declaration(key_metric="acer", goal="max"))
    assert "(higher is better)" in page.markdown
    assert list(_rows(page.markdown)) == ["student", "student + KD", "teacher"]
    assert "No clear winner: student − student + KD = +7.00 points" in page.markdown  # within noise


def test_baseline_differences_and_references(records: list[Record]) -> None:
    declaration = Declaration(baseline="student", references={"Paper": {"acer": 0.05, "acc": 0.96}})
    md = render_overview("fas_kd", records, declaration=declaration).markdown
    rows = {line.split(" | ")[0].strip("| "): line for line in md.splitlines() if line.startswith("| ")}
    diff = statistics.mean(ACER["student + KD"]) - statistics.mean(ACER["student"])  # -0.07
    from scipy import stats

    welch = stats.ttest_ind(ACER["student + KD"], ACER["student"], equal_var=False)
    low, high = welch.confidence_interval(0.95)
    row = rows["student + KD"]
    points = [f"{100 * x:+.2f}".replace("-", "−") for x in (diff, low, high)]  # percentage points
    assert (f"| student (baseline) | <code>kd</code> <code>none</code> → <code>logit</code> | "
            f"{points[0]} | [{points[1]},\u00a0{points[2]}] | within seed noise |") in row
    assert rows["teacher"].startswith("| teacher | student (baseline) |")
    assert "student" not in rows  # the baseline is compared with nothing
    ours = statistics.mean(ACER["teacher"])
    assert f"| ours − Paper | {ours - 0.05:+.4f} | {(1 - ours) - 0.96:+.4f} |" in md


def test_posts_compare_with_the_declared_baseline(records: list[Record]) -> None:
    declaration = Declaration(baseline="student")
    posts = build_posts(records, declarations={"fas_kd": declaration})
    day2 = posts[1].markdown  # the baseline did not run that day: its runs come from day 1
    # the headline: n and means over every counted run, differences in percentage points
    assert ("| student + KD | 3 | 21.00 [18.61,\u00a023.58] | student (baseline) | "
            "−7.00 [−25.91,\u00a0+11.91] "
            "| within seed noise |") in day2
    assert "| teacher (upper bound) | 2 | 9.00 [2.03,\u00a031.81] | student (baseline) |" in day2
    assert ("Changed from the baseline, student: <code>kd</code> <code>none</code> → "
            "<code>logit</code>.") in day2
    assert "Role: upper bound (shown, not ranked). Same hyperparameters as the baseline, student." in day2
    assert "The baseline of this experiment." in posts[0].markdown
    # the verdict is the overview's: KD against the baseline is within seed noise
    assert "No clear winner: student + KD − student = −7.00 points [−25.91,\u00a0+11.91]" in day2
    assert "count every counted run of a variant, on any day" in day2  # KD ran on both days


def test_index_lists_each_experiment_with_its_best(records: list[Record], make_record: Factory) -> None:
    other = make_record(id="ser-0", experiment="ser", metrics={"ua": 0.6})
    page = render_index([*records, other],
                        declarations={"fas_kd": Declaration(roles={"teacher": "candidate"})})
    best = "★ teacher: ACER 9.00\u00a0±\u00a01.41\u00a0%"
    assert f"| [fas&#95;kd](fas-kd.md) | 7 | 3 | 2 | 2026-11-24 | {best} |" in page.markdown
    # one seed is no winner
    assert "| [ser](ser.md) | 1 | 1 | 1 | 2026-11-23 | no clear winner |" in page.markdown
    # the bundled declaration of fas_kd makes the teacher an upper bound: not starred
    bundled = render_index([*records, other]).markdown
    assert "| [fas&#95;kd](fas-kd.md) | 7 | 3 | 2 | 2026-11-24 | no clear winner |" in bundled


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


def test_the_chart_of_many_variants_draws_the_best_and_every_baseline(make_record: Factory) -> None:
    """25 candidates and a baseline that ranks last: the table ranks all 26, the chart draws the
    best CHART_BARS − 1 candidates and the baseline, and its title says so."""
    from journal.render.overview import CHART_BARS

    records = [make_record(id=f"v{i:02d}-{seed}", variant=f"v{i:02d}", seed=seed,
                           config={"lr": i}, metrics={"acer": 0.01 * i + 0.001 * seed},
                           started_at=T0 + timedelta(minutes=2 * i + seed))
               for i in range(1, 26) for seed in (0, 1)]
    records += [make_record(id=f"base-{seed}", variant="base", seed=seed, config={"lr": 99},
                            metrics={"acer": 0.9}, started_at=T0 + timedelta(hours=1, minutes=seed))
                for seed in (0, 1)]
    page = render_overview("fas_kd", records, declaration=Declaration(baseline="base"))
    assert len(_rows(page.markdown)) == 26
    (svg,) = [s.decode() for s in page.assets.values()]
    drawn = [f"v{i:02d}" for i in range(1, 26) if f">v{i:02d}<" in svg]
    assert drawn == [f"v{i:02d}" for i in range(1, CHART_BARS)]  # the best 19, in rank order
    assert ">base<" in svg
    # the title names no total: a run of a variant outside the chart leaves it as it was
    assert "the best 20 variants (mean ± std over seeds)" in page.markdown
    more = [make_record(id=f"w-{seed}", variant="w", seed=seed, config={"lr": 50},
                        metrics={"acer": 0.5}, started_at=T0 + timedelta(hours=2, minutes=seed))
            for seed in (0, 1)]
    again = render_overview("fas_kd", records + more, declaration=Declaration(baseline="base"))
    assert len(_rows(again.markdown)) == 27 and again.assets == page.assets
