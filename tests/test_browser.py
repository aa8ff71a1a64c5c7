"""The built journal in a real browser (Debian's chromium driven by Playwright).

Installed by ``scripts/setup-browser.sh`` (run by the test command); ``JOURNAL_SKIP_BROWSER=1``
skips these tests on a machine without it. ``JOURNAL_UPDATE_SCREENSHOT=1`` refreshes the README's
screenshot from the post rendered here.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from journal.records import load_records

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("google-chrome") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if os.environ.get("JOURNAL_SKIP_BROWSER"):
    pytest.skip("JOURNAL_SKIP_BROWSER is set", allow_module_level=True)


def _build(project: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f",
                             str(project / "mkdocs.yml")], capture_output=True, text=True,
                            timeout=300, check=False, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    assert Path(CHROMIUM).exists(), "chromium is missing: run scripts/setup-browser.sh"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS[1:], headless=True)
        yield chromium
        chromium.close()


class Visit:
    """A page opened in the browser, with every console error and uncaught exception kept."""

    def __init__(self, browser: Any, url: str, **context: Any) -> None:
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **context)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url}"))
        response = self.page.goto(url, wait_until="networkidle")
        assert response is not None and response.ok, url

    def charts(self) -> list[dict[str, float]]:
        """Every SVG image in the article, with its natural and rendered size."""
        return list(self.page.eval_on_selector_all(
            "article img[src$='.svg']",
            "els => els.map(e => ({src: e.src, natural: e.naturalWidth, "
            "width: e.getBoundingClientRect().width, height: e.getBoundingClientRect().height}))"))

    def search(self, query: str, showing: str | None = None) -> list[str]:
        """The links the theme's search lists for ``query``; with ``showing``, once a link
        holds it (the results of the query typed so far are replaced as the keys arrive, so
        the first results seen may be those of a prefix)."""
        self.page.click("label.md-search__icon, .md-search__input", timeout=5000)
        # typed key by key, then a real key press: the theme searches on key events, and
        # characters typed as text (Chinese) send none
        self.page.locator("input.md-search__input").press_sequentially(query, delay=10)
        self.page.keyboard.press("End")
        self.page.wait_for_selector(".md-search-result__item", timeout=15000)
        if showing is not None:
            with contextlib.suppress(Exception):  # not shown in time: the caller's assert says so
                self.page.wait_for_function(
                    "s => [...document.querySelectorAll('.md-search-result__item a')]"
                    ".some(e => (e.getAttribute('href') || '').includes(s))", arg=showing,
                    timeout=15000)
        return list(self.page.eval_on_selector_all(
            ".md-search-result__item a", "els => els.map(e => e.getAttribute('href'))"))


def _assert_charts_visible(visit: Visit, at_least: int) -> None:
    charts = visit.charts()
    assert len(charts) >= at_least, charts
    for chart in charts:
        assert chart["natural"] > 0 and chart["width"] > 100 and chart["height"] > 50, chart


def test_journal_in_chromium(tmp_path: Path, fas_kd_results: Path, ser_results: Path,
                             browser: Any, serve: Any) -> None:
    project = tmp_path / "project"
    shutil.copytree(REPO / "docs", project / "docs")
    results = project / "results"
    for source in (fas_kd_results, ser_results):
        shutil.copytree(source, results, dirs_exist_ok=True)
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    _build(project)
    site = project / "site"
    base = serve(site)
    (post,) = site.glob("blog/20*/*/*/fas-kd-*/index.html")
    post_url = "/" + post.parent.relative_to(site).as_posix() + "/"
    run_id = next(r.id for r in load_records(results)[0] if r.experiment == "fas_kd")

    for path, charts, tables in [("/", 0, 0), ("/blog/", 0, 0), (post_url, 4, 5),
                                 ("/experiments/fas-kd/", 1, 1), ("/experiments/", 0, 1)]:
        visit = Visit(browser, base + path)
        assert visit.errors == [], (path, visit.errors)
        if charts:
            _assert_charts_visible(visit, charts)
        assert visit.page.locator("article table").count() >= tables, path
        if path == post_url:
            shot = tmp_path / "post.png"
            visit.page.screenshot(path=str(shot), full_page=False)
            assert shot.stat().st_size > 20_000
            if os.environ.get("JOURNAL_UPDATE_SCREENSHOT"):
                shutil.copy(shot, REPO / "docs" / "assets" / "post.png")
            suffix = run_id.rsplit("-", 1)[1]
            hits = visit.search(run_id, showing=suffix)
            assert any(post_url in (h or "") and suffix in (h or "") for h in hits), hits
        if path == "/experiments/fas-kd/":  # the overview's table sorts on a click
            first = visit.page.locator("article table tbody tr td").first.inner_text()
            visit.page.locator("article table th", has_text="ACER").first.click()
            visit.page.locator("article table th", has_text="ACER").first.click()
            assert visit.page.locator("article table th[aria-sort]").count() == 1
            assert isinstance(first, str)
        visit.context.close()

    dark = Visit(browser, base + post_url, color_scheme="dark")
    scheme = dark.page.evaluate("document.body.getAttribute('data-md-color-scheme')")
    assert scheme == "slate" and dark.errors == []
    _assert_charts_visible(dark, 4)
    dark.page.screenshot(path=str(tmp_path / "post-dark.png"))
    dark.context.close()


def test_chinese_journal_from_init_in_chromium(tmp_path: Path, browser: Any, serve: Any) -> None:
    """`journal init --lang zh` builds with its example post: Chinese labels, Chinese class
    names drawn as SVG text, and the site search finds a Chinese word."""
    root = tmp_path / "x"
    init = subprocess.run([sys.executable, "-m", "journal.cli", "init", str(root), "--lang", "zh"],
                          capture_output=True, text=True, timeout=300, check=False)
    assert init.returncode == 0, init.stderr
    _build(root)
    (post,) = (root / "site").glob("blog/20*/*/*/example-*/index.html")
    html = post.read_text(encoding="utf-8")
    assert "超参数" in html and "混淆矩阵" in html and "均值 ± 标准差" in html
    svgs = list((root / "site").rglob("*per-class-f1.svg"))
    assert svgs and all(">正常</text>" in p.read_text(encoding="utf-8") for p in svgs)
    base = serve(root / "site")
    url = base + "/" + post.parent.relative_to(root / "site").as_posix() + "/"
    visit = Visit(browser, url)
    assert visit.errors == []
    _assert_charts_visible(visit, 2)
    hits = visit.search("异常")
    assert any("example" in (h or "") for h in hits), hits
    visit.context.close()
