"""The MkDocs plugin ``journal``: records → posts of the Material blog.

It only wires MkDocs events to :mod:`journal.records` (load) and :mod:`journal.render` (posts);
it computes nothing itself. Configure it before or after ``blog`` in ``mkdocs.yml``::

    plugins:
      - search
      - journal:
          results_dir: results
      - blog

Event order matters: the blog collects posts in its ``on_files`` at priority -50, so ours runs at
priority 0 and hands it real files (the blog's ``Post`` reads ``abs_src_path`` itself). Posts are
written to ``cache_dir`` (outside ``docs/``, so ``mkdocs serve`` does not loop) and registered under
``posts_dir``, which must lie inside the blog's ``post_dir``. A bad record is one warning naming the
file and the field; ``mkdocs build --strict`` therefore fails on it, a plain build renders the rest.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from .errors import JournalError
from .records import Record, duplicates, load_records
from .render import build_posts, write_posts
from .render.blocks import render_blocks

log = logging.getLogger("mkdocs.plugins.journal")


class JournalConfig(base.Config):
    """Options of the ``journal`` plugin (paths relative to ``mkdocs.yml``)."""

    enabled = c.Type(bool, default=True)
    results_dir = c.Type(str, default="results")
    cache_dir = c.Type(str, default=".journal-cache")
    posts_dir = c.Type(str, default="blog/posts/journal")


class JournalPlugin(BasePlugin[JournalConfig]):
    """Renders run records into dated posts of the Material blog."""

    def __init__(self) -> None:
        self.results_dir = Path("results")
        self.cache_dir = Path(".journal-cache")
        self.generated: list[str] = []
        self.records: list[Record] = []

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        root = Path(config.config_file_path or ".").resolve().parent
        self.results_dir = (root / self.config.results_dir).resolve()
        self.cache_dir = (root / self.config.cache_dir).resolve()
        docs = Path(config.docs_dir).resolve()
        for name, path in (("results_dir", self.results_dir), ("cache_dir", self.cache_dir)):
            if path == docs or docs in path.parents:
                raise PluginError(
                    f"journal: '{name}' ({path}) lies inside docs_dir; move it out, or "
                    "'mkdocs serve' rebuilds forever"
                )
        posts = PurePosixPath(self.config.posts_dir)
        if posts.is_absolute() or ".." in posts.parts:
            raise PluginError(f"journal: 'posts_dir' must be a relative path inside docs, got {posts}")
        return config

    @event_priority(0)  # before the blog collects posts at -50
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files | None:
        self.generated = []
        self.records = []
        if not self.config.enabled:
            return files
        if not self.results_dir.is_dir():
            log.info("journal: no results folder at %s; no posts generated", self.results_dir)
            return files
        records, errors = load_records(self.results_dir)
        self.records = records
        for error in errors:
            log.warning("journal: bad record %s", error)
        for run_id in duplicates(records):
            log.warning("journal: run id %s occurs in more than one file of %s", run_id, self.results_dir)
        posts = build_posts(records)
        out = self.cache_dir / "posts"
        keep = {p.resolve() for p in write_posts(posts, out)}
        _remove_stale(out, keep)
        for post in posts:
            for rel in (post.filename, *post.assets):
                uri = f"{self.config.posts_dir}/{rel}"
                if files.get_file_from_path(uri) is not None:
                    raise PluginError(f"journal: generated {uri} clashes with a file in docs/")
                files.append(File.generated(config, uri, abs_src_path=str(out / rel)))
            self.generated.append(f"{self.config.posts_dir}/{post.filename}")
        log.info("journal: %d records → %d posts", len(records), len(posts))
        return files

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if "```journal" not in markdown:
            return markdown
        try:
            return render_blocks(markdown, self.records, page.file.src_uri)
        except JournalError as exc:
            raise PluginError(str(exc)) from None

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        blog = _blog_plugin(config)
        if blog is None or not self.generated:
            return nav
        from material.plugins.blog.structure import Post

        for uri in self.generated:
            file = files.get_file_from_path(uri)
            if file is None or not isinstance(file.page, Post):
                raise PluginError(
                    f"journal: {uri} did not become a blog post; 'posts_dir' "
                    f"({self.config.posts_dir}) must lie inside the blog's post_dir"
                )
        return nav

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.results_dir.is_dir():
            server.watch(str(self.results_dir))
        return server


def _blog_plugin(config: MkDocsConfig) -> Any:
    for plugin in config.plugins.values():
        if type(plugin).__name__ == "BlogPlugin" and getattr(plugin.config, "enabled", True):
            return plugin
    return None


def _remove_stale(folder: Path, keep: set[Path]) -> None:
    """Delete files in our own cache folder that no current post produced."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file() and path.resolve() not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            shutil.rmtree(path, ignore_errors=True)
