"""A hostile results folder: the site builds, runs no script, and names each bad file once.

Records, notes and declarations carry strings an adversarial collaborator would write (HTML,
event handlers, attr_list braces, ``javascript:`` links, mathtext, terminal escapes, front
matter, snippets) in every field, beside files that used to crash the build. The built site is
opened page by page in Chromium with a dialog listener.
"""

from __future__ import annotations

import functools
import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO
from journal.folder import load_journal
from journal.notes import write_note
from journal.records import Confusion, Curve, Dataset, EpochRow, Selection, write_record
from journal.site import build_site

HOSTILE = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    '"><svg onload=alert(3)>',
    "'><iframe src=javascript:alert(4)>",
    "{: onmouseover=alert(5) }",
    "`x`{ onclick=alert(6) }",
    "a\n{: onerror=alert(7)}\nb",
    "[x](javascript:alert(8))",
    "$\\frac$ and $x^2$",
    "\x1b]8;;http://evil\x07click\x1b]8;;\x07 \x1b[2J",
    "{{ config.site_name }} {% raw %}",
    '--8<-- "/etc/passwd"',
    "<!-- more --> ---",
    "title: x\n---\n# y",
    "a\\`b` `c\n\nd` <img src=x onerror=alert(9)>",
]
NOTE = """Hostile note.

![i](n.png){ onerror=alert(11) }

{: onmouseover=alert(12) }

\\`<img src=x onerror=alert(13)>\\`

`code broken

<img src=x onerror=alert(14)>`

[click](javascript:alert(15)) <a href="javascript:alert(16)">a</a>
<script>alert(17)</script><b onclick="alert(18)">bold</b>
"""


def _hostile_record(make_record: Any, i: int, s: str, **extra: Any) -> Any:
    return make_record(
        seed=i,
        id=f"20261123T0610{i:02d}Z-hostile-{i:04d}",
        experiment=extra.pop("experiment", "fas_kd"),
        variant=f"v{i} {s}",
        config={"lr": 0.1, s: s, "name": s},
        dataset=Dataset(name=s, sizes={s: 3, "test": 8}),
        history=[EpochRow.model_validate({"epoch": e, "train_loss": 1.0 / e, f"val_{s}": 0.5})
                 for e in (1, 2)],
        metrics={"acer": 0.25, s: 0.5, "status": 0.1, "run": 0.2},
        selections={s: Selection(metric=s, mode="max", epoch=1, value=0.5)},
        evaluations={s: {"acer": 0.3}},
        per_class={s: {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 4}},
        references={s: {"acer": 0.2}},
        confusion=Confusion(labels=[s, "ok"], matrix=[[3, 1], [1, 3]], split=s, checkpoint=s),
        curves={s: Curve(x=[0.0, 1.0], y=[0.0, 1.0], x_label=s, y_label=s)},
        log=f"line {s}\n```\n{s}",
        note=f"{s}\n\n{NOTE}",
        **extra,
    )


def _corpus(tmp_path: Path, make_record: Any) -> tuple[Path, dict[str, str]]:
    results = tmp_path / "results"
    for i, s in enumerate(HOSTILE):
        write_record(_hostile_record(make_record, i, s), results, create=True)
    # valid but odd: experiment names that slugify alike, CJK names, reserved names, maths
    for i, name in enumerate(["a b", "a-b", "语音情感", "人脸活体", "index", HOSTILE[0], "$\\frac$"]):
        write_record(_hostile_record(make_record, 40 + i, HOSTILE[i % len(HOSTILE)],
                                     experiment=name), results, create=True)
    good = json.loads(make_record(seed=60).to_json())
    bad = {
        "overflow.json": json.dumps({**good, "id": "overflow", "started_at": "0001-01-01T00:00:00+01:00"}),
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "digits.json": json.dumps(good)[:-1] + ', "seed": ' + "9" * 5000 + "}",
    }
    for name, text in bad.items():
        (results / name).write_text(text, encoding="utf-8")
    (results / "outside.json").symlink_to(tmp_path / "secret.json")
    (tmp_path / "secret.json").write_text('{"password": "hunter2"}\n', encoding="utf-8")
    for s in HOSTILE[:6]:
        write_note(results, f"{s}\n\n{NOTE}", experiment="fas_kd", day=date(2026, 11, 23))
        write_note(results, NOTE, experiment="fas_kd", variant=f"v0 {HOSTILE[0]}")
    (results / "experiments.yml").write_text(
        "fas_kd:\n  key_metric: acer\n  references:\n"
        + "".join(f"    {json.dumps(s)}: {{acer: 0.1}}\n" for s in HOSTILE), encoding="utf-8")
    return results, {name: str(results / name) for name in [*bad, "outside.json"]}


class _Attributes(html.parser.HTMLParser):
    """Every event-handler attribute and ``javascript:`` URL in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")


def test_build_site_survives_the_corpus(tmp_path: Path, make_record: Any) -> None:
    results, bad = _corpus(tmp_path, make_record)
    site = build_site(load_journal(results))
    for name, path in bad.items():
        assert sum(path in p for p in site.problems) == 1, (name, site.problems)
    assert not any("hunter2" in p or "password" in p for p in site.problems)
    assert [p for p in site.problems if not any(path in p for path in bad.values())] == []
    experiments = {p.experiment for p in site.posts}
    assert {"a b", "a-b", "语音情感", "人脸活体", "index", "fas_kd"} <= experiments
    names = [p.filename for p in site.posts]
    assert len(names) == len(set(names))  # slugs unique by construction
    assert "index.md" in {p.filename for p in site.pages}
    assert len({p.filename for p in site.pages}) == len(site.pages)
    for post in site.posts:  # no attr_list line from data outside code blocks
        prose = re.sub(r"^( *)(`{3,}).*?^\1\2$", "", post.markdown, flags=re.M | re.S)
        assert not [line for line in prose.splitlines() if re.match(r"\s*\{:", line)]


def _mkdocs(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "-f", str(project / "mkdocs.yml"),
                           *args], capture_output=True, text=True, timeout=600, check=False,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})


@pytest.mark.slow
def test_the_built_site_runs_no_script_from_data(tmp_path: Path, make_record: Any) -> None:
    results, bad = _corpus(tmp_path, make_record)
    project = tmp_path / "project"
    shutil.copytree(REPO / "docs", project / "docs")
    config = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    (project / "mkdocs.yml").write_text(config.replace("results_dir: results", f"results_dir: {results}"))
    strict = _mkdocs(project, "--strict")
    assert strict.returncode != 0
    for path in bad.values():  # each bad file named once, the rest of the site built
        assert sum(path in line for line in strict.stderr.splitlines()) == 1, (path, strict.stderr)
    assert "hunter2" not in strict.stderr and "Traceback" not in strict.stderr
    plain = _mkdocs(project)
    assert plain.returncode == 0, plain.stderr
    pages = sorted((project / "site").rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        parser = _Attributes()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.found == [], (page, parser.found)

    from test_browser import CHROMIUM, FLAGS

    if os.environ.get("JOURNAL_SKIP_BROWSER"):
        pytest.skip("JOURNAL_SKIP_BROWSER is set")
    from playwright.sync_api import sync_playwright

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(project / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    dialogs: list[str] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS[1:], headless=True)
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            for path in pages:
                rel = path.relative_to(project / "site").as_posix()
                page.goto(f"{base}/{rel}", wait_until="load")
                # hover and click everything a note or a name could have hooked
                page.eval_on_selector_all(
                    "article *", "els => els.forEach(e => { for (const t of ['mouseover', 'click', "
                    "'error', 'load']) e.dispatchEvent(new Event(t)); })")
            browser.close()
    finally:
        server.shutdown()
    assert dialogs == []
