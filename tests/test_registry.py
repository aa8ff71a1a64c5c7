"""Experiments of one's own: registered through the ``journal.experiments`` entry point (a
package outside ``src/``, in ``tests/fixtures/own_experiment``) or a ``run:`` line in
``experiments.yml``; ``journal run``, ``sweep``, ``--resume``, ``experiments``, completion and
the rendered post work for them as for the bundled ones."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from conftest import REPO
from journal.errors import JournalError, UnknownExperimentError
from journal.experiments import REGISTRY, Experiment, get_experiment
from journal.experiments.registry import experiment_names, installed
from journal.records import load_records

OWN = REPO / "tests" / "fixtures" / "own_experiment"
BUNDLED = ["fas_kd", "finetune", "reid_noisy", "ser", "vad"]


def journal(*args: str, cwd: Path, env: dict[str, str] | None = None,
            extra_path: Path = OWN) -> subprocess.CompletedProcess[str]:
    """``journal ARGS`` in a fresh process that sees the fixture package's entry point."""
    path = os.pathsep.join([str(extra_path), str(REPO / "src")])
    return subprocess.run([sys.executable, "-m", "journal.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONPATH": path, **(env or {})})


def test_bundled_experiments_register_through_the_entry_point_group() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    group = pyproject["project"]["entry-points"]["journal.experiments"]
    assert sorted(group) == BUNDLED
    assert group["ser"] == "journal.experiments.ser:EXPERIMENT"
    assert {k: v for k, v in installed().items() if k in BUNDLED} == group
    assert sorted(REGISTRY) == BUNDLED
    ser = get_experiment("ser")
    assert isinstance(ser, Experiment) and ser.entry_point == "journal.experiments.ser.train:run"
    assert ser.config_cls.__name__ == "SerConfig"


def test_unknown_experiment_lists_the_registered_ones() -> None:
    with pytest.raises(UnknownExperimentError, match="choose from: fas_kd, finetune, reid_noisy"):
        get_experiment("digits")


def test_an_installed_experiment_runs_sweeps_resumes_and_renders(tmp_path: Path) -> None:
    results = tmp_path / "results"
    listed = journal("experiments", cwd=tmp_path, env={"JOURNAL_RESULTS": str(results)})
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert ("digits_lab: Toy digits classifier: a user's experiment registered through an entry "
            "point.") in lines
    assert "  lr = 0.5  (float)" in lines and "  epochs = 4  (int)" in lines

    ran = journal("run", "digits_lab", "--seeds", "0", "--set", "lr=0.25", "--results",
                  str(results), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    (record,) = load_records(results)[0]
    assert (record.experiment, record.variant, record.status) == ("digits_lab", "mlp · lr=0.25",
                                                                   "finished")
    assert record.config == {"epochs": 4, "lr": 0.25, "hidden": 8}
    assert [r.values()["train_loss"] for r in record.history] == [1 / (1 + 0.25 * e) for e in (1, 2, 3, 4)]

    bad = journal("run", "digits_lab", "--set", "lr=fast", "--results", str(results), cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr == "journal: error: --set config key 'lr': expected a number, got 'fast'\n"

    swept = journal("sweep", "digits_lab", "--grid", "hidden=4,16", "--seeds", "0-1", "--jobs", "1",
                    "--results", str(results), cwd=tmp_path)
    assert swept.returncode == 0, swept.stderr + swept.stdout
    assert "4 points; 4 to run, 0 to resume, 0 skipped" in swept.stdout
    records = load_records(results)[0]
    points = sorted((r.config["hidden"], r.seed, r.status) for r in records if r.launch and r.launch.sweep)
    assert points == [(4, 0, "finished"), (4, 1, "finished"), (16, 0, "finished"), (16, 1, "finished")]
    again = journal("sweep", "digits_lab", "--grid", "hidden=4,16", "--seeds", "0-1",
                    "--results", str(results), cwd=tmp_path)
    assert "4 points; 0 to run, 0 to resume, 4 skipped" in again.stdout

    stopped = journal("run", "digits_lab", "--seeds", "3", "--results", str(results), cwd=tmp_path,
                      env={"DIGITS_STOP_AT": "2"})
    assert stopped.returncode == 130
    (halted,) = [r for r in load_records(results)[0] if r.status == "interrupted"]
    assert [r.epoch for r in halted.history] == [1, 2]
    assert f"journal run digits_lab --resume {halted.id}" in stopped.stderr
    resumed = journal("run", "digits_lab", "--resume", halted.id, "--results", str(results), cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    (done,) = [r for r in load_records(results)[0] if r.id == halted.id]
    assert done.status == "finished" and [r.epoch for r in done.history] == [1, 2, 3, 4]
    assert [i.after_epoch for i in done.interruptions] == [2]
    assert done.metrics["acc"] == pytest.approx(1 - 1 / (1 + 0.5 * 4 + 3))

    out = tmp_path / "posts"
    rendered = journal("render", "--results", str(results), "--out", str(out), cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr
    (post,) = [p for p in out.rglob("*.md") if "digits_lab" in p.read_text(encoding="utf-8")
               and p.parent.name != "experiments"]
    text = post.read_text(encoding="utf-8")
    assert "mlp · lr=0.25" in text and "hidden" in text


def test_a_script_declared_in_experiments_yml_runs_from_the_current_folder(tmp_path: Path) -> None:
    (tmp_path / "train_toy.py").write_text(
        "from dataclasses import dataclass, asdict\n"
        "@dataclass\nclass ToyConfig:\n    steps: int = 2\n\n"
        "def run(config: ToyConfig, request):\n"
        "    '''A toy script that is not a package.'''\n"
        "    with request.open_run('toy', 'base', config=asdict(config), dataset=None,\n"
        "                          device='cpu') as run:\n"
        "        for step in range(1, config.steps + 1):\n"
        "            run.log(step, loss=1.0 / step)\n"
        "        run.set_metrics(acc=0.5)\n"
        "    return [run.path]\n", encoding="utf-8")
    results = tmp_path / "results"
    results.mkdir()
    (results / "experiments.yml").write_text("toy:\n  run: train_toy:run\n  key_metric: acc\n",
                                             encoding="utf-8")
    ran = journal("run", "toy", "--set", "steps=3", "--results", str(results), cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    (record,) = load_records(results)[0]
    assert record.experiment == "toy" and [r.epoch for r in record.history] == [1, 2, 3]
    assert experiment_names(results) == sorted([*BUNDLED, "toy"])
    listed = journal("experiments", cwd=tmp_path, env={"JOURNAL_RESULTS": str(results)})
    assert "toy: A toy script that is not a package." in listed.stdout.splitlines()
    completion = journal(cwd=tmp_path, env={"_JOURNAL_COMPLETE": "bash_complete",
                                            "COMP_WORDS": "journal run t", "COMP_CWORD": "2",
                                            "JOURNAL_RESULTS": str(results)})
    assert completion.stdout.splitlines() == ["plain,toy"]
    completion = journal(cwd=tmp_path, env={"_JOURNAL_COMPLETE": "bash_complete",
                                            "COMP_WORDS": "journal sweep d", "COMP_CWORD": "2"})
    assert completion.stdout.splitlines() == ["plain,digits_lab"]


def test_a_bad_run_line_names_the_experiment_and_the_cause(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "experiments.yml").write_text("toy:\n  run: no_such_module:run\n", encoding="utf-8")
    with pytest.raises(JournalError, match=r"experiment 'toy' \(no_such_module:run\): cannot import "
                                           "no_such_module: no module named 'no_such_module'"):
        get_experiment("toy", results)
    (results / "experiments.yml").write_text("toy:\n  run: 'os; rm -rf /'\n", encoding="utf-8")
    with pytest.raises(JournalError, match=r"toy\.run"):
        get_experiment("toy", results)
    (tmp_path / "untyped.py").write_text("def run(config, request):\n    return []\n", encoding="utf-8")
    (results / "experiments.yml").write_text("toy:\n  run: untyped:run\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "untyped", raising=False)
    with pytest.raises(JournalError, match="must be annotated with its config dataclass"):
        get_experiment("toy", results)



def test_experiments_names_lists_one_name_a_line_for_scripts(tmp_path: Path) -> None:
    listed = journal("experiments", "--names", cwd=tmp_path,
                     env={"JOURNAL_RESULTS": str(tmp_path / "results")})
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines() == sorted([*BUNDLED, "digits_lab"])


def test_an_installed_name_does_not_read_experiments_yml_and_a_clash_is_named(tmp_path: Path) -> None:
    results = tmp_path / "results"
    results.mkdir()
    (results / "experiments.yml").write_text("ser: [not, a, mapping\n", encoding="utf-8")
    assert get_experiment("ser", results).config_cls.__name__ == "SerConfig"
    (results / "experiments.yml").write_text("ser:\n  run: mine:run\n", encoding="utf-8")
    with pytest.raises(JournalError, match=r"experiment 'ser' is installed \(journal.experiments.ser:"
                                           r"EXPERIMENT\) and declared in .*experiments.yml \(mine:run\)"):
        experiment_names(results)
