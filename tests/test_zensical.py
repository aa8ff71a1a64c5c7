"""Both generators build the same journal: `journal render --docs` + `zensical build --strict`,
and `mkdocs build --strict` with the plugin; and the post cache follows the library's code."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import REPO, T0
from journal.cli import main
from journal.records import Record, write_record
from journal.site import MANIFEST

pytestmark = pytest.mark.slow

BLOCK_POST = ("---\ndate:\n  created: 2026-11-24T09:00:00Z\nslug: thoughts\ncategories:\n  - about\n"
              "---\n\n# Thoughts\n\n<!-- more -->\n\n```journal\nexperiment: fas_kd\nshow: results\n```\n")


def _env() -> dict[str, str]:
    src = str(REPO / "src")
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "NO_MKDOCS_2_WARNING": "1"}


def _zensical(project: Path) -> subprocess.CompletedProcess[str]:
    pytest.importorskip("zensical")
    exe = shutil.which("zensical") or str(Path(sys.executable).parent / "zensical")
    return subprocess.run([exe, "build", "--strict", "--clean", "-f", str(project / "mkdocs.yml")],
                          capture_output=True, text=True, timeout=600, check=False, env=_env(),
                          cwd=project)


def _mkdocs(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                           str(project / "mkdocs.yml")], capture_output=True, text=True,
                          timeout=600, check=False, env=_env(), cwd=project)


def _render_docs(project: Path, results: Path) -> None:
    result = CliRunner().invoke(main, ["render", "--docs", str(project / "docs"), "--results",
                                       str(results)])
    assert result.exit_code == 0, result.output


@pytest.fixture
def results(tmp_path: Path, make_record: Callable[..., Record]) -> Path:
    """Two variants of fas_kd on one day, and a second experiment a week later."""
    folder = tmp_path / "results"
    for i, (variant, seed) in enumerate([("student", 0), ("student", 1), ("student + KD", 0),
                                         ("student + KD", 1)]):
        write_record(make_record(seed=seed, variant=variant, id=f"20261123T0610{i:02d}Z-fas_kd-{i}",
                                 started_at=T0 + timedelta(minutes=i)), folder, create=True)
    for seed in (0, 1):
        write_record(make_record(seed=seed, experiment="other", id=f"20261201T0610{seed:02d}Z-other-{seed}",
                                 started_at=T0 + timedelta(days=8, minutes=seed)), folder, create=True)
    return folder


def _repository_journal(tmp_path: Path, results: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(REPO / "docs", project / "docs")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    shutil.copytree(results, project / "results")
    (project / "docs" / "blog" / "posts" / "thoughts.md").write_text(BLOCK_POST)
    return project


def _posts_and_overviews(docs: Path) -> tuple[dict[str, str], list[str]]:
    """Generated posts (``day/slug``) and overview pages (``experiments/stem``) of a docs tree."""
    files = json.loads((docs / MANIFEST).read_text())["files"]
    posts = {}
    for rel in files:
        if rel.startswith("blog/posts/journal/") and rel.endswith(".md") and rel.count("/") == 3:
            text = (docs / rel).read_text()
            slug = re.search(r"^slug: ['\"]?([^'\"\n]+)", text, re.MULTILINE)
            assert slug is not None, rel
            day = Path(rel).name[:10].replace("-", "/")
            posts[rel] = f"blog/{day}/{slug.group(1)}"
    overviews = [rel[:-3] for rel in files if rel.startswith("experiments/") and rel.endswith(".md")]
    return posts, overviews


def _pages(site: Path) -> set[str]:
    return {p.parent.relative_to(site).as_posix() for p in site.rglob("index.html")}


def _check_site(site: Path, docs: Path) -> dict[str, int]:
    """Every post and overview is a page whose charts exist; returns each post's table count."""
    posts, overviews = _posts_and_overviews(docs)
    assert posts and overviews
    tables = {}
    for url in [*posts.values(), *overviews]:
        page = site / (url.removesuffix("/index") if url.endswith("/index") else url) / "index.html"
        assert page.is_file(), url
        html = page.read_text(encoding="utf-8")
        for src in re.findall(r'<img alt="[^"]*" src="([^"]+\.svg)"', html):
            svg = (page.parent / src).resolve()
            assert svg.is_file() and svg.read_bytes().startswith(b"<?xml"), (url, src)
        tables[url] = html.count("<table")
    for url in posts.values():
        assert tables[url] >= 3, url  # summary, per-seed results, selections at least
    return tables


def test_zensical_builds_this_repositorys_journal(tmp_path: Path, results: Path) -> None:
    project = _repository_journal(tmp_path, results)
    _render_docs(project, project / "results")
    result = _zensical(project)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower() and "No issues found" in output
    site = project / "site"
    _check_site(site, project / "docs")
    thoughts = (site / "blog" / "2026" / "11" / "24" / "thoughts" / "index.html").read_text()
    assert '<div class="journal">' in thoughts  # the block ran, on every variant's runs
    assert re.search(r"<strong>mean ± std \(n=4\)</strong>", thoughts)
    overview = (site / "experiments" / "fas-kd" / "index.html").read_text()
    assert re.search(r'href="\.\./\.\./blog/20\d\d/\d\d/\d\d/fas-kd-[\d-]+/"', overview)
    assert 'src="../../assets/journal/tablesort.min.js"' in overview
    assert (site / "assets" / "journal" / "tablesort.min.js").is_file()
    (project / "docs" / "blog" / "posts" / "thoughts.md").write_text(
        BLOCK_POST.replace("fas_kd", "nope"))
    bad = _zensical(project)  # a bad block costs itself: a failure box and a warning
    assert bad.returncode == 0, bad.stdout + bad.stderr
    assert "journal block: no runs of experiment 'nope'" in bad.stdout + bad.stderr
    thoughts = (site / "blog" / "2026" / "11" / "24" / "thoughts" / "index.html").read_text()
    assert '<div class="admonition failure">' in thoughts
    assert "no runs of experiment 'nope'" in thoughts
    strict = subprocess.run([sys.executable, "-m", "journal.cli", "build", "--strict"],
                            capture_output=True, text=True, timeout=600, check=False, env=_env(),
                            cwd=project)
    assert strict.returncode == 1  # journal build --strict counts it, the page cached or not
    assert "journal: 1 problems (see above); --strict fails the build" in strict.stderr


def _block_counts(html: str) -> list[int]:
    """The n of every mean ± std row of a page's journal-block tables."""
    return [int(n) for n in re.findall(r"<strong>mean ± std \(n=(\d+)\)</strong>", html)]


def test_a_journal_block_shows_a_new_record_after_journal_build(
        tmp_path: Path, results: Path, make_record: Callable[..., Record]) -> None:
    """Zensical caches a page by its text, which a new record does not change: the block's page
    is rendered again all the same."""
    pytest.importorskip("zensical")
    project = _repository_journal(tmp_path, results)
    thoughts = project / "site" / "blog" / "2026" / "11" / "24" / "thoughts" / "index.html"

    def build() -> list[int]:
        done = subprocess.run([sys.executable, "-m", "journal.cli", "build", "--strict"],
                              capture_output=True, text=True, timeout=600, check=False,
                              env=_env(), cwd=project)
        assert done.returncode == 0, done.stderr
        return _block_counts(thoughts.read_text(encoding="utf-8"))

    before = build()
    assert before and (project / ".cache").is_dir()
    write_record(make_record(seed=9, id="20261205T061000Z-fas_kd-9",
                             started_at=T0 + timedelta(days=12)), project / "results", create=True)
    assert sum(build()) == sum(before) + 1


def test_zensical_builds_a_new_journal(tmp_path: Path) -> None:
    from journal.scaffold import init_journal

    made = init_journal(tmp_path / "lab", lang="zh")
    assert made.example_records
    project = made.root
    _render_docs(project, project / "results")
    result = _zensical(project)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower()
    tables = _check_site(project / "site", project / "docs")
    assert any(url.startswith("blog/") for url in tables)
    mkdocs = _mkdocs(project)  # the same folder, docs tree included, builds with MkDocs too
    assert mkdocs.returncode == 0, mkdocs.stderr


def test_mkdocs_and_zensical_show_the_same_pages_and_tables(tmp_path: Path, results: Path) -> None:
    project = _repository_journal(tmp_path, results)
    _render_docs(project, project / "results")
    zensical = _zensical(project)
    assert zensical.returncode == 0, zensical.stdout + zensical.stderr
    (project / "site").rename(project / "site-zensical")
    mkdocs = _mkdocs(project)
    assert mkdocs.returncode == 0, mkdocs.stderr
    docs = project / "docs"
    z_tables = _check_site(project / "site-zensical", docs)
    m_tables = _check_site(project / "site", docs)
    assert z_tables == m_tables
    assert len([u for u in z_tables if u.startswith("blog/")]) == 2
    assert _pages(project / "site") == _pages(project / "site-zensical")
    for site in ("site", "site-zensical"):  # one Experiments section, after the journal
        home = (project / site / "index.html").read_text(encoding="utf-8")
        tabs = re.findall(r'class="md-tabs__link"[^>]*>\s*([^<]+?)\s*<', home)
        assert tabs == ["Home", "Journal", "Experiments", "Reference"], (site, tabs)
        overview = (project / site / "experiments" / "fas-kd" / "index.html").read_text()
        assert overview.count('src="../../assets/journal/tablesort.min.js"') == 1, site  # once
    # the plugin wrote the same files `journal render --docs` did, byte for byte
    rendered = json.loads((docs / MANIFEST).read_text())["files"]
    plugin_out = project / ".journal-cache" / "site"
    generated = [rel for rel in rendered if not rel.startswith("assets/")]
    assert sorted(p.relative_to(plugin_out).as_posix() for p in plugin_out.rglob("*")
                  if p.is_file()) == sorted(generated)
    for rel in generated:
        assert (plugin_out / rel).read_bytes() == (docs / rel).read_bytes(), rel


def _ci_row(post: Path) -> str:
    (row,) = [line.strip() for line in post.read_text().splitlines() if line.strip().startswith("| 95% CI")]
    return row


def test_a_change_to_statistics_code_re_renders_a_cached_post(
        tmp_path: Path, make_record: Callable[..., Record]) -> None:
    project = tmp_path / "site"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("site_name: t\n")
    for seed, acer in enumerate((0.2, 0.3, 0.25)):
        # mae is unbounded: its interval is the t-interval the edit below doubles
        write_record(make_record(seed=seed, metrics={"acer": acer, "acc": 1 - acer, "mae": 2 + acer}),
                     project / "results", create=True)
    code = tmp_path / "code"
    shutil.copytree(REPO / "src" / "journal", code / "journal",
                    ignore=shutil.ignore_patterns("__pycache__"))
    post = project / "docs" / "blog/posts/journal/2026-11-23-fas-kd.md"

    def render(source: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(source)}
        proc = subprocess.run([sys.executable, "-m", "journal.cli", "render", "--docs",
                               str(project / "docs"), "--results", str(project / "results")],
                              capture_output=True, text=True, timeout=300, check=False, env=env)
        assert proc.returncode == 0, proc.stderr

    render(code)
    before = _ci_row(post)
    pickles = {p: p.stat().st_mtime_ns for p in (project / ".journal-cache" / "rendered").iterdir()}
    render(code)  # the same code: the post comes from the cache
    assert {p: p.stat().st_mtime_ns for p in (project / ".journal-cache" / "rendered").iterdir()} == pickles
    statistics = code / "journal" / "statistics.py"
    text = statistics.read_text()
    line = "    half = float(_t_quantile(0.5 + confidence / 2, x.size - 1)"
    assert line in text
    statistics.write_text(text.replace(line, line.replace("half = float(", "half = 2 * float(")))
    render(code)
    after = _ci_row(post)
    assert after != before  # re-rendered with the wider interval, not read from the cache

    def widths(row: str) -> list[float]:
        return [float(b) - float(a) for a, b in re.findall(r"\[(-?[\d.]+), (-?[\d.]+)\]", row)]

    # the last column is mae's t-interval, twice as wide; acer's and acc's (logit-t) unchanged
    assert widths(after)[-1] == pytest.approx(2 * widths(before)[-1], abs=2e-4)
    assert widths(after)[:2] == widths(before)[:2]


def _get(url: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def _text(url: str) -> str:
    """The page at ``url``, or "" while the server does not answer it."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
            return str(response.read().decode("utf-8"))
    except OSError:
        return ""


def test_journal_serve_with_zensical_shows_a_new_record(
        tmp_path: Path, results: Path, make_record: Callable[..., Record],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import threading
    import time

    from journal.serve import serve

    pytest.importorskip("zensical")
    project = _repository_journal(tmp_path, results)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}/"
    stop = threading.Event()
    monkeypatch.setenv("PYTHONPATH", _env()["PYTHONPATH"])  # the server imports journal.fence
    thread = threading.Thread(target=serve, args=(project / "mkdocs.yml", project / "results"),
                              kwargs={"generator": "zensical", "addr": f"127.0.0.1:{port}",
                                      "interval": 0.2, "stop": stop, "log": lambda _: None})
    thread.start()
    try:
        deadline = time.monotonic() + 120
        while _get(base + "blog/2026/12/01/other-2026-12-01/") != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _get(base + "blog/2026/12/01/other-2026-12-01/") == 200
        assert _get(base + "experiments/other/") == 200
        new = base + "blog/2026/12/05/fas-kd-2026-12-05/"
        assert _get(new) == 404
        thoughts = base + "blog/2026/11/24/thoughts/"
        before = _block_counts(_text(thoughts))
        assert before
        write_record(make_record(seed=9, id="20261205T061000Z-fas_kd-9",
                                 started_at=T0 + timedelta(days=12)), project / "results", create=True)
        start = time.monotonic()
        while _get(new) != 200 and time.monotonic() - start < 120:
            time.sleep(0.2)
        assert _get(new) == 200, "the new record's post never appeared"
        # the hand-written page's block too (Zensical serve is restarted to render it again)
        while sum(_block_counts(_text(thoughts))) != sum(before) + 1 \
                and time.monotonic() - start < 120:
            time.sleep(0.2)
        assert sum(_block_counts(_text(thoughts))) == sum(before) + 1
    finally:
        stop.set()
        thread.join(timeout=60)
    assert not thread.is_alive()


def test_journal_serve_stops_its_server_when_killed(tmp_path: Path, results: Path) -> None:
    """SIGTERM to `journal serve` stops `zensical serve` with it: the port is free again."""
    import signal
    import socket
    import time

    pytest.importorskip("zensical")
    project = _repository_journal(tmp_path, results)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "journal.cli", "serve", "--generator", "zensical", "-a",
         f"127.0.0.1:{port}"], cwd=project, env=_env(), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while _get(f"http://127.0.0.1:{port}/") != 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _get(f"http://127.0.0.1:{port}/") == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 128 + signal.SIGTERM
        deadline = time.monotonic() + 10
        while _get(f"http://127.0.0.1:{port}/") != 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _get(f"http://127.0.0.1:{port}/") == 0, "zensical serve outlived journal serve"
    finally:
        process.kill()
        process.wait()


def test_the_zensical_site_in_chromium(tmp_path: Path, results: Path) -> None:
    """Charts load, scripts run without an error and overview tables sort, in a real browser."""
    import functools
    import http.server
    import threading

    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if os.environ.get("JOURNAL_SKIP_BROWSER") or not Path(chromium).exists():
        pytest.skip("no chromium (JOURNAL_SKIP_BROWSER, or scripts/setup-browser.sh not run)")
    sync_api = pytest.importorskip("playwright.sync_api")
    project = _repository_journal(tmp_path, results)
    _render_docs(project, project / "results")
    built = _zensical(project)
    assert built.returncode == 0, built.stdout + built.stderr
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(project / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True,
                                        args=["--no-sandbox", "--disable-gpu"])
            for path, charts in [("/blog/2026/11/23/fas-kd-2026-11-23/", 4),
                                 ("/experiments/fas-kd/", 1), ("/experiments/", 0)]:
                page = browser.new_page()
                errors: list[str] = []
                page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
                page.on("requestfailed", lambda r, e=errors: e.append(f"request failed: {r.url}"))
                response = page.goto(base + path, wait_until="networkidle")
                assert response is not None and response.ok, path
                images = page.eval_on_selector_all(
                    "article img[src$='.svg']", "els => els.map(e => e.naturalWidth)")
                assert len(images) >= charts and all(w > 0 for w in images), (path, images)
                if path == "/experiments/fas-kd/":  # tablesort runs: a header click sorts
                    page.locator("article table th").nth(1).click()
                    assert page.locator("article table th[aria-sort]").count() == 1
                assert errors == [], (path, errors)
                page.close()
            browser.close()
    finally:
        server.shutdown()


def test_plain_mkdocs_builds_the_docs_tree_without_the_plugin(tmp_path: Path, results: Path) -> None:
    project = _repository_journal(tmp_path, results)
    config = project / "mkdocs.yml"
    text = config.read_text()
    assert "  - journal:\n      results_dir: results\n" in text
    config.write_text(text.replace("  - journal:\n      results_dir: results\n", ""))
    _render_docs(project, project / "results")
    result = _mkdocs(project)
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    site = project / "site"
    _check_site(site, project / "docs")
    thoughts = (site / "blog" / "2026" / "11" / "24" / "thoughts" / "index.html").read_text()
    assert '<div class="journal">' in thoughts  # the fence, under MkDocs
    assert re.search(r"<strong>mean ± std \(n=4\)</strong>", thoughts)
    (project / "docs" / "blog" / "posts" / "thoughts.md").write_text(BLOCK_POST.replace("fas_kd", "nope"))
    bad = _mkdocs(project)
    assert bad.returncode != 0
    assert "blog/posts/thoughts.md: journal block: no runs of experiment 'nope'" in bad.stderr
