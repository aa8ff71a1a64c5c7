"""A docs folder that already holds what `journal render --docs` would write is not rendered
again in a new process, and anything that could change the files makes it render."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from journal import docs_state
from journal import folder as folder_module
from journal.errors import JournalError
from journal.notes import write_note
from journal.records import Record, write_record
from journal.serve import DocsRenderer

POST = "blog/posts/journal/2026-11-23-fas-kd.md"


@pytest.fixture(autouse=True)
def not_racy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by a test are seconds old at most: remember them all the same (the rule
    itself has a test of its own)."""
    monkeypatch.setattr(docs_state, "RACY_NS", 0)


@pytest.fixture
def project(tmp_path: Path, make_record: Callable[..., Record]) -> Path:
    project = tmp_path / "site"
    (project / "docs").mkdir(parents=True)
    (project / "mkdocs.yml").write_text("site_name: t\ndocs_dir: docs\n")
    for seed in range(2):
        write_record(make_record(seed=seed), project / "results", create=True)
    return project


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The results folders read (each a full render)."""
    seen: list[Path] = []
    real = folder_module.load_journal

    def spy(results: Path, **kwargs: object) -> object:
        seen.append(results)
        return real(results, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(folder_module, "load_journal", spy)
    return seen


def _build(project: Path, lang: str = "en") -> list[Path]:
    """A render as a new process does it: a fresh renderer, nothing in memory."""
    return DocsRenderer(project / "results", project / "docs", lang).render()


def test_an_unchanged_journal_is_not_read_again(project: Path, loads: list[Path]) -> None:
    assert project / "docs" / POST in _build(project)
    assert len(loads) == 1
    assert (project / ".journal-cache" / docs_state.STATE_NAME).is_file()
    post = (project / "docs" / POST).read_bytes()
    assert _build(project) == []
    assert len(loads) == 1  # nothing read: the docs folder is what a render would write
    assert (project / "docs" / POST).read_bytes() == post


def test_a_changed_record_note_or_declaration_renders(project: Path, loads: list[Path],
                                                      make_record: Callable[..., Record]) -> None:
    _build(project)
    path = next((project / "results").glob("*.json"))
    record = Record.model_validate_json(path.read_text())
    record.metrics["acer"] = 0.4321  # the same size or not, a new file replaces the old one
    write_record(record, project / "results")
    assert project / "docs" / POST in _build(project)
    assert "43.21" in (project / "docs" / POST).read_text()
    write_note(project / "results", "The teacher helps.", experiment="fas_kd", day=date(2026, 11, 23))
    _build(project)
    assert "The teacher helps." in (project / "docs" / POST).read_text()
    (project / "results" / "experiments.yml").write_text("fas_kd:\n  baseline: student\n")
    _build(project)
    assert len(loads) == 4


def test_a_generated_file_edited_or_deleted_by_hand_is_written_again(
        project: Path, loads: list[Path]) -> None:
    _build(project)
    post = project / "docs" / POST
    text = post.read_text()
    post.write_text("edited")
    assert post in _build(project)
    assert post.read_text() == text
    post.unlink()
    assert post in _build(project)
    assert post.read_text() == text
    assert len(loads) == 3
    (project / "docs" / ".journal-generated.json").unlink()  # the files now look hand-written
    with pytest.raises(JournalError, match="not written by journal"):
        _build(project)  # checked, not skipped


def test_another_language_or_library_code_renders(project: Path, loads: list[Path],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _build(project)
    english = (project / "docs" / POST).read_text()
    _build(project, "zh")
    assert (project / "docs" / POST).read_text() != english
    assert len(loads) == 2
    _build(project, "zh")
    assert len(loads) == 2
    monkeypatch.setattr(docs_state, "library_code", lambda: "another version")
    _build(project, "zh")
    assert len(loads) == 3


def test_a_build_with_problems_is_not_remembered(project: Path, loads: list[Path]) -> None:
    (project / "results" / "bad.json").write_text('{"schema": 1}')
    renderer = DocsRenderer(project / "results", project / "docs")
    renderer.render()
    assert renderer.problems and "bad.json" in renderer.problems[0]
    again = DocsRenderer(project / "results", project / "docs")
    again.render()
    assert again.problems == renderer.problems  # reported again, every build
    assert len(loads) == 2


def test_a_broken_state_file_only_means_a_render(project: Path, loads: list[Path]) -> None:
    _build(project)
    state = project / ".journal-cache" / docs_state.STATE_NAME
    fingerprint = docs_state.fingerprint(project / "results", project / "docs", "en")
    for text in ("not json", "[]", '{"fingerprint": 1, "files": {}}', "[" * 100_000,
                 json.dumps({"fingerprint": fingerprint, "files": {"a\u0000b": [1, 2]}}),
                 json.dumps({"fingerprint": fingerprint, "files": {"../../x": [1, 2]}})):
        state.write_text(text)
        _build(project)
    assert len(loads) == 7
    assert _build(project) == [] and len(loads) == 7


def test_the_fingerprint_sees_a_same_size_rewrite_in_the_same_tick(project: Path) -> None:
    results, docs = project / "results", project / "docs"
    before = docs_state.fingerprint(results, docs, "en")
    path = next(results.glob("*.json"))
    stat = path.stat()
    text = path.read_text()
    replacement = results / "new.tmp"
    replacement.write_text(text.replace('"seed": 0', '"seed": 5').replace('"seed": 1', '"seed": 6'))
    os.utime(replacement, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replacement, path)
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    assert docs_state.fingerprint(results, docs, "en") != before


def test_a_journal_changed_in_the_last_seconds_is_not_remembered(
        project: Path, loads: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docs_state, "RACY_NS", 3600 * 10**9)  # every file is "just written"
    _build(project)
    _build(project)
    assert len(loads) == 2  # a same-size rewrite within the clock's tick could hide: rendered
    assert not (project / ".journal-cache" / docs_state.STATE_NAME).exists()


def test_hidden_files_in_the_results_folder_are_neither_read_nor_watched(
        project: Path, loads: list[Path]) -> None:
    _build(project)
    notes = project / "results" / "notes"
    notes.mkdir()
    (notes / ".#draft.md").write_text("---\nexperiment: fas_kd\nday: 2026-11-23\n---\nDraft.\n")
    assert _build(project) == [] and len(loads) == 1
    (project / ".journal-cache" / docs_state.STATE_NAME).unlink()
    _build(project)
    assert "Draft." not in (project / "docs" / POST).read_text()


def test_two_renders_into_one_docs_folder_take_turns(project: Path, loads: list[Path]) -> None:
    """A render waits while another process holds the docs folder's lock, and says so."""
    import threading

    from journal.paths import try_lock
    from journal.serve import project_cache

    cache = project_cache(project / "docs")
    cache.mkdir(parents=True, exist_ok=True)
    held = try_lock(cache / docs_state.LOCK_NAME)
    assert held is not None
    said: list[str] = []
    renderer = DocsRenderer(project / "results", project / "docs", "en", log=said.append)
    thread = threading.Thread(target=renderer.render)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive() and loads == []  # nothing read while the other holds it
    assert said == [f"journal: waiting for another process rendering into the docs folder "
                    f"({cache / docs_state.LOCK_NAME})"]
    held.close()
    thread.join(timeout=60)
    assert not thread.is_alive() and loads == [project / "results"]
    assert (project / "docs" / POST).is_file()
    assert not (cache / docs_state.LOCK_NAME).exists()  # released and removed
