"""Commands for the site: render, init, experiments."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ..config import describe_type, field_types
from . import echo, main

# The library is imported inside each command, so `journal --help` and shell completion start fast.


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="The site's language (labels, search).")
@click.option("--name", "site_name", default=None, help="The site's name [default: the folder's].")
@click.option("--requirement", default=None,
              help="How the new repository installs journal, e.g. 'runjournal @ git+https://…'.")
@click.option("--no-example", is_flag=True, help="Do not run the example script once.")
def init(directory: Path, lang: str, site_name: str | None, requirement: str | None,
         no_example: bool) -> None:
    """Create a new journal repository in DIRECTORY that builds out of the box.

    It holds mkdocs.yml, docs/, results/, a GitHub Pages workflow, a README and
    train_example.py, which is run once so the first build has a post. Existing files are
    never overwritten.

    \b
    Examples:
      journal init ../lab-journal --lang zh
      cd ../lab-journal && mkdocs serve
    """
    from ..scaffold import init_journal

    made = init_journal(directory, lang=lang, site_name=site_name, requirement=requirement,
                        run_example=not no_example)
    for path in made.files:
        echo(path)
    if made.workflow_warning is not None:
        echo(f"warning: {made.workflow_warning}", err=True)
    echo(f"{len(made.example_records)} example records in {directory / 'results'}; "
               f"next: cd {directory} && mkdocs serve")


@main.command()
@click.option("--names", is_flag=True, help="Only the names, one a line (for scripts).")
def experiments(names: bool) -> None:
    """List the experiments `journal run` knows, with their config keys and defaults: the
    installed ones (the `journal.experiments` entry points) and the `run:` lines of
    $JOURNAL_RESULTS/experiments.yml (default: ./results).
    """
    from ..experiments import Registry
    from ..tracking import default_results_dir

    registry = Registry(default_results_dir())
    if names:
        for name in registry:
            echo(name)
        return
    for name, exp in registry.items():
        echo(f"{name}: {exp.summary}")
        defaults = exp.config_cls()
        for key, annotation in field_types(exp.config_cls).items():
            echo(f"  {key} = {getattr(defaults, key)!r}  ({describe_type(annotation)})")


@main.command()
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder to write the posts (Markdown) and charts (SVG) into.")
@click.option("--docs", "docs_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The docs folder of a site: posts, overviews, charts and scripts go where "
                   "MkDocs and Zensical build them (generated files are listed in "
                   ".journal-generated.json; no other file is touched).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="The language of the journal's own labels.")
def render(results_dir: Path | None, out_dir: Path | None, docs_dir: Path | None,
           lang: str) -> None:
    """Write the journal's posts as Markdown + SVG files, without MkDocs.

    With --docs, the files go into a site's docs folder, which then builds with
    `zensical build` or `mkdocs build` alone (no plugin); run it again after new
    records: only what changed is rewritten, and files it wrote before that are no
    longer produced are removed.

    \b
    Examples:
      journal render --out /tmp/posts
      journal render --docs docs && zensical build --strict   # or: journal build --strict
    """
    if (out_dir is None) == (docs_dir is None):
        raise click.UsageError("give one of --out DIR or --docs DIR")
    from ..analysis import group_by_post
    from ..docs_state import writing
    from ..escape import terminal_text
    from ..folder import load_journal
    from ..serve import project_cache
    from ..site import Layout, build_site, check_docs, unlisted_assets, write_docs, write_site
    from ..tracking import default_results_dir

    folder = results_dir or default_results_dir()
    if docs_dir is not None:
        check_docs(docs_dir)
        for warning in unlisted_assets(docs_dir):
            echo(f"warning: {warning}", err=True)
    journal = load_journal(folder)
    if docs_dir is not None:
        cache = project_cache(docs_dir)
        with writing(cache, lambda line: echo(line, err=True)):
            site = build_site(journal, lang=lang, cache_dir=cache)
            for problem in site.problems:
                click.echo(problem, err=True)
            paths = write_docs(site, docs_dir, results_dir=folder)
    else:
        site = build_site(journal, layout=Layout(posts_dir=".", overview_dir="experiments"),
                          lang=lang)
        for problem in site.problems:
            click.echo(problem, err=True)
        paths = write_site(site, out_dir or Path("."))
    for path in paths:
        if path.suffix == ".md":
            click.echo(terminal_text(os.path.normpath(path)))
    if site.problems:
        sys.exit(1)
    if not group_by_post(journal.records):
        click.echo(f"no runs in {terminal_text(folder)}", err=True)


def _site_options(extra: list) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """The options `journal serve` and `journal build` share, around ``extra`` of their own."""
    shared = [
        click.option("--config", "-f", "config", type=click.Path(dir_okay=False, path_type=Path),
                     default=Path("mkdocs.yml"), show_default=True,
                     help="The site's configuration."),
        click.option("--results", "results_dir",
                     type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Folder of records [default: $JOURNAL_RESULTS, else the plugin's "
                          "results_dir in the configuration, else results/ beside it]."),
        click.option("--generator", type=click.Choice(["auto", "zensical", "mkdocs"]),
                     default="auto", show_default=True,
                     help="auto: Zensical when it is installed, else MkDocs."),
        *extra,
        click.option("--lang", type=click.Choice(["en", "zh"]), default=None,
                     help="The journal's labels [default: the site's theme.language]."),
    ]

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        for option in reversed(shared):
            command = option(command)
        return command
    return decorate


def _site_inputs(config: Path, results_dir: Path | None, generator: str) -> tuple[str, Path]:
    """The generator `serve` and `build` use and the results folder they read, after the
    checks both make: the configuration exists; with Zensical, warnings for the docs
    folder's unlisted assets and for a missing results folder."""
    from ..errors import JournalError
    from ..escape import terminal_text
    from ..serve import available_generator, docs_dir_of, results_dir_of
    from ..site import unlisted_assets
    from ..tracking import default_results_dir

    if not config.is_file():
        raise JournalError(f"{terminal_text(config)}: no such file; run in a journal's folder "
                           "or give --config")
    chosen = available_generator() if generator == "auto" else generator
    if chosen == "zensical":
        for warning in unlisted_assets(docs_dir_of(config)):
            echo(f"warning: {warning}", err=True)
    if results_dir is None:  # the site's own results folder, as the plugin reads it, from anywhere
        results_dir = (default_results_dir() if "JOURNAL_RESULTS" in os.environ
                       else results_dir_of(config))
    if chosen == "zensical" and not results_dir.is_dir():
        echo(f"warning: {terminal_text(results_dir)}: no such folder; the journal shows no runs "
             "until it exists (give --results)", err=True)
    return chosen, results_dir


@contextmanager
def _exit_on_sigterm() -> Iterator[None]:
    """SIGTERM exits by ``SystemExit`` while inside, so that clean-up (stopping a server
    process) runs; the handler before is put back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@main.command()
@_site_options([
    click.option("--dev-addr", "-a", "addr", default="127.0.0.1:8000", show_default=True,
                 help="Address to serve on, HOST:PORT."),
])
def serve(config: Path, results_dir: Path | None, generator: str, addr: str,
          lang: str | None) -> None:
    """Render the journal and serve the site, re-rendering what a new record changes.

    With Zensical installed, the journal is written into the docs folder (as `journal
    render --docs` does) and `zensical serve` shows it; the results folder is polled
    every second, and a new or changed record, note or declaration re-renders only
    the posts it touches. Without Zensical, `mkdocs serve` runs with the plugin.

    \b
    Example:
      journal serve                      # http://127.0.0.1:8000
    """
    from ..serve import check_addr, check_port_free, docs_dir_of
    from ..serve import serve as serve_site
    from ..site import check_docs

    check_addr(addr)
    chosen, results_dir = _site_inputs(config, results_dir, generator)
    if chosen == "zensical":
        check_docs(docs_dir_of(config))
    check_port_free(addr)
    echo(f"serving with {chosen} on http://{addr}/ (Ctrl-C stops)")
    with _exit_on_sigterm():  # `kill` stops the server too, as Ctrl-C does
        status = serve_site(config, results_dir, generator=chosen, addr=addr,
                            lang=lang, log=lambda line: echo(line, err=True))
    if status:
        sys.exit(1)


@main.command()
@_site_options([
    click.option("--strict", is_flag=True,
                 help="Fail on any warning: a broken link, a bad record."),
    click.option("--clean", is_flag=True, help="Zensical: start from an empty cache, and read "
                 "and render the journal even if nothing changed."),
])
def build(config: Path, results_dir: Path | None, generator: str, strict: bool, clean: bool,
          lang: str | None) -> None:
    """Build the site once into site/.

    With Zensical, the journal is first written into the docs folder (as `journal
    render --docs` does; only what changed is rendered) and Zensical builds it,
    checking links without scanning unchanged pages again. With MkDocs, `mkdocs
    build` runs and the plugin renders.

    \b
    Example:
      journal build --strict
    """
    from ..escape import terminal_text
    from ..serve import build as build_site

    explicit = results_dir is not None or lang is not None
    chosen, results_dir = _site_inputs(config, results_dir, generator)
    if chosen == "mkdocs" and explicit:
        echo("warning: --results and --lang are for Zensical; with MkDocs the plugin reads them "
             f"from {terminal_text(config)}", err=True)
    status = build_site(config, results_dir, generator=chosen, lang=lang, strict=strict,
                        clean=clean, log=lambda line: echo(line, err=True))
    if status:
        sys.exit(status)
