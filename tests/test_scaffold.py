"""`journal init`: a separate journal repository that builds, deploys and never overwrites."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from journal import __version__
from journal.errors import JournalError
from journal.scaffold import enclosing_repository, init_journal


def _config(path: Path) -> Any:
    """mkdocs.yml as MkDocs reads it (``!ENV`` tags resolved against this environment)."""
    from mkdocs.utils.yaml import get_yaml_loader

    return yaml.load(path.read_text(encoding="utf-8"), Loader=get_yaml_loader())


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
    config = _config(root / "mkdocs.yml")
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
    config = _config(tmp_path / "j" / "mkdocs.yml")
    assert config["theme"]["language"] == "zh"
    assert {"search": {"lang": ["zh", "en"], "separator": "[\\s\\u200b\\-]"}} in config["plugins"]
    again = CliRunner().invoke(main, ["init", str(tmp_path / "j")])
    assert again.exit_code == 2 and "never overwrites" in again.output


def test_init_makes_a_git_repository_on_branch_main(tmp_path: Path) -> None:
    made = init_journal(tmp_path / "lab", run_example=False)
    assert made.git_init
    head = subprocess.run(["git", "symbolic-ref", "HEAD"], cwd=made.root, capture_output=True,
                          text=True, check=True).stdout.strip()
    assert head == "refs/heads/main"  # the branch the workflow publishes
    assert (made.root / ".git").is_dir()


def test_init_inside_a_repository_leaves_git_alone(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    made = init_journal(tmp_path / "journal", run_example=False)
    assert not made.git_init
    assert not (made.root / ".git").exists()


def test_init_in_a_subfolder_of_a_repository_warns_the_workflow_must_move_to_its_root(
        tmp_path: Path) -> None:
    from click.testing import CliRunner

    from journal.cli import main

    repo = tmp_path / "project"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    target = repo / "docs" / "journal"
    assert enclosing_repository(target) == repo.resolve()  # a folder not written yet

    result = CliRunner().invoke(main, ["init", str(target), "--no-example"])
    assert result.exit_code == 0, result.output
    workflow = target / ".github" / "workflows" / "journal.yml"
    assert workflow.is_file() and (target / "mkdocs.yml").is_file()  # written all the same
    assert str(workflow) in result.stdout.splitlines()
    [line] = result.stderr.splitlines()
    root_workflow = repo.resolve() / ".github" / "workflows" / "journal.yml"
    assert line == (f"warning: {workflow} is in docs/journal/, a subfolder of the git repository "
                    f"{repo.resolve()}, and GitHub runs workflows only from the repository's root: "
                    f"move it to {root_workflow} and point its paths at docs/journal/")
    assert not root_workflow.exists()  # said, not done

    # a worktree or submodule has a .git file, not a folder: its root is found the same way
    (tmp_path / "worktree").mkdir()
    (tmp_path / "worktree" / ".git").write_text("gitdir: /elsewhere/.git/worktrees/w\n")
    assert enclosing_repository(tmp_path / "worktree" / "lab") == (tmp_path / "worktree").resolve()


def test_init_at_a_repositorys_root_or_outside_any_gives_no_warning(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from journal.cli import main

    if enclosing_repository(tmp_path) is not None:
        pytest.skip(f"{tmp_path} lies in a git repository")
    root = tmp_path / "lab"
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    made = init_journal(root, run_example=False)
    assert made.repository is None and made.workflow_warning is None
    assert enclosing_repository(root) is None  # the root itself: nothing to move

    alone = tmp_path / "alone"  # in no repository (init then makes it one, at its root)
    result = CliRunner().invoke(main, ["init", str(alone), "--no-example"])
    assert result.exit_code == 0, result.output
    assert result.stderr == "" and (alone / ".github" / "workflows" / "journal.yml").is_file()


def test_init_without_git_still_writes_the_journal(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-such-bin"))  # no git to be found
    made = init_journal(tmp_path / "lab", run_example=False)
    assert not made.git_init
    assert (made.root / "mkdocs.yml").is_file() and not (made.root / ".git").exists()


def test_requirements_name_this_distribution_at_this_version(tmp_path: Path) -> None:
    en = init_journal(tmp_path / "en", run_example=False).root / "requirements.txt"
    zh = init_journal(tmp_path / "zh", lang="zh", run_example=False).root / "requirements.txt"
    lines = [ln for ln in en.read_text().splitlines() if ln and not ln.startswith("#")]
    assert lines == [f"runjournal=={__version__}"]
    assert zh.read_text().splitlines()[-1] == f"runjournal[zh]=={__version__}"


def test_readme_is_in_the_journals_language_without_placeholder_links(tmp_path: Path) -> None:
    en = (init_journal(tmp_path / "en", run_example=False).root / "README.md").read_text()
    zh = (init_journal(tmp_path / "zh", lang="zh", run_example=False).root / "README.md").read_text()
    assert en.startswith("# en\n") and "A research journal" in en
    assert zh.startswith("# zh\n") and "研究日志" in zh and "A research journal" not in zh
    for text in (en, zh):
        assert "$" not in text  # every placeholder was filled
        assert "JOURNAL_RECORD_HOST=0" in text
        # Links go nowhere a newcomer would have to fix: no bare host, no example organisation.
        assert not re.search(r"\]\(https?://[^)]*\)", text), "a Markdown link to fix"
        assert "your-lab" not in text and "github.com/)" not in text


def test_the_example_runs_when_the_folder_is_given_relative(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    made = init_journal("lab")
    assert len(made.example_records) == 4
    assert all(p.parent == Path("lab") / "results" for p in made.example_records)
    assert not (tmp_path / "lab" / "lab").exists()


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
