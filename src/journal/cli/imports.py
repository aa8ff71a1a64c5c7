"""Commands that bring existing work in and summarise it: import (tensorboard, mlflow, csv),
summary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import JournalError
from . import OneLineUsageError, echo, main

if TYPE_CHECKING:
    from ..importers import ImportOptions, ImportResult

# The library is imported inside each command, so `journal --help` and shell completion start fast.


def _naming_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options every import shares: where records go, how runs are named, step → epoch."""
    options = [
        click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
                     default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results]."),
        click.option("--experiment", default=None,
                     help="Experiment of every run [default: from the source]."),
        click.option("--variant", default=None, help="Variant of every run [default: the run's name]."),
        click.option("--variant-key", default=None, help="A config key whose value names the variant."),
        click.option("--seed", type=int, default=None, help="Seed of every run [default: config 'seed']."),
        click.option("--seed-key", default="seed", show_default=True, help="The config key of the seed."),
        click.option("--epoch-from", default=None, metavar="step|tag:NAME|every:N",
                     help="How logged steps become epochs [default: step; a CSV's epoch column]."),
        click.option("--epoch-offset", type=int, default=0, show_default=True,
                     help="Added to every epoch (1 makes zero-based epochs one-based)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _options(results_dir: Path | None, **kwargs: Any) -> ImportOptions:
    from ..importers import ImportOptions
    from ..tracking import default_results_dir

    try:
        return ImportOptions(results_dir=results_dir or default_results_dir(), **kwargs)
    except JournalError as exc:
        raise OneLineUsageError(str(exc)) from None


def _report(run: Callable[[], ImportResult]) -> None:
    result = run()
    for path in result.written:
        echo(path)
    for name, run_id in result.skipped:
        echo(f"skipped {name}: already imported as {run_id}", err=True)
    echo(f"{len(result.written)} imported, {len(result.skipped)} already there", err=True)


@main.group("import")
def import_group() -> None:
    """Import existing logs as run records, history included. Importing again skips what was
    imported before.

    \b
    journal import tensorboard runs/ --experiment digits --variant-key model
    journal import mlflow ./mlruns --mlflow-experiment digits
    journal import csv lightning_logs/ --epoch-offset 1
    """


@import_group.command("tensorboard")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@_naming_options
def import_tensorboard(directory: Path, results_dir: Path | None, **naming: Any) -> None:
    """Import every TensorBoard run (a folder of event files) below DIRECTORY.

    \b
    Example:
      journal import tensorboard runs/ --experiment digits --epoch-from every:100
    """
    from ..importers.tensorboard import import_tensorboard as run_import

    options = _options(results_dir, **naming)
    _report(lambda: run_import(directory, options))


@import_group.command("mlflow")
@click.argument("path_or_uri")
@click.option("--mlflow-experiment", "experiments", multiple=True,
              help="Only this MLflow experiment; repeatable [default: all].")
@_naming_options
def import_mlflow(path_or_uri: str, experiments: tuple[str, ...], results_dir: Path | None,
                  **naming: Any) -> None:
    """Import the runs of an MLflow store: a ./mlruns folder or a tracking URI.

    \b
    Example:
      journal import mlflow ./mlruns --mlflow-experiment digits --variant-key model
    """
    from ..importers.mlflow import import_mlflow as run_import

    options = _options(results_dir, **naming)
    _report(lambda: run_import(path_or_uri, options, experiments=list(experiments) or None))


@import_group.command("csv")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@_naming_options
def import_csv(file: Path, results_dir: Path | None, **naming: Any) -> None:
    """Import a CSV log: Lightning's metrics.csv (hparams.yaml beside it) or a plain file with
    one row per epoch. A folder imports every metrics.csv below it.

    \b
    Example:
      journal import csv lightning_logs/ --experiment digits --epoch-offset 1
      journal import csv history.csv --experiment digits --variant mlp --seed 0
    """
    from ..importers.csv import import_csv as run_import

    options = _options(results_dir, **naming)
    _report(lambda: run_import(file, options))


@main.command("summary")
@click.option("--md", "as_markdown", is_flag=True,
              help="GitHub-flavoured Markdown, e.g. for >> \"$GITHUB_STEP_SUMMARY\".")
@click.option("--columns", default=None, help="Metrics to show, comma-separated [default: all].")
@click.option("--experiment", default=None, help="Only this experiment.")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
def summary(as_markdown: bool, columns: str | None, experiment: str | None,
            results_dir: Path | None) -> None:
    """Per experiment, its variants: runs, finished runs, mean ± std of each metric.

    \b
    Example (a CI step):
      journal summary --md --columns acer,val_acer@best >> "$GITHUB_STEP_SUMMARY"
    """
    from ..runs_table import text_table
    from ..step_summary import summary as summary_markdown
    from ..step_summary import summary_frames
    from ..tracking import default_results_dir

    folder = results_dir or default_results_dir()
    chosen = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    if as_markdown:
        click.echo(summary_markdown(folder, columns=chosen, experiment=experiment), nl=False)
        return
    tables, bad = summary_frames(folder, columns=chosen, experiment=experiment)
    for name, table in tables.items():
        echo(name)
        click.echo(text_table(table))
    if not tables:
        echo(f"no runs in {folder}", err=True)
    if bad:
        echo(f"{bad} record file(s) could not be read; journal list names them", err=True)
