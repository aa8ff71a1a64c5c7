"""`journal show`, `journal compare`, posts and overviews give the same n, mean, interval and
verdict for the same runs: a re-run seed counts once, a retired run not at all, and every view
says so."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from scipy import stats

from conftest import T0
from journal.cli import main
from journal.records import Record, write_record

Factory = Callable[..., Record]
ACC = {"student": [0.70, 0.74, 0.72], "student + KD": [0.80, 0.83, 0.81]}


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"COLUMNS": "200"})  # one table row per line
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def results(tmp_path: Path, make_record: Factory) -> Path:
    folder = tmp_path / "results"
    for i, (variant, values) in enumerate(ACC.items()):
        for seed, acc in enumerate(values):
            start = T0 + timedelta(minutes=10 * i + seed)
            write_record(make_record(
                id=f"20261123T06{10 * i + seed:02d}00Z-fas_kd-{i}{seed}aaaaaa", variant=variant,
                seed=seed, started_at=start, ended_at=start + timedelta(seconds=30),
                config={"lr": 0.001, "kd": "logit" if "KD" in variant else "none"},
                metrics={"acc": acc}, selections={}, confusion=None), folder, create=True)
    # seed 0 of the student ran earlier with another result: superseded by the later run
    early = T0 - timedelta(hours=1)
    write_record(make_record(
        id="20261123T051000Z-fas_kd-0bbbbbbb", variant="student", seed=0, started_at=early,
        ended_at=early + timedelta(seconds=30), config={"lr": 0.001, "kd": "none"},
        metrics={"acc": 0.10}, selections={}, confusion=None), folder, create=True)
    # a fourth KD seed, retired with a reason
    late = T0 + timedelta(minutes=40)
    write_record(make_record(
        id="20261123T065000Z-fas_kd-3ccccccc", variant="student + KD", seed=3, started_at=late,
        ended_at=late + timedelta(seconds=30), config={"lr": 0.001, "kd": "logit"},
        metrics={"acc": 0.99}, selections={}, confusion=None), folder, create=True)
    code, out, err = _cli("retire", "20261123T065000Z-fas_kd-3cc", "--reason", "test images leaked",
                          "--results", str(folder))
    assert code == 0, err
    assert out.strip().endswith("retired/20261123T065000Z-fas_kd-3ccccccc.yml")
    return folder


def test_every_view_gives_the_same_numbers(results: Path, tmp_path: Path) -> None:
    a, b = ACC["student"], ACC["student + KD"]
    mean_a, sd_a = statistics.mean(a), statistics.stdev(a)
    mean_b, sd_b = statistics.mean(b), statistics.stdev(b)
    welch = stats.ttest_ind(b, a, equal_var=False)
    low, high = welch.confidence_interval(0.95)
    diff = f"{mean_b - mean_a:+.4f}"
    ci = f"[{low:+.4f}, {high:+.4f}]"
    assert diff == "+0.0933" and low > 0  # beyond seed noise, from 3 seeds each

    code, out, _ = _cli("compare", "student", "student + KD", "--results", str(results))
    assert code == 0
    (row,) = [line for line in out.splitlines() if line.strip().startswith("Acc")]
    cells = row.split()
    assert f"{mean_a:.4f}" in cells and f"{sd_a:.4f}" in cells
    assert f"{mean_b:.4f}" in cells and f"{sd_b:.4f}" in cells
    assert cells.count("3") == 2  # n: three distinct seeds each (not 4, not 4)
    assert diff in cells and " ".join(ci.split()) in row and "beyond seed noise" in row
    interval_a = row[row.index(f"{mean_a:.4f}"):].split("[")[1].split("]")[0]  # the metric's own CI

    code, out, _ = _cli("show", "20261123T051000Z-fas_kd-0b", "--results", str(results))
    assert code == 0
    assert "not counted in seed statistics: superseded by 20261123T060000Z-fas_kd-00aaaaaa" in out
    code, out, _ = _cli("show", "20261123T065000Z-fas_kd-3c", "--results", str(results))
    assert "not counted in seed statistics: retired: test images leaked" in out

    out_dir = tmp_path / "site"
    code, _, err = _cli("render", "--results", str(results), "--out", str(out_dir))
    assert code == 0, err
    (post,) = [p.read_text(encoding="utf-8") for p in out_dir.glob("*.md")]
    nbsp = "\u00a0±\u00a0"
    nbsp1 = "\u00a0"  # inside an interval
    assert f"| **mean ± std (n=3)** |  | **{mean_a:.4f}{nbsp}{sd_a:.4f}** |" in post
    assert f"| [{interval_a}] |" in post  # the student's 95% CI row
    # the headline prints percentages and differences in points: the same numbers
    points = f"+{100 * (mean_b - mean_a):.2f} [+{100 * low:.2f},{nbsp1}+{100 * high:.2f}]"
    assert f"| student (baseline) | {points} | **beyond seed noise** |" in post
    assert f"★ student + KD is best: {points.replace(' [', ' points [')} against student" in post
    assert f"**Acc {100 * mean_a:.2f}{nbsp}{100 * sd_a:.2f}\u00a0% (n=3)**" in post
    assert "superseded by 20261123T060000Z-fas&#95;kd-00aaaaaa" in post
    assert "seed 3 of student + KD: retired&#58; test images leaked" in post
    overview = (out_dir / "experiments" / "fas-kd.md").read_text(encoding="utf-8")
    low_a, high_a = (float(x) for x in interval_a.split(", "))
    ci_a = f"[{100 * low_a:.2f},{nbsp1}{100 * high_a:.2f}]"
    assert f"| {100 * mean_a:.2f}{nbsp}{100 * sd_a:.2f} {ci_a} |" in overview
    assert "| 1 | **★ student + KD** |" in overview and "| 3 |" in overview
    assert "2 more runs are not counted (superseded or retired; see the posts)." in overview


def test_unretire_counts_the_run_again(results: Path) -> None:
    code, out, _ = _cli("unretire", "20261123T065000Z-fas_kd-3ccccccc", "--results", str(results))
    assert code == 0 and out.startswith("removed ")
    code, out, _ = _cli("compare", "student", "student + KD", "--results", str(results))
    (row,) = [line for line in out.splitlines() if line.strip().startswith("Acc")]
    assert "4" in row.split()  # the fourth KD seed counts again
    code, _, err = _cli("unretire", "20261123T065000Z-fas_kd-3ccccccc", "--results", str(results))
    assert code == 2 and err == "journal: error: run 20261123T065000Z-fas_kd-3ccccccc is not retired\n"


def test_compare_refuses_variants_of_different_data_sets(tmp_path: Path, make_record: Factory) -> None:
    from journal.records import Dataset

    folder = tmp_path / "r"
    write_record(make_record(id="20261123T061000Z-fas_kd-aaaaaaaa", variant="tiny run"), folder, create=True)
    write_record(make_record(id="20261123T061100Z-fas_kd-bbbbbbbb", variant="real counts",
                             dataset=Dataset(name="CASIA-SURF", sizes={})), folder, create=True)
    code, _, err = _cli("compare", "tiny run", "real counts", "--results", str(folder))
    assert code == 2
    assert err == ("journal: error: the two variants never ran on the same task and data set "
                   "(first: data set tiny; second: data set CASIA-SURF)\n")
