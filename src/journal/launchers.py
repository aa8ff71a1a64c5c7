"""Launchers that run sweep points: a local process pool, or Slurm through submitit.

Both report one line per job state change through ``echo`` and return a
:class:`~journal.sweeps.PointResult` per point. Neither schedules anything itself: the pool is
:mod:`concurrent.futures`, the cluster side is submitit (job arrays, requeue on preemption).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import shutil
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import JournalError
from .sweeps import PointResult, PointSpec, run_point

Echo = Callable[[str], None]


def gpu_count() -> int:
    """CUDA devices visible here (0 without torch or without a GPU)."""
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a dependency
        return 0
    return int(torch.cuda.device_count())


# -- local ----------------------------------------------------------------------------------
_events: Any = None


def _init_worker(gpus: Any, events: Any) -> None:
    """Pin this worker to one GPU (when there are GPUs) before torch initialises CUDA."""
    global _events
    _events = events
    if gpus is not None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpus.get())


def _run_local(index: int, spec: PointSpec) -> PointResult:
    if _events is not None:
        _events.put(index)
    return run_point(spec)


def run_local(specs: Sequence[PointSpec], *, jobs: int | None, echo: Echo) -> list[PointResult]:
    """Run ``specs`` on a pool of ``jobs`` processes (default: one per GPU, else one per core)."""
    n_gpus = gpu_count()
    workers = jobs or n_gpus or os.cpu_count() or 1
    workers = max(1, min(workers, len(specs)))
    context = mp.get_context("spawn")  # CUDA cannot be forked; spawn is safe everywhere
    manager = context.Manager()
    events = manager.Queue()
    gpus = None
    if n_gpus:
        gpus = manager.Queue()
        for i in range(workers):
            gpus.put(i % n_gpus)
    results: list[PointResult] = []
    total = len(specs)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker,
                             initargs=(gpus, events)) as pool:
        futures: dict[Future[PointResult], int] = {
            pool.submit(_run_local, i, spec): i for i, spec in enumerate(specs)}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            _drain(events, specs, total, echo)
            for future in done:
                i = futures[future]
                result = future.result()
                results.append(result)
                echo(_line(i, total, result))
        _drain(events, specs, total, echo)
    manager.shutdown()
    return sorted(results, key=lambda r: specs.index(r.spec))


def _drain(events: Any, specs: Sequence[PointSpec], total: int, echo: Echo) -> None:
    while not events.empty():
        i = events.get()
        echo(f"[{i + 1}/{total}] {'started':<11} {specs[i].label()}")


def _line(i: int, total: int, result: PointResult) -> str:
    tail = f": {result.error}" if result.error else ""
    return f"[{i + 1}/{total}] {result.status:<11} {result.spec.label()} ({result.seconds:.1f} s){tail}"


# -- slurm (submitit) --------------------------------------------------------------------------
@dataclass(frozen=True)
class SlurmOptions:
    """Cluster resources for each point (see ``journal sweep --help``)."""

    partition: str | None = None
    time_min: int = 60
    gpus: int = 0
    cpus: int = 2
    array_parallelism: int = 32
    cluster: str | None = None  # None: Slurm when it is there; "local"/"debug": submitit's own


def _submitit() -> Any:
    try:
        import submitit
    except ImportError:
        raise JournalError("--launcher slurm needs submitit: pip install 'runjournal[slurm]'") from None
    return submitit


def make_checkpointable() -> type:
    """A submitit job that runs a point and, when preempted or timed out, requeues itself to
    continue the same job (the records' training state is saved every epoch)."""
    submitit = _submitit()

    class PointJob(submitit.helpers.Checkpointable):  # type: ignore[name-defined]
        def __call__(self, spec: PointSpec) -> PointResult:
            return run_point(spec)

        def checkpoint(self, spec: PointSpec) -> Any:
            return submitit.helpers.DelayedSubmission(PointJob(), spec)

    return PointJob


def run_slurm(specs: Sequence[PointSpec], *, options: SlurmOptions, logs: Path,
              echo: Echo) -> list[PointResult]:
    """Submit ``specs`` as one job array through submitit and follow them to the end. Without
    Slurm (no ``sbatch`` on the path) it refuses, rather than let submitit run the points on
    this machine."""
    submitit = _submitit()
    if options.cluster is None and shutil.which("sbatch") is None:
        raise JournalError("--launcher slurm: Slurm is not here (no sbatch on the PATH); run "
                           "on the cluster's login node, or use --launcher local")
    executor = submitit.AutoExecutor(folder=str(logs / "%j"), cluster=options.cluster)
    params: dict[str, Any] = {
        "name": "journal", "timeout_min": options.time_min, "cpus_per_task": options.cpus,
        "slurm_array_parallelism": options.array_parallelism,
    }
    if options.gpus:
        params["gpus_per_node"] = options.gpus
    if options.partition:
        params["slurm_partition"] = options.partition
    executor.update_parameters(**params)
    job_class = make_checkpointable()
    with executor.batch():
        jobs = [executor.submit(job_class(), spec) for spec in specs]
    total = len(jobs)
    states = ["" for _ in jobs]
    results: dict[int, PointResult] = {}
    start = time.monotonic()
    while len(results) < total:
        for i, job in enumerate(jobs):
            if i in results:
                continue
            if not job.done():
                state = job.state
                if state != states[i]:
                    states[i] = state
                    echo(f"[{i + 1}/{total}] {state.lower():<11} {specs[i].label()} (job {job.job_id})")
            else:
                try:
                    results[i] = job.result()
                except Exception as exc:  # the job itself crashed (not a failed run)
                    line = str(exc).strip().splitlines()[-1] if str(exc).strip() else repr(exc)
                    results[i] = PointResult(specs[i], "failed", error=line[:300],
                                             seconds=time.monotonic() - start)
                echo(_line(i, total, results[i]))
        if len(results) < total:
            time.sleep(1.0)
    return [results[i] for i in range(total)]
