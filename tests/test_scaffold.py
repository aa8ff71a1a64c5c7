"""`journal init`: a separate journal repository that builds, deploys and never overwrites."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from journal.errors import JournalError
from journal.scaffold import init_journal

WORKFLOWS = [REPO / ".github" / "workflows" / "journal.yml"]


def _actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "actionlint"
    return subprocess.run([str(exe), "-no-color", str(path)], capture_output=True, text=True,
                          check=False, timeout=60)


def _build(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                           str(root / "mkdocs.yml")], capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


def test_init_writes_a_journal_that_builds_with_its_example(tmp_path: Path) -> None:
    root = tmp_path / "lab"
    made = init_journal(root, lang="en")
    names = sorted(p.relative_to(root).as_posix() for p in made.files)
    assert names == [".github/workflows/journal.yml", ".gitignore", "README.md", "docs/blog/index.md",
                     "docs/blog/posts/.gitkeep", "docs/index.md", "mkdocs.yml", "requirements.txt",
                     "results/.gitkeep", "train_example.py"]
    assert len(made.example_records) == 4  # two learning rates × two seeds
    config = yaml.safe_load((root / "mkdocs.yml").read_text())
    assert config["theme"]["language"] == "en" and config["theme"]["font"] is False
    result = _build(root)
    assert result.returncode == 0, result.stderr
    assert list((root / "site" / "blog").glob("20*/*/*/example-*/index.html"))
    assert (root / "site" / "experiments" / "example" / "index.html").is_file()


def test_init_refuses_to_overwrite_anything(tmp_path: Path) -> None:
    root = tmp_path / "lab"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "index.md").write_text("# mine\n")
    with pytest.raises(JournalError, match=r"docs/index.md exists; journal init never overwrites"):
        init_journal(root, run_example=False)
    assert (root / "docs" / "index.md").read_text() == "# mine\n"
    assert not (root / "mkdocs.yml").exists()  # nothing at all was written
    with pytest.raises(JournalError, match="--lang: choose en or zh"):
        init_journal(tmp_path / "other", lang="fr", run_example=False)


def test_cli_init(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from journal.cli import main

    result = CliRunner().invoke(main, ["init", str(tmp_path / "j"), "--lang", "zh", "--no-example"])
    assert result.exit_code == 0, result.output
    assert "0 example records" in result.output
    config = yaml.safe_load((tmp_path / "j" / "mkdocs.yml").read_text())
    assert config["theme"]["language"] == "zh"
    assert {"search": {"lang": ["zh", "en"], "separator": "[\\s\\u200b\\-]"}} in config["plugins"]
    again = CliRunner().invoke(main, ["init", str(tmp_path / "j")])
    assert again.exit_code == 2 and "never overwrites" in again.output


@pytest.mark.parametrize("which", ["repository", "scaffold"])
def test_workflows_pass_actionlint_with_least_privilege(tmp_path: Path, which: str) -> None:
    if which == "repository":
        path = WORKFLOWS[0]
    else:
        path = init_journal(tmp_path / "lab", run_example=False).root / ".github/workflows/journal.yml"
    lint = _actionlint(path)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    flow = yaml.safe_load(path.read_text())
    assert flow["permissions"] == {"contents": "read"}  # everything else is granted per job
    deploy = flow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert [s["uses"] for s in deploy["steps"]] == ["actions/deploy-pages@v4"]
    build = flow["jobs"]["build"]
    assert "permissions" not in build
    uses = [s.get("uses", "") for s in build["steps"]]
    assert "actions/configure-pages@v5" in uses and "actions/upload-pages-artifact@v3" in uses
    python = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["cache"] == "pip"


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.event.nope.title }}\n        uses: actions/checkout@v4\n")
    assert _actionlint(bad).returncode != 0


@pytest.mark.slow
def test_gh_deploy_pushes_the_site_to_a_bare_remote(tmp_path: Path) -> None:
    """`mkdocs gh-deploy`, the documented alternative to the Pages workflow."""
    root = init_journal(tmp_path / "lab").root
    remote = tmp_path / "remote.git"
    git = ["git", "-c", "user.name=Journal Test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "journal"],
                 ["remote", "add", "origin", str(remote)]):
        subprocess.run([*git, *args], cwd=root, check=True)
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "GIT_AUTHOR_NAME": "Journal Test",
           "GIT_AUTHOR_EMAIL": "test@example.com", "GIT_COMMITTER_NAME": "Journal Test",
           "GIT_COMMITTER_EMAIL": "test@example.com"}
    deploy = subprocess.run([sys.executable, "-m", "mkdocs", "gh-deploy", "--force"], cwd=root,
                            capture_output=True, text=True, timeout=300, env=env, check=False)
    assert deploy.returncode == 0, deploy.stderr
    files = subprocess.run(["git", "--git-dir", str(remote), "ls-tree", "-r", "--name-only", "gh-pages"],
                           capture_output=True, text=True, check=True).stdout.splitlines()
    assert "index.html" in files and ".nojekyll" in files
    assert any(f.startswith("blog/20") and f.endswith("/index.html") for f in files)
    assert "experiments/example/index.html" in files
