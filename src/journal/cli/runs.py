"""Commands on run records: add, note, list, tag, show, compare."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

import click

from ..config import SEED_LIMIT, parse_overrides
from ..errors import JournalError
from . import OneLineUsageError, echo, main

# The library is imported inside each command, so `journal --help` and shell completion start fast.


@main.command()
@click.argument("experiment")
@click.option("--counts", help="FAS counts 'TP FN TN FP'; the FAS metrics are computed from them.")
@click.option("--confusion", help="A confusion matrix, rows = true class: '1550 393 0; 834 1311 0; …'.")
@click.option("--labels", help="Class names of --confusion, comma-separated.")
@click.option("--vector", help="Metric values as given, e.g. '[0.92, 0.06, 0.10]'; needs --order.")
@click.option("--order", help="Names of the --vector values, comma-separated.")
@click.option("--variant", default="default", show_default=True, help="The config family it belongs to.")
@click.option("--seed", type=click.IntRange(0, SEED_LIMIT), default=None,
              help="Its seed (version) number.")
@click.option("--date", default=None, help="When it ran, e.g. 2025-08-01T10:41Z [default: now].")
@click.option("--checkpoint", default="last", show_default=True,
              help="The checkpoint the numbers were measured at, e.g. acer_best: a variant gets a "
                   "★ only against runs measured at the same one.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="A config value; repeatable.")
@click.option("--note", default="", help="A note (Markdown).")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
def add(experiment: str, counts: str | None, confusion: str | None, labels: str | None,
        vector: str | None, order: str | None, variant: str, seed: int | None, date: str | None,
        checkpoint: str, overrides: tuple[str, ...], note: str, results_dir: Path | None) -> None:
    """Record a run whose numbers were computed elsewhere.

    \b
    Examples:
      journal add fas_kd --counts "15636 1822 38242 2010" --variant "KD+patch" --seed 0
      journal add ser --confusion "1550 393 0; 834 1311 0; 101 305 0" --labels 正向,中性,负向
      journal add fas_kd --vector "[0.92, 0.06]" --order acc,acer --date 2025-08-01
    """
    from ..external import add_run, check_labels, parse_date, parse_matrix, parse_numbers, plain_value
    from ..tracking import default_results_dir

    config = {k: plain_value(v) for k, v in parse_overrides(overrides).items()}
    path = add_run(
        experiment, results_dir=results_dir or default_results_dir(), variant=variant, seed=seed,
        config=config,
        counts=parse_numbers(counts, "--counts") if counts is not None else None,
        confusion=parse_matrix(confusion) if confusion is not None else None,
        labels=check_labels(labels, "--labels") if labels is not None else None,
        vector=parse_numbers(vector, "--vector") if vector is not None else None,
        order=check_labels(order, "--order") if order is not None else None,
        date=parse_date(date), note=note, checkpoint=checkpoint,
    )
    echo(path)


@main.command()
@click.argument("text", required=False)
@click.option("--run", "run_id", default=None, help="A run id (or a unique prefix of one).")
@click.option("--experiment", default=None, help="The experiment of --variant or --day.")
@click.option("--variant", default=None, help="A variant (every day it ran, or only --day's).")
@click.option("--day", default=None, help="A day (YYYY-MM-DD, UTC): that day's post.")
@click.option("--file", "file", type=click.File("r", encoding="utf-8"), default=None,
              help="Read the note's Markdown from a file ('-' for stdin).")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
def note(text: str | None, run_id: str | None, experiment: str | None, variant: str | None,
         day: str | None, file: IO[str] | None, results_dir: Path | None) -> None:
    """Attach a Markdown note to a run, a variant or a day; posts show it beside the numbers.

    \b
    Examples:
      journal note --run 20261123T0610Z-fas_kd "LR too high: val loss climbs after epoch 3."
      journal note --experiment fas_kd --variant "student + logit KD" "KD helps, within noise."
      journal note --experiment ser --day 2026-11-23 --file conclusions.md
    """
    from ..notes import MAX_NOTE_CHARS, add_note, parse_day
    from ..tracking import default_results_dir

    if (text is None) == (file is None):
        raise OneLineUsageError("give the note as TEXT or with --file, not both")
    try:
        body = text if text is not None else file.read(MAX_NOTE_CHARS + 1) if file is not None else ""
    except UnicodeDecodeError as exc:
        raise JournalError(f"--file {getattr(file, 'name', '')}: not UTF-8 text (byte {exc.start})") from None
    when = parse_day(day, "--day") if day is not None else None
    path = add_note(body, results_dir=results_dir or default_results_dir(), run=run_id,
                    experiment=experiment, variant=variant, day=when)
    echo(path)


@main.command("list")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
@click.option("--experiment", default=None, help="Only runs of this experiment.")
@click.option("--variant", default=None, help="Only runs of this variant.")
@click.option("--status", type=click.Choice(["running", "finished", "failed", "interrupted", "stale"]),
              default=None, help="Only runs with this status.")
@click.option("--tag", "tags", multiple=True, help="Only runs with this tag; repeatable (all must match).")
@click.option("--since", default=None, help="Only runs started on or after this day (YYYY-MM-DD, UTC)/time.")
@click.option("--until", default=None, help="Only runs started on or before this day or time.")
@click.option("--where", "where", multiple=True, metavar="KEY=VALUE",
              help="Only runs whose config KEY equals VALUE; repeatable.")
@click.option("--columns", default=None, metavar="SPEC,…",
              help="Columns: metrics (acer), metric@selection (val_acer@best, acer@last), "
              "config.KEY, or id, experiment, variant, seed, status, started_at, ended_at, tags.")
@click.option("--sort", default=None, metavar="COLUMN,…", help="Sort by these columns; -COLUMN descends.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "md"]), default="table",
              show_default=True, help="Aligned text, CSV, JSON (journal.runs_table.from_json reads it) "
              "or a GitHub Markdown table.")
def list_runs(results_dir: Path | None, experiment: str | None, variant: str | None,
              status: str | None, tags: tuple[str, ...], since: str | None, until: str | None,
              where: tuple[str, ...], columns: str | None, sort: str | None, fmt: str) -> None:
    """List the runs in the results folder, oldest first, one row each under a header.

    Bad record files are reported on stderr, naming the file and the field, and make the
    exit code 1.

    \b
    Examples:
      journal list --experiment fas_kd --columns variant,seed,acer,val_acer@best --sort acer
      journal list --tag baseline --since 2026-11-01 --where kd=logit
      journal list --format md >> "$GITHUB_STEP_SUMMARY"
    """
    from ..records import load_records
    from ..runs_table import list_text, select
    from ..tracking import default_results_dir, remove_orphans

    folder = results_dir or default_results_dir()
    chosen = _specs(columns, "--columns")
    order = _specs(sort, "--sort")
    remove_orphans(folder)
    records, errors = load_records(folder)
    records = select(records, experiment=experiment, variant=variant, status=status, tags=tags,
                     since=since, until=until, where=parse_overrides(where))
    if records or fmt != "table":
        click.echo(list_text(records, columns=chosen, sort=order, fmt=fmt), nl=False)
    for error in errors:
        echo(f"bad record: {error}", err=True)
    if not records and not errors:
        echo(f"no runs in {folder}", err=True)
    if errors:
        sys.exit(1)


def _specs(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    specs = [c.strip() for c in text.split(",") if c.strip()]
    if not specs:
        raise OneLineUsageError(f"{option}: name at least one column")
    return specs


@main.command()
@click.argument("run_id")
@click.argument("tags", nargs=-1)
@click.option("--remove", "removed", multiple=True, metavar="TAG", help="Remove this tag; repeatable.")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
def tag(run_id: str, tags: tuple[str, ...], removed: tuple[str, ...], results_dir: Path | None) -> None:
    """Add TAGS to a run (an id or a unique prefix of one); `journal list --tag` finds them.

    \b
    Examples:
      journal tag 20261123T061000Z-fas_kd-3f2a baseline paper-table-3
      journal tag 20261123T061000Z-fas_kd-3f2a --remove baseline
    """
    from ..tracking import default_results_dir, tag_run

    if not tags and not removed:
        raise OneLineUsageError("name a TAG to add, or --remove TAG")
    record = tag_run(results_dir or default_results_dir(), run_id, tags, removed)
    echo(f"{record.id}: {', '.join(record.tags) or '(no tags)'}")


@main.command()
@click.argument("run_id")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
def show(run_id: str, results_dir: Path | None) -> None:
    """Show one run: config, metrics, checkpoint selections and confusion matrix.

    \b
    Example:
      journal show 20261123T061000Z-fas_kd-3f2a9c1e
    """
    from rich.console import Console

    from .. import terminal
    from ..identity import load_counted
    from ..records import find_run
    from ..tracking import default_results_dir

    folder = results_dir or default_results_dir()
    records, resolution = load_counted(folder)
    record = find_run(records, run_id, folder)
    terminal.show(record, Console(), excluded=resolution.reason(record.id))


@main.command("compare")
@click.argument("variant_a")
@click.argument("variant_b")
@click.option("--experiment", default=None, help="Only runs of this experiment.")
@click.option("--md", "as_markdown", is_flag=True, help="A GitHub Markdown table (for a pull request).")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
def compare_variants(
    variant_a: str, variant_b: str, experiment: str | None, as_markdown: bool,
    results_dir: Path | None
) -> None:
    """Compare two variants over their counted runs (each seed once, retired runs left out), on
    each task and data set both ran: n, mean ± std with the 95% interval, the difference with
    Welch's 95% interval, and whether it is within seed noise.

    \b
    Examples:
      journal compare student "student + logit KD" --experiment fas_kd
      journal compare student "student + logit KD" --md >> "$GITHUB_STEP_SUMMARY"
    """
    from rich.console import Console

    from .. import terminal
    from ..identity import load_counted
    from ..tracking import default_results_dir

    folder = results_dir or default_results_dir()
    _, resolution = load_counted(folder)  # a re-run seed counts once, a retired run not at all
    records = [r for r in resolution.counted if experiment is None or r.experiment == experiment]
    groups = [[r for r in records if r.variant == name] for name in (variant_a, variant_b)]
    for name, group in zip((variant_a, variant_b), groups, strict=True):
        if not group:
            known = ", ".join(sorted({r.variant for r in records})) or "none"
            raise JournalError(f"no runs of variant '{name}' in {folder}; variants: {known}")
    if as_markdown:
        from ..compare_table import comparison_markdown

        click.echo(comparison_markdown(groups[0], groups[1], (variant_a, variant_b)), nl=False)
        return
    terminal.compare(groups[0], groups[1], (variant_a, variant_b), Console())


