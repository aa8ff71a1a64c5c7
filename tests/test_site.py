"""A real `mkdocs build --strict` of the journal with records from a real run."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

pytestmark = pytest.mark.slow


def _project(tmp_path: Path, results: Path) -> Path:
    site = tmp_path / "project"
    shutil.copytree(REPO / "docs", site / "docs")
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    (site / "mkdocs.yml").write_text(config.replace("results_dir: results", f"results_dir: {results}"))
    return site


def _build(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(project / "mkdocs.yml"), *args],
        capture_output=True, text=True, timeout=300, check=False,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )


def _post(project: Path) -> tuple[Path, str]:
    (page,) = (project / "site" / "blog").glob("20*/*/*/fas-kd-*/index.html")
    return page, page.read_text(encoding="utf-8")


def test_strict_build_renders_a_dated_post(tmp_path: Path, fas_kd_results: Path) -> None:
    project = _project(tmp_path, fas_kd_results)
    result = _build(project, "--strict")
    assert result.returncode == 0, result.stderr
    page, html = _post(project)
    blog_index = (project / "site" / "blog" / "index.html").read_text(encoding="utf-8")
    assert page.parent.name in blog_index  # listed in the blog index
    assert (project / "site" / "blog" / "category" / "fas_kd" / "index.html").is_file()
    assert ">hyperparameter</th>" in html
    assert re.search(r"<strong>mean ± std \(n=2\)</strong>", html)
    assert re.search(r"<strong>\d\.\d{4}\u00a0±\u00a0\d\.\d{4}</strong>", html)
    assert "<th>true \\ predicted</th>" in html or "true \\ predicted" in html
    charts = re.findall(r'<img alt="[^"]*" src="([^"]+\.svg)"', html)
    assert len(charts) >= 2
    for src in charts:
        svg = (page.parent / src).resolve()
        assert svg.is_file() and svg.read_bytes().startswith(b"<?xml")


def test_bad_record_fails_strict_and_is_skipped_otherwise(tmp_path: Path, fas_kd_results: Path) -> None:
    results = tmp_path / "results"
    shutil.copytree(fas_kd_results, results)
    bad = results / "20990101T000000Z-broken.json"
    good = next(results.glob("*.json")).read_text()
    bad.write_text(good.replace('"seed": 0', '"seed": "zero"').replace('"seed": 1', '"seed": "one"'))
    project = _project(tmp_path, results)
    strict = _build(project, "--strict")
    assert strict.returncode != 0
    assert f"journal: bad record {bad}: field 'seed': Input should be a valid integer" in strict.stderr
    before = bad.read_bytes()
    plain = _build(project)
    assert plain.returncode == 0, plain.stderr
    assert "bad record" in plain.stderr
    _, html = _post(project)
    assert "mean ± std (n=2)" in html  # the good records still render
    assert bad.read_bytes() == before  # the build never touches a record
