"""Experiments: the registry (:mod:`.registry`: entry points and ``experiments.yml`` lines),
what ``journal run`` asks of one (:class:`RunRequest`) and running it once per seed.

Entry points are imported lazily, so listing experiments or building the site never imports
torch. The bundled experiments need the ``[experiments]`` extra (torch, pillow, tqdm); without
it, starting one raises :class:`MissingExtraError`, which says how to install it. Each
experiment's ``run(config, request: RunRequest)`` trains one seed and writes its records
through :mod:`journal.tracking`, returning their paths.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..config import apply_overrides
from ..errors import JournalError
from ..naming import generated_variant
from ..paths import check_name, folder_inside, inside
from ..records import Dataset, Launch, Record, find_run, load_records
from ..tracking import STATE_DIR, Run, reopen_run, start_run
from .registry import (
    EXTRA_MODULES,
    GROUP,
    REGISTRY,
    Experiment,
    MissingExtraError,
    Registry,
    experiment_names,
    get_experiment,
)

__all__ = ["EXTRA_MODULES", "GROUP", "REGISTRY", "Experiment", "MissingExtraError", "Registry",
           "RunRequest", "experiment_names", "get_experiment", "resume_run", "run_experiment"]


def new_job_id(experiment: str, seed: int) -> str:
    """A fresh job id: one experiment invocation for one seed."""
    return f"{experiment}-s{seed}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class RunRequest:
    """What ``journal run`` asks of an experiment's entry point for one seed.

    ``job`` names this invocation; every record it writes carries it. When records of the job
    already exist (``journal run --resume``, a requeued Slurm job), :meth:`open_run` reopens them:
    a finished one comes back ``done`` and the experiment reloads its final weights instead of
    training; an interrupted one continues from its saved training state.
    """

    seed: int
    results_dir: Path
    data_root: Path | None = None  # a real data set in the experiment's layout; None: tiny data
    overrides: dict[str, str] = field(default_factory=dict)  # the command line's --set values
    progress: bool = True  # show progress bars
    job: str = ""  # default: a new job id
    sweep: str | None = None  # the sweep this job is a point of
    resume: bool = False  # reopen the job's existing records

    def open_run(self, experiment: str, variant: str, *, config: dict[str, Any], dataset: Dataset,
                 device: str, untagged: tuple[str, ...] = (), shared: bool = False) -> Run:
        """:func:`journal.tracking.start_run` for this seed and results folder, the variant tagged
        with the overrides (except keys in ``untagged``, which neither the variant nor this model
        depends on), or the job's existing record of that variant reopened.

        ``shared``: in a sweep, a model that another point already trained with this exact
        config and seed (a teacher that does not depend on the swept keys) is reused, not
        trained again; the run comes back ``done``.
        """
        tags = {k: v for k, v in self.overrides.items() if not k.startswith(UNTAGGED)}
        full_variant = generated_variant(variant, tags, config, experiment=experiment,
                                         ignore=untagged)
        job = self.job or new_job_id(experiment, self.seed)
        if self.resume:
            for record in launched_records(self.results_dir, job=self.job):
                if record.variant == full_variant and record.experiment == experiment:
                    return reopen_run(record, self.results_dir, device)
        lock = None
        if shared and self.sweep is not None:
            # One worker trains a shared model; the others wait for it here, then reuse it.
            plain = json.loads(json.dumps(config))
            digest = hashlib.sha1(json.dumps([full_variant, self.seed, plain], sort_keys=True)
                                  .encode()).hexdigest()[:16]
            lock = _lock(inside(self.results_dir, STATE_DIR, f"{self.sweep}-{digest}", ".lock",
                                what="launch.sweep"))
            for record in launched_records(self.results_dir, sweep=self.sweep):
                if (record.status == "finished" and record.variant == full_variant
                        and record.seed == self.seed and record.config == plain
                        and (self.results_dir / STATE_DIR / f"{record.id}.pt").is_file()):
                    lock.close()
                    return reopen_run(record, self.results_dir, device)
        launch = Launch(job=job, overrides=dict(self.overrides), sweep=self.sweep)
        run = start_run(experiment, config=config, variant=full_variant, seed=self.seed,
                        results_dir=self.results_dir, dataset=dataset, device=device, launch=launch)
        if lock is not None:
            run.hold(lock)  # released when the run ends, however it ends
        return run


def _lock(path: Path) -> IO[bytes]:
    """An exclusive lock on ``path`` (created), held until the returned file is closed."""
    folder_inside(path.parent.parent, path.parent.name)
    handle = open(path, "ab")  # noqa: SIM115 - closed by the caller or by the run it is held for
    fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    return handle


def launched_records(
    results_dir: str | Path, *, job: str | None = None, sweep: str | None = None
) -> list[Record]:
    """The records of ``job`` or of ``sweep`` in ``results_dir`` (bad files are skipped here:
    the caller only looks for its own records, and ``journal list`` reports bad files)."""
    records, _ = load_records(results_dir)
    return [r for r in records if r.launch is not None
            and (job is None or r.launch.job == job) and (sweep is None or r.launch.sweep == sweep)]


UNTAGGED = ("reference.",)
"""Override prefixes that do not change training (a paper's numbers), so do not tag variants."""


def run_experiment(
    name: str,
    *,
    seeds: Iterable[int],
    overrides: dict[str, str] | None = None,
    results_dir: str | Path,
    data_root: str | Path | None = None,
    progress: bool = True,
    job: str | None = None,
    sweep: str | None = None,
) -> list[Path]:
    """Train ``name`` once per seed with ``overrides`` applied; returns the records written.

    The config is validated (unknown key, wrong type) before anything is trained or written.
    ``job`` (one seed only) continues that job's records instead of starting new ones.
    """
    experiment = get_experiment(name, results_dir)
    overrides = overrides or {}
    config: Any = apply_overrides(experiment.config_cls(), overrides)
    run = experiment.runner()
    paths: list[Path] = []
    seeds = list(seeds)
    if job is not None and len(seeds) != 1:
        raise ValueError("a job is one seed")
    for seed in seeds:
        request = RunRequest(
            seed=seed,
            results_dir=Path(results_dir),
            data_root=Path(data_root) if data_root is not None else None,
            overrides=overrides,
            progress=progress,
            job=job or new_job_id(name, seed),
            sweep=sweep,
            resume=job is not None,
        )
        try:
            paths += run(config, request)
        except KeyboardInterrupt as exc:
            exc.add_note(f"job {request.job}")  # the CLI names the run to resume
            raise
    return paths


def resume_run(
    run_id: str, *, results_dir: str | Path, data_root: str | Path | None = None,
    progress: bool = True,
) -> list[Path]:
    """Continue the job of ``run_id`` (an id or a unique prefix): its finished records are kept
    as they are, its interrupted ones continue from their last saved epoch, into the same files.

    Raises:
        JournalError: no such run, a run not started by ``journal run``, a finished job, or a
            job or sweep id in the record that is not a plain name.
    """
    records, _ = load_records(results_dir)
    record = find_run(records, run_id, results_dir)
    if record.launch is None or record.seed is None:
        raise JournalError(f"run {record.id} was not started by 'journal run'; resume it from your "
                           "own script with journal.tracking.reopen_run")
    where = f"record {record.id}: field 'launch"
    job = check_name(record.launch.job, f"{where}.job'")
    if record.launch.sweep is not None:
        check_name(record.launch.sweep, f"{where}.sweep'")
    mine = [r for r in records if r.launch is not None and r.launch.job == job]
    if all(r.status == "finished" for r in mine):
        raise JournalError(f"run {record.id} and its job {job} have finished; nothing to resume")
    return run_experiment(record.experiment, seeds=[record.seed], overrides=record.launch.overrides,
                          results_dir=results_dir, data_root=data_root, progress=progress, job=job,
                          sweep=record.launch.sweep)
