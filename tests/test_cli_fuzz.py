"""Every command, fed arbitrary arguments: never a traceback; a refusal is one line on stderr
with exit code 2, and writes nothing."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import journal.launchers
from journal.cli import main
from journal.records import Record, write_record

# Strings that broke commands once, or that a hostile collaborator would try, and a few that
# make a command valid (so that a valid invocation also happens now and then).
NASTY = [
    "", " ", "-", "nan", "inf", "-inf", "1e400", "-1", "0", "1.5", "99999999999999999999",
    "9" * 5000, "0-1000000000", "0-3", "0,1", "3-1", ",", "../../../x", "/etc/passwd", "..",
    "[/]", "[link=https://evil.example]x[/link]", "\x1b]0;owned\x07", "\x1b[2J", "a\nb",
    "a\rb", "\x00", "\u202e", "正向", "$\\frac$", "<img src=x onerror=alert(1)>",
    "fas_kd", "ser", "vad", "finetune", "reid_noisy", "student", "default", "1 2 3 4",
    "nan 1 2 3", "1e400 1 2 3", "1 2; 3 4", "0.5", "acc", "a,,b", "2025-08-01",
    "9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "2026-11-23", "lr=1e-3",
    "weight_decay=-1", "device=garbage", "device=cuda:9", "kd=logit,feature", "epochs=1",
    "epochs=99999999999", "lr=", "=1", "20261123T061000Z", "local", "slurm", "en", "zh",
]

OPTIONS = {
    "add": ["--counts", "--confusion", "--labels", "--vector", "--order", "--variant", "--seed",
            "--date", "--set", "--note"],
    "note": ["--run", "--experiment", "--variant", "--day", "--file"],
    "list": ["--experiment", "--variant", "--status", "--tag", "--since", "--until", "--where",
             "--columns", "--sort", "--format", "md", "json", "csv", "acer,val_acer@best", "-acer"],
    "tag": ["--remove"],
    "show": [],
    "compare": ["--experiment", "--md"],
    "run": ["--seeds", "--set", "--resume", "--data-root", "--quiet"],
    "sweep": ["--grid", "--seeds", "--set", "--file", "--launcher", "--jobs", "--rerun",
              "--time", "--gpus", "--data-root"],
    "render": ["--lang", "--out", "--docs"],
    "serve": ["--config", "--results", "--generator", "--dev-addr", "--lang"],
    "build": ["--config", "--results", "--generator", "--strict", "--clean", "--lang"],
    "experiments": ["--names"],
    "init": ["--lang", "--name", "--requirement"],
    "import": ["csv", "tensorboard", "mlflow", "--experiment", "--variant", "--variant-key",
               "--seed", "--epoch-from", "--epoch-offset"],
    "summary": ["--md", "--columns", "--experiment"],
    "retire": ["--reason"],
    "unretire": [],
}

text = st.one_of(st.sampled_from(NASTY), st.text(max_size=24),
                 st.binary(max_size=12).map(lambda b: b.decode("latin-1")))


def _argv(command: str) -> st.SearchStrategy[list[str]]:
    token = st.one_of(text, st.sampled_from(OPTIONS[command])) if OPTIONS[command] else text
    return st.lists(token, max_size=6).map(lambda rest: [command, *rest])


def _tree(folder: Path) -> dict[str, int]:
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in [*dirs, *files]:
            path = Path(root) / name
            out[str(path.relative_to(folder))] = path.lstat().st_mtime_ns
    return out


@pytest.fixture(autouse=True)
def _no_training(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A valid ``run`` or ``sweep`` stops where training would begin, a valid ``serve`` or
    ``build`` where the server or the generator would start (this tests the commands, not the
    experiments, the server or the generators)."""
    monkeypatch.setattr("journal.experiments.run_experiment", lambda *a, **k: [])
    monkeypatch.setattr(journal.launchers, "run_local", lambda *a, **k: [])
    monkeypatch.setattr(journal.launchers, "run_slurm", lambda *a, **k: [])
    monkeypatch.setattr("journal.serve.serve", lambda *a, **k: 0)  # never start a server
    monkeypatch.setattr("journal.serve.build", lambda *a, **k: 0)  # nor a generator
    yield


def _record() -> Record:
    from datetime import UTC, datetime

    when = datetime(2026, 11, 23, 6, 10, tzinfo=UTC)
    return Record(id="20261123T061000Z-fas_kd-00000000", experiment="fas_kd", variant="student",
                  seed=0, status="finished", started_at=when, updated_at=when, ended_at=when,
                  metrics={"acer": 0.25, "acc": 0.75}, config={"lr": 0.001})


@contextlib.contextmanager
def _inside(folder: Path) -> Iterator[Path]:
    """Run with ``folder`` (created) as the working directory: relative paths land there."""
    folder.mkdir()
    old = os.getcwd()
    os.chdir(folder)
    try:
        yield folder
    finally:
        os.chdir(old)


OUTCOMES: dict[int, int] = {}


def _check(argv: list[str]) -> None:
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as tmp, _inside(Path(tmp) / "cwd") as cwd:
        results = cwd / "results"
        if argv[0] != "render":  # a valid render draws charts: slow, and not what this tests
            write_record(_record(), results, create=True)
        if argv[0] == "init":
            argv = [*argv, "--no-example"]
        before = _tree(cwd)
        env = {"JOURNAL_RESULTS": str(results), "JOURNAL_DATA": str(Path(tmp) / "data"),
               "COLUMNS": "120", "JOURNAL_DEBUG": ""}
        result = runner.invoke(main, argv, env=env, input="")
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            argv, repr(result.exception))
        assert "Traceback" not in result.output, argv
        if result.exit_code != 0:
            assert result.exit_code == 2, (argv, result.output)
            assert result.stderr.startswith("journal: error: "), (argv, result.stderr)
            assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n"), (argv, result.stderr)
            assert "\x1b" not in result.stderr and "\r" not in result.stderr, argv
            assert _tree(cwd) == before, (argv, "wrote files although it refused")
        OUTCOMES[result.exit_code] = OUTCOMES.get(result.exit_code, 0) + 1


FUZZ = settings(max_examples=20, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@pytest.mark.parametrize("command", sorted(OPTIONS))
def test_every_command_fails_in_one_line(command: str) -> None:
    assert isinstance(main, click.Group) and command in main.commands

    @FUZZ
    @given(_argv(command))
    def fuzz(argv: list[str]) -> None:
        _check(argv)

    fuzz()


@FUZZ
@given(st.lists(text, min_size=1, max_size=4))
def test_any_first_word_fails_in_one_line(argv: list[str]) -> None:
    assume(argv[0] not in OPTIONS)
    _check(argv)


def test_every_command_is_fuzzed() -> None:
    assert isinstance(main, click.Group)
    assert sorted(main.commands) == sorted(OPTIONS)
