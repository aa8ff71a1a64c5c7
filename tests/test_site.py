"""A real `mkdocs build --strict` of the journal with records from a real run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

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
    category = project / "site" / "blog" / "category" / "fas_kd" / "index.html"
    assert page.parent.name in category.read_text(encoding="utf-8")
    (archive,) = (project / "site" / "blog" / "archive").glob("20*/index.html")
    assert page.parent.name in archive.read_text(encoding="utf-8")
    assert ">hyperparameter</th>" in html
    assert re.search(r"<strong>mean ± std \(n=2\)</strong>", html)
    assert re.search(r"<strong>\d\.\d{4}\u00a0±\u00a0\d\.\d{4}</strong>", html)
    assert "<th>true &#92; predicted</th>" in html  # the confusion matrix, an HTML table
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
    assert f"journal: bad record {bad}: field 'seed': a seed must be an integer, not '" in strict.stderr
    before = bad.read_bytes()
    plain = _build(project)
    assert plain.returncode == 0, plain.stderr
    assert "bad record" in plain.stderr
    _, html = _post(project)
    assert "mean ± std (n=2)" in html  # the good records still render
    assert bad.read_bytes() == before  # the build never touches a record


def _get(url: str) -> str:
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
        return str(response.read().decode("utf-8"))


def test_serve_rebuilds_when_a_record_changes(tmp_path: Path, fas_kd_results: Path) -> None:
    import socket
    import time

    results = tmp_path / "results"
    shutil.copytree(fas_kd_results, results)
    project = _project(tmp_path, results)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-f", str(project / "mkdocs.yml"),
         "-a", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
    )

    def wait_for(needle: str, timeout: float = 90) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if needle in _get(f"http://127.0.0.1:{port}/blog/"):
                    return True
            except OSError:
                pass
            time.sleep(0.5)
        return False

    try:
        assert wait_for("fas-kd-"), "the journal never came up"
        source = json.loads(next(results.glob("*.json")).read_text())
        source.update(id="20261124T090000Z-fas_kd-added", started_at="2026-11-24T09:00:00Z",
                      updated_at="2026-11-24T09:00:30Z", ended_at="2026-11-24T09:00:30Z")
        (results / "20261124T090000Z-fas_kd-added.json").write_text(json.dumps(source))
        assert wait_for("fas-kd-2026-11-24"), "no rebuild after a new record"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_ser_post_shows_chinese_class_names(tmp_path: Path, ser_results: Path) -> None:
    project = _project(tmp_path, ser_results)
    result = _build(project, "--strict")
    assert result.returncode == 0, result.stderr
    (page,) = (project / "site" / "blog").glob("20*/*/*/ser-*/index.html")
    html = page.read_text(encoding="utf-8")
    assert '<td style="text-align: left;"><strong>负向</strong></td>' in html  # per-class, confusion
    assert "<strong>Per-class report</strong>" in html and ">UA\u00a0% &#91;95% CI&#93;</th>" in html
    charts = re.findall(r'<img alt="[^"]*" src="([^"]+per-class-f1\.svg)"', html)
    (svg,) = [(page.parent / src).resolve().read_text(encoding="utf-8") for src in charts]
    assert "负向" in svg and "<text" in svg  # text, not paths: the browser's CJK font draws it


def test_finetune_post_builds_with_references(tmp_path: Path, finetune_results: Path) -> None:
    project = _project(tmp_path, finetune_results)
    result = _build(project, "--strict")
    assert result.returncode == 0, result.stderr
    (page,) = (project / "site" / "blog").glob("20*/*/*/finetune-*/index.html")
    html = page.read_text(encoding="utf-8")
    assert ">R²</th>" in html and ">Pearson r</th>" in html and ">References<" in html
    assert len(re.findall(r'<img alt="[^"]*" src="[^"]+\.svg"', html)) >= 3


@pytest.mark.parametrize(("fixture", "slug", "heading"), [
    ("vad_results", "vad", "AUC over"),
    ("reid_results", "reid-noisy", "training log (last lines)"),
])
def test_vad_and_reid_posts_build(tmp_path: Path, request: pytest.FixtureRequest, fixture: str, slug: str,
                                  heading: str) -> None:
    project = _project(tmp_path, request.getfixturevalue(fixture))
    result = _build(project, "--strict")
    assert result.returncode == 0, result.stderr
    (page,) = (project / "site" / "blog").glob(f"20*/*/*/{slug}-*/index.html")
    html = page.read_text(encoding="utf-8")
    assert heading in html
    assert len(re.findall(r'<img alt="[^"]*" src="[^"]+\.svg"', html)) >= 2


BAD_FILES = {
    "truncated.json": (b'{"schema": 1, "id": "x", "experim', "invalid JSON at line 1"),
    "empty.json": (b"", "empty file"),
    "latin1.json": (b'{"id": "caf\xe9"}', "not UTF-8"),
}


def test_every_bad_file_is_one_warning_naming_file_and_field(tmp_path: Path, make_record: Any) -> None:
    from journal.records import write_record

    results = tmp_path / "results"
    for seed in (0, 1):
        write_record(make_record(seed=seed), results, create=True)
    good = json.loads(make_record(seed=5).to_json())
    mutations = {
        "wrong-type.json": ({**good, "seed": "five"}, "field 'seed'"),
        "missing.json": ({k: v for k, v in good.items() if k != "experiment"}, "field 'experiment'"),
        "future.json": ({**good, "schema": 99}, "field 'schema': schema 99 is newer"),
    }
    for name, (data, _) in mutations.items():
        (results / name).write_text(json.dumps(data))
    for name, (content, _) in BAD_FILES.items():
        (results / name).write_bytes(content)
    before = {p.name: p.read_bytes() for p in results.iterdir()}
    project = _project(tmp_path, results)
    strict = _build(project, "--strict")
    assert strict.returncode != 0
    lines = [line for line in strict.stderr.splitlines() if "journal: bad record" in line]
    assert len(lines) == len(mutations) + len(BAD_FILES)  # one line per bad file
    for name, (_, expected) in {**mutations, **BAD_FILES}.items():
        assert any(str(results / name) in line and expected in line for line in lines), name
    plain = _build(project)
    assert plain.returncode == 0 and "mean ± std (n=2)" in _post(project)[1]
    assert {p.name: p.read_bytes() for p in results.iterdir()} == before  # nothing touched


def test_hostile_strings_render_as_text_in_the_built_site(tmp_path: Path, make_record: Any) -> None:
    from journal.records import Confusion, write_record

    hostile = "<script>alert('x')</script> | {{ config.site_name }} ../../etc"
    rec = make_record(
        variant=f"v {hostile}",
        config={"lr": 0.1, "name": hostile},
        note="**bold finding** and <script>alert('note')</script> and `a<b`",
        confusion=Confusion(labels=["<i>live</i>", "a|b"], matrix=[[3, 1], [1, 3]]),
    )
    results = tmp_path / "results"
    write_record(rec, results, create=True)
    project = _project(tmp_path, results)
    result = _build(project, "--strict")
    assert result.returncode == 0, result.stderr
    _, html = _post(project)
    assert "<script>alert" not in html  # neither from config, variant, class names nor the note
    assert "alert('note')" not in html  # the sanitiser drops a script with its content
    assert "<strong>bold finding</strong>" in html  # a note's Markdown still renders
    assert "<code>a&lt;b</code>" in html  # and code stays code
    assert "{{ config.site_name }}" in html  # shown as text, never evaluated
    assert "| journal ../../etc" not in html
    assert "<i>live" not in html and "&#60;i&#62;live&#60;/i&#62;</th>" in html  # class names are text
    outside = [p for p in tmp_path.rglob("*") if "etc" in p.parts]
    assert outside == []


def test_a_log_line_cannot_include_a_file_through_snippets(tmp_path: Path, make_record: Any) -> None:
    """With pymdownx.snippets on, a log or error line `--8<-- "secret.txt"` would be replaced by
    the file (the extension reads raw lines, code blocks included); it shows as the text."""
    from journal.records import write_record

    results = tmp_path / "results"
    write_record(make_record(seed=0, log='step 1\n--8<-- "secret.txt"\n  ;--8<--\nsecret.txt\n;--8<--'),
                 results, create=True)
    write_record(make_record(seed=1, status="failed", error='boom\n--8<-- "secret.txt"'), results,
                 create=True)
    project = _project(tmp_path, results)
    (project / "secret.txt").write_text("TOPSECRET-42\n")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace(
        "markdown_extensions:\n", "markdown_extensions:\n  - pymdownx.snippets:\n      base_path: [.]\n", 1))
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=project,
                            capture_output=True, text=True, timeout=300, check=False,
                            env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr[-2000:]
    site = "".join(p.read_text(encoding="utf-8") for p in (project / "site").rglob("*.html"))
    assert "TOPSECRET-42" not in site
    assert '--\u200b8&lt;-- "secret.txt"' in site  # shown, as the run logged it


def test_a_very_long_experiment_name_builds(tmp_path: Path, make_record: Any) -> None:
    """90 CJK characters (270 bytes) as an experiment name: the blog's category folder is cut
    to fit a file name (it was the whole name, and the build failed: File name too long)."""
    from journal.records import write_record
    from journal.render.posts import MAX_CATEGORY, category

    name = "实验" * 45
    results = tmp_path / "results"
    for seed in (0, 1):
        write_record(make_record(seed=seed, experiment=name, id=f"long-{seed}"), results, create=True)
    project = _project(tmp_path, results)
    result = _build(project, "--strict")
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(category(name)) == MAX_CATEGORY and category(name) != category(name[:-1] + "x")
    folders = [p.name for p in (project / "site" / "blog" / "category").iterdir()]
    assert any(f.startswith("实验实验") and len(f.encode()) < 255 for f in folders), folders


def test_journal_block_in_a_hand_written_post(tmp_path: Path, make_record: Any) -> None:
    from journal.records import write_record

    results = tmp_path / "results"
    for seed in (0, 1):
        write_record(make_record(seed=seed), results, create=True)
    project = _project(tmp_path, results)
    post = project / "docs" / "blog" / "posts" / "thoughts.md"
    front = "---\ndate:\n  created: 2026-11-24T09:00:00Z\nslug: thoughts\ncategories:\n  - about\n---\n\n"
    post.write_text(front + "# Thoughts\n\n```journal\nexperiment: fas_kd\nshow: results\n```\n")
    result = _build(project, "--strict")
    assert result.returncode == 0, result.stderr
    (page,) = (project / "site" / "blog").glob("20*/*/*/thoughts/index.html")
    assert "mean ± std (n=2)" in page.read_text(encoding="utf-8")
    post.write_text(front + "# Thoughts\n\n```journal\nexperiment: nope\n```\n")
    result = _build(project, "--strict")
    assert result.returncode != 0
    assert "blog/posts/thoughts.md: journal block: no runs of experiment 'nope'" in result.stderr
    result = _build(project)  # without --strict: the block is a failure box, the site is built
    assert result.returncode == 0, result.stderr
    assert "journal block: no runs of experiment 'nope'" in result.stderr
    (page,) = (project / "site" / "blog").glob("20*/*/*/thoughts/index.html")
    html = page.read_text(encoding="utf-8")
    assert '<div class="admonition failure">' in html
    assert "no runs of experiment 'nope'" in html
    _post(project)  # and the journal's own posts are there


def test_overview_pages_notes_and_declarations_in_the_site(tmp_path: Path, fas_kd_results: Path) -> None:
    from journal.notes import add_note

    results = tmp_path / "results"
    shutil.copytree(fas_kd_results, results)
    (results / "experiments.yml").write_text(
        "fas_kd:\n  baseline: student · epochs=6\n  references:\n    Paper: {acer: 0.05}\n")
    add_note("Logit KD: **within noise**.", results_dir=results, experiment="fas_kd",
             variant="student + logit KD · epochs=6")
    project = _project(tmp_path, results)
    result = _build(project, "--strict")
    assert result.returncode == 0, result.stderr
    site = project / "site"
    overview = (site / "experiments" / "fas-kd" / "index.html").read_text(encoding="utf-8")
    # the teacher is an upper bound (the bundled declaration): shown, never starred
    assert "★ teacher" not in overview and ">upper bound<" in overview
    assert "student · epochs=6 (baseline)" in overview
    assert re.search(r'href="\.\./\.\./blog/20\d\d/\d\d/\d\d/fas-kd-[\d-]+/">20', overview)  # dated post
    assert "<strong>within noise</strong>" in overview and "ours − Paper" in overview
    (chart,) = re.findall(r'<img alt="[^"]*" src="([^"]+\.svg)"', overview)
    assert (site / "experiments" / "fas-kd" / chart).resolve().is_file()
    assert 'src="../../assets/journal/tablesort.min.js"' in overview
    assert (site / "assets" / "journal" / "tablesort.min.js").read_bytes().startswith(b"/*!\n * tablesort")
    home = (site / "index.html").read_text(encoding="utf-8")
    tabs = re.findall(r'class="md-tabs__link"[^>]*>\s*([^<]+?)\s*<', home)
    assert tabs[:3] == ["Home", "Journal", "Experiments"]
    _, post = _post(project)
    assert ">student · epochs=6 (baseline)</td>" in post  # the headline's comparisons
    assert "Logit KD: <strong>within noise</strong>." in post
    bad = results / "experiments.yml"
    bad.write_text("fas_kd:\n  baseline: studnet\n")
    strict = _build(project, "--strict")
    assert strict.returncode != 0
    expected = f"journal: bad declaration {bad}: field 'fas_kd.baseline': no run of variant 'studnet'"
    assert expected in strict.stderr
