"""The GitHub Actions workflows: this repository's and the one `journal init` writes.

Both pass actionlint, grant each job only what it needs, build for the Pages base URL, and never
cancel a deployment once it has started.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO
from journal.scaffold import init_journal

# The current major version of each official action the workflows use.
CURRENT = {"actions/checkout": "v6", "actions/setup-python": "v6", "actions/configure-pages": "v6",
           "actions/cache": "v6",
           "actions/upload-pages-artifact": "v5", "actions/deploy-pages": "v5"}


def _actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "actionlint"
    return subprocess.run([str(exe), "-no-color", str(path)], capture_output=True, text=True,
                          check=False, timeout=60)


@pytest.fixture(params=["repository", "scaffold"])
def workflow(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "repository":
        return REPO / ".github" / "workflows" / "journal.yml"
    return init_journal(tmp_path / "lab", run_example=False).root / ".github/workflows/journal.yml"


def _load(path: Path) -> dict[str, Any]:
    flow: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return flow


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def test_workflow_passes_actionlint(workflow: Path) -> None:
    lint = _actionlint(workflow)
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - run: echo ${{ github.event.nope.title }}\n        uses: actions/checkout@v4\n")
    assert _actionlint(bad).returncode != 0


def test_each_job_gets_only_the_permissions_it_needs(workflow: Path) -> None:
    flow = _load(workflow)
    assert flow["permissions"] == {"contents": "read"}
    jobs = flow["jobs"]
    # configure-pages reads the Pages site: on a private repository `contents: read` is not enough.
    assert jobs["build"]["permissions"] == {"contents": "read", "pages": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["deploy"]["environment"]["name"] == "github-pages"
    writers = {name for name, job in jobs.items()
               if any(v == "write" for v in job.get("permissions", {}).values())}
    assert writers <= {"deploy", "record"}
    if "record" in jobs:  # this repository's: pushes records to its results branch, on main only
        assert jobs["record"]["permissions"] == {"contents": "write"}
        assert "pull_request" in jobs["record"]["if"] and "refs/heads/main" in jobs["record"]["if"]


def test_a_deployment_is_never_cancelled_in_progress(workflow: Path) -> None:
    flow = _load(workflow)
    # A workflow-level group would cancel the whole run, deploy job included.
    assert flow.get("concurrency", {}).get("cancel-in-progress") in (None, False)
    deploy = flow["jobs"]["deploy"]
    assert deploy["concurrency"]["cancel-in-progress"] is False
    groups = {name: job.get("concurrency", {}).get("group") for name, job in flow["jobs"].items()}
    cancelling = {groups[name] for name, job in flow["jobs"].items()
                  if job.get("concurrency", {}).get("cancel-in-progress") is True}
    assert deploy["concurrency"]["group"] not in cancelling
    assert [s["uses"] for s in _steps(deploy)] == ["actions/deploy-pages@v5"]


def test_the_build_uses_the_pages_base_url_as_site_url(workflow: Path) -> None:
    flow = _load(workflow)
    steps = _steps(flow["jobs"]["build"])
    pages = next(s for s in steps if s.get("uses", "").startswith("actions/configure-pages@"))
    build = next(s for s in steps if "mkdocs build --strict" in s.get("run", ""))
    assert build["env"]["SITE_URL"] == f"${{{{ steps.{pages['id']}.outputs.base_url }}}}"
    assert steps.index(pages) < steps.index(build)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "site" and steps.index(build) < steps.index(upload)
    # mkdocs.yml reads it: the site's links, 404 page and sitemap carry the project's sub-path.
    config = (workflow.parents[2] / "mkdocs.yml").read_text(encoding="utf-8")
    assert re.search(r"^site_url: !ENV SITE_URL$", config, re.MULTILINE)


def test_actions_are_at_their_current_major_version(workflow: Path) -> None:
    flow = _load(workflow)
    used = [s["uses"] for job in flow["jobs"].values() for s in _steps(job) if "uses" in s]
    assert {u.partition("@")[0] for u in used} == set(CURRENT)
    for use in used:
        action, _, version = use.partition("@")
        assert version == CURRENT[action], use


def test_the_build_starts_from_the_cache_of_earlier_builds(workflow: Path) -> None:
    """Posts and charts are cached by content, so any earlier cache is a safe start: a Pages
    build then draws only the charts of new runs, not all of them."""
    steps = _steps(_load(workflow)["jobs"]["build"])
    caches = [i for i, s in enumerate(steps) if s.get("uses", "").startswith("actions/cache@")]
    builds = [i for i, s in enumerate(steps) if "mkdocs build" in s.get("run", "")]
    assert len(caches) == 1 and builds and caches[0] < builds[0]
    cache = steps[caches[0]]["with"]
    assert cache["path"] == ".journal-cache"
    assert cache["restore-keys"] == "journal-cache-" and cache["key"].startswith("journal-cache-")


def test_pip_cache_is_keyed_on_the_requirements(workflow: Path) -> None:
    flow = _load(workflow)
    key = "pyproject.toml" if workflow.is_relative_to(REPO / ".github") else "requirements.txt"
    setups = [s for job in flow["jobs"].values() for s in _steps(job)
              if s.get("uses", "").startswith("actions/setup-python@")]
    assert setups
    for step in setups:
        assert step["with"]["cache"] == "pip"
        assert step["with"]["cache-dependency-path"] == key
        assert (workflow.parents[2] / key).is_file()


def test_this_repository_keeps_its_records_on_a_results_branch() -> None:
    flow = _load(REPO / ".github" / "workflows" / "journal.yml")
    assert flow["env"]["RESULTS_BRANCH"] == "journal-results"
    record, build = flow["jobs"]["record"], flow["jobs"]["build"]
    assert record["concurrency"] == {"group": "journal-results", "cancel-in-progress": False}
    record_script = "\n".join(s.get("run", "") for s in _steps(record))
    checkout = next(s for s in _steps(record) if s.get("with", {}).get("path") == "kept")
    assert checkout["with"]["ref"] == "${{ steps.kept.outputs.ref }}"
    assert 'git checkout -q --orphan "$RESULTS_BRANCH"' in record_script  # the first run
    assert "--results kept" in record_script
    assert 'git push origin "HEAD:refs/heads/$RESULTS_BRANCH"' in record_script
    build_script = "\n".join(s.get("run", "") for s in _steps(build))
    assert "git archive FETCH_HEAD | tar -x -C results" in build_script
    assert "python -m pip install ." in build_script  # the site builds with the light core
    assert build["needs"] == ["test", "record"]
