"""The journal command: exit codes and exact output, with click's CliRunner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from journal import __version__
from journal.cli import main, parse_seeds
from journal.records import Record, write_record

Factory = Callable[..., Record]


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


def _commands() -> list[str]:
    assert isinstance(main, click.Group)
    return sorted(main.commands)


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_help(cli: CliRunner, command: str) -> None:
    result = cli.invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage: main " + command in result.output or f"Usage: journal {command}" in result.output
    assert len(result.output.splitlines()) > 3


def test_version(cli: CliRunner) -> None:
    result = cli.invoke(main, ["--version"])
    assert result.output == f"journal, version {__version__}\n"


def test_unknown_experiment_is_one_line_with_choices(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(main, ["run", "nope", "--results", str(tmp_path)])
    assert result.exit_code == 2
    choices = "fas_kd, finetune, reid_noisy, ser, vad"
    assert result.output == f"journal: error: unknown experiment 'nope'; choose from: {choices}\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("momentum=0.9", "journal: error: --set config key 'momentum': unknown key; valid keys: baseline, "),
        ("lr=fast", "journal: error: --set config key 'lr': expected a number, got 'fast'\n"),
        ("kd=attention",
         "journal: error: --set config key 'kd': 'attention' is not one of: logit, feature, none\n"),
    ],
)
def test_bad_set_is_one_line_exit_2(cli: CliRunner, tmp_path: Path, option: str, message: str) -> None:
    result = cli.invoke(main, ["run", "fas_kd", "--set", option, "--results", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert result.output.startswith(message) and result.output.count("\n") == 1
    assert not (tmp_path / "r").exists()  # nothing written


def test_bad_seeds_and_missing_data_root(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(main, ["run", "fas_kd", "--seeds", "a,b"])
    assert (result.exit_code, result.output) == (
        2, "journal: error: --seeds: expected e.g. 0,1,2 or 0-3, got 'a,b'\n")
    missing = str(tmp_path / "none")
    result = cli.invoke(main, ["run", "fas_kd", "--data-root", missing, "--results", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output == f"journal: error: --data-root {tmp_path / 'none'}: no such folder\n"


def test_parse_seeds() -> None:
    assert parse_seeds("0,1,2,3") == [0, 1, 2, 3]
    assert parse_seeds("0-2,7,1") == [0, 1, 2, 7]


def test_list_shows_runs_and_names_bad_files(cli: CliRunner, tmp_path: Path, make_record: Factory) -> None:
    write_record(make_record(seed=0), tmp_path, create=True)
    write_record(make_record(seed=1, status="interrupted", metrics={}), tmp_path, create=True)
    result = cli.invoke(main, ["list", "--results", str(tmp_path)])
    assert result.exit_code == 0
    assert result.output == (
        "20261123T061000Z-fas_kd-000000  student  seed=0  finished  acer=0.2500\n"
        "20261123T061001Z-fas_kd-000001  student  seed=1  interrupted\n"
    )
    (tmp_path / "zz.json").write_text('{"schema": 1}')
    result = cli.invoke(main, ["list", "--results", str(tmp_path)])
    assert result.exit_code == 1
    assert f"bad record: {tmp_path / 'zz.json'}: field 'id': Field required" in result.output


def test_experiments_lists_config(cli: CliRunner) -> None:
    result = cli.invoke(main, ["experiments"])
    assert result.exit_code == 0
    assert result.output.startswith("fas_kd: Face anti-spoofing")
    assert "  kd = 'logit'  (one of: logit, feature, none)\n" in result.output


def test_render_writes_posts(cli: CliRunner, tmp_path: Path, make_record: Factory) -> None:
    write_record(make_record(), tmp_path / "r", create=True)
    result = cli.invoke(main, ["render", "--results", str(tmp_path / "r"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0
    out = tmp_path / "o"
    assert result.output.splitlines() == [
        str(out / "2026-11-23-fas-kd.md"), str(out / "experiments" / "index.md"),
        str(out / "experiments" / "fas-kd.md")]
    assert "[2026-11-23](../2026-11-23-fas-kd.md)" in (out / "experiments" / "fas-kd.md").read_text()
    assert (tmp_path / "o" / "2026-11-23-fas-kd" / "student-loss.svg").is_file()


def _write_variant(folder: Path, make_record: Factory, name: str, acers: list[float], offset: int) -> None:
    for i, acer in enumerate(acers):
        write_record(make_record(seed=offset + i, id=f"{name}-{i}", variant=name, metrics={"acer": acer}),
                     folder, create=True)


def test_compare_prints_the_sites_statistics(cli: CliRunner, tmp_path: Path, make_record: Factory) -> None:
    _write_variant(tmp_path, make_record, "base", [0.20, 0.22, 0.19, 0.21], 0)
    _write_variant(tmp_path, make_record, "clear", [0.05, 0.06, 0.05, 0.04], 4)
    wide = {"COLUMNS": "200"}
    result = cli.invoke(main, ["compare", "base", "clear", "--results", str(tmp_path)], env=wide)
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.strip().startswith("ACER"))
    assert "0.2050 ± 0.0129" in row and "0.0500 ± 0.0082" in row and "-0.1550" in row
    assert row.rstrip().endswith("beyond seed noise")
    result = cli.invoke(main, ["compare", "base", "nope", "--results", str(tmp_path)])
    assert (result.exit_code, result.output) == (
        2, f"journal: error: no runs of variant 'nope' in {tmp_path}; variants: base, clear\n")


def test_show_prints_one_run(cli: CliRunner, tmp_path: Path, make_record: Factory) -> None:
    write_record(make_record(), tmp_path, create=True)
    result = cli.invoke(main, ["show", "20261123T0610", "--results", str(tmp_path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith("20261123T061000Z-fas_kd-000000  fas_kd · student · seed 0 · finished")
    assert "lr" in out and "0.001" in out and "acer_best" in out and "bona fide" in out
    result = cli.invoke(main, ["show", "zzz", "--results", str(tmp_path)])
    expected = f"journal: error: no run in {tmp_path} with an id starting 'zzz'\n"
    assert (result.exit_code, result.output) == (2, expected)
