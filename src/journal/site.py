"""The site, built once: records, notes and declarations in; posts, overviews and charts out.

:func:`build_site` is the one way the journal becomes files. The MkDocs plugin, ``journal
render`` and any other site generator call it and differ only in where they put the files:

* posts go to ``posts_dir`` (``<day>-<experiment>.md``, charts in a folder beside each post),
  overview pages to ``overview_dir`` (``index.md`` plus a page per experiment), both relative
  to the docs root, and every link between them is relative, so the tree builds wherever it is
  placed;
* posts are cached in ``cache_dir`` by a hash of every input (records, notes, declarations,
  language, options and the library code), charts by a hash of what they draw.

:func:`write_docs` puts the same files, with the journal's scripts, into a site's docs folder
(``journal render --docs``, ``journal serve``), where MkDocs without the plugin and Zensical
build them; it lists what it wrote in ``.journal-generated.json`` and never touches another file.

A file of the results folder that cannot be read, or a post or page that cannot be rendered,
becomes one line in :attr:`Site.problems` naming the files involved; the rest of the site is
built (``mkdocs build --strict`` and ``journal render`` then fail on the problems).
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .atomic import write_atomic
from .comparisons import plan_all
from .docs_state import MANIFEST, generated_files
from .errors import JournalError
from .escape import terminal_text
from .folder import Journal
from .memo import Memo
from .records import Record
from .render import charts
from .render.i18n import language
from .render.overview import Page, render_overviews
from .render.posts import Post, build_posts, write_posts

MAX_NAMED = 3
ASSETS = ("tablesort.min.js", "tablesort.number.min.js", "journal.js")
ASSETS_URI = "assets/journal"
"""The scripts overview pages need (sortable tables), by their place in the docs folder."""
STYLESHEETS = ("journal.css",)
"""Shipped like :data:`ASSETS`, listed in ``extra_css``: tables and charts that fit the page."""


def asset_files() -> dict[str, bytes]:
    """The journal's scripts and stylesheets by their path relative to the docs root."""
    folder = resources.files("journal").joinpath("assets")
    return {f"{ASSETS_URI}/{name}": folder.joinpath(name).read_bytes()
            for name in (*ASSETS, *STYLESHEETS)}


@dataclass(frozen=True)
class Layout:
    """Where generated files go, relative to the docs root (POSIX paths)."""

    posts_dir: str = "blog/posts/journal"
    overview_dir: str = "experiments"


@dataclass
class Site:
    """The generated part of a site."""

    posts: list[Post]
    pages: list[Page]
    layout: Layout
    problems: list[str] = field(default_factory=list)
    """One line per bad file or unrenderable post, naming the files."""
    chart_keys: set[str] = field(default_factory=set)
    """The cached charts the site uses (the rest of the chart cache can go)."""
    language: str = "en"

    def files(self) -> dict[str, bytes]:
        """Every generated file by its path relative to the docs root."""
        out: dict[str, bytes] = {}
        for folder, items in ((self.layout.posts_dir, self.posts), (self.layout.overview_dir, self.pages)):
            for item in items:
                out[f"{folder}/{item.filename}"] = item.markdown.encode("utf-8")
                out.update({f"{folder}/{rel}": svg for rel, svg in item.assets.items()})
        return out


def _files_of(records: Sequence[Record], journal: Journal) -> str:
    named = [str(journal.paths.get(r.id, f"record {r.id}")) for r in records[:MAX_NAMED]]
    more = len(records) - MAX_NAMED
    return ", ".join(named) + (f" and {more} more" if more > 0 else "")


def build_site(
    journal: Journal,
    *,
    layout: Layout | None = None,
    lang: str = "en",
    cache_dir: Path | None = None,
    workers: int | None = None,
    memo: Memo | None = None,
) -> Site:
    """Posts and overview pages of ``journal`` (see the module's docstring); ``memo`` keeps
    what this build computes for the next one in the same process (``journal serve``)."""
    layout = layout or Layout()
    problems = [f"bad {error.what} {terminal_text(error)}" for error in journal.errors]

    def on_problem(what: str, records: Sequence[Record], exc: BaseException | None) -> None:
        cause = f": {type(exc).__name__}: {exc}" if exc is not None else ""
        problems.append(terminal_text(f"{what} could not be rendered{cause} "
                                      f"(runs from {_files_of(records, journal)})"))

    records = journal.records
    resolution = journal.resolution()
    if memo is not None:
        memo.retain(records)
    plans = plan_all(resolution.counted, journal.declarations, on_problem, memo)
    salt = f"{layout.posts_dir}\0{layout.overview_dir}"
    with language(lang), charts.cache_in(cache_dir / "charts" if cache_dir else None):
        posts = build_posts(records, notes=journal.notes, declarations=journal.declarations,
                            cache_dir=cache_dir / "rendered" if cache_dir else None,
                            workers=workers, on_problem=on_problem, salt=salt, resolution=resolution,
                            plans=plans, memo=memo)
        links = {(p.experiment, p.day): posixpath.relpath(f"{layout.posts_dir}/{p.filename}",
                                                          layout.overview_dir) for p in posts}
        with charts.track() as overview_charts:
            pages = render_overviews(resolution.counted, declarations=journal.declarations,
                                     notes=journal.notes, post_links=links, on_problem=on_problem,
                                     excluded=resolution.excluded, plans=plans)
    used = overview_charts.union(*(p.chart_keys for p in posts))
    return Site(posts, pages, layout, problems, used, lang)


def write_site(site: Site, root: Path) -> list[Path]:
    """Write the site's files below ``root`` (unchanged files are not touched) and return them."""
    return [*write_posts(site.posts, root / site.layout.posts_dir),
            *write_posts(site.pages, root / site.layout.overview_dir)]


def prune_cache(site: Site, cache_dir: Path) -> None:
    """Delete cached posts and charts that ``site`` no longer uses."""
    keep = {f"{p.cache_key}.pickle" for p in site.posts}
    rendered = cache_dir / "rendered"
    if rendered.is_dir():
        for path in rendered.glob("*.pickle"):
            if path.name not in keep:
                path.unlink(missing_ok=True)
    if (cache_dir / "charts").is_dir():
        charts.prune(cache_dir / "charts", site.chart_keys)


def remove_stale(folder: Path, keep: set[Path]) -> None:
    """Delete files below ``folder`` (a folder of our own) that are not in ``keep``."""
    if not folder.is_dir():
        return
    keep = {p.resolve() for p in keep}
    for path in sorted(folder.rglob("*"), reverse=True):
        if path.is_file() and path.resolve() not in keep:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            shutil.rmtree(path, ignore_errors=True)


CONFIG_FILES = ("mkdocs.yml", "mkdocs.yaml", "zensical.toml")


def check_docs(docs: Path) -> None:
    """Refuse (:class:`~journal.errors.JournalError`) a folder that is not a site's docs folder:
    it must exist and lie beside ``mkdocs.yml`` or ``zensical.toml``, or hold a listing of an
    earlier ``journal render --docs``."""
    if not docs.is_dir():
        raise JournalError(f"{docs}: no such folder; give the docs folder of a MkDocs or "
                           "Zensical site")
    parent = docs.resolve().parent
    if not (docs / MANIFEST).is_file() and not any((parent / n).is_file() for n in CONFIG_FILES):
        raise JournalError(f"{docs}: not the docs folder of a site (no {' or '.join(CONFIG_FILES)} "
                           f"in {parent}); run `journal init` to make one")


def unlisted_assets(docs: Path) -> list[str]:
    """Warnings, one a line, for each of the journal's scripts and stylesheets that the site's
    configuration beside ``docs`` (``mkdocs.yml`` or ``zensical.toml``) does not list. Where the
    MkDocs plugin does not run (Zensical, MkDocs without it) nothing else adds them to the pages.
    Read as text, as :func:`journal.serve.docs_dir_of` reads the docs folder (MkDocs' own YAML
    tags defeat a safe loader); no configuration file found, no warning."""
    parent = docs.resolve().parent
    for name in CONFIG_FILES:
        config = parent / name
        if config.is_file():
            lines = config.read_text(encoding="utf-8", errors="replace").splitlines()
            text = "\n".join(line.split("#", 1)[0] for line in lines)  # comments left out
            break
    else:
        return []
    wanted = [("extra_javascript", name, "overview tables do not sort") for name in ASSETS]
    wanted += [("extra_css", name, "confusion matrices show no shading") for name in STYLESHEETS]
    return [f"{config}: {key} does not list {ASSETS_URI}/{name} ({effect} without it)"
            for key, name, effect in wanted if f"{ASSETS_URI}/{name}" not in text]


def write_docs(site: Site, docs: Path, *, results_dir: Path | None = None,
               root: Path | None = None) -> list[Path]:
    """Write the site and the journal's scripts into the docs folder ``docs`` of a MkDocs or
    Zensical project; return the files whose content changed.

    Generated files are listed in ``docs/.journal-generated.json``: a later call replaces them
    and deletes those no longer produced; a file that is not listed there (a hand-written page)
    is never overwritten or deleted: meeting one is a :class:`~journal.errors.JournalError`
    naming it, and nothing is written. The listing also names ``results_dir`` (relative to
    ``docs``) and the site's language, which ```` ```journal ```` blocks of hand-written pages
    read (:mod:`journal.fence`); Zensical's cached render of those pages is dropped
    (:mod:`journal.zensical_cache`), since their tables change with the records: the cache of
    the site whose configuration is in ``root`` (by default, the folder above ``docs`` when it
    holds one).
    """
    from .zensical_cache import forget_block_pages

    files = {**site.files(), **asset_files()}
    before = generated_files(docs)
    clashes = [rel for rel in files if rel not in before and (docs / rel).exists()]
    if clashes:
        raise JournalError(f"{docs / clashes[0]}: not written by journal; move it away, or render "
                           "into another folder (the generated files would overwrite it)")
    # hand-written pages with journal blocks show the records too: Zensical renders them again
    forget_block_pages(docs, root, before | set(files))
    for rel in sorted(before - set(files)):
        (docs / rel).unlink(missing_ok=True)
        _remove_empty_parents(docs / rel, docs)
    written = []
    for rel, content in files.items():
        path = docs / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.is_file() or path.read_bytes() != content:
            write_atomic(path, content, durable=False)
            written.append(path)
    listing: dict[str, object] = {"generator": "journal render --docs", "language": site.language}
    if results_dir is not None:
        listing["results"] = Path(os.path.relpath(results_dir.resolve(), docs.resolve())).as_posix()
    listing["files"] = sorted(files)
    text = json.dumps(listing, indent=1) + "\n"
    manifest = docs / MANIFEST
    if not manifest.is_file() or manifest.read_text(encoding="utf-8") != text:
        docs.mkdir(parents=True, exist_ok=True)
        write_atomic(manifest, text, durable=False)
    return written


def _remove_empty_parents(path: Path, stop: Path) -> None:
    folder = path.parent
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
