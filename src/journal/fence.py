"""```` ```journal ```` blocks in hand-written pages, for a site built without the MkDocs plugin.

With the plugin, MkDocs replaces each block before the page is converted. A docs folder written
by ``journal render --docs`` is built by plain MkDocs or by Zensical instead, and there the
block is a custom fence of ``pymdownx.superfences``, which both generators run::

    markdown_extensions:
      - pymdownx.superfences:
          custom_fences:
            - name: journal
              class: journal
              format: !!python/name:journal.fence.format_block

:func:`format_block` finds the docs folder of the page being built (MkDocs: the page's own
config; Zensical: its configuration), reads the results folder and the language from the
manifest ``journal render --docs`` left there, and renders the block from the records exactly as
the plugin does. A block naming an unknown experiment, variant or view, or in a docs folder that
``journal render --docs`` never wrote into, becomes a failure box naming the problem, logged as a
warning (``mkdocs build --strict`` fails on it; ``journal build --strict`` fails on
:data:`PROBLEMS`); the rest of the site is built.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from .errors import JournalError
from .escape import html_attr, terminal_text

log = logging.getLogger("mkdocs.plugins.journal")
"""MkDocs' ``--strict`` fails on its warnings; ``journal build --strict`` counts :data:`PROBLEMS`."""
PROBLEMS: list[str] = []
"""The blocks this process could not show, one message each, naming the page."""

_RECORDS: dict[str, tuple[tuple[tuple[str, int, int], ...], tuple[list[Any], dict[str, Any]]]] = {}


def _context(md: Any) -> tuple[Path, str]:
    """The docs folder being built and the page's path inside it."""
    try:  # MkDocs registers the page's own link resolver on its Markdown
        relpath = md.treeprocessors["relpath"]
    except (KeyError, TypeError):
        relpath = None
    if relpath is not None and hasattr(relpath, "config"):
        return Path(relpath.config.docs_dir), str(relpath.file.src_uri)
    try:
        from zensical.config import get_config
    except ImportError:
        raise JournalError("journal block: no MkDocs or Zensical build to take the docs folder "
                           "from") from None
    config = get_config()
    page = None
    for extension in config.get("markdown_extensions", []):
        page = getattr(extension, "_kwargs", {}).get("page", page)
    docs = Path(config["root_dir"]) / config["docs_dir"]
    return docs, str(getattr(page, "path", "") or "a page")


def _signature(folder: Path) -> tuple[tuple[str, int, int], ...]:
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            try:
                stat = os.stat(os.path.join(root, name))
            except OSError:
                continue
            out.append((os.path.join(root, name), stat.st_mtime_ns, stat.st_size))
    return tuple(sorted(out))


def _journal(results: Path) -> tuple[list[Any], dict[str, Any]]:
    """The counted records of ``results`` (re-runs superseded, retired runs left out) and its
    declarations, read again only when a file in it changed."""
    from .folder import load_journal

    key = str(results.resolve())
    signature = _signature(results)
    cached = _RECORDS.get(key)
    if cached is None or cached[0] != signature:
        journal = load_journal(results)
        cached = (signature, (journal.resolution().counted, dict(journal.declarations)))
        _RECORDS[key] = cached
    return cached[1]


def block_markdown(spec: str, docs: Path, where: str) -> str:
    """The Markdown of one block of the page ``where`` in ``docs`` (see the module)."""
    from .docs_state import MANIFEST
    from .render.blocks import render_block
    from .render.i18n import language

    manifest = docs / MANIFEST
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # the docs folder by name only: the message is published
        raise JournalError(f"{where}: journal block, but the docs folder has no readable "
                           f"{MANIFEST}; run `journal render --docs {docs.name}` first") from None
    results = data.get("results") if isinstance(data, dict) else None
    if not isinstance(results, str):
        raise JournalError(f"{where}: journal block, but {MANIFEST} records no results folder; "
                           f"run `journal render --docs {docs.name}` again")
    folder = (docs / results).resolve()
    with language(str(data.get("language", "en"))):
        records, declarations = _journal(folder)
        return render_block(spec, records, where, declarations)


def format_block(source: str, language: str, class_name: str, options: dict[str, Any], md: Any,
                 **kwargs: Any) -> str:
    """A ``pymdownx.superfences`` formatter: the block's table as HTML, or a failure box naming
    the problem, which is logged as a warning and kept in :data:`PROBLEMS`."""
    import markdown

    from .render.blocks import failed_block

    try:
        docs, where = _context(md)
        html = markdown.Markdown(extensions=["tables", "attr_list"]).convert(
            block_markdown(source, docs, where))
    except JournalError as exc:
        if str(exc) not in PROBLEMS:  # once each: a server renders the same page again and again
            PROBLEMS.append(str(exc))
        log.warning("journal: %s", terminal_text(exc))
        html = failed_block(str(exc))
    return f'<div class="{html_attr(class_name)}">\n{html}\n</div>'
