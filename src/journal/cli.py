"""The ``journal`` command: thin wrappers over the library; each docstring is its help text."""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click
from rich.console import Console

from . import __version__, terminal
from .analysis import group_by_post
from .config import apply_overrides, describe_type, field_types, parse_overrides
from .errors import ConfigError, JournalError, UnknownExperimentError
from .experiments import REGISTRY, get_experiment, resume_run, run_experiment
from .external import add_run, parse_date, parse_matrix, parse_numbers
from .folder import load_journal
from .notes import add_note
from .records import find_run, load_records
from .render import build_posts, write_posts
from .render.i18n import language
from .render.overview import render_overviews
from .render.tables import number
from .scaffold import init_journal
from .tracking import default_results_dir


class OneLineUsageError(click.UsageError):
    """A usage error printed as one line (``Error: …``), exit code 2."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True, file=file)


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2,3"``, ``"0-3"`` or a mix (``"0-2,7"``) → a list of distinct seeds in order."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            lo, dash, hi = part.partition("-")
            span = range(int(lo), int(hi) + 1) if dash else [int(lo)]
            seeds += [s for s in span if s not in seeds]
    except ValueError:
        raise OneLineUsageError(f"--seeds: expected e.g. 0,1,2 or 0-3, got '{text}'") from None
    if not seeds:
        raise OneLineUsageError(f"--seeds: no seed in '{text}'")
    return seeds


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".journal-write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or exc
        raise click.ClickException(f"results folder {folder} is not writable: {reason}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="journal")
def main() -> None:
    """A research journal written by training runs.

    \b
    journal run fas_kd --seeds 0,1      train, writing one record per run
    journal list                        the runs in the results folder
    mkdocs serve                        the journal site, live
    """


@main.command()
@click.argument("experiment")
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
    if resume_id is not None:
        folder = results_dir or default_results_dir()
        try:
            paths = resume_run(resume_id, results_dir=folder, data_root=data_root, progress=not quiet)
        except KeyboardInterrupt:
            click.echo(f"interrupted again; resume with --resume {resume_id}", err=True)
            sys.exit(130)
        except JournalError as exc:
            raise click.ClickException(str(exc)) from None
        for path in paths:
            click.echo(str(path))
        return
    try:
        pairs = parse_overrides(overrides)
        apply_overrides(get_experiment(experiment).config_cls(), pairs)  # fail before training
    except UnknownExperimentError as exc:
        raise OneLineUsageError(str(exc)) from None
    except ConfigError as exc:
        raise OneLineUsageError(f"--set {exc}") from None
    seed_list = parse_seeds(seeds)
    if data_root is not None and not data_root.is_dir():
        raise click.ClickException(f"--data-root {data_root}: no such folder")
    folder = results_dir or default_results_dir()
    _check_writable(folder)
    try:
        paths = run_experiment(experiment, seeds=seed_list, overrides=pairs, results_dir=folder,
                               data_root=data_root, progress=not quiet)
    except KeyboardInterrupt as exc:
        click.echo(_interrupted_message(exc, folder), err=True)
        sys.exit(130)
    except JournalError as exc:
        raise click.ClickException(str(exc)) from None
    for path in paths:
        click.echo(str(path))


def _interrupted_message(exc: KeyboardInterrupt, folder: Path) -> str:
    jobs = [n.removeprefix("job ") for n in getattr(exc, "__notes__", []) if n.startswith("job ")]
    records, _ = load_records(folder)
    stopped = [r.id for r in records if r.launch is not None and r.launch.job in jobs
               and r.status == "interrupted"]
    if not stopped:
        return f"interrupted; records are kept in {folder}"
    return (f"interrupted; {stopped[-1]} is kept in {folder} with status 'interrupted'; "
            f"continue it with: journal run --resume {stopped[-1]}")


@main.command()
@click.argument("experiment", required=False)
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
    from .launchers import SlurmOptions, run_local, run_slurm
    from .sweeps import Sweep, counts, load_sweep_file, parse_grid, plan, summary_rows

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
        exp = get_experiment(name)
        for point in Sweep(name, grid, [0], fixed).points():
            apply_overrides(exp.config_cls(), point)  # every point is valid before any runs
        the_sweep = Sweep(name, grid, parse_seeds(seeds or spec["seeds"] or "0"), fixed)
    except UnknownExperimentError as exc:
        raise OneLineUsageError(str(exc)) from None
    except ConfigError as exc:
        raise OneLineUsageError(f"--grid/--set {exc}") from None
    except JournalError as exc:
        raise OneLineUsageError(str(exc)) from None
    folder = results_dir or default_results_dir()
    _check_writable(folder)
    planned = plan(the_sweep, folder, rerun=rerun, data_root=data_root)
    todo = [p.spec for p in planned if p.action in ("run", "resume")]
    skipped = [p for p in planned if p.action in ("skip", "busy")]
    n_resume = sum(p.action == "resume" for p in planned)
    click.echo(f"sweep {the_sweep.id}: {len(planned)} points; {len(todo) - n_resume} to run, "
               f"{n_resume} to resume, {len(skipped)} skipped")
    if not todo:
        click.echo(f"nothing to run: every point of sweep {the_sweep.id} has finished "
                   "(or is running); --rerun runs them again")
        return
    if launcher == "local":
        results = run_local(todo, jobs=jobs, echo=click.echo)
    else:
        options = SlurmOptions(partition, time_min, gpus, cpus, array_parallelism, cluster)
        try:
            results = run_slurm(todo, options=options, logs=folder / ".submitit" / the_sweep.id,
                                echo=click.echo)
        except JournalError as exc:
            raise click.ClickException(str(exc)) from None
    terminal.sweep_summary(the_sweep.id, summary_rows(results, skipped), counts(results, skipped),
                           Console())
    if any(r.status != "finished" for r in results):
        sys.exit(1)


@main.command()
@click.argument("experiment")
@click.option("--counts", help="FAS counts 'TP FN TN FP'; the FAS metrics are computed from them.")
@click.option("--confusion", help="A confusion matrix, rows = true class: '1550 393 0; 834 1311 0; …'.")
@click.option("--labels", help="Class names of --confusion, comma-separated.")
@click.option("--vector", help="Metric values as given, e.g. '[0.92, 0.06, 0.10]'; needs --order.")
@click.option("--order", help="Names of the --vector values, comma-separated.")
@click.option("--variant", default="default", show_default=True, help="The config family it belongs to.")
@click.option("--seed", type=int, default=None, help="Its seed (version) number.")
@click.option("--date", default=None, help="When it ran, e.g. 2025-08-01T10:41Z [default: now].")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="A config value; repeatable.")
@click.option("--note", default="", help="A note (Markdown).")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
def add(experiment: str, counts: str | None, confusion: str | None, labels: str | None,
        vector: str | None, order: str | None, variant: str, seed: int | None, date: str | None,
        overrides: tuple[str, ...], note: str, results_dir: Path | None) -> None:
    """Record a run whose numbers were computed elsewhere.

    \b
    Examples:
      journal add fas_kd --counts "15636 1822 38242 2010" --variant "KD+patch" --seed 0
      journal add ser --confusion "1550 393 0; 834 1311 0; 101 305 0" --labels 正向,中性,负向
      journal add fas_kd --vector "[0.92, 0.06]" --order acc,acer --date 2025-08-01
    """
    folder = results_dir or default_results_dir()
    try:
        config = {k: _plain_value(v) for k, v in parse_overrides(overrides).items()}
        path = add_run(
            experiment, results_dir=folder, variant=variant, seed=seed, config=config,
            counts=parse_numbers(counts, "--counts") if counts else None,
            confusion=parse_matrix(confusion) if confusion else None,
            labels=[x.strip() for x in labels.split(",")] if labels else None,
            vector=parse_numbers(vector, "--vector") if vector else None,
            order=[x.strip() for x in order.split(",")] if order else None,
            date=parse_date(date), note=note,
        )
    except (JournalError, ConfigError) as exc:
        raise OneLineUsageError(str(exc)) from None
    click.echo(str(path))


def _plain_value(text: str) -> Any:
    """A --set value as a number or boolean when it reads as one, else the string."""
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


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
    if (text is None) == (file is None):
        raise OneLineUsageError("give the note as TEXT or with --file, not both")
    body = text if text is not None else file.read() if file is not None else ""
    try:
        when = datetime.strptime(day, "%Y-%m-%d").date() if day else None
    except ValueError:
        raise OneLineUsageError(f"--day: expected YYYY-MM-DD, got '{day}'") from None
    try:
        path = add_note(body, results_dir=results_dir or default_results_dir(), run=run_id,
                        experiment=experiment, variant=variant, day=when)
    except JournalError as exc:
        raise OneLineUsageError(str(exc)) from None
    click.echo(str(path))


@main.command("list")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
@click.option("--experiment", default=None, help="Only runs of this experiment.")
def list_runs(results_dir: Path | None, experiment: str | None) -> None:
    """List the runs in the results folder, oldest first, one line each.

    Bad record files are reported on stderr, naming the file and the field, and make the
    exit code 1.
    """
    folder = results_dir or default_results_dir()
    records, errors = load_records(folder)
    records = [r for r in records if experiment is None or r.experiment == experiment]
    for rec in sorted(records, key=lambda r: (r.started_at, r.id)):
        key = next((k for k in ("acer", "acc", "accuracy") if k in rec.metrics), None)
        metric = f"{key}={number(rec.metrics[key])}" if key else ""
        seed = "-" if rec.seed is None else str(rec.seed)
        click.echo(f"{rec.id}  {rec.variant}  seed={seed}  {rec.status}  {metric}".rstrip())
    for error in errors:
        click.echo(f"bad record: {error}", err=True)
    if not records and not errors:
        click.echo(f"no runs in {folder}", err=True)
    if errors:
        sys.exit(1)


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
    folder = results_dir or default_results_dir()
    records, _ = load_records(folder)
    try:
        record = find_run(records, run_id, folder)
    except JournalError as exc:
        raise click.ClickException(str(exc)) from None
    terminal.show(record, Console())


@main.command("compare")
@click.argument("variant_a")
@click.argument("variant_b")
@click.option("--experiment", default=None, help="Only runs of this experiment.")
@click.option("--results", "results_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder of records [default: $JOURNAL_RESULTS or ./results].")
def compare_variants(
    variant_a: str, variant_b: str, experiment: str | None, results_dir: Path | None
) -> None:
    """Compare two variants over all their runs: mean ± std, the difference with Welch's 95%
    interval, and whether it is within seed noise.

    \b
    Example:
      journal compare student "student + logit KD" --experiment fas_kd
    """
    folder = results_dir or default_results_dir()
    records, _ = load_records(folder)
    records = [r for r in records if experiment is None or r.experiment == experiment]
    groups = [[r for r in records if r.variant == name] for name in (variant_a, variant_b)]
    for name, group in zip((variant_a, variant_b), groups, strict=True):
        if not group:
            known = ", ".join(sorted({r.variant for r in records})) or "none"
            raise OneLineUsageError(f"no runs of variant '{name}' in {folder}; variants: {known}")
    terminal.compare(groups[0], groups[1], (variant_a, variant_b), Console())


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
    try:
        made = init_journal(directory, lang=lang, site_name=site_name, requirement=requirement,
                            run_example=not no_example)
    except JournalError as exc:
        raise click.ClickException(str(exc)) from None
    for path in made.files:
        click.echo(str(path))
    click.echo(f"{len(made.example_records)} example records in {directory / 'results'}; "
               f"next: cd {directory} && mkdocs serve")


@main.command()
def experiments() -> None:
    """List the experiments `journal run` knows, with their config keys and defaults."""
    for name, exp in sorted(REGISTRY.items()):
        click.echo(f"{name}: {exp.summary}")
        defaults = exp.config_cls()
        for key, annotation in field_types(exp.config_cls).items():
            click.echo(f"  {key} = {getattr(defaults, key)!r}  ({describe_type(annotation)})")


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
    folder = results_dir or default_results_dir()
    journal = load_journal(folder)
    for error in journal.errors:
        click.echo(f"bad {error.what}: {error}", err=True)
    with language(lang):
        posts = build_posts(journal.records, notes=journal.notes, declarations=journal.declarations)
        links = {(p.experiment, p.day): f"../{p.filename}" for p in posts}
        pages = render_overviews(journal.records, declarations=journal.declarations,
                                 notes=journal.notes, post_links=links) if posts else []
    write_posts(posts, out_dir)
    write_posts(pages, out_dir / "experiments")
    for post in posts:
        click.echo(os.path.join(str(out_dir), post.filename))
    for page in pages:
        click.echo(os.path.join(str(out_dir), "experiments", page.filename))
    if journal.errors:
        sys.exit(1)
    if not group_by_post(journal.records):
        click.echo(f"no runs in {folder}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()
