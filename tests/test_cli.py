"""The journal command: exit codes and exact output, with click's CliRunner."""

from __future__ import annotations

import errno
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import journal as journal_package
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
        "id                              experiment  variant  seed  status         acer\n"
        "20261123T061000Z-fas_kd-000000  fas_kd      student     0  finished     0.2500\n"
        "20261123T061001Z-fas_kd-000001  fas_kd      student     1  interrupted       —\n"
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
    # an 80-column terminal: every metric's name stays readable (rich squeezed it to nothing)
    narrow = cli.invoke(main, ["compare", "base", "clear", "--results", str(tmp_path)],
                        env={"COLUMNS": "80"})
    assert narrow.exit_code == 0 and max(map(len, narrow.output.splitlines())) <= 80
    [row] = [line for line in narrow.output.splitlines() if line.strip().startswith("ACER")]
    assert "0.2050 ±" in row and "0.0500 ±" in row and "-0.1550" in row and "beyond" in row
    result = cli.invoke(main, ["compare", "base", "nope", "--results", str(tmp_path)])
    assert (result.exit_code, result.output) == (
        2, f"journal: error: no runs of variant 'nope' in {tmp_path}; variants: base, clear\n")


def test_compare_shows_no_difference_for_a_metric_a_side_has_no_value_of(
        cli: CliRunner, tmp_path: Path, make_record: Factory) -> None:
    from journal.comparisons import compare_pair
    from journal.records import Confusion

    # base: tpr@fpr=1e-3 from 275 attacks is n/a; eer only by a failed run; clear resolves both
    few = Confusion(labels=["attack", "bona fide"], matrix=[[270, 5], [10, 90]])
    many = Confusion(labels=["attack", "bona fide"], matrix=[[9990, 10], [10, 90]])
    records = [make_record(seed=i, id=f"base-{i}", variant="base", confusion=few,
                           metrics={"acer": acer, "tpr@fpr=1e-3": tpr})
               for i, (acer, tpr) in enumerate([(0.20, 0.50), (0.22, 0.60), (0.21, 0.55)])]
    records.append(make_record(seed=3, id="base-3", variant="base", status="failed", error="boom",
                               confusion=few, metrics={"acer": 0.5, "eer": 0.1}))
    records += [make_record(seed=4 + i, id=f"clear-{i}", variant="clear", confusion=many,
                            metrics={"acer": acer, "tpr@fpr=1e-3": tpr, "eer": eer})
                for i, (acer, tpr, eer) in enumerate([(0.05, 0.70, 0.04), (0.06, 0.72, 0.05),
                                                      (0.04, 0.71, 0.06)])]
    for record in records:
        write_record(record, tmp_path, create=True)

    [rows] = compare_pair(records[:4], records[4:]).values()
    by_metric = {row.metric: row for row in rows}
    acer = by_metric["acer"].difference
    assert acer is not None and round(acer.diff, 4) == -0.16 and acer.within_noise is False
    assert (by_metric["tpr@fpr=1e-3"].difference, by_metric["tpr@fpr=1e-3"].missing) == (None, "n/a")
    assert (by_metric["eer"].difference, by_metric["eer"].missing) == (None, "—")

    result = cli.invoke(main, ["compare", "base", "clear", "--results", str(tmp_path)],
                        env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    [acer_row] = [line.split() for line in lines if line.strip().startswith("ACER")]
    assert "-0.1600" in acer_row and " ".join(acer_row).endswith("beyond seed noise")
    [tpr_row] = [line.split() for line in lines if line.strip().startswith("tpr@fpr=1e-3")]
    assert tpr_row == ["tpr@fpr=1e-3", "n/a", "3", "0.7100", "±", "0.0100", "[0.6846,", "0.7343]",
                       "3", "n/a", "n/a", "n/a"]
    [eer_row] = [line.split() for line in lines if line.strip().startswith("eer")]
    assert eer_row == ["eer", "—", "0", "0.0500", "±", "0.0100", "[0.0296,", "0.0811]", "3",
                       "—", "—", "—"]

    md = cli.invoke(main, ["compare", "base", "clear", "--md", "--results", str(tmp_path)])
    assert md.exit_code == 0, md.output
    cells = {line.split(" | ")[0]: line.split(" | ")[5:] for line in md.output.splitlines()[4:]}
    assert cells["| acer"] == ["-0.1600", "\\[-0.1827, -0.1373\\]", "beyond seed noise |"]
    assert cells["| tpr@fpr=1e-3"] == ["n/a", "n/a", "n/a |"]
    assert cells["| eer"] == ["—", "—", "— |"]


def test_compare_says_when_the_two_were_measured_at_different_checkpoints(
        cli: CliRunner, tmp_path: Path, make_record: Factory) -> None:
    from journal.comparisons import compare_pair

    base = [make_record(seed=i, id=f"base-{i}", variant="base", checkpoint="last",
                        metrics={"acer": v}) for i, v in enumerate([0.20, 0.22, 0.21])]
    best = [make_record(seed=3 + i, id=f"best-{i}", variant="best", checkpoint="acer_best",
                        metrics={"acer": v}) for i, v in enumerate([0.05, 0.06, 0.04])]
    for record in [*base, *best]:
        write_record(record, tmp_path, create=True)
    [[row]] = compare_pair(base, best).values()
    assert row.checkpoints == (("last",), ("acer_best",))
    assert row.verdict == "beyond seed noise (checkpoints differ)"
    md = cli.invoke(main, ["compare", "base", "best", "--md", "--results", str(tmp_path)])
    assert md.exit_code == 0, md.output
    assert md.output.splitlines()[-1].endswith(" | beyond seed noise (checkpoints differ) |")
    shown = cli.invoke(main, ["compare", "base", "best", "--results", str(tmp_path)],
                       env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines()[-1] == ("† measured at different checkpoints (base: last; best: "
                                             "acer_best), so the difference is not the variants' alone")
    assert "beyond seed noise †" in shown.output
    same = [r.model_copy(update={"checkpoint": "last"}) for r in best]
    [[row]] = compare_pair(base, same).values()
    assert row.verdict == "beyond seed noise"


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


# -- every command fails in one line, and writes nothing when it does ---------------------------
def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


BAD = [
    (["add", "fas_kd", "--counts", "nan 1 2 3"], "--counts: numbers must be finite, got 'nan'"),
    (["add", "fas_kd", "--counts", "inf 1 2 3"], "--counts: numbers must be finite, got 'inf'"),
    (["add", "fas_kd", "--counts", "1e400 1 2 3"], "--counts: numbers must be finite, got '1e400'"),
    (["add", "fas_kd", "--counts", "1.5 1 2 3"],
     "--counts: expected four non-negative integers 'TP FN TN FP'"),
    (["add", "fas_kd", "--confusion", "1 nan; 2 3"], "--confusion: numbers must be finite, got 'nan'"),
    (["add", "", "--counts", "1 2 3 4"], "EXPERIMENT: must not be empty"),
    (["add", "fas_kd", "--variant", " ", "--counts", "1 2 3 4"], "--variant: must not be empty"),
    (["add", "fas_kd", "--variant", "a\nb", "--counts", "1 2 3 4"],
     "--variant: 'a\\nb' holds control characters or line breaks"),
    (["add", "fas_kd", "--vector", "0.5", "--order", ""], "--order: must not be empty"),
    (["add", "fas_kd", "--counts", "1 2 3 4", "--date", "9999-12-31T23:59:59-01:00"],
     "--date: '9999-12-31T23:59:59-01:00' lies outside the years 1 … 9999 in UTC"),
    (["add", "fas_kd", "--counts", "1 2 3 4", "--date", "0001-01-01T00:00:00+01:00"],
     "--date: '0001-01-01T00:00:00+01:00' lies outside the years 1 … 9999 in UTC"),
    (["add", "fas_kd", "--counts", "1 2 3 4", "--seed", "99999999999"],
     "Invalid value for '--seed': 99999999999 is not in the range 0<=x<=4294967295. "
     "(see 'main add --help')"),
    (["run", "fas_kd", "--set", "weight_decay=-1"],
     "--set config key 'weight_decay': must not be negative, got -1.0"),
    (["run", "fas_kd", "--set", "device=garbage"],
     "--set config key 'device': 'garbage' is not a device; use auto, cpu, cuda, cuda:N or mps"),
    (["run", "fas_kd", "--set", "epochs=99999999999"],
     "--set config key 'epochs': must be at most 2147483647 in size, got 99999999999"),
    (["run", "fas_kd", "--seeds", "99999999999999999999"],
     "--seeds: seeds lie in 0 … 4294967295, got 99999999999999999999"),
    (["run", "fas_kd", "--seeds", "0-1000000000"],
     "--seeds: at most 10,000 seeds per command, got more in '0-1000000000'"),
    (["sweep", "fas_kd", "--grid", "lr=1,2", "--seeds", "0-9999"],
     "the sweep asks for 20,000 runs (grid points × seeds); at most 10,000 per sweep"),
    (["run"], "Missing argument 'EXPERIMENT'. (see 'main run --help')"),
    (["run", "fas_kd", "--nope"], "No such option '--nope'. (see 'main run --help')"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a)[:40] for a, _ in BAD])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    cli: CliRunner, tmp_path: Path, args: list[str], message: str
) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "keep.txt").write_text("")
    started = time.monotonic()
    result = cli.invoke(main, [*args, "--results", str(results)] if len(args) > 1 else args)
    assert time.monotonic() - started < 10  # refused at once, not after expanding a range
    assert result.exit_code == 2
    assert result.stderr == f"journal: error: {message}\n"
    assert result.stdout == ""
    assert _tree(results) == ["keep.txt"]


def test_sweep_file_with_binary_content(cli: CliRunner, tmp_path: Path) -> None:
    sweep = tmp_path / "kd.yml"
    sweep.write_bytes(b"grid:\n  kd: [\xff\xfe\x00\x01]\n")
    result = cli.invoke(main, ["sweep", "--file", str(sweep), "--results", str(tmp_path / "r")])
    assert (result.exit_code, result.stderr) == (
        2, f"journal: error: {sweep}: the sweep file is not UTF-8 text (byte 13)\n")
    assert not (tmp_path / "r").exists()


def test_full_folder_is_one_line(cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "x.json"))

    monkeypatch.setattr("journal.external.write_record", full)
    result = cli.invoke(main, ["add", "fas_kd", "--counts", "1 2 3 4", "--results", str(tmp_path)])
    assert (result.exit_code, result.stderr) == (
        2, f"journal: error: {tmp_path / 'x.json'}: No space left on device\n")


def test_unexpected_error_is_one_line_unless_debugging(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("journal.external.add_run", boom)
    args = ["add", "fas_kd", "--counts", "1 2 3 4", "--results", str(tmp_path)]
    result = cli.invoke(main, args)
    assert (result.exit_code, result.stderr) == (
        1, "journal: error: RuntimeError: boom second line (unexpected; JOURNAL_DEBUG=1 shows the "
           "traceback)\n")
    debug = cli.invoke(main, args, env={"JOURNAL_DEBUG": "1"})
    assert isinstance(debug.exception, RuntimeError)


def test_printed_names_cannot_drive_the_terminal(
    cli: CliRunner, tmp_path: Path, make_record: Factory
) -> None:
    name = "v\x1b[2J\x1b]0;owned\x07\nFAKE LINE\r"
    write_record(make_record(variant=name), tmp_path, create=True)
    result = cli.invoke(main, ["list", "--results", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == (
        "20261123T061000Z-fas_kd-000000  fas_kd      v FAKE LINE      0  finished  0.2500")
    assert len(result.stdout.splitlines()) == 2


@pytest.mark.parametrize("name", ["[/]", "[link=https://evil.example]safe[/link]", "[bold red]x", "a[/b]"])
def test_show_and_compare_print_rich_markup_literally(
    cli: CliRunner, tmp_path: Path, make_record: Factory, name: str
) -> None:
    write_record(make_record(seed=0, variant=name, metrics={name: 0.5, "acer": 0.25},
                             config={name: name}), tmp_path, create=True)
    write_record(make_record(seed=1, variant="other", metrics={name: 0.4, "acer": 0.2}), tmp_path,
                 create=True)
    wide = {"COLUMNS": "250"}
    shown = cli.invoke(main, ["show", "20261123T061000Z", "--results", str(tmp_path)], env=wide)
    assert shown.exit_code == 0, shown.output
    assert f"fas_kd · {name} · seed 0" in shown.stdout
    assert shown.stdout.count(name) >= 3  # the variant, the config key and value, the metric
    compared = cli.invoke(main, ["compare", name, "other", "--results", str(tmp_path)], env=wide)
    assert compared.exit_code == 0, compared.output
    assert f"other against {name}" in compared.stdout
    assert compared.stdout.count(name) >= 2  # the title and the column header, as text


def test_list_removes_orphaned_temporary_files(cli: CliRunner, tmp_path: Path) -> None:
    old, fresh = tmp_path / ".x.json.abc.tmp", tmp_path / ".y.json.def.tmp"
    notes = tmp_path / "notes"
    notes.mkdir()
    old_note = notes / ".n.md.ghi.tmp"
    for path in (old, fresh, old_note):
        path.write_text("partial")
    hours_ago = time.time() - 7200
    for path in (old, old_note):
        os.utime(path, (hours_ago, hours_ago))
    result = cli.invoke(main, ["list", "--results", str(tmp_path)])
    assert result.exit_code == 0
    assert not old.exists() and not old_note.exists()
    assert fresh.exists()  # it may be a write in progress


def test_gitignore_of_a_new_journal_ignores_orphans(tmp_path: Path) -> None:
    template = Path(journal_package.__file__).parent / "templates" / "init" / "gitignore"
    (tmp_path / ".gitignore").write_text(template.read_text())
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    paths = ["results/.r.json.abc.tmp", "results/notes/.n.md.abc.tmp", "results/r.json",
             "results/notes/n.md"]
    proc = subprocess.run(["git", "check-ignore", *paths], cwd=tmp_path, capture_output=True,
                          text=True, check=False)
    assert proc.stdout.splitlines() == paths[:2]


def test_note_refuses_a_notes_folder_linked_outside(
    cli: CliRunner, tmp_path: Path, make_record: Factory
) -> None:
    results, outside = tmp_path / "results", tmp_path / "outside"
    outside.mkdir()
    write_record(make_record(), results, create=True)
    (results / "notes").symlink_to(outside, target_is_directory=True)
    result = cli.invoke(main, ["note", "--run", "20261123T0610", "text", "--results", str(results)])
    assert result.exit_code == 2
    assert result.stderr == (f"journal: error: {results / 'notes'}: a symbolic link leads outside "
                             f"the results folder {results} (to {outside}); refusing to write there\n")
    assert list(outside.iterdir()) == []


def test_note_file_with_binary_content(cli: CliRunner, tmp_path: Path, make_record: Factory) -> None:
    write_record(make_record(), tmp_path, create=True)
    binary = tmp_path / "n.md"
    binary.write_bytes(b"ok \xff\xfe")
    result = cli.invoke(main, ["note", "--run", "2026", "--file", str(binary), "--results", str(tmp_path)])
    assert (result.exit_code, result.stderr) == (
        2, f"journal: error: --file {binary}: not UTF-8 text (byte 3)\n")
    assert not (tmp_path / "notes").exists()


def test_a_write_removes_old_orphans_in_its_folder(cli: CliRunner, tmp_path: Path) -> None:
    old, fresh = tmp_path / ".r.json.abc.tmp", tmp_path / ".s.json.def.tmp"
    for path in (old, fresh):
        path.write_text("partial")
    hours_ago = time.time() - 7200
    os.utime(old, (hours_ago, hours_ago))
    result = cli.invoke(main, ["add", "fas_kd", "--counts", "1 2 3 4", "--results", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not old.exists() and fresh.exists()
