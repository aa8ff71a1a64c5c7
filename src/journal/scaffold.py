"""``journal init``: a new, separate journal repository that builds out of the box.

It writes ``mkdocs.yml`` (Material, blog, search, the journal plugin and the Markdown extensions
posts use), ``docs/``, ``results/``, a GitHub Actions workflow that builds and deploys to GitHub
Pages, a README, ``requirements.txt`` and ``train_example.py``, a tiny training script using the
Python API, then (unless asked not to) runs the example once so the first build has a post.
The site builds with MkDocs (the plugin renders the records) and with Zensical (after
``journal render --docs docs``, which ``journal serve`` runs): ``mkdocs.yml`` names the overview
index in its navigation, the journal's scripts in ``extra_javascript`` and a custom fence for
```` ```journal ```` blocks, so neither generator needs the other's help.
Existing files are never overwritten: if any target exists, nothing is written. A folder that is
not inside a git repository becomes one (``git init``, branch ``main``, which the workflow
publishes); without git, that step is skipped. A folder below the root of a repository still
gets every file, but :attr:`Scaffold.workflow_warning` says the workflow must move to that
root's ``.github/workflows`` (GitHub runs no other). Nothing is asked interactively.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from . import __version__
from .errors import JournalError
from .render.i18n import normalise

DISTRIBUTION = "runjournal"  # the name pip installs this package by (pyproject's [project].name)

WORKFLOW = ".github/workflows/journal.yml"
"""Where the workflow is written, relative to the folder (GitHub reads it only at a
repository's root)."""

# template file → (path in the new repository, whether it has $placeholders)
FILES = {
    "mkdocs.yml": ("mkdocs.yml", True),
    "index.md": ("docs/index.md", True),
    "blog_index.md": ("docs/blog/index.md", True),
    "workflow.yml": (WORKFLOW, False),
    "README.md": ("README.md", True),  # README.zh.md for --lang zh
    "requirements.txt": ("requirements.txt", True),
    "train_example.py.tmpl": ("train_example.py", True),
    "gitignore": (".gitignore", False),
}
EMPTY = ("docs/blog/posts/.gitkeep", "results/.gitkeep")

WORDS = {
    "en": {
        "description": "A research journal written by training runs",
        "dark_mode": "Dark mode", "light_mode": "Light mode", "home_title": "Home",
        "journal_title": "Journal", "experiments_title": "Experiments",
        "index_text": "Dated posts of every training run are under *Journal*; every variant of an "
                      "experiment across days is under *Experiments*.",
        "classes": '["negative", "positive"]',
    },
    "zh": {
        "description": "由训练运行自动写成的研究日志",
        "dark_mode": "深色模式", "light_mode": "浅色模式", "home_title": "首页",
        "journal_title": "日志", "experiments_title": "实验",
        "index_text": "每次训练运行的日期文章在“日志”中；每个实验跨日期的所有变体在“实验”中。",
        "classes": '["正常", "异常"]',
    },
}
# Chinese has no spaces between words: Material segments it with jieba, and the index must
# split on the zero-width spaces it inserts.
SEARCH = {"en": "", "zh": ":\n      lang:\n        - zh\n        - en\n"
                        "      separator: '[\\s\\u200b\\-]'"}


@dataclass(frozen=True)
class Scaffold:
    """What ``journal init`` wrote."""

    root: Path
    files: list[Path]
    example_records: list[Path]
    git_init: bool = False  # whether it ran `git init` (the folder was in no repository)
    repository: Path | None = None
    """The root of the git repository the folder lies in below its root (:func:`enclosing_repository`),
    else None: the folder is a repository's root, or in no repository."""

    @property
    def workflow_warning(self) -> str | None:
        """One line saying the workflow will not run where it was written and where it must go,
        or None when it is at a repository's root (or there is no repository yet)."""
        if self.repository is None:
            return None
        sub = self.root.resolve().relative_to(self.repository).as_posix()
        return (f"{self.root / WORKFLOW} is in {sub}/, a subfolder of the git repository "
                f"{self.repository}, and GitHub runs workflows only from the repository's root: "
                f"move it to {self.repository / WORKFLOW} and point its paths at {sub}/")


def enclosing_repository(folder: str | Path) -> Path | None:
    """The root of the git repository ``folder`` lies in below its root: the nearest parent
    folder with a ``.git`` entry (a directory, or the file of a worktree or submodule); None
    when ``folder`` has one itself (it is the root) or no parent has (no repository). ``folder``
    need not exist yet. Git itself is not asked."""
    here = Path(folder).resolve()
    if os.path.lexists(here / ".git"):
        return None
    for parent in here.parents:
        if os.path.lexists(parent / ".git"):
            return parent
    return None


def init_journal(
    directory: str | Path, *, lang: str = "en", site_name: str | None = None,
    requirement: str | None = None, run_example: bool = True,
) -> Scaffold:
    """Create a journal repository in ``directory`` (created if missing).

    Raises:
        JournalError: a file it would write already exists (nothing is written then), or the
            example script failed.
    """
    root = Path(directory)
    language = normalise(lang)
    if lang not in ("en", "zh"):
        raise JournalError(f"--lang: choose en or zh, got '{lang}'")
    targets = [root / dest for dest, _ in FILES.values()] + [root / p for p in EMPTY]
    existing = [p for p in targets if p.exists()]
    if existing:
        raise JournalError(f"{existing[0]} exists; journal init never overwrites files "
                           f"({len(existing)} would be)")
    repository = enclosing_repository(root)  # before `git init` may make root a repository
    words = {**WORDS[language], "language": language, "search_options": SEARCH[language],
             "site_name": site_name or root.resolve().name,
             "requirement": requirement or _default_requirement(language)}
    templates = resources.files("journal").joinpath("templates", "init")
    written = []
    for name, (dest, substitute) in FILES.items():
        if name == "README.md" and language == "zh":
            name = "README.zh.md"
        text = templates.joinpath(name).read_text(encoding="utf-8")
        if substitute:
            text = Template(text).substitute(words)
        path = root / dest
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as fh:  # "x": never overwrite
            fh.write(text)
        written.append(path)
    for rel in EMPTY:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(exist_ok=False)
        written.append(path)
    made_repository = _git_init(root)
    records: list[Path] = []
    if run_example:
        before = set((root / "results").glob("*.json"))
        proc = subprocess.run([sys.executable, "train_example.py"], cwd=root, capture_output=True,
                              text=True, check=False, env=_env(root), stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise JournalError(f"{root / 'train_example.py'} failed: {tail}")
        records = sorted(set((root / "results").glob("*.json")) - before)
    return Scaffold(root, written, records, made_repository, repository)


def _default_requirement(language: str) -> str:
    extra = "[zh]" if language == "zh" else ""
    return f"{DISTRIBUTION}{extra}=={__version__}"


def _git_init(root: Path) -> bool:
    """``git init`` in ``root`` unless it lies inside a repository; False when git is missing."""
    try:
        inside = subprocess.run(["git", "rev-parse", "--is-inside-work-tree"], cwd=root,
                                capture_output=True, text=True, check=False, timeout=30,
                                stdin=subprocess.DEVNULL)
        if inside.returncode == 0:
            return False
        # The branch is set by name, so the workflow's `main` is right whatever git's default.
        for args in (["init", "-q"], ["symbolic-ref", "HEAD", "refs/heads/main"]):
            subprocess.run(["git", *args], cwd=root, capture_output=True, check=True, timeout=30,
                           stdin=subprocess.DEVNULL)
    except FileNotFoundError:  # no git on this machine: the folder is written all the same
        return False
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise JournalError(f"git init in {root} failed: {exc}") from None
    return True


def _env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_RESULTS"}
    env["JOURNAL_RESULTS"] = str((root / "results").resolve())  # the script runs inside root
    return env
