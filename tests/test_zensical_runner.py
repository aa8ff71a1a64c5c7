"""Zensical's link check remembered between builds (journal.zensical_runner), and `journal build`.

The memo must give Zensical exactly what its own scanners give, so that no broken link goes
unreported; these tests compare the two on real pages, count the scans the memo saves, and build
real sites with a broken link twice in a row.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import REPO, T0
from journal.cli import main
from journal.records import Record, write_record
from journal.zensical_runner import (
    CACHE_NAME,
    SAMPLE,
    SAMPLE_HTML,
    ScanMemo,
    config_of,
    remember_scans,
)

collectors = pytest.importorskip("zensical.collectors")

HAND_WRITTEN = """# Links of every kind

See the [metrics page](reference/metrics.md#far-and-frr), ![a chart](img/loss.svg "loss"),
<https://example.org/a>, a [reference link][ref], [another][] and a footnote[^1].
`[not a link](in/code.md)` and \\[escaped\\](nope.md).

```python
x = "[also not](a/link.md)"
```

<a href="html/link.md">html</a> and [[wiki]] and $[math](x)$.

    [indented code](not/a/link.md)

[ref]: reference/records.md
[another]: <spaced path.md> "title"
[^1]: A footnote with [its own link](index.md)
    that goes on.

--8<-- "snippets/included.md"
"""


def _generated_posts(tmp_path: Path, make_record: Callable[..., Record]) -> list[bytes]:
    results = tmp_path / "results"
    for i, (variant, seed) in enumerate([("student", 0), ("student", 1), ("student + KD", 0),
                                         ("student + KD", 1)]):
        write_record(make_record(seed=seed, variant=variant, id=f"20261123T0610{i:02d}Z-fas_kd-{i}",
                                 started_at=T0 + timedelta(minutes=i)), results, create=True)
    out = tmp_path / "posts"
    result = CliRunner().invoke(main, ["render", "--results", str(results), "--out", str(out)])
    assert result.exit_code == 0, result.output
    pages = [p.read_bytes() for p in sorted(out.rglob("*.md"))]
    assert len(pages) >= 2  # a post and an overview
    return pages


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Zensical's scanners, counting what they are asked to scan (restored after the test)."""
    calls: dict[str, list[Any]] = {"references": [], "anchors": []}
    for name in calls:
        original = getattr(collectors, name)
        original = getattr(original, "__wrapped__", original)

        def counting(text: Any, *args: Any, _name: str = name, _original: Any = original,
                     **kwargs: Any) -> Iterator[Any]:
            if text not in (SAMPLE, SAMPLE_HTML):  # remember_scans's own check of the scanners
                calls[_name].append(text)
            return _original(text, *args, **kwargs)

        monkeypatch.setattr(collectors, name, counting)
    return calls


def test_remembered_scans_are_zensicals_own(tmp_path: Path, make_record: Callable[..., Record],
                                            spy: dict[str, list[Any]]) -> None:
    originals = {name: getattr(collectors, name) for name in spy}
    texts = [HAND_WRITTEN.encode(), *_generated_posts(tmp_path, make_record),
             *(p.read_bytes() for p in sorted((REPO / "docs").rglob("*.md")))]
    expected = [list(originals["references"](text)) for text in texts]
    assert any(len(refs) > 5 for refs in expected)  # real links were found
    kinds = {type(ref).__name__ for refs in expected for ref in refs}
    assert {"Link", "LinkReference", "LinkDefinition", "FootnoteReference",
            "FootnoteDefinition"} <= kinds
    html = ['<h2 id="far-and-frr">FAR</h2><a name="top"></a><p id=\'x\'>', "<p>no anchors</p>"]
    expected_anchors = [list(originals["anchors"](page)) for page in html]
    assert expected_anchors[0] == ["far-and-frr", "top", "x"]

    memo = remember_scans(tmp_path / "cache")
    assert memo is not None
    for _ in range(2):  # scanned, then from memory
        assert [list(collectors.references(text)) for text in texts] == expected
        assert [list(collectors.anchors(page)) for page in html] == expected_anchors
    assert (memo.misses, memo.hits) == (len(texts) + len(html), len(texts) + len(html))
    memo.save()

    again = remember_scans(tmp_path / "cache")  # a new process: from the file
    assert again is not None and again.entries
    refs = [list(collectors.references(text)) for text in texts]
    assert refs == expected
    assert [type(r) for rs in refs for r in rs] == [type(r) for rs in expected for r in rs]
    assert [list(collectors.anchors(page)) for page in html] == expected_anchors
    assert (again.misses, again.hits) == (0, len(texts) + len(html))
    assert len(spy["references"]) == len(texts) * 2  # the originals, then the memo's one scan each


def test_an_unchanged_page_is_not_scanned_again(tmp_path: Path, spy: dict[str, list[Any]]) -> None:
    page, changed = b"# A\n\n[b](b.md)\n", b"# A\n\n[b](c.md)\n"
    memo = remember_scans(tmp_path)
    assert memo is not None
    list(collectors.references(page))
    list(collectors.references(page))
    list(collectors.references(page, 3))  # another argument is another scan
    assert spy["references"] == [page, page]
    memo.save()
    saved = json.loads((tmp_path / CACHE_NAME).read_text())
    assert len(saved["entries"]) == 2 and saved["zensical"] == memo.version

    remember_scans(tmp_path)
    (link,) = collectors.references(page)
    assert page[link.href.start:link.href.end] == b"b.md"
    assert len(spy["references"]) == 2  # read from the file
    list(collectors.references(changed))
    assert spy["references"][-1] == changed
    remembered = remember_scans(tmp_path)
    assert remembered is not None
    remembered.save()  # a run that scanned nothing (--help, a bad option) leaves the file alone
    assert len(json.loads((tmp_path / CACHE_NAME).read_text())["entries"]) == 2
    list(collectors.references(changed))
    remembered.save()  # a build keeps what it used: the page as it is now
    assert len(json.loads((tmp_path / CACHE_NAME).read_text())["entries"]) == 1


def _scanned_once(tmp_path: Path, page: bytes) -> tuple[str, str, dict[str, Any]]:
    """Scan ``page`` once through a memo in ``tmp_path`` and save it: the memo's version tag,
    the page's key, and the saved file."""
    memo = remember_scans(tmp_path)
    assert memo is not None
    list(collectors.references(page))
    memo.save()
    saved = json.loads((tmp_path / CACHE_NAME).read_text())
    return memo.version, next(iter(saved["entries"])), saved


@pytest.mark.parametrize("content", [
    "not json {", json.dumps({"format": 1, "zensical": "0.0.0-other", "entries": {}}),
    json.dumps({"format": 1, "zensical": "{version}", "entries": {"x": "not a list"}}),
])
def test_a_stale_or_broken_memo_is_ignored(tmp_path: Path, spy: dict[str, list[Any]],
                                           content: str) -> None:
    page = b"[a](a.md)\n"
    version, key, _ = _scanned_once(tmp_path, page)
    bad = content.replace("{version}", version).replace('"x"', json.dumps(key))
    (tmp_path / CACHE_NAME).write_text(bad)
    remember_scans(tmp_path)
    assert len(list(collectors.references(page))) == 1
    assert len(spy["references"]) == 2  # scanned again, no error


def _tampered(tmp_path: Path, page: bytes, change: Callable[[list[Any]], Any]) -> None:
    _, key, saved = _scanned_once(tmp_path, page)
    saved["entries"][key] = change(saved["entries"][key])
    (tmp_path / CACHE_NAME).write_text(json.dumps(saved))


@pytest.mark.parametrize("change", [
    lambda e: [{**e[0], "start": -5}],
    lambda e: [{**e[0], "end": 10_000}],
    lambda e: [{**e[0], "start": True}],
    lambda e: [{**e[0], "kind": "bogus"}],
    lambda e: [{**e[0], "extra": 1}],
    lambda e: [{k: v for k, v in e[0].items() if k != "href"}],
    lambda e: [{**e[0], "href": {"": "Link", "start": 0, "end": 1}}],
    lambda e: [{**e[0], "text": [1, 2]}],
    lambda e: [{**e[0], "": "Path"}],
    lambda e: [7],
])
def test_a_damaged_entry_is_scanned_again(tmp_path: Path, spy: dict[str, list[Any]],
                                          change: Callable[[list[Any]], Any]) -> None:
    page = b"# A\n\n[b](b.md)\n"
    _tampered(tmp_path, page, change)
    remember_scans(tmp_path)
    (link,) = collectors.references(page)
    assert page[link.href.start:link.href.end] == b"b.md" and link.kind == "link"
    assert len(spy["references"]) == 2  # scanned again, not taken from the file


def test_a_memo_file_nested_too_deep_is_ignored(tmp_path: Path, spy: dict[str, list[Any]]) -> None:
    (tmp_path / CACHE_NAME).write_text("[" * 100_000)
    assert remember_scans(tmp_path) is not None
    assert len(list(collectors.references(b"[a](a.md)"))) == 1


def test_a_scanner_whose_results_do_not_survive_the_memo_is_left_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Opaque:  # not a dataclass: cannot be stored
        pass

    def scanner(text: Any, *args: Any) -> Iterator[Any]:
        yield Opaque()

    monkeypatch.setattr(collectors, "references", scanner)
    assert remember_scans(tmp_path) is None
    assert collectors.references is scanner


def test_serving_forgets_scans_unused_for_a_while(tmp_path: Path, spy: dict[str, list[Any]],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import journal.zensical_runner as runner

    clock = [1000.0]
    monkeypatch.setattr(runner.time, "monotonic", lambda: clock[0])
    memo = remember_scans(tmp_path)
    assert memo is not None
    list(collectors.references(b"[old](a.md)"))
    clock[0] += runner.KEEP_SECONDS + 1
    list(collectors.references(b"[new](a.md)"))
    memo.save()
    assert len(memo.entries) == len(memo.decoded) == 1
    assert len(json.loads((tmp_path / CACHE_NAME).read_text())["entries"]) == 1


def test_a_run_that_scans_nothing_keeps_the_memo(tmp_path: Path, spy: dict[str, list[Any]],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from journal.zensical_runner import main as runner_main

    memo = remember_scans(tmp_path / ".journal-cache")
    assert memo is not None
    list(collectors.references(b"[a](a.md)"))
    memo.save()
    before = (tmp_path / ".journal-cache" / CACHE_NAME).read_text()
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n")
    (tmp_path / "docs").mkdir()
    monkeypatch.chdir(tmp_path)
    assert runner_main(["--help"]) == 0
    assert (tmp_path / ".journal-cache" / CACHE_NAME).read_text() == before


def test_an_entry_of_an_unknown_kind_is_scanned_again(tmp_path: Path,
                                                      spy: dict[str, list[Any]]) -> None:
    page = b"[a](a.md)\n"
    memo = ScanMemo("v")
    scan = memo.wrap("references", collectors.references, {})  # knows no reference types
    list(scan(page))
    memo.decoded.clear()  # as if loaded from a file written by another Zensical
    assert len(list(scan(page))) == 1
    assert len(spy["references"]) == 2


def test_a_zensical_without_the_known_scanners_runs_as_it_is(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    references = collectors.references
    monkeypatch.delattr(collectors, "anchors")
    assert remember_scans(tmp_path) is None
    assert collectors.references is references


def test_the_configuration_is_found_on_the_command_line(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    assert config_of(["build", "-f", "x/mkdocs.yml"]) == Path("x/mkdocs.yml")
    assert config_of(["serve", "--config-file=y.yml", "-a", "h:1"]) == Path("y.yml")
    monkeypatch.chdir(tmp_path)
    assert config_of(["build"]) == Path("mkdocs.yml")
    (tmp_path / "zensical.toml").write_text("")
    assert config_of(["build"]) == Path("zensical.toml")


def test_serve_and_build_run_zensical_through_the_runner() -> None:
    from journal.serve import build_command, server_command

    config = Path("site/mkdocs.yml")
    assert server_command("zensical", config, "127.0.0.1:8000")[1:] == [
        "-m", "journal.zensical_runner", "serve", "-f", str(config), "-a", "127.0.0.1:8000"]
    assert build_command("zensical", config, strict=True, clean=True)[1:] == [
        "-m", "journal.zensical_runner", "build", "-f", str(config), "--strict", "--clean"]
    assert build_command("mkdocs", config, strict=True)[1:] == [
        "-m", "mkdocs", "build", "-f", str(config), "--strict"]


@pytest.mark.slow
def test_journal_build_reports_a_broken_link_on_every_build(
        tmp_path: Path, make_record: Callable[..., Record], capfd: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    shutil.copytree(REPO / "docs", project / "docs")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    for seed in (0, 1):
        write_record(make_record(seed=seed, id=f"20261123T06100{seed}Z-fas_kd-{seed}",
                                 started_at=T0 + timedelta(minutes=seed)), project / "results",
                     create=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    monkeypatch.delenv("JOURNAL_RESULTS", raising=False)

    def build(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["build", "--generator", "zensical", "--strict", *args])
        out = capfd.readouterr()
        return result.exit_code, re.sub(r"\x1b\[[0-9;]*m", "", result.output + out.out + out.err)

    code, output = build("--clean")
    assert code == 0, output
    assert (project / "site" / "experiments" / "fas-kd" / "index.html").is_file()
    assert list((project / "site" / "blog").rglob("fas-kd-2026-11-23/index.html"))
    memo = json.loads((project / ".journal-cache" / CACHE_NAME).read_text())
    assert len(memo["entries"]) > 10

    page = project / "docs" / "reference" / "broken.md"
    page.write_text("# Broken\n\nSee [the missing page](missing.md).\n")
    for _ in range(2):  # the second build finds the page unchanged and its scan remembered
        code, output = build()
        assert code != 0
        assert "reference/broken.md:3" in output and "page does not exist" in output, output
        assert "zensical: Aborted because --strict flag is set" in output
        assert "Traceback" not in output
    page.unlink()
    assert build()[0] == 0

    (project / "results" / "bad.json").write_text('{"schema": 1, "seed": "zero"}')
    code, output = build()
    assert code == 1
    assert "bad.json" in output and "--strict fails the build" in output
    assert (project / "site" / "index.html").is_file()  # built all the same


@pytest.mark.slow
def test_journal_build_with_mkdocs_runs_the_plugin(tmp_path: Path, make_record: Callable[..., Record],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    shutil.copytree(REPO / "docs", project / "docs")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    write_record(make_record(seed=0), project / "results", create=True)
    monkeypatch.chdir(project)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    monkeypatch.delenv("JOURNAL_RESULTS", raising=False)
    result = CliRunner().invoke(main, ["build", "--generator", "mkdocs", "--strict"])
    assert result.exit_code == 0, result.output
    assert (project / "site" / "experiments" / "fas-kd" / "index.html").is_file()
    assert not (project / "docs" / "experiments").exists()  # the plugin rendered, not render --docs
    missing = CliRunner().invoke(main, ["build", "-f", "nope.yml"])
    assert missing.exit_code != 0 and "nope.yml: no such file" in missing.output
