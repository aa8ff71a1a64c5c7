"""A journal published under a project sub-path, as GitHub Pages serves ``USER.github.io/REPO/``.

The site is built with ``site_url`` set the way the workflow sets it, served from the folder
above it (so it lives at ``/REPO/``, with ``404.html`` answering every missing path as Pages
does), and crawled in headless Chromium: every page, link and asset, the 404 page at a nested
missing path, the sitemap, the charts and the search. Nothing may answer 404 except the
deliberately missing page.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest

from journal.scaffold import init_journal

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("google-chrome") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPO_PATH = "/lab-journal/"

if os.environ.get("JOURNAL_SKIP_BROWSER"):
    pytest.skip("JOURNAL_SKIP_BROWSER is set", allow_module_level=True)


class PagesHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, and the project's ``404.html`` (status 404) for a missing path under it."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / REPO_PATH.strip("/") / "404.html"
        if code != 404 or not self.path.startswith(REPO_PATH) or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served on loopback, and its base URL (``http://127.0.0.1:PORT``)."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(PagesHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def browser() -> Iterator[Any]:
    assert Path(CHROMIUM).exists(), "chromium is missing: run scripts/setup-browser.sh"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS[1:], headless=True)
        yield chromium
        chromium.close()


LINKS_JS = """() => [
  ...[...document.querySelectorAll('a[href], link[href]')].map(e => e.href),
  ...[...document.querySelectorAll('img[src], script[src], source[src], iframe[src]')].map(e => e.src),
  ...[...document.querySelectorAll('object[data]')].map(e => e.data),
]"""


def _is_page(url: str) -> bool:
    path = urlsplit(url).path
    return path.endswith("/") or path.endswith(".html")


def test_site_works_under_a_project_sub_path(tmp_path: Path, served: tuple[Path, str],
                                             browser: Any) -> None:
    www, origin = served
    base = origin + REPO_PATH
    journal = init_journal(tmp_path / "lab").root  # its example: 4 runs, a post with charts
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(journal / "mkdocs.yml"),
         "-d", str(www / REPO_PATH.strip("/"))],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "SITE_URL": base})
    assert build.returncode == 0, build.stderr

    context = browser.new_context()
    statuses: dict[str, int] = {}
    errors: list[str] = []
    page = context.new_page()
    page.on("response", lambda r: statuses.__setitem__(urldefrag(r.url)[0], r.status))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)

    # Every page reachable from the home page, and every link and asset on each.
    todo, pages, assets = [base], set(), set()
    while todo:
        url = todo.pop()
        if url in pages:
            continue
        pages.add(url)
        response = page.goto(url, wait_until="networkidle")
        assert response is not None and response.status == 200, url
        for link in page.evaluate(LINKS_JS):
            link = urldefrag(link)[0]
            if not link.startswith(origin):
                continue  # nothing else is loaded, and no page links elsewhere on this host
            assert link.startswith(base), f"{url} links outside {REPO_PATH}: {link}"
            if _is_page(link):
                todo.append(link)
            else:
                assets.add(link)
    for asset in sorted(assets - set(statuses)):
        statuses[asset] = context.request.get(asset).status
    missing = sorted(u for u, status in statuses.items() if status not in (200, 304))
    assert missing == [], missing
    assert errors == [], errors
    posts = [u for u in pages if re.search(r"/blog/20\d\d/\d\d/\d\d/example-", u)]
    assert posts and base + "experiments/example/" in pages
    assert len(pages) >= 6 and any(u.endswith(".svg") for u in statuses)

    # Charts draw, and the search (its index and worker under the sub-path) finds the post.
    page.goto(posts[0], wait_until="networkidle")
    sizes = page.eval_on_selector_all("article img[src$='.svg']", "els => els.map(e => e.naturalWidth)")
    assert len(sizes) >= 2 and all(w > 0 for w in sizes), sizes
    page.click("label.md-search__icon, .md-search__input", timeout=5000)
    page.locator("input.md-search__input").press_sequentially("logistic", delay=10)
    page.keyboard.press("End")
    page.wait_for_selector(".md-search-result__item", timeout=15000)
    hits = page.eval_on_selector_all(".md-search-result__item a", "els => els.map(e => e.href)")
    assert hits and all(h.startswith(base) for h in hits), hits
    assert statuses.get(base + "search/search_index.json") == 200

    # The 404 page at a nested missing path, in a fresh context (nothing cached): its styles,
    # scripts and links still resolve.
    context.close()
    context = browser.new_context()
    statuses.clear()
    errors.clear()
    page = context.new_page()
    page.on("response", lambda r: statuses.__setitem__(urldefrag(r.url)[0], r.status))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(f"{page.url}: {m.text}") if m.type == "error" else None)
    missing_url = base + "no/such/page/"
    response = page.goto(missing_url, wait_until="networkidle")
    assert response is not None and response.status == 404  # the deliberate one
    assert page.locator("h1").first.inner_text().strip() == "404 - Not found"
    loaded = {u: s for u, s in statuses.items() if u != missing_url}
    assert len(loaded) >= 5 and all(s == 200 for s in loaded.values()), loaded
    assert all(u.startswith(base) for u in loaded), loaded
    assert page.evaluate("getComputedStyle(document.querySelector('.md-header')).position") != "static"
    for link in page.evaluate(LINKS_JS):
        if link.startswith(origin):
            assert urldefrag(link)[0].startswith(base), link
    assert [e for e in errors if "404" not in e] == [], errors

    # The sitemap lists every page at its published address.
    sitemap = context.request.get(base + "sitemap.xml")
    assert sitemap.status == 200
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap.text())
    assert locs and all(loc.startswith(base) for loc in locs), locs
    assert set(posts) <= set(locs) and base in locs
    assert all(context.request.get(loc).status == 200 for loc in locs)
    context.close()
