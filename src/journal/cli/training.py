"""``journal run`` and ``journal sweep``: training, one seed at a time or a grid."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from ..config import apply_overrides, parse_overrides
from ..errors import ConfigError, JournalError
from . import OneLineUsageError, _check_writable, echo, main, parse_seeds

# The library is imported inside each command, so `journal --help` and shell completion start fast.


def complete_experiment(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[str]:
    """Shell completion of an EXPERIMENT: the installed ones and the ``run:`` lines of the
    results folder's ``experiments.yml`` (nothing is imported)."""
    from ..experiments.registry import experiment_names
    from ..tracking import default_results_dir

    folder = ctx.params.get("results_dir") or default_results_dir()
    try:
        names = experiment_names(folder)
    except Exception:  # a bad experiments.yml: complete the installed ones
        names = experiment_names()
    return [n for n in names if n.startswith(incomplete)]


@main.command()
@click.argument("experiment", shell_complete=complete_experiment)
@click.option("--seeds", default="0", show_default=True, help="Seeds to run: 0,1,2,3 or 0-3.")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="Override a config value; repeatable. See `journal experiments`.")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A real data set in the experiment's on-disk layout [default: tiny synthetic data].")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option("--resume", "resume_id", default=None, metavar="RUN_ID",
              help="Continue an interrupted run (and its job) into the same record.")
def run(experiment: str, seeds: str, overrides: tuple[str, ...], results_dir: Path | None,
        data_root: Path | None, quiet: bool, resume_id: str | None) -> None:
    """Train EXPERIMENT once per seed and write its run records.

    \b
    Examples:
      journal run fas_kd --seeds 0,1,2,3
      journal run fas_kd --set kd=feature --set lr=3e-4 --results runs/
      journal run fas_kd --data-root /data/CASIA-SURF
      journal run fas_kd --resume 20261123T061000Z-fas_kd-3f2a
    """
    from ..experiments import get_experiment, resume_run, run_experiment
    from ..tracking import default_results_dir

    if resume_id is not None:
        folder = results_dir or default_results_dir()
        try:
            paths = resume_run(resume_id, results_dir=folder, data_root=data_root, progress=not quiet)
        except KeyboardInterrupt:
            echo(f"interrupted again; resume with --resume {resume_id}", err=True)
            sys.exit(130)
        for path in paths:
            echo(path)
        return
    folder = results_dir or default_results_dir()
    try:
        pairs = parse_overrides(overrides)
        apply_overrides(get_experiment(experiment, folder).config_cls(), pairs)  # fail before training
    except ConfigError as exc:
        raise OneLineUsageError(f"--set {exc}") from None
    seed_list = parse_seeds(seeds)
    if data_root is not None and not data_root.is_dir():
        raise JournalError(f"--data-root {data_root}: no such folder")
    _check_writable(folder)
    try:
        paths = run_experiment(experiment, seeds=seed_list, overrides=pairs, results_dir=folder,
                               data_root=data_root, progress=not quiet)
    except KeyboardInterrupt as exc:
        echo(_interrupted_message(exc, folder), err=True)
        sys.exit(130)
    for path in paths:
        echo(path)


def _interrupted_message(exc: KeyboardInterrupt, folder: Path) -> str:
    from ..records import load_records

    jobs = [n.removeprefix("job ") for n in getattr(exc, "__notes__", []) if n.startswith("job ")]
    records, _ = load_records(folder)
    stopped = [r for r in records if r.launch is not None and r.launch.job in jobs
               and r.status == "interrupted"]
    if not stopped:
        return f"interrupted; records are kept in {folder}"
    last = stopped[-1]
    return (f"interrupted; {last.id} is kept in {folder} with status 'interrupted'; "
            f"continue it with: journal run {shlex.quote(last.experiment)} --resume {last.id}")


@main.command()
@click.argument("experiment", required=False, shell_complete=complete_experiment)
@click.option("--grid", "grid_items", multiple=True, metavar="KEY=V1,V2",
              help="A config key and the values to sweep; repeatable (the grid is their product).")
@click.option("--seeds", default=None, help="Seeds of every point: 0,1,2,3 or 0-3 [default: 0].")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE",
              help="A config value shared by every point; repeatable.")
@click.option("--file", "sweep_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A YAML sweep file (experiment, seeds, grid, set) for larger grids.")
@click.option("--launcher", type=click.Choice(["local", "slurm"]), default="local", show_default=True)
@click.option("--jobs", type=click.IntRange(min=1), default=None,
              help="local: parallel jobs [default: one per GPU, else one per core].")
@click.option("--rerun", is_flag=True, help="Run every point again, even finished ones.")
@click.option("--partition", default=None, help="slurm: the partition.")
@click.option("--time", "time_min", type=click.IntRange(min=1), default=60, show_default=True,
              help="slurm: minutes per job.")
@click.option("--gpus", type=click.IntRange(min=0), default=0, show_default=True, help="slurm: GPUs per job.")
@click.option("--cpus", type=click.IntRange(min=1), default=2, show_default=True, help="slurm: CPUs per job.")
@click.option("--array-parallelism", type=click.IntRange(min=1), default=32, show_default=True,
              help="slurm: jobs of the array running at once.")
@click.option("--cluster", type=click.Choice(["slurm", "local", "debug"]), default=None, hidden=True,
              help="submitit's executor (default: Slurm); 'local' runs the slurm path on this machine.")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A real data set in the experiment's on-disk layout.")
def sweep(experiment: str | None, grid_items: tuple[str, ...], seeds: str | None,
          overrides: tuple[str, ...], sweep_file: Path | None, launcher: str, jobs: int | None,
          rerun: bool, partition: str | None, time_min: int, gpus: int, cpus: int,
          array_parallelism: int, cluster: str | None, results_dir: Path | None,
          data_root: Path | None) -> None:
    """Run EXPERIMENT over a grid of config values × seeds, each point an ordinary run.

    Starting the same sweep again skips finished points, continues interrupted ones and
    reruns failed ones.

    \b
    Examples:
      journal sweep fas_kd --grid kd=logit,feature --grid lr=1e-3,1e-4 --seeds 0-3
      journal sweep fas_kd --grid kd=logit,feature --seeds 0,1 --jobs 2
      journal sweep --file sweeps/kd.yml --launcher slurm --partition gpu --gpus 1 --time 120
    """
    from rich.console import Console

    from .. import terminal
    from ..experiments import get_experiment
    from ..launchers import SlurmOptions, run_local, run_slurm
    from ..paths import SUBMITIT_DIR, within
    from ..sweeps import Sweep, counts, load_sweep_file, parse_grid, plan, summary_rows
    from ..tracking import default_results_dir

    folder = results_dir or default_results_dir()
    try:
        spec = load_sweep_file(sweep_file) if sweep_file else {"experiment": None, "grid": {},
                                                                "fixed": {}, "seeds": None}
        name = experiment or spec["experiment"]
        if not name:
            raise OneLineUsageError("name the EXPERIMENT (or 'experiment:' in the sweep file)")
        grid = {**spec["grid"], **parse_grid(grid_items)}
        fixed = {**spec["fixed"], **parse_overrides(overrides)}
        if not grid:
            raise OneLineUsageError("a sweep needs --grid KEY=V1,V2 (or 'grid:' in the sweep file)")
        exp = get_experiment(name, folder)
        the_sweep = Sweep(name, grid, parse_seeds(seeds or spec["seeds"] or "0"), fixed)
        the_sweep.check_size()
        for point in Sweep(name, grid, [0], fixed).points():
            apply_overrides(exp.config_cls(), point)  # every point is valid before any runs
    except ConfigError as exc:
        raise OneLineUsageError(f"--grid/--set {exc}") from None
    if data_root is not None and not data_root.is_dir():
        raise JournalError(f"--data-root {data_root}: no such folder")
    _check_writable(folder)
    planned = plan(the_sweep, folder, rerun=rerun, data_root=data_root)
    todo = [p.spec for p in planned if p.action in ("run", "resume")]
    skipped = [p for p in planned if p.action in ("skip", "busy")]
    n_resume = sum(p.action == "resume" for p in planned)
    echo(f"sweep {the_sweep.id}: {len(planned)} points; {len(todo) - n_resume} to run, "
         f"{n_resume} to resume, {len(skipped)} skipped")
    if not todo:
        echo(f"nothing to run: every point of sweep {the_sweep.id} has finished "
             "(or is running); --rerun runs them again")
        return
    if launcher == "local":
        results = run_local(todo, jobs=jobs, echo=echo)
    else:
        options = SlurmOptions(partition, time_min, gpus, cpus, array_parallelism, cluster)
        logs = within(folder, folder / SUBMITIT_DIR / the_sweep.id)
        results = run_slurm(todo, options=options, logs=logs, echo=echo)
    terminal.sweep_summary(the_sweep.id, summary_rows(results, skipped), counts(results, skipped),
                           Console())
    if any(r.status != "finished" for r in results):
        sys.exit(1)
