"""What researchers declare about an experiment, in ``<results>/experiments.yml``.

::

    fas_kd:
      key_metric: acer          # the metric overviews rank variants by (default: the first
                                # summary metric, e.g. ACER, UA, accuracy, MAE)
      goal: min                 # min | max (default: min for error rates and losses, else max)
      baseline: student RGB     # variants are compared with it (else with their nearest
                                # neighbour in config, see journal.comparisons)
      roles:                    # candidate (default) | reference | upper bound | lower bound:
        teacher: upper bound    # only candidates are ranked and can get the ★
      tasks:                    # per task (the config key ``task``): its own key metric and goal
        ppg_hr: {key_metric: mae, goal: min}
      references:               # numbers to put beside ours, with the difference
        "Paper, Table 3": {acer: 0.0152, apcer: 0.0131}
      metrics: [acc, far, frr, hter, apcer, bpcer, acer]
                                # the order of the per-seed line in a post's lead block
      display:                  # how a metric is printed: as a percentage (default for
        acer: {percent: true, digits: 1}   # metrics in [0, 1]) and with how many decimals
    digits_mlp:
      run: train_digits:run     # an experiment of your own that is not an installed package:
                                # module:function, the module imported from the current folder
                                # (see journal.experiments.registry)

A role or baseline names a variant exactly, or its base name: ``teacher`` also matches the
generated ``teacher · lr=3e-4``. The bundled experiments come with defaults
(:data:`BUNDLED`: the ``fas_kd`` teacher is an upper bound and ``student`` its baseline;
``finetune`` ranks ``ecg_rhythm`` by accuracy and ``ppg_hr`` by MAE); :func:`declaration_for`
lays a file's declarations over them.

The file is optional and belongs to the results folder, so a journal can still be rebuilt from
that folder alone. A bad file is a :class:`DeclarationError` naming the file and the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import FileError
from .layout import leaves, yaml_problem
from .metrics import goal_of
from .paths import DECLARATIONS_FILE

Role = Literal["candidate", "reference", "upper bound", "lower bound"]
SUFFIX_SEPARATOR = " · "
"""What separates a variant's base name from its generated setting tags."""
KEY_METRIC_PREFERENCE = (
    "acer", "apcer", "bpcer", "acc", "wa", "ua", "accuracy", "macro_f1", "auroc", "auc", "map", "r1",
    "mae", "r2", "rmse",
)
"""Without a declared key metric, the first of these a task measured (else its first metric)."""
RUN_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
"""A ``run:`` line: ``module:function`` (``train_digits:run``, ``lab.digits.train:run``)."""


class DeclarationError(FileError):
    """A bad ``experiments.yml``."""

    what = "declaration"


class TaskDeclaration(BaseModel):
    """What one task of an experiment is ranked by."""

    model_config = ConfigDict(extra="forbid")

    key_metric: str | None = Field(default=None, min_length=1)
    goal: Literal["min", "max"] | None = None


class MetricDisplay(BaseModel):
    """How one metric is printed: as a percentage or a fraction, and with how many decimals
    (default: a percentage with 2 decimals for a metric in [0, 1], else 4 decimals)."""

    model_config = ConfigDict(extra="forbid")

    percent: bool | None = None
    digits: int | None = Field(default=None, ge=0, le=8)


class Declaration(BaseModel):
    """One experiment's declarations; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    key_metric: str | None = Field(default=None, min_length=1)
    goal: Literal["min", "max"] | None = None
    baseline: str | None = Field(default=None, min_length=1)
    roles: dict[str, Role] = Field(default_factory=dict)
    tasks: dict[str, TaskDeclaration] = Field(default_factory=dict)
    references: dict[str, dict[str, float]] = Field(default_factory=dict)
    metrics: list[str] | None = None
    display: dict[str, MetricDisplay] = Field(default_factory=dict)
    run: str | None = Field(default=None, pattern=RUN_PATTERN)

    def goal_for(self, metric: str) -> Literal["min", "max"]:
        """The declared goal when ``metric`` is the key metric, else the metric's usual one."""
        if self.goal is not None and (self.key_metric is None or metric == self.key_metric):
            return self.goal
        return goal_of(metric)

    def role_of(self, variant: str) -> Role:
        """The declared role of ``variant`` (by its name, else its base name); ``candidate``."""
        if variant in self.roles:
            return self.roles[variant]
        return self.roles.get(base_name(variant), "candidate")

    def is_baseline(self, variant: str) -> bool:
        """Whether ``variant`` is the declared baseline (by its name or its base name)."""
        return self.baseline is not None and self.baseline in (variant, base_name(variant))

    def key_metric_for(self, task: str | None, measured: Sequence[str]) -> str | None:
        """The metric ``task`` is ranked by: the task's declared key metric, else the
        experiment's if the task measured it, else the first of :data:`KEY_METRIC_PREFERENCE`
        it measured, else its first metric (None when it measured nothing)."""
        declared = self.tasks.get(task) if task is not None else None
        if declared is not None and declared.key_metric is not None:
            return declared.key_metric
        if self.key_metric is not None and self.key_metric in measured:
            return self.key_metric
        preferred = [m for m in KEY_METRIC_PREFERENCE if m in measured]
        return preferred[0] if preferred else (measured[0] if measured else None)

    def goal_for_task(self, task: str | None, metric: str) -> Literal["min", "max"]:
        """The goal of ``metric`` in ``task``: the task's declared goal for its key metric, else
        :meth:`goal_for`."""
        declared = self.tasks.get(task) if task is not None else None
        if (declared is not None and declared.goal is not None
                and (declared.key_metric is None or declared.key_metric == metric)):
            return declared.goal
        return self.goal_for(metric)


def base_name(variant: str) -> str:
    """A variant's name without generated setting tags: ``teacher · lr=3e-4`` → ``teacher``."""
    return variant.split(SUFFIX_SEPARATOR, 1)[0]


BUNDLED: dict[str, Declaration] = {
    "fas_kd": Declaration(key_metric="acer", goal="min", baseline="student",
                          roles={"teacher": "upper bound"},
                          # the notes' vector: [accuracy, FAR, FRR, HTER, APCER, NPCER, ACER]
                          metrics=["acc", "far", "frr", "hter", "apcer", "bpcer", "acer"]),
    "finetune": Declaration(roles={"pretrain": "reference"},
                            metrics=["acc", "macro_f1", "auroc", "mae", "pearson_r", "rmse"], tasks={
        "ecg_rhythm": TaskDeclaration(key_metric="acc", goal="max"),
        "ppg_hr": TaskDeclaration(key_metric="mae", goal="min"),
    }),
    # the notes' orders: R1 R5 R10 mAP (the training log's line); MAE, r, RMSE (cmssl's rows)
    "reid_noisy": Declaration(key_metric="map", goal="max", metrics=["r1", "r5", "r10", "map"]),
    "ser": Declaration(key_metric="ua", goal="max"),
    "vad": Declaration(key_metric="auc", goal="max"),
}
"""Defaults of the bundled experiments: the ``fas_kd`` teacher sees all three modalities, the
upper bound its students distil from, so it is shown but never ranked; each ``finetune`` task
has its own key metric (accuracy for the ECG rhythm classification, MAE for PPG heart rate)."""


def declaration_for(experiment: str, declared: Mapping[str, Declaration] | None = None) -> Declaration:
    """``experiment``'s declarations from the file laid over :data:`BUNDLED`: each field set in
    the file wins; ``roles``, ``tasks``, ``references`` and ``display`` are merged name by name. A file that
    sets the experiment's ``key_metric`` or ``goal`` drops the bundled per-task ones (and a
    ``key_metric`` without a ``goal`` drops the bundled goal)."""
    bundled = BUNDLED.get(experiment, Declaration())
    mine = (declared or {}).get(experiment)
    if mine is None:
        return bundled
    merged: dict[str, Any] = bundled.model_dump()
    if mine.model_fields_set & {"key_metric", "goal"}:
        merged["tasks"] = {}
        if "goal" not in mine.model_fields_set:
            merged["goal"] = None  # the bundled goal was that of the bundled key metric
    for name in mine.model_fields_set:
        value = mine.model_dump()[name]
        if name in ("roles", "tasks", "references", "display"):
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    return Declaration.model_validate(merged)


def load_declarations(results_dir: str | Path,
                      errors: list[DeclarationError] | None = None) -> dict[str, Declaration]:
    """The declarations by experiment (empty when the file does not exist). A file that cannot
    be read as a whole raises :class:`~journal.errors.DeclarationError`; a bad experiment's entry
    does too, unless ``errors`` is given: then it is appended there and the other experiments'
    declarations are kept (one bad entry costs its own experiment, not the file)."""
    path = Path(results_dir) / DECLARATIONS_FILE
    if not path.is_file():
        return {}
    if leaves(path, Path(results_dir)):
        raise DeclarationError(path, None, "a symbolic link leading outside the results folder; "
                               "not read")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise DeclarationError(path, None, f"not UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise DeclarationError(path, None, f"cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise DeclarationError(path, None, f"not YAML: {yaml_problem(exc)}") from None
    except RecursionError:
        raise DeclarationError(path, None, "not YAML: nested too deeply") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DeclarationError(path, None, "expected a mapping of experiment name → declarations")
    out = {}
    for name, body in data.items():
        try:
            out[str(name)] = Declaration.model_validate(body or {})
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join([str(name), *(str(p) for p in err["loc"])])
            error = DeclarationError(path, field, err["msg"])
            if errors is None:
                raise error from None
            errors.append(error)
    return out
