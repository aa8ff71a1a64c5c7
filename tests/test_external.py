"""journal add: results computed elsewhere become ordinary records, metrics recomputed from counts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from journal.cli import main
from journal.metrics import fas_metrics
from journal.records import load_records
from journal.render import build_posts


def _add(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["add", *args, "--results", str(tmp_path)])
    return result.exit_code, result.output


def test_counts_recompute_the_fas_metrics_and_render_in_the_days_post(tmp_path: Path) -> None:
    code, out = _add(
        tmp_path,
        "fas_kd",
        "--counts",
        "15636 1822 38242 2010",
        "--variant",
        "KD+patch",
        "--seed",
        "3",
        "--set",
        "lr=0.001",
        "--set",
        "kd=logit",
        "--date",
        "2025-08-01T10:41Z",
    )
    assert code == 0 and out.strip().endswith(".json")
    (rec,), errors = load_records(tmp_path)
    assert errors == []
    assert rec.metrics == pytest.approx(fas_metrics(tp=15636, fn=1822, tn=38242, fp=2010))
    assert rec.metrics["far"] == pytest.approx(2010 / (2010 + 38242))  # attacks accepted, never swapped
    assert rec.confusion is not None and rec.confusion.matrix == [[38242, 2010], [1822, 15636]]
    assert rec.config == {"lr": 0.001, "kd": "logit"} and rec.seed == 3 and rec.status == "finished"
    (post,) = build_posts([rec])
    assert post.day.isoformat() == "2025-08-01"
    row = re.search(r'<th scope="row">bona fide</th>(.*?)</tr>', post.markdown)
    assert row is not None  # bona fide rejected (FN), then bona fide accepted (TP)
    assert re.findall(r">(?:<strong>)?(\d+)(?:</strong>)?<br>", row.group(1)) == ["1822", "15636"]


def test_a_confusion_matrix_gives_the_per_class_report(tmp_path: Path) -> None:
    code, _ = _add(
        tmp_path, "ser", "--confusion", "1550 393 0; 834 1311 0; 101 305 0", "--labels", "正向,中性,负向"
    )
    assert code == 0
    (rec,), _ = load_records(tmp_path)
    assert round(rec.metrics["wa"], 3) == 0.637
    assert round(rec.per_class["正向"]["precision"], 3) == 0.624 and rec.per_class["负向"]["support"] == 406


def test_a_vector_is_taken_as_given_in_the_declared_order(tmp_path: Path) -> None:
    code, _ = _add(tmp_path, "fas_kd", "--vector", "[0.92296, 0.063972, 0.107171]", "--order", "acc,far,frr")
    assert code == 0
    (rec,), _ = load_records(tmp_path)
    assert rec.metrics == {"acc": 0.92296, "far": 0.063972, "frr": 0.107171}
    assert rec.checkpoint == "last"


def test_the_checkpoint_of_added_numbers_is_kept(tmp_path: Path) -> None:
    code, out = _add(tmp_path, "ser", "--vector", "[0.61]", "--order", "ua", "--checkpoint", "ua_best")
    assert code == 0, out
    (rec,), _ = load_records(tmp_path)
    assert rec.checkpoint == "ua_best"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--counts", "1 2 3"],
         "journal: error: --counts: expected four non-negative integers 'TP FN TN FP'\n"),
        ([], "journal: error: give exactly one of --counts, --confusion or --vector\n"),
        (
            ["--counts", "1 2 3 4", "--vector", "0.5", "--order", "acc"],
            "journal: error: give exactly one of --counts, --confusion or --vector\n",
        ),
        (["--vector", "0.5 0.6", "--order", "acc"], "journal: error: --order: 1 names for 2 values\n"),
        (
            ["--confusion", "1 2; 3"],
            "journal: error: --confusion: expected a square matrix with rows separated by ';', "
            "got '1 2; 3'\n",
        ),
        (["--counts", "1 2 3 4", "--checkpoint", " "], "journal: error: --checkpoint: must not be empty\n"),
        (
            ["--counts", "1 2 3 4", "--date", "yesterday"],
            "journal: error: --date: expected an ISO date such as 2025-08-01T10:41Z, got 'yesterday'\n",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    code, out = _add(tmp_path / "r", "fas_kd", *args)
    assert (code, out) == (2, message)
    assert not (tmp_path / "r").exists()
