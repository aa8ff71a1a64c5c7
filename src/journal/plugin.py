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
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page

from .declarations import Declaration
from .escape import front_matter_text, terminal_text
from .folder import Journal, load_journal
from .records import Record
from .render.blocks import render_blocks
from .render.i18n import LANGUAGES, language, normalise, t
from .site import (
    ASSETS,
    ASSETS_URI,
    STYLESHEETS,
    Layout,
    asset_files,
    build_site,
    generated_files,
    prune_cache,
    remove_stale,
    write_site,
)

log = logging.getLogger("mkdocs.plugins.journal")


class JournalConfig(base.Config):
    """Options of the ``journal`` plugin (paths relative to ``mkdocs.yml``)."""

    enabled = c.Type(bool, default=True)
    results_dir = c.Type(str, default="results")
    cache_dir = c.Type(str, default=".journal-cache")
    posts_dir = c.Type(str, default="blog/posts/journal")
    overview_dir = c.Type(str, default="experiments")
    overview_title = c.Optional(c.Type(str))  # default: "Experiments" in the site's language
    language = c.Optional(c.Choice(LANGUAGES))  # default: from theme.language (zh*, else en)


class JournalPlugin(BasePlugin[JournalConfig]):
    """Renders run records into dated posts of the Material blog."""

    def __init__(self) -> None:
        self.results_dir = Path("results")
        self.cache_dir = Path(".journal-cache")
        self.generated: list[str] = []
        self.overviews: list[tuple[str, str]] = []
        self.records: list[Record] = []
        """The counted records (re-runs superseded, retired runs left out), for journal blocks."""
        self.declarations: dict[str, Declaration] = {}
        self.language = "en"

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
        for name in ("posts_dir", "overview_dir"):
            rel = PurePosixPath(self.config[name])
            if rel.is_absolute() or ".." in rel.parts or not rel.parts:
                raise PluginError(f"journal: '{name}' must be a relative path inside docs, got {rel}")
        self.language = normalise(self.config.language or config.theme.get("language"))
        if self.config.enabled:  # listed already where mkdocs.yml also serves `render --docs`
            listed = {str(script) for script in config.extra_javascript}
            config.extra_javascript.extend(f"{ASSETS_URI}/{name}" for name in ASSETS
                                           if f"{ASSETS_URI}/{name}" not in listed)
            styles = {str(sheet) for sheet in config.extra_css}
            config.extra_css.extend(f"{ASSETS_URI}/{name}" for name in STYLESHEETS
                                    if f"{ASSETS_URI}/{name}" not in styles)
        return config

    @event_priority(0)  # before the blog collects posts at -50
    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files | None:
        self.generated = []
        self.overviews = []
        self.records = []
        if not self.config.enabled:
            return files
        # a tree written by `journal render --docs` earlier: this build's own files replace it
        for rel in generated_files(Path(config.docs_dir)):
            stale = files.get_file_from_path(rel)
            if stale is not None:
                files.remove(stale)
        for uri, content in asset_files().items():
            files.append(File.generated(config, uri, content=content))
        if self.results_dir.is_dir():
            journal = load_journal(self.results_dir)
        else:  # the overview index still says so, and the navigation's link to it holds
            log.info("journal: no results folder at %s; no posts generated", self.results_dir)
            journal = Journal()
        self.records = journal.resolution().counted
        self.declarations = dict(journal.declarations)
        layout = Layout(self.config.posts_dir, self.config.overview_dir)
        site = build_site(journal, layout=layout, lang=self.language, cache_dir=self.cache_dir)
        for problem in site.problems:
            log.warning("journal: %s", problem)
        out = self.cache_dir / "site"
        written = write_site(site, out)
        for uri in site.files():
            if files.get_file_from_path(uri) is not None:
                raise PluginError(f"journal: generated {uri} clashes with a file in docs/")
            is_page = uri.startswith(f"{layout.overview_dir}/") and uri.endswith(".md")
            files.append(File.generated(
                config, uri, abs_src_path=str(out / uri),
                inclusion=InclusionLevel.NOT_IN_NAV if is_page else InclusionLevel.UNDEFINED))
        prune_cache(site, self.cache_dir)
        remove_stale(out, set(written))
        for old in ("posts", "overview"):  # the layout of earlier versions
            shutil.rmtree(self.cache_dir / old, ignore_errors=True)
        self.generated = [f"{layout.posts_dir}/{p.filename}" for p in site.posts]
        self.overviews = [(f"{layout.overview_dir}/{p.filename}", p.title) for p in site.pages]
        log.info("journal: %d records → %d posts, %d overview pages", len(self.records),
                 len(site.posts), len(site.pages))
        return files

    def on_page_markdown(
        self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        if "```journal" not in markdown:
            return markdown
        problems: list[str] = []
        with language(self.language):
            out = render_blocks(markdown, self.records, page.file.src_uri, self.declarations,
                                problems)
        for problem in problems:  # the block shows a failure box; --strict fails the build
            log.warning("journal: %s", terminal_text(problem))
        return out

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation | None:
        self._check_posts(config, files)
        self._add_overviews(nav, config, files)
        return nav

    def _check_posts(self, config: MkDocsConfig, files: Files) -> None:
        if _blog_plugin(config) is None or not self.generated:
            return
        from material.plugins.blog.structure import Post

        for uri in self.generated:
            file = files.get_file_from_path(uri)
            if file is None or not isinstance(file.page, Post):
                raise PluginError(
                    f"journal: {uri} did not become a blog post; 'posts_dir' "
                    f"({self.config.posts_dir}) must lie inside the blog's post_dir"
                )

    def _add_overviews(self, nav: Navigation, config: MkDocsConfig, files: Files) -> None:
        """A navigation section of the overview pages, right after the blog's (or last)."""
        pages = []
        listed = {id(page) for page in nav.pages}  # named in mkdocs.yml (as Zensical needs)
        for uri, title in self.overviews:
            file = files.get_file_from_path(uri)
            if file is not None and isinstance(file.page, Page):
                if id(file.page) not in listed:  # a listed page keeps the title mkdocs.yml gives
                    file.page.title = front_matter_text(title)  # the theme prints it unescaped
                pages.append(file.page)
        if not pages or any(id(page) in listed for page in pages):
            return
        with language(self.language):
            title = self.config.overview_title or t("Experiments")
        section = Section(title, list(pages))
        for page in pages:
            page.parent = section
        blog = _blog_plugin(config)
        blog_dir = str(blog.config.blog_dir).strip("/") + "/" if blog is not None else None
        blog_index = next((i for i, item in enumerate(nav.items)
                           if blog_dir and _holds(item, blog_dir)), None)
        position = len(nav.items) if blog_index is None else blog_index + 1
        nav.items.insert(position, section)

    def on_serve(self, server: Any, /, *, config: MkDocsConfig, builder: Any) -> Any:
        if self.results_dir.is_dir():
            server.watch(str(self.results_dir))
        return server


def _blog_plugin(config: MkDocsConfig) -> Any:
    for plugin in config.plugins.values():
        if type(plugin).__name__ == "BlogPlugin" and getattr(plugin.config, "enabled", True):
            return plugin
    return None


def _holds(item: Any, prefix: str) -> bool:
    """Whether a navigation item is, or contains, a page whose source starts with ``prefix``."""
    if isinstance(item, Page):
        return item.file.src_uri.startswith(prefix)
    return any(_holds(child, prefix) for child in getattr(item, "children", None) or [])

