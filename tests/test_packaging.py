"""The package as a newcomer gets it: its name, its wheel, a core without torch, a fast command.

The slow test plays the newcomer: a fresh virtual environment without torch, the wheel installed
offline, `journal init lab`, then `pip install -r lab/requirements.txt` and `mkdocs build --strict`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import venv
import zipfile
from pathlib import Path

import pytest

from conftest import REPO
from journal import __version__
from journal.scaffold import DISTRIBUTION

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
EXTRA_ONLY = ("torch", "pillow", "tqdm")  # what only the bundled experiments need
# Run with these modules made unimportable, as on a machine without the [experiments] extra.
NO_EXTRA = "import sys\nfor m in ('torch', 'PIL', 'tqdm'): sys.modules[m] = None\n"


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower() for r in requirements}


def _python(code: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, **(env or {})})


def test_distribution_name_is_used_everywhere() -> None:
    assert PYPROJECT["project"]["name"] == DISTRIBUTION == "runjournal"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"pip install {DISTRIBUTION}" in readme
    assert f"pip install '{DISTRIBUTION}[experiments]'" in readme
    # The version is written once, in the package; pyproject reads it from there.
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "journal.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_core_dependencies_leave_torch_to_the_experiments_extra() -> None:
    core = _names(PYPROJECT["project"]["dependencies"])
    extra = PYPROJECT["project"]["optional-dependencies"]["experiments"]
    assert not core & set(EXTRA_ONLY)
    assert _names(extra) == set(EXTRA_ONLY)
    assert "torch>=2.2" in extra  # an open range: a CUDA build already installed is kept
    assert {"markdown", "nh3", "mkdocs", "mkdocs-material", "pydantic", "click"} <= core


def test_the_core_works_without_the_experiments_extra(tmp_path: Path) -> None:
    code = NO_EXTRA + """
import journal, journal.cli, journal.plugin, journal.render, journal.launchers, journal.sweeps
from journal.experiments import REGISTRY
with journal.start_run("mine", config={"lr": 0.1}, results_dir=sys.argv[1]) as run:
    run.log(1, train_loss=0.5)
    run.set_metrics(acc=0.9)
records, errors = journal.load_records(sys.argv[1])
assert [r.metrics["acc"] for r in records] == [0.9] and not errors
print(sorted(REGISTRY))
"""
    result = _python(code, str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['fas_kd', 'finetune', 'reid_noisy', 'ser', 'vad']"


def test_an_experiment_without_the_extra_says_what_to_install(tmp_path: Path) -> None:
    code = NO_EXTRA + "from journal.cli import main\nmain(prog_name='journal')\n"
    result = _python(code, "run", "fas_kd", "--results", str(tmp_path / "results"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "journal: error: experiment 'fas_kd' needs torch; bundled experiments need the [experiments] extra "
        "(torch): pip install 'runjournal[experiments]'"]
    assert result.stdout == ""


def test_the_command_starts_without_the_heavy_libraries() -> None:
    """`journal --help` and completion import no pydantic, pandas, numpy, rich or yaml: each
    would add tens to hundreds of milliseconds to every call and every completion keystroke."""
    code = ("import sys, json\nfrom journal.cli import main\n"
            "try:\n    main(['--help'], prog_name='journal')\nexcept SystemExit:\n    pass\n"
            "print(json.dumps(sorted(m for m in sys.modules if m.partition('.')[0] in "
            "('pydantic', 'pandas', 'numpy', 'rich', 'yaml', 'matplotlib', 'scipy', 'mkdocs') "
            "or m in ('journal.records', 'journal.tracking'))))")
    result = _python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[-1]) == []
    completion = _python("from journal.cli import main\nmain(prog_name='journal')",
                         env={"_JOURNAL_COMPLETE": "bash_complete", "COMP_WORDS": "journal ",
                              "COMP_CWORD": "1"})
    assert "plain,run" in completion.stdout.splitlines() and "plain,init" in completion.stdout


def test_listing_runs_loads_no_pandas(tmp_path: Path) -> None:
    """`journal list` needs the record schema, not the tables and charts of the site."""
    code = ("import sys\nfrom journal.cli import main\n"
            "try:\n    main(['list', '--results', sys.argv[1]], prog_name='journal')\n"
            "except SystemExit:\n    pass\n"
            "print(sorted({m.partition('.')[0] for m in sys.modules} & {'pandas', 'matplotlib', 'scipy'}))")
    result = _python(code, str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
    assert f"no runs in {tmp_path}" in result.stderr


@pytest.mark.slow
def test_startup_benchmark_reports_against_its_target() -> None:
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "startup.py"), "--repeat", "1"],
                            capture_output=True, text=True, timeout=300, check=False)
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith(("PASS", "FAIL"))]
    assert [ln.split()[1:3] for ln in lines] == [["journal", "--help"], ["completion", "of"],
                                                 ["import", "journal"]]
    assert all(re.search(r"\d\.\d{3} s  target ≤ 0.3 s$", ln) for ln in lines), lines
    assert "import journal.plugin (MkDocs loads it)" in result.stdout


def _wheel(out: Path) -> Path:
    """The wheel built from a copy of the source tree (the tree itself stays clean)."""
    source = out / "source"
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                             "--no-index", "-q", "-w", str(out / "dist"), str(source)],
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    (wheel,) = (out / "dist").glob("*.whl")
    return wheel


@pytest.mark.slow
def test_wheel_holds_the_plugin_templates_and_assets(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path)
    assert wheel.name == f"runjournal-{__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    templates = REPO / "src" / "journal" / "templates" / "init"
    assets = REPO / "src" / "journal" / "assets"
    expected = {"journal/plugin.py", "journal/py.typed", "journal/cli/__main__.py",
                *(f"journal/templates/init/{p.name}" for p in templates.iterdir()),
                *(f"journal/assets/{p.name}" for p in assets.iterdir())}
    assert expected <= names, expected - names
    meta = zipfile.ZipFile(wheel).read(f"runjournal-{__version__}.dist-info/METADATA").decode()
    assert "Requires-Dist: torch>=2.2; extra == \"experiments\"" in meta
    assert not re.search(r"^Requires-Dist: torch[^;]*$", meta, re.MULTILINE)
    entry_points = zipfile.ZipFile(wheel).read(f"runjournal-{__version__}.dist-info/entry_points.txt")
    assert b"journal = journal.plugin:JournalPlugin" in entry_points
    assert b"journal = journal.cli:main" in entry_points


# What the newcomer's environment must not get from this machine's: torch (and what needs it),
# this package itself, and pip's own tools (the new environment has its own).
_NOT_SHARED = re.compile(r"torch|lightning|nvidia|triton|^journal|^runjournal|^_?_?editable|^pip\b|"
                         r"^pip-|^setuptools|^_distutils_hack|^pkg_resources|^wheel|\.pth$|^__pycache__")


def _offline_dependencies(target: Path) -> Path:
    """The core dependencies, offline: links to this environment's installed packages (with their
    metadata, so pip counts them as installed), torch and this package left out."""
    import sysconfig

    target.mkdir()
    site = Path(sysconfig.get_paths()["purelib"])
    for entry in site.iterdir():
        if not _NOT_SHARED.search(entry.name.lower()):
            (target / entry.name).symlink_to(entry)
    return target


@pytest.mark.slow
def test_a_newcomer_publishes_a_journal_without_torch(tmp_path: Path) -> None:
    """Fresh environment, no torch: wheel installed offline, `journal init lab`, the lab's
    requirements resolve to this package, and `mkdocs build --strict` builds the example post."""
    dist = _wheel(tmp_path).parent
    env_dir = tmp_path / "newcomer"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "offline-dependencies.pth").write_text(
        f"{_offline_dependencies(tmp_path / 'dependencies')}\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(NO_MKDOCS_2_WARNING="1", PIP_NO_INDEX="1", PIP_FIND_LINKS=str(dist),
               PIP_DISABLE_PIP_VERSION_CHECK="1", PATH=f"{env_dir / 'bin'}:{env.get('PATH', '')}")

    def run(*args: str, cwd: Path = tmp_path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=600,
                              check=False, env=env)

    torch = run(str(python), "-c", "import torch")
    assert torch.returncode == 1 and "No module named 'torch'" in torch.stderr
    install = run(str(python), "-m", "pip", "install", DISTRIBUTION)
    assert install.returncode == 0, install.stdout + install.stderr
    assert f"Successfully installed {DISTRIBUTION}-{__version__}" in install.stdout

    init = run(str(env_dir / "bin" / "journal"), "init", "lab")
    assert init.returncode == 0, init.stdout + init.stderr
    assert "4 example records" in init.stdout
    lab = tmp_path / "lab"
    assert (lab / ".git").is_dir()

    # The lab's requirements, in an environment without the package, resolve to this wheel.
    assert run(str(python), "-m", "pip", "uninstall", "-y", DISTRIBUTION).returncode == 0
    again = run(str(python), "-m", "pip", "install", "-r", "requirements.txt", cwd=lab)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"Processing {dist}" in again.stdout or str(dist) in again.stdout
    assert f"Successfully installed {DISTRIBUTION}-{__version__}" in again.stdout

    build = run(str(python), "-m", "mkdocs", "build", "--strict", cwd=lab)
    assert build.returncode == 0, build.stderr
    assert len(list((lab / "site" / "blog").glob("20*/*/*/example-*/index.html"))) == 1
    assert (lab / "site" / "experiments" / "example" / "index.html").is_file()
    torch = run(str(python), "-c", "import torch")
    assert torch.returncode == 1 and "No module named 'torch'" in torch.stderr
