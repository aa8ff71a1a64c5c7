"""``journal retire`` and ``journal unretire``: leave a run out of every aggregate, or count it
again, without touching its record (:mod:`journal.identity`)."""

from __future__ import annotations

from pathlib import Path

import click

from . import echo, main

# The library is imported inside each command, so `journal --help` and shell completion start fast.


@main.command()
@click.argument("run_id")
@click.option("--reason", required=True, help="Why the run is left out; posts show it.")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
def retire(run_id: str, reason: str, results_dir: Path | None) -> None:
    """Leave RUN_ID (an id or a unique prefix) out of every mean, interval and comparison. The
    record stays on disk; its post lists it as not counted, with the reason.

    \b
    Example:
      journal retire 20261123T061000Z-fas_kd-3f2a --reason "data leak: test images in train"
    """
    from ..identity import retire as retire_run
    from ..records import find_run, load_records
    from ..tracking import default_results_dir

    folder = results_dir or default_results_dir()
    records, _ = load_records(folder)
    record = find_run(records, run_id, folder)
    echo(retire_run(folder, record.id, reason))


@main.command()
@click.argument("run_id")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
def unretire(run_id: str, results_dir: Path | None) -> None:
    """Count a retired run again (removes its retirement file, never the record).

    \b
    Example:
      journal unretire 20261123T061000Z-fas_kd-3f2a
    """
    from ..identity import unretire as unretire_run
    from ..tracking import default_results_dir

    folder = results_dir or default_results_dir()
    echo(f"removed {unretire_run(folder, run_id)}")
