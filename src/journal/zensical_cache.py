"""Zensical's page cache and the hand-written pages whose ```` ```journal ```` blocks read the records.

Zensical keeps the HTML of each page in ``.cache/`` beside its configuration, keyed by the page's
text, and renders a page again only when that text changes. A hand-written page with a
```` ```journal ```` block (:mod:`journal.fence`) shows tables made from the records, which are
not part of its text: after a new record Zensical would go on showing the cached tables. So,
whenever the journal is written into a docs folder (:func:`journal.site.write_docs`, run by
``journal render --docs``, ``journal build`` and ``journal serve``), :func:`forget_block_pages`
drops the cached render of those pages, and the next build renders them again from the records.

A cached page is a JSON file that starts ``{"data":{"origin":{"Source":"<page path>"}``; only
such files naming one of the pages are removed, and only files directly in ``.cache/`` are
read. Should a Zensical release store its pages otherwise (cache entries, none of them a page
this module recognizes, in a folder Zensical marks as its own with a ``.gitignore`` of ``*``),
every entry is removed: the next build is a cold one, never a stale one.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Collection
from pathlib import Path

CACHE_DIR = ".cache"
"""Zensical's cache folder, beside the site's configuration."""

_ENTRY = b'{"data":'
_PAGE = re.compile(rb'^\{"data":\{"origin":\{"Source":"((?:[^"\\]|\\.)*)"\}')
_HEAD = 4096
"""Bytes read from each cache file: the page's path comes first."""


def _zensicals(cache: Path) -> bool:
    """Whether ``cache`` is Zensical's: it writes a ``.gitignore`` of ``*`` there."""
    try:
        return (cache / ".gitignore").read_text(encoding="utf-8").strip() == "*"
    except (OSError, UnicodeError):
        return False


def pages_with_blocks(docs: Path, generated: Collection[str] | None = None) -> list[str]:
    """The hand-written Markdown pages of ``docs`` (not in ``generated``, by default the files
    its listing names) that hold a ```` ```journal ```` block, as paths inside ``docs`` with
    ``/``; hidden files and folders are skipped."""
    from .docs_state import generated_files
    from .render.blocks import has_blocks

    if generated is None:
        generated = generated_files(docs)
    pages = []
    for root, dirs, files in os.walk(docs):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.endswith(".md") or name.startswith("."):
                continue
            path = Path(root, name)
            rel = path.relative_to(docs).as_posix()
            if rel in generated:
                continue
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            if has_blocks(text):
                pages.append(rel)
    return sorted(pages)


def forget_pages(cache: Path, pages: Collection[str]) -> int:
    """Remove Zensical's cached render of ``pages`` (paths inside the docs folder) from the
    cache folder ``cache``; return how many entries were removed (see the module for an
    unknown layout)."""
    if not pages or not cache.is_dir():
        return 0
    wanted = set(pages)
    entries: list[Path] = []
    matched: list[Path] = []
    recognised = False
    for path in cache.iterdir():
        try:
            if not path.is_file():
                continue
            with path.open("rb") as handle:
                head = handle.read(_HEAD)
        except OSError:
            continue
        if not head.startswith(_ENTRY):
            continue
        entries.append(path)
        match = _PAGE.match(head)
        if match is None:
            continue
        recognised = True
        try:
            source = json.loads(b'"' + match.group(1) + b'"')
        except ValueError:
            continue
        if source in wanted:
            matched.append(path)
    # a layout this module does not know: only in a folder Zensical marks as its own
    doomed = matched if recognised else entries if _zensicals(cache) else []
    for path in doomed:
        path.unlink(missing_ok=True)
    return len(doomed)


def config_root(docs: Path) -> Path | None:
    """The folder that holds the site's configuration, when it is the one above ``docs`` (the
    layout ``journal init`` writes); ``None`` when no configuration is there."""
    from .site import CONFIG_FILES

    parent = docs.resolve().parent
    return parent if any((parent / name).is_file() for name in CONFIG_FILES) else None


def forget_block_pages(docs: Path, root: Path | None = None,
                       generated: Collection[str] | None = None) -> int:
    """Drop Zensical's cached render of the hand-written pages of ``docs`` with journal blocks
    (:func:`pages_with_blocks`) from the cache of the site whose configuration is in ``root``
    (by default :func:`config_root`; nothing when there is none); how many entries went."""
    root = root if root is not None else config_root(docs)
    if root is None:
        return 0
    pages = pages_with_blocks(docs, generated)
    if not pages:
        return 0
    return forget_pages(root / CACHE_DIR, pages)
