"""Zensical's cached render of hand-written pages with journal blocks is dropped when the journal
is written, and nothing else in its cache is touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from journal.render.blocks import has_blocks
from journal.site import MANIFEST
from journal.zensical_cache import forget_block_pages, forget_pages, pages_with_blocks

BLOCK = "```journal\nexperiment: fas_kd\n```\n"


def _page_entry(cache: Path, name: str, source: str) -> Path:
    """A cache entry as Zensical 0.0.x writes a rendered page (the fields after ``origin`` cut
    short)."""
    path = cache / name
    data = {"data": {"origin": {"Source": source}, "route": {"source": source}, "markdown": "x",
                     "html": "<p>x</p>"}, "hash": 1}
    path.write_text(json.dumps(data, separators=(",", ":"), ensure_ascii=True))
    return path


def test_only_the_named_pages_leave_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / ".cache"
    (cache / "plugin" / "privacy").mkdir(parents=True)
    thoughts = _page_entry(cache, "1", "blog/posts/thoughts.md")
    accented = _page_entry(cache, "2", 'notes/"été".md')  # escaped in the JSON: \" and \u00e9
    other = _page_entry(cache, "3", "blog/posts/other.md")
    html = cache / "4"
    html.write_text(json.dumps({"data": "<!doctype html>thoughts", "hash": 2}))
    generated = _page_entry(cache, "5", "blog/posts/journal/2026-11-23-fas-kd.md")
    inventory = cache / "objects.inv"
    inventory.write_bytes(b"\x00binary")
    nested = cache / "plugin" / "privacy" / "6"
    nested.write_text(thoughts.read_text())

    assert forget_pages(cache, ["blog/posts/thoughts.md", 'notes/"été".md']) == 2
    assert not thoughts.exists() and not accented.exists()
    assert other.exists() and html.exists() and generated.exists() and inventory.exists()
    assert nested.exists()  # only the cache folder's own files are read
    assert forget_pages(cache, ["blog/posts/thoughts.md"]) == 0
    assert forget_pages(tmp_path / "none", ["a.md"]) == 0


def test_a_cache_of_an_unknown_layout_is_emptied_rather_than_left_stale(tmp_path: Path) -> None:
    cache = tmp_path / ".cache"
    cache.mkdir()
    entries = [cache / "1", cache / "2"]
    entries[0].write_text(json.dumps({"data": {"page": "blog/posts/thoughts.md"}, "hash": 1}))
    entries[1].write_text(json.dumps({"data": "<!doctype html>", "hash": 2}))
    (cache / "mkdocstrings.json").write_text('{"config_hash": 1}')
    assert forget_pages(cache, ["blog/posts/thoughts.md"]) == 0  # not marked as Zensical's
    assert all(path.exists() for path in entries)
    (cache / ".gitignore").write_text("*")  # as Zensical marks its cache
    assert forget_pages(cache, ["blog/posts/thoughts.md"]) == 2
    assert not any(path.exists() for path in entries)
    assert (cache / "mkdocstrings.json").exists() and (cache / ".gitignore").exists()


@pytest.mark.parametrize("opening", [
    "```journal", "~~~journal", "````journal", "``` journal", "```.journal", "```{.journal}",
    "``` { .journal }", '```journal linenums="1"', "> ```journal", "    ```journal",
])
def test_every_fence_superfences_runs_counts(opening: str) -> None:
    fence = opening.lstrip(" >")[:4].rstrip(" .{j")
    assert has_blocks(f"# A\n\n{opening}\nexperiment: fas_kd\n{fence}\n")
    assert has_blocks(f"# A\r\n\r\n{opening}\r\nexperiment: fas_kd\r\n{fence}\r\n")


def test_a_block_quoted_in_another_fence_does_not_count() -> None:
    assert not has_blocks(f"# A\n\n````markdown\n{BLOCK}````\n")
    assert not has_blocks(f"# A\n\n~~~\n{BLOCK}~~~\n")
    assert not has_blocks("Write ```journal``` blocks in a page.\n```journal`x`\n")
    assert not has_blocks("# A\n")
    assert has_blocks(f"````markdown\n{BLOCK}````\n\n{BLOCK}")  # one quoted, one run


def test_the_pages_are_the_hand_written_ones_with_blocks(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "blog" / "posts" / "journal").mkdir(parents=True)
    (docs / ".hidden").mkdir()
    (docs / "index.md").write_text("# Home\n")
    (docs / "blog" / "posts" / "thoughts.md").write_text(f"# T\n\n{BLOCK}")
    (docs / "blog" / "posts" / "journal" / "made.md").write_text(f"# M\n\n{BLOCK}")
    (docs / ".hidden" / "draft.md").write_text(BLOCK)
    (docs / "blog" / ".#thoughts.md").write_text(BLOCK)
    (docs / MANIFEST).write_text(json.dumps({"files": ["blog/posts/journal/made.md"]}))
    assert pages_with_blocks(docs) == ["blog/posts/thoughts.md"]
    assert pages_with_blocks(docs, generated=[]) == ["blog/posts/journal/made.md",
                                                     "blog/posts/thoughts.md"]
    cache = tmp_path / ".cache"
    cache.mkdir()
    entry = _page_entry(cache, "1", "blog/posts/thoughts.md")
    kept = _page_entry(cache, "2", "index.md")
    assert forget_block_pages(docs) == 0  # no configuration beside docs/: whose cache is unknown
    (tmp_path / "mkdocs.yml").write_text("site_name: t\n")
    assert forget_block_pages(docs) == 1
    assert not entry.exists() and kept.exists()


def test_the_cache_is_the_one_beside_the_configuration(tmp_path: Path) -> None:
    """docs_dir: content/docs keeps Zensical's cache in the folder of mkdocs.yml."""
    docs = tmp_path / "content" / "docs"
    docs.mkdir(parents=True)
    (docs / "notes.md").write_text(BLOCK)
    (tmp_path / "mkdocs.yml").write_text("site_name: t\ndocs_dir: content/docs\n")
    (tmp_path / ".cache").mkdir()
    entry = _page_entry(tmp_path / ".cache", "1", "notes.md")
    assert forget_block_pages(docs) == 0 and entry.exists()
    assert forget_block_pages(docs, tmp_path) == 1 and not entry.exists()
