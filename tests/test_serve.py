"""`journal render --docs`, the journal-block fence and `journal serve`'s render-and-watch loop."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conftest import T0
from journal.cli import main
from journal.errors import JournalError
from journal.fence import block_markdown
from journal.records import Record, write_record
from journal.serve import (
    DocsRenderer,
    check_addr,
    docs_dir_of,
    language_of,
    serve,
    snapshot,
)
from journal.site import MANIFEST

POST = "blog/posts/journal/2026-11-23-fas-kd.md"


def _project(tmp_path: Path, make_record: Callable[..., Record], seeds: int = 2) -> Path:
    project = tmp_path / "site"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("site_name: t\ndocs_dir: docs\ntheme:\n  name: material\n"
                                        "  language: zh\n")
    (project / "docs" / "index.md").write_text("# Home\n")
    for seed in range(seeds):
        write_record(make_record(seed=seed), project / "results", create=True)
    return project


def _render(project: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["render", "--docs", str(project / "docs"), "--results",
                                     str(project / "results"), *args])


def test_render_docs_writes_posts_overviews_charts_and_scripts(
        tmp_path: Path, make_record: Callable[..., Record]) -> None:
    project = _project(tmp_path, make_record)
    result = _render(project)
    assert result.exit_code == 0, result.output
    docs = project / "docs"
    assert (docs / "index.md").read_text() == "# Home\n"  # hand-written: untouched
    post = (docs / POST).read_text()
    assert "mean ± std (n=2)" in post and "<!-- more -->" in post
    charts = sorted((docs / "blog/posts/journal/2026-11-23-fas-kd").glob("*.svg"))
    assert charts and all(p.read_bytes().startswith(b"<?xml") for p in charts)
    overview = (docs / "experiments" / "fas-kd.md").read_text()
    assert "(../blog/posts/journal/2026-11-23-fas-kd.md)" in overview  # relative, so it resolves
    assert (docs / "experiments" / "index.md").is_file()
    assert (docs / "assets/journal/tablesort.min.js").read_bytes().startswith(b"/*!")
    manifest = json.loads((docs / MANIFEST).read_text())
    assert manifest["results"] == "../results" and manifest["language"] == "en"
    assert POST in manifest["files"] and "index.md" not in manifest["files"]
    assert str(Path("docs") / POST) in result.output.replace(str(project) + "/", "")


def test_render_docs_warns_of_scripts_and_stylesheet_the_config_does_not_list(
        tmp_path: Path, make_record: Callable[..., Record]) -> None:
    project = _project(tmp_path, make_record)
    config = project / "mkdocs.yml"
    config.write_text(config.read_text() + "extra_javascript:\n  - assets/journal/tablesort.min.js\n"
                      "  - assets/journal/tablesort.number.min.js\n  - assets/journal/journal.js\n"
                      "extra_css:\n  # - assets/journal/journal.css\n")
    result = _render(project)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning:")]
    assert warnings == [f"warning: {config.resolve()}: extra_css does not list "
                        "assets/journal/journal.css (confusion matrices show no shading without it)"]
    config.write_text(config.read_text().replace("# - assets", "- assets"))
    again = _render(project)
    assert again.exit_code == 0 and "warning:" not in again.output


def test_render_docs_never_overwrites_a_hand_written_file(
        tmp_path: Path, make_record: Callable[..., Record]) -> None:
    project = _project(tmp_path, make_record)
    mine = project / "docs" / "experiments" / "index.md"
    mine.parent.mkdir()
    mine.write_text("# My own experiments page\n")
    result = _render(project)
    assert result.exit_code == 2
    assert f"{mine}: not written by journal" in result.output
    assert mine.read_text() == "# My own experiments page\n"
    assert not (project / "docs" / MANIFEST).exists()
    assert not (project / "docs" / POST).exists()  # nothing written


def test_render_docs_refuses_a_folder_that_is_no_sites_docs(tmp_path: Path) -> None:
    (tmp_path / "plain").mkdir()
    result = CliRunner().invoke(main, ["render", "--docs", str(tmp_path / "plain")])
    assert result.exit_code == 2
    assert "not the docs folder of a site (no mkdocs.yml or mkdocs.yaml or zensical.toml" in result.output
    assert list((tmp_path / "plain").iterdir()) == []
    both = CliRunner().invoke(main, ["render", "--docs", str(tmp_path), "--out", str(tmp_path)])
    assert both.exit_code == 2 and "give one of --out DIR or --docs DIR" in both.output


def test_a_new_record_rewrites_only_its_post_and_the_overviews(
        tmp_path: Path, make_record: Callable[..., Record]) -> None:
    project = _project(tmp_path, make_record)
    renderer = DocsRenderer(project / "results", project / "docs")
    first = renderer.render()
    assert project / "docs" / POST in first
    cached = {p: p.stat().st_mtime_ns for p in (project / ".journal-cache" / "rendered").glob("*.pickle")}
    assert len(cached) == 1
    assert renderer.render() == []  # nothing changed: nothing rewritten
    # a run of another experiment: the fas_kd post (whose comparisons take in every fas_kd run,
    # on any day) stays as it was, read back from the cache
    later = make_record(seed=5, id="20261124T061000Z-ser-000005", experiment="ser", metrics={"ua": 0.6},
                        started_at=T0 + timedelta(days=1))
    write_record(later, project / "results", create=True)
    changed = {p.relative_to(project / "docs").as_posix() for p in renderer.render()}
    assert "blog/posts/journal/2026-11-24-ser.md" in changed
    assert POST not in changed
    assert changed <= {"blog/posts/journal/2026-11-24-ser.md", "experiments/index.md",
                       "experiments/ser.md"} | {
        c for c in changed if c.startswith(("blog/posts/journal/2026-11-24-ser/", "experiments/ser/"))}
    for path, mtime in cached.items():  # the unchanged post was read back, not rendered again
        assert path.stat().st_mtime_ns == mtime
    (project / "results" / "20261124T061000Z-ser-000005.json").unlink()
    renderer.render()
    assert not (project / "docs" / "blog/posts/journal/2026-11-24-ser.md").exists()
    assert not (project / "docs" / "blog/posts/journal/2026-11-24-ser").exists()  # cleaned


def test_a_renderer_parses_only_the_record_files_that_changed(
        tmp_path: Path, make_record: Callable[..., Record], monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from journal import records as records_module

    project = _project(tmp_path, make_record)
    results, docs = project / "results", project / "docs"
    renderer = DocsRenderer(results, docs)
    parsed: list[str] = []
    real = records_module.read_record
    monkeypatch.setattr(records_module, "read_record",
                        lambda path: (parsed.append(Path(path).name), real(path))[1])
    renderer.render()
    assert parsed and len(renderer.read) == len(parsed)
    parsed.clear()
    renderer.render()
    assert parsed == []  # nothing changed: no file parsed again
    path = next(results.glob("*.json"))
    record = real(path)
    record.metrics["acer"] = 0.42
    write_record(record, results)  # replaced atomically: a new mtime
    changed = renderer.render()
    assert parsed == [path.name] and project / "docs" / POST in changed
    assert "42" in (docs / POST).read_text()
    # what the cache gives is what a fresh read gives: the same files, byte for byte
    fresh = DocsRenderer(results, tmp_path / "fresh" / "docs")
    (tmp_path / "fresh" / "docs").mkdir(parents=True)
    (tmp_path / "fresh" / "mkdocs.yml").write_text("site_name: t\n")
    fresh.render()
    assert (tmp_path / "fresh" / "docs" / POST).read_bytes() == (docs / POST).read_bytes()
    os.remove(path)
    renderer.render()
    assert path not in renderer.read


def test_snapshot_sees_records_notes_and_declarations_not_state(tmp_path: Path) -> None:
    results = tmp_path / "results"
    (results / "notes").mkdir(parents=True)
    (results / ".state").mkdir()
    (results / "a.json").write_text("{}")
    before = snapshot(results)
    (results / ".state" / "x").write_text("progress")
    (results / ".a.json.123.tmp").write_text("half")
    assert snapshot(results) == before
    (results / "notes" / "n.md").write_text("note")
    after_note = snapshot(results)
    assert after_note != before
    (results / "experiments.yml").write_text("x: {}\n")
    assert snapshot(results) != after_note


def test_site_settings_are_read_from_mkdocs_yml(tmp_path: Path) -> None:
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_url: !ENV SITE_URL\ndocs_dir: 'pages'  # ours\ntheme:\n  language: zh\n")
    assert docs_dir_of(config) == tmp_path / "pages"
    assert language_of(config) == "zh"
    config.write_text("site_name: x\n")
    assert docs_dir_of(config) == tmp_path / "docs" and language_of(config) == "en"
    assert check_addr("127.0.0.1:8001") == "127.0.0.1:8001"
    for bad in ("8000", "host:", ":80", "h:0", "h:70000", "h:8o"):
        with pytest.raises(JournalError, match="--dev-addr: expected HOST:PORT"):
            check_addr(bad)


def test_serve_renders_then_follows_a_new_record(
        tmp_path: Path, make_record: Callable[..., Record]) -> None:
    project = _project(tmp_path, make_record)
    started: list[list[str]] = []

    def command(generator: str, config: Path, addr: str) -> list[str]:
        started.append([generator, str(config), addr])
        return [sys.executable, "-c", "import time; time.sleep(60)"]  # stands in for the server

    stop = threading.Event()
    lines: list[str] = []
    status: list[int] = []
    thread = threading.Thread(target=lambda: status.append(serve(
        project / "mkdocs.yml", project / "results", generator="zensical", addr="127.0.0.1:9",
        interval=0.1, stop=stop, log=lines.append, command=command)))
    thread.start()
    try:
        new_post = project / "docs" / "blog/posts/journal/2026-11-24-fas-kd.md"
        deadline = time.monotonic() + 60
        while not started and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (project / "docs" / POST).is_file()  # rendered before the server started
        assert started == [["zensical", str(project / "mkdocs.yml"), "127.0.0.1:9"]]
        later = make_record(seed=7, id="20261124T061000Z-fas_kd-000007",
                            started_at=T0 + timedelta(days=1))
        write_record(later, project / "results", create=True)
        while not new_post.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert new_post.is_file(), lines
        assert "均值 ± 标准差" in new_post.read_text()  # theme.language: zh, from mkdocs.yml

        def reported() -> bool:
            return any("files rewritten in" in line for line in lines)

        # the post is written during the render, the line once the render is over
        while not reported() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert reported(), lines
    finally:
        stop.set()
        thread.join(timeout=60)
    assert status == [0]
    assert len(started) == 1  # one server all along


def test_serve_with_mkdocs_runs_mkdocs_serve_and_reports_its_exit(tmp_path: Path) -> None:
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: x\n")
    status = serve(config, tmp_path / "results", generator="mkdocs", interval=0.05,
                   command=lambda g, c, a: [sys.executable, "-c", "raise SystemExit(3)"])
    assert status == 3
    assert not (tmp_path / "docs").exists()  # the plugin renders; nothing is written here
    with pytest.raises(JournalError, match="generator: choose zensical or mkdocs"):
        serve(config, tmp_path, generator="hugo")


def test_serve_reads_the_results_beside_the_configuration_from_any_folder(
        tmp_path: Path, make_record: Callable[..., Record], monkeypatch: pytest.MonkeyPatch) -> None:
    """`journal serve -f site/mkdocs.yml` run elsewhere renders site/results, as the plugin
    would (it rendered ./results, an empty journal, and wrote that into the manifest)."""
    import journal.serve

    project = _project(tmp_path, make_record)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("JOURNAL_RESULTS", raising=False)
    seen: dict[str, Path] = {}
    monkeypatch.setattr(journal.serve, "serve",
                        lambda config, results, **_: seen.update(results=results) or 0)
    config = str(project / "mkdocs.yml")
    result = CliRunner().invoke(main, ["serve", "-f", config, "--generator", "zensical"])
    assert result.exit_code == 0, result.output
    assert seen["results"] == project / "results" and "no such folder" not in result.output
    (project / "results").rename(project / "gone")
    result = CliRunner().invoke(main, ["serve", "-f", config, "--generator", "zensical"])
    assert f"warning: {project / 'results'}: no such folder" in result.output
    # the plugin's results_dir in the configuration, relative to it
    (project / "mkdocs.yml").write_text((project / "mkdocs.yml").read_text()
                                        + "plugins:\n  - journal:\n      results_dir: gone\n")
    result = CliRunner().invoke(main, ["serve", "-f", config, "--generator", "zensical"])
    assert result.exit_code == 0 and seen["results"] == project / "gone", result.output


def test_serve_command_refuses_bad_arguments_in_one_line(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["serve"])
    assert result.exit_code == 2 and "mkdocs.yml: no such file" in result.output
    result = runner.invoke(main, ["serve", "-a", "nowhere"])
    assert result.exit_code == 2 and "--dev-addr: expected HOST:PORT" in result.output
    (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
    result = runner.invoke(main, ["serve", "--generator", "zensical"])
    assert result.exit_code == 2 and "docs: no such folder" in result.output


def test_serve_refuses_a_port_in_use_before_rendering(tmp_path: Path) -> None:
    import socket

    from journal.serve import check_port_free

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(JournalError) as caught:
            check_port_free(f"127.0.0.1:{port}")
        assert str(caught.value) == (
            f"--dev-addr 127.0.0.1:{port}: the port is in use (another journal serve or mkdocs "
            f"serve?); stop it or give another, e.g. -a 127.0.0.1:{port + 1}")
        (tmp_path / "mkdocs.yml").write_text("site_name: x\n")
        result = CliRunner().invoke(main, ["serve", "-f", str(tmp_path / "mkdocs.yml"),
                                           "--generator", "mkdocs", "-a", f"127.0.0.1:{port}"])
        assert result.exit_code == 2 and "the port is in use" in result.output
    check_port_free(f"127.0.0.1:{port}")  # free again
    with pytest.raises(JournalError, match="cannot"):
        check_port_free("192.0.2.1:8000")  # TEST-NET-1: no address of this machine


def test_journal_block_reads_the_records_the_manifest_names(
        tmp_path: Path, make_record: Callable[..., Record]) -> None:
    project = _project(tmp_path, make_record)
    docs = project / "docs"
    with pytest.raises(JournalError, match="run `journal render --docs"):
        block_markdown("experiment: fas_kd\n", docs, "notes.md")
    assert _render(project).exit_code == 0
    table = block_markdown("experiment: fas_kd\nshow: results\n", docs, "notes.md")
    assert "mean ± std (n=2)" in table and table.count("\n|") >= 3
    with pytest.raises(JournalError, match="notes.md: journal block: no runs of experiment 'nope'"):
        block_markdown("experiment: nope\n", docs, "notes.md")
    write_record(make_record(seed=3), project / "results", create=True)
    assert "mean ± std (n=3)" in block_markdown("experiment: fas_kd\nshow: results\n", docs, "x")
    # seed 3 run again: it supersedes the first, so n stays 3, as in the posts
    again = make_record(seed=3, id="20261124T000000Z-fas_kd-rerun3", started_at=T0 + timedelta(days=1))
    write_record(again, project / "results", create=True)
    table = block_markdown("experiment: fas_kd\nshow: results\n", docs, "x")
    assert "mean ± std (n=3)" in table and "rerun3" not in table


def test_a_taken_top_port_suggests_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import socket

    from journal.serve import check_port_free

    def taken(self: socket.socket, where: object) -> None:
        raise OSError(errno.EADDRINUSE, "Address already in use")

    monkeypatch.setattr(socket.socket, "bind", taken)
    with pytest.raises(JournalError) as caught:
        check_port_free("127.0.0.1:65535")
    assert str(caught.value).endswith("stop it or give another")
    with pytest.raises(JournalError) as caught:
        check_port_free("localhost:8000")
    assert str(caught.value).endswith("e.g. -a localhost:8001")


def test_serve_restarts_the_server_for_pages_with_blocks_at_most_once_a_gap(
        tmp_path: Path, make_record: Callable[..., Record], monkeypatch: pytest.MonkeyPatch) -> None:
    """Zensical serve keeps pages in memory: a records change restarts it when a hand-written
    page shows a journal block, and runs arriving together cost one restart."""
    import journal.serve as serve_module

    monkeypatch.setattr(serve_module, "RESTART_GAP", 6.0)  # the three renders fit in it
    project = _project(tmp_path, make_record)
    (project / "docs" / "notes.md").write_text("# Notes\n\n```journal\nexperiment: fas_kd\n```\n")
    starts = tmp_path / "starts"
    server = f"open({str(starts)!r}, 'a').write('x'); import time; time.sleep(60)"
    stop = threading.Event()
    lines: list[str] = []
    thread = threading.Thread(target=serve, args=(project / "mkdocs.yml", project / "results"),
                              kwargs={"generator": "zensical", "addr": "127.0.0.1:9",
                                      "interval": 0.1, "stop": stop, "log": lines.append,
                                      "command": lambda g, c, a: [sys.executable, "-c", server]})
    thread.start()

    def count() -> int:
        return len(starts.read_text()) if starts.exists() else 0

    try:
        deadline = time.monotonic() + 60
        while count() < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        for seed in (7, 8, 9):  # three runs, a third of a second apart
            write_record(make_record(seed=seed, id=f"20261124T06100{seed}Z-fas_kd-00000{seed}",
                                     started_at=T0 + timedelta(days=1, minutes=seed)),
                         project / "results", create=True)
            time.sleep(0.35)
        while count() < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert count() == 2, lines
        time.sleep(2.0)  # nothing changed since: no further restart
        assert count() == 2, lines
        said = [line for line in lines if "restarting the server" in line]
        assert len(said) == 1 and said[0].endswith(
            "so that the 1 hand-written pages with journal blocks show the records (first: "
            "notes.md)")
    finally:
        stop.set()
        thread.join(timeout=60)
