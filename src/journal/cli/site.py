"""Commands for the site: render, init, experiments."""

from __future__ import annotations

import os
import sys
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
              help="How the new repository installs journal, e.g. 'journal @ git+https://…'.")
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
    echo(f"{len(made.example_records)} example records in {directory / 'results'}; "
               f"next: cd {directory} && mkdocs serve")


@main.command()
def experiments() -> None:
    """List the experiments `journal run` knows, with their config keys and defaults."""
    from ..experiments import REGISTRY

    for name, exp in sorted(REGISTRY.items()):
        echo(f"{name}: {exp.summary}")
        defaults = exp.config_cls()
        for key, annotation in field_types(exp.config_cls).items():
            echo(f"  {key} = {getattr(defaults, key)!r}  ({describe_type(annotation)})")


@main.command()
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the posts (Markdown) and charts (SVG) into.")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="The language of the journal's own labels.")
def render(results_dir: Path | None, out_dir: Path, lang: str) -> None:
    """Write the journal's posts as Markdown + SVG files, without MkDocs.

    \b
    Example:
      journal render --out /tmp/posts
    """
    from ..analysis import group_by_post
    from ..escape import terminal_text
    from ..folder import load_journal
    from ..site import Layout, build_site, write_site
    from ..tracking import default_results_dir

    folder = results_dir or default_results_dir()
    journal = load_journal(folder)
    site = build_site(journal, layout=Layout(posts_dir=".", overview_dir="experiments"), lang=lang)
    for problem in site.problems:
        click.echo(problem, err=True)
    for path in write_site(site, out_dir):
        if path.suffix == ".md":
            click.echo(terminal_text(os.path.normpath(path)))
    if site.problems:
        sys.exit(1)
    if not group_by_post(journal.records):
        click.echo(f"no runs in {terminal_text(folder)}", err=True)


