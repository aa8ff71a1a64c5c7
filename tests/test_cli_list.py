"""`journal list` (header, columns, filters, sorting, formats), `journal tag` and `Run.tag`,
and `journal compare --md`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from pandas.testing import assert_frame_equal

from conftest import REPO
from journal import start_run
from journal.cli import main
from journal.records import Record, Selection, load_records, read_record, write_record
from journal.runs_table import format_table, from_json, runs

GOLDEN = Path(__file__).parent / "fixtures" / "list.md"
T = datetime(2026, 11, 23, 6, 10, tzinfo=UTC)
Factory = Callable[..., Record]


@pytest.fixture
def cli() -> CliRunner:
    return CliRunner()


@pytest.fixture
def results(tmp_path: Path, make_record: Factory) -> Path:
    """Five runs: two fas_kd variants over three days (one failed, one tagged), one ser run."""
    folder = tmp_path / "results"
    specs = [
        ("student", 0, 0.25, 0.2, 0.001, "finished", ["baseline"]),
        ("student", 1, 0.3, 0.15, 0.001, "finished", []),
        ("KD | *x*", 0, 0.1, 0.05, 0.0003, "finished", ["baseline", "paper"]),
        ("student", 2, None, None, 0.01, "failed", []),
    ]
    for i, (variant, seed, acer, best, lr, status, tags) in enumerate(specs):
        start = T + timedelta(days=i)
        selections = {"last": Selection(metric="val_acer", mode="last", epoch=3, value=0.4,
                                        test={"acer": 0.35})}
        if best is not None:
            selections["acer_best"] = Selection(metric="val_acer", mode="min", epoch=2, value=best)
        write_record(make_record(
            id=f"2026112{3 + i}T061000Z-fas_kd-0000000{i}", seed=seed, variant=variant,
            started_at=start, updated_at=start, ended_at=start, status=status,
            error="boom" if status == "failed" else None, tags=tags,
            config={"lr": lr, "epochs": 3}, selections=selections,
            metrics={} if acer is None else {"acer": acer, "acc": 1 - acer}), folder, create=True)
    write_record(make_record(id="20261201T000000Z-ser-00000009", experiment="ser", variant="cnn",
                             started_at=datetime(2026, 12, 1, tzinfo=UTC), metrics={"ua": 0.6}),
                 folder, create=True)
    return folder


def _list(cli: CliRunner, results: Path, *args: str) -> str:
    result = cli.invoke(main, ["list", "--results", str(results), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_default_list_has_a_header_and_each_experiments_key_metric(cli: CliRunner, results: Path) -> None:
    lines = _list(cli, results).splitlines()
    assert lines[0].split() == ["id", "experiment", "variant", "seed", "status", "acer", "ua"]
    assert lines[1].split() == ["20261123T061000Z-fas_kd-00000000", "fas_kd", "student", "0",
                                "finished", "0.2500", "—"]
    assert lines[-1].split() == ["20261201T000000Z-ser-00000009", "ser", "cnn", "0", "finished",
                                 "—", "0.6000"]
    assert len(lines) == 6


def test_columns_filters_and_sorting(cli: CliRunner, results: Path) -> None:
    out = _list(cli, results, "--experiment", "fas_kd", "--columns", "variant,seed,acer,val_acer@best",
                "--sort", "-acer")
    assert out.splitlines() == [
        "variant   seed    acer  val_acer@best",
        "student      1  0.3000         0.1500",
        "student      0  0.2500         0.2000",
        "KD | *x*     0  0.1000         0.0500",
        "student      2       —              —",
    ]
    seeds = "--columns", "seed"
    assert _list(cli, results, "--variant", "student", *seeds).split() == ["seed", "0", "1", "2"]
    assert _list(cli, results, "--status", "failed", *seeds).split() == ["seed", "2"]
    assert _list(cli, results, "--tag", "baseline", "--columns", "variant,tags").splitlines() == [
        "variant   tags", "student   baseline", "KD | *x*  baseline,paper"]
    assert _list(cli, results, "--tag", "baseline", "--tag", "paper", *seeds).split() == ["seed", "0"]
    assert _list(cli, results, "--since", "2026-11-24", "--until", "2026-11-25", *seeds).split() == [
        "seed", "1", "0"]
    assert _list(cli, results, "--where", "lr=0.001", "--where", "epochs=3", "--experiment", "fas_kd",
                 *seeds).split() == ["seed", "0", "1"]
    assert _list(cli, results, "--experiment", "fas_kd", "--sort", "variant,-seed", "--columns",
                 "variant,seed").split() == ["variant", "seed", "KD", "|", "*x*", "0", "student", "2",
                                             "student", "1", "student", "0"]


def test_bad_options_are_one_line(cli: CliRunner, results: Path) -> None:
    result = cli.invoke(main, ["list", "--results", str(results), "--sort", "nope"])
    assert result.exit_code == 2
    assert result.output.startswith("journal: error: sort: no column 'nope'; columns: id, experiment")
    result = cli.invoke(main, ["list", "--results", str(results), "--since", "last week"])
    assert result.output == ("journal: error: since: expected a date (YYYY-MM-DD) or an ISO time, "
                             "got 'last week'\n")
    result = cli.invoke(main, ["list", "--results", str(results), "--columns", ","])
    assert result.output == "journal: error: --columns: name at least one column\n"


def test_markdown_matches_golden_file(cli: CliRunner, results: Path) -> None:
    """Regenerate with JOURNAL_UPDATE_GOLDEN=1 and review the diff by eye."""
    text = _list(cli, results, "--format", "md", "--columns",
                 "id,variant,seed,status,acer,val_acer@best,acer@last,config.lr,tags")
    if os.environ.get("JOURNAL_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_markdown_is_a_gfm_table_on_github(cli: CliRunner, results: Path) -> None:
    from markdown_it import MarkdownIt

    text = _list(cli, results, "--format", "md", "--columns", "variant,seed,acer")
    tokens = MarkdownIt("commonmark").enable(["table"]).parse(text)
    cells = [tok.content for i, tok in enumerate(tokens)
             if tok.type == "inline" and tokens[i - 1].type in ("th_open", "td_open")]
    assert cells[:6] == ["variant", "seed", "acer", "student", "0", "0.2500"]
    assert cells[9:12] == ["KD | \\*x\\*", "0", "0.1000"]  # one cell: the pipe stays text
    assert sum(t.type == "tr_open" for t in tokens) == 6


@pytest.mark.parametrize("columns", [None, "id,experiment,variant,seed,status,started_at,ended_at,"
                                           "acer,val_acer@best,config.lr,config.epochs,tags"])
def test_json_round_trips_into_runs(cli: CliRunner, results: Path, columns: str | None) -> None:
    specs = columns.split(",") if columns else ["id", "experiment", "variant", "seed", "status",
                                                 "acer", "ua"]
    text = _list(cli, results, "--format", "json", *(["--columns", columns] if columns else []))
    assert_frame_equal(from_json(text), runs(results, columns=specs))
    assert json.loads(text)[3]["acer"] is None  # the failed run: null, not NaN


def test_csv(cli: CliRunner, results: Path) -> None:
    text = _list(cli, results, "--format", "csv", "--columns", "variant,seed,acer,started_at",
                 "--status", "finished", "--experiment", "fas_kd")
    assert text.splitlines() == ["variant,seed,acer,started_at",
                                 "student,0,0.25,2026-11-23T06:10:00Z",
                                 "student,1,0.3,2026-11-24T06:10:00Z",
                                 "KD | *x*,0,0.1,2026-11-25T06:10:00Z"]


def test_csv_and_json_cannot_drive_the_terminal(cli: CliRunner, tmp_path: Path,
                                                 make_record: Factory) -> None:
    """An experiment named with an OSC-8 link, BEL, CR and a right-to-left override: CSV drops
    them (as every terminal line does), JSON writes them as \\u escapes and reads back exact."""
    name = "ansi \x1b]8;;http://evil\x07LINK\x1b]8;;\x07a\rFORGED\u202edcba 实验"
    write_record(make_record(experiment=name), tmp_path, create=True)
    csv_text = _list(cli, tmp_path, "--format", "csv", "--columns", "experiment")
    assert csv_text == "experiment\nansi LINKa FORGEDdcba 实验\n"
    json_text = _list(cli, tmp_path, "--format", "json", "--columns", "experiment")
    assert not set(json_text) & {"\x1b", "\x07", "\r", "\u202e"}
    assert "\\u202e" in json_text and "实验" in json_text
    assert json.loads(json_text) == [{"experiment": name}]


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "md"])
def test_list_writes_what_format_table_writes_for_runs(cli: CliRunner, results: Path, fmt: str) -> None:
    """The pandas-free table of `journal list` and the DataFrame's agree, cell for cell."""
    columns = "id,variant,seed,status,started_at,acer,acc@last,val_acer@best,config.lr,tags"
    text = _list(cli, results, "--format", fmt, "--columns", columns, "--sort", "-acer")
    assert text == format_table(runs(results, columns=columns.split(","), sort="-acer"), fmt)


def test_bad_records_are_named_and_exit_1_with_a_table(cli: CliRunner, results: Path) -> None:
    (results / "zz.json").write_text('{"schema": 1}')
    result = cli.invoke(main, ["list", "--results", str(results), "--columns", "seed"])
    assert result.exit_code == 1
    assert result.stdout.split() == ["seed", "0", "1", "0", "2", "0"]
    assert f"bad record: {results / 'zz.json'}: field 'id': Field required" in result.stderr


def test_list_with_columns_loads_no_pandas(results: Path) -> None:
    code = ("import sys\nfrom journal.cli import main\n"
            "try:\n    main(['list', '--results', sys.argv[1], '--columns', 'acer,val_acer@best',"
            " '--format', 'md'], prog_name='journal')\n"
            "except SystemExit:\n    pass\n"
            "print(sorted({m.partition('.')[0] for m in sys.modules} & {'pandas', 'matplotlib'}))")
    result = subprocess.run([sys.executable, "-c", code, str(results)], capture_output=True,
                            text=True, timeout=120, check=False,
                            env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert result.stdout.splitlines()[-1] == "[]"
    assert result.stdout.splitlines()[2].startswith("| 0.2500 | 0.2000 |")


def test_tag_adds_and_removes_tags_and_list_finds_them(cli: CliRunner, results: Path) -> None:
    result = cli.invoke(main, ["tag", "20261124", "rerun", "paper", "--results", str(results)])
    assert result.exit_code == 0, result.output
    assert result.output == "20261124T061000Z-fas_kd-00000001: rerun, paper\n"
    assert _list(cli, results, "--tag", "paper", "--columns", "seed").split() == ["seed", "1", "0"]
    result = cli.invoke(main, ["tag", "20261124", "--remove", "rerun", "--results", str(results)])
    assert result.output == "20261124T061000Z-fas_kd-00000001: paper\n"
    record = read_record(results / "20261124T061000Z-fas_kd-00000001.json")
    assert record.tags == ["paper"] and record.metrics["acer"] == 0.3  # nothing else changed


@pytest.mark.parametrize(("tag", "cause"), [("a,b", "no commas or control characters"),
                                            (" x", "no leading or trailing space"),
                                            ("x" * 65, "1 to 64 characters")])
def test_a_bad_tag_is_refused_in_one_line(cli: CliRunner, results: Path, tag: str, cause: str) -> None:
    before = (results / "20261123T061000Z-fas_kd-00000000.json").read_bytes()
    result = cli.invoke(main, ["tag", "20261123", tag, "--results", str(results)])
    assert result.exit_code == 2
    assert result.output.startswith("journal: error: run 20261123T061000Z-fas_kd-00000000: ")
    assert cause in result.output and result.output.count("\n") == 1
    assert (results / "20261123T061000Z-fas_kd-00000000.json").read_bytes() == before


def test_tagging_a_running_run_is_refused_and_run_tag_records_tags(cli: CliRunner, tmp_path: Path) -> None:
    with start_run("mine", results_dir=tmp_path) as run:
        run.tag("baseline", "lr-sweep", "baseline")
        result = cli.invoke(main, ["tag", run.id, "late", "--results", str(tmp_path)])
        assert result.exit_code == 2
        assert "is open in another process" in result.output
        run.log(1, loss=0.5)
    (record,) = load_records(tmp_path)[0]
    assert record.tags == ["baseline", "lr-sweep"]
    data = json.loads((tmp_path / f"{record.id}.json").read_text())
    assert data["tags"] == ["baseline", "lr-sweep"]
    with pytest.raises(ValueError, match="no commas"):
        run.record.tags = ["a,b"]


def test_a_record_without_tags_keeps_its_file_shape(tmp_path: Path, make_record: Factory) -> None:
    path = write_record(make_record(), tmp_path, create=True)
    data = json.loads(path.read_text())
    assert "tags" not in data and "confusion_epochs" not in data
    assert read_record(path).tags == []


def test_compare_md_is_a_table_with_the_terminal_numbers(cli: CliRunner, results: Path) -> None:
    result = cli.invoke(main, ["compare", "student", "KD | *x*", "--md", "--results", str(results)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "**KD \\| \\*x\\* against student**"
    assert lines[2] == ("| metric | student | n | KD \\| \\*x\\* | n | difference | "
                        "95% CI (Welch) | verdict |")
    assert lines[3] == "| :--- | :--- | ---: | :--- | ---: | ---: | :--- | :--- |"
    acer = lines[4].split(" | ")
    assert acer[:6] == ["| acer", "0.2750 ± 0.0354 \\[0.0711, 0.6511\\]", "2", "0.1000", "1", "-0.1750"]
    terminal = cli.invoke(main, ["compare", "student", "KD | *x*", "--results", str(results)],
                          env={"COLUMNS": "200"})
    assert "0.2750 ± 0.0354 [0.0711, 0.6511]" in terminal.stdout and "-0.1750" in terminal.stdout
