"""``journal import …`` and ``journal summary``: thin commands over the importers and the table."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import journal.cli.imports  # noqa: F401  (registers the commands on the group)
from journal.cli import main
from journal.records import Record, load_records, write_record


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_every_command_has_help() -> None:
    code, out, _ = invoke("import", "--help")
    assert code == 0 and out.startswith("Usage: main import") and "journal import csv" in out
    for args in (["import", "tensorboard"], ["import", "mlflow"], ["import", "csv"], ["summary"]):
        code, out, _ = invoke(*args, "--help")
        assert code == 0 and out.startswith("Usage: main ") and "Example" in out


def test_import_csv_then_again_skips(tmp_path: Path) -> None:
    path = tmp_path / "mlp.csv"
    path.write_text("epoch,loss\n0,0.9\n1,0.5\n", encoding="utf-8")
    results = tmp_path / "results"
    code, out, err = invoke("import", "csv", str(path), "--results", str(results),
                            "--experiment", "digits", "--seed", "2", "--epoch-offset", "1")
    assert code == 0, err
    (rec,) = load_records(results)[0]
    assert out == f"{results / rec.id}.json\n"
    assert err == "1 imported, 0 already there\n"
    assert (rec.experiment, rec.variant, rec.seed) == ("digits", "mlp", 2)
    assert [(r.epoch, r.values()) for r in rec.history] == [(1, {"loss": 0.9}), (2, {"loss": 0.5})]
    code, out, err = invoke("import", "csv", str(path), "--results", str(results))
    assert (code, out) == (0, "")
    assert err == f"skipped mlp: already imported as {rec.id}\n0 imported, 1 already there\n"


def test_import_errors_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("epoch,loss\n1,x\n", encoding="utf-8")
    code, _, err = invoke("import", "csv", str(path), "--results", str(tmp_path / "r"))
    assert code == 2
    assert err == f"journal: error: {path.resolve()}: field 'loss': line 2: 'x' is not a number\n"
    code, _, err = invoke("import", "csv", str(path), "--epoch-from", "epochs")
    assert code == 2 and err.startswith("journal: error: epoch mapping 'epochs'")


def test_summary_markdown_and_text(tmp_path: Path, make_record: Callable[..., Record]) -> None:
    results = tmp_path / "results"
    for seed, acer in ((0, 0.2), (1, 0.3)):
        write_record(make_record(id=f"20261123T0610{seed:02d}Z-fas_kd-0000000{seed}", seed=seed,
                                 metrics={"acer": acer}), results, create=True)
    code, out, _ = invoke("summary", "--md", "--results", str(results))
    assert code == 0
    assert out == ("### fas\\_kd\n\n| variant | runs | finished | acer |\n"
                   "| :--- | ---: | ---: | :--- |\n| student | 2 | 2 | 0.2500 ± 0.0707 |\n")
    code, out, _ = invoke("summary", "--results", str(results))
    assert out.splitlines()[:3] == ["fas_kd", "variant  runs  finished  acer",
                                    "student     2         2  0.2500 ± 0.0707"]


@pytest.mark.parametrize("args", [["summary"], ["summary", "--md"]])
def test_summary_of_an_empty_folder(tmp_path: Path, args: list[str]) -> None:
    code, out, err = invoke(*args, "--results", str(tmp_path / "none"))
    assert code == 0 and (out == "No runs.\n" or err.startswith("no runs in"))
