"""Sweeps: an experiment over a grid of overrides × seeds, each point an ordinary run.

A sweep is named by a hash of what it asks for (experiment, grid, fixed overrides, seeds), so
starting the same sweep again finds its own records: points whose records have all finished are
skipped, interrupted (or stale) points continue their job from the last saved epoch, failed
points run again as a new job, and points still running elsewhere are left alone. Each record
carries the sweep id in ``launch.sweep``, so posts can show the sweep as one table.

Points are run by a launcher (:mod:`journal.launchers`): a local process pool, or Slurm
through submitit.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml

from .analysis import display_status
from .errors import JournalError
from .paths import check_name
from .records import Record, load_records

Action = Literal["run", "resume", "skip", "busy"]
MAX_RUNS = 10_000
"""The most runs (grid points × seeds) one sweep may ask for."""
MAX_FILE_BYTES = 1_000_000
"""The largest sweep file read."""


@dataclass(frozen=True)
class Sweep:
    """What a sweep asks for."""

    experiment: str
    grid: dict[str, list[str]]
    seeds: list[int]
    fixed: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        canonical = json.dumps({"experiment": self.experiment, "seeds": self.seeds,
                                "grid": {k: self.grid[k] for k in sorted(self.grid)},
                                "fixed": dict(sorted(self.fixed.items()))}, sort_keys=True)
        return f"{self.experiment}-sweep-{hashlib.sha1(canonical.encode()).hexdigest()[:8]}"

    @property
    def size(self) -> int:
        """How many runs the sweep asks for: grid points × seeds."""
        return math.prod(len(v) for v in self.grid.values()) * len(self.seeds)

    def check_size(self) -> None:
        """:class:`JournalError` when the sweep asks for more than :data:`MAX_RUNS` runs."""
        if self.size > MAX_RUNS:
            raise JournalError(f"the sweep asks for {self.size:,} runs (grid points × seeds); "
                               f"at most {MAX_RUNS:,} per sweep")

    def points(self) -> list[dict[str, str]]:
        """Every combination of the grid, with the fixed overrides, in the grid's order."""
        self.check_size()
        keys = list(self.grid)
        combos = itertools.product(*(self.grid[k] for k in keys)) if keys else [()]
        return [{**self.fixed, **dict(zip(keys, combo, strict=True))} for combo in combos]


@dataclass(frozen=True)
class PointSpec:
    """One point of a sweep for one seed: everything a worker needs to run it (picklable)."""

    experiment: str
    seed: int
    overrides: dict[str, str]
    results_dir: Path
    job: str
    sweep: str
    data_root: Path | None = None
    grid_keys: tuple[str, ...] = ()  # the overrides that vary; the label shows only these

    def label(self) -> str:
        grid = " ".join(f"{k}={v}" for k, v in self.overrides.items() if k in self.grid_keys)
        return f"{grid or 'defaults'} seed {self.seed}"


@dataclass
class PointResult:
    """How a point ended: ``finished``, ``failed`` or ``interrupted``, with its records."""

    spec: PointSpec
    status: str
    paths: list[Path] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class Planned:
    spec: PointSpec
    action: Action


def parse_grid(items: Sequence[str]) -> dict[str, list[str]]:
    """``["kd=logit,feature", "lr=1e-3,1e-4"]`` → ``{"kd": ["logit", "feature"], …}``."""
    grid: dict[str, list[str]] = {}
    for item in items:
        key, eq, values = item.partition("=")
        key = key.strip()
        options = [v.strip() for v in values.split(",") if v.strip()]
        if not eq or not key or not options:
            raise JournalError(f"--grid: expected KEY=V1,V2,…, got '{item}'")
        if key in grid:
            raise JournalError(f"--grid: key '{key}' given twice")
        grid[key] = list(dict.fromkeys(options))
    return grid


def load_sweep_file(path: str | Path) -> dict[str, Any]:
    """A YAML sweep file: ``experiment``, ``seeds`` (``0-3`` or a list), ``grid`` (key → list of
    values) and ``set`` (key → value), each optional but ``grid`` and ``experiment``."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise JournalError(f"{path}: cannot read the sweep file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise JournalError(f"{path}: a sweep file is at most {MAX_FILE_BYTES:,} bytes")
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise JournalError(f"{path}: the sweep file is not UTF-8 text (byte {exc.start})") from None
    except (yaml.YAMLError, RecursionError) as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where is not None else ""
        raise JournalError(f"{path}: the sweep file is not valid YAML{at}") from None
    if not isinstance(data, dict):
        raise JournalError(f"{path}: a sweep file is a mapping (experiment, seeds, grid, set)")
    unknown = set(data) - {"experiment", "seeds", "grid", "set"}
    if unknown:
        raise JournalError(f"{path}: field '{sorted(unknown)[0]}': unknown; use experiment, seeds, grid, set")
    grid = data.get("grid") or {}
    if not isinstance(grid, dict) or any(not isinstance(v, list) or not v for v in grid.values()):
        raise JournalError(f"{path}: field 'grid': expected key → non-empty list of values")
    fixed = data.get("set") or {}
    if not isinstance(fixed, dict):
        raise JournalError(f"{path}: field 'set': expected key → value")
    for name, values in [*(("grid", v) for v in grid.values()), ("set", list(fixed.values())),
                         ("grid", list(grid)), ("set", list(fixed))]:
        if not all(isinstance(v, _SCALARS) for v in values):
            raise JournalError(f"{path}: field '{name}': keys and values must be plain text or numbers")
    seeds = data.get("seeds", "0")
    if isinstance(seeds, list) and not all(isinstance(v, int) for v in seeds) or not isinstance(
            seeds, list | int | str):
        raise JournalError(f"{path}: field 'seeds': expected 0-3, 0,1,2 or a list of integers")
    experiment = data.get("experiment")
    if experiment is not None and not isinstance(experiment, str):
        raise JournalError(f"{path}: field 'experiment': expected a name")
    return {
        "experiment": experiment,
        "grid": {str(k): [_text(v) for v in vs] for k, vs in grid.items()},
        "fixed": {str(k): _text(v) for k, v in fixed.items()},
        "seeds": ",".join(map(str, seeds)) if isinstance(seeds, list) else str(seeds),
    }


_SCALARS = (str, int, float, bool)


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def plan(sweep: Sweep, results_dir: Path, *, rerun: bool = False,
         data_root: Path | None = None) -> list[Planned]:
    """What to do with each point, from the records already in ``results_dir``."""
    from .experiments import new_job_id

    records, _ = load_records(results_dir)
    mine = [r for r in records if r.launch is not None and r.launch.sweep == sweep.id]
    planned = []
    for overrides in sweep.points():
        for seed in sweep.seeds:
            jobs: dict[str, list[Record]] = {}
            for r in mine:
                if r.seed == seed and r.launch is not None and r.launch.overrides == overrides:
                    jobs.setdefault(r.launch.job, []).append(r)
            spec = PointSpec(sweep.experiment, seed, overrides, results_dir,
                             new_job_id(sweep.experiment, seed), sweep.id, data_root,
                             tuple(sweep.grid))
            action: Action = "run"
            if jobs and not rerun:
                job, recs = max(jobs.items(), key=lambda kv: max(r.started_at for r in kv[1]))
                statuses = {display_status(r) for r in recs}
                if statuses == {"finished"}:
                    action = "skip"
                elif "running" in statuses:
                    action = "busy"
                elif statuses & {"interrupted", "stale"}:
                    check_name(job, f"record {recs[0].id}: field 'launch.job'")
                    action, spec = "resume", replace(spec, job=job)
            planned.append(Planned(spec, action))
    return planned


def run_point(spec: PointSpec) -> PointResult:
    """Run (or continue) one point in this process; never raises for a failed run."""
    from .experiments import run_experiment

    start = time.monotonic()
    try:
        paths = run_experiment(spec.experiment, seeds=[spec.seed], overrides=spec.overrides,
                               results_dir=spec.results_dir, data_root=spec.data_root,
                               progress=False, job=spec.job, sweep=spec.sweep)
    except KeyboardInterrupt:
        return PointResult(spec, "interrupted", seconds=time.monotonic() - start)
    except Exception as exc:  # the record says failed with the traceback; here one line
        line = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        return PointResult(spec, "failed", error=line[:300], seconds=time.monotonic() - start)
    return PointResult(spec, "finished", paths, seconds=time.monotonic() - start)


def summary_rows(results: Sequence[PointResult], skipped: Sequence[Planned]) -> list[list[str]]:
    """One row per point: point, seed, status, wall time, records written."""
    rows = [[r.spec.label(), r.status + (f": {r.error}" if r.error else ""),
             f"{r.seconds:.1f} s", str(len(r.paths))] for r in results]
    rows += [[p.spec.label(), "skipped (finished)" if p.action == "skip" else "skipped (running)",
              "—", "—"] for p in skipped]
    return rows


def counts(results: Sequence[PointResult], skipped: Sequence[Planned]) -> Mapping[str, int]:
    out: dict[str, int] = {}
    for r in results:
        out[r.status] = out.get(r.status, 0) + 1
    if skipped:
        out["skipped"] = len(skipped)
    return out
