"""What researchers declare about an experiment, in ``<results>/experiments.yml``.

::

    fas_kd:
      key_metric: acer          # the metric overviews rank variants by (default: the first
                                # summary metric, e.g. ACER, UA, accuracy, MAE)
      goal: min                 # min | max (default: min for error rates and losses, else max)
      baseline: student RGB     # variants are compared with it instead of the one before
      references:               # numbers to put beside ours, with the difference
        "Paper, Table 3": {acer: 0.0152, apcer: 0.0131}

The file is optional and belongs to the results folder, so a journal can still be rebuilt from
that folder alone. A bad file is a :class:`DeclarationError` naming the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import FileError
from .layout import leaves, yaml_problem
from .metrics import goal_of

DECLARATIONS_FILE = "experiments.yml"


class DeclarationError(FileError):
    """A bad ``experiments.yml``."""

    what = "declaration"


class Declaration(BaseModel):
    """One experiment's declarations; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    key_metric: str | None = Field(default=None, min_length=1)
    goal: Literal["min", "max"] | None = None
    baseline: str | None = Field(default=None, min_length=1)
    references: dict[str, dict[str, float]] = Field(default_factory=dict)

    def goal_for(self, metric: str) -> Literal["min", "max"]:
        """The declared goal when ``metric`` is the key metric, else the metric's usual one."""
        if self.goal is not None and (self.key_metric is None or metric == self.key_metric):
            return self.goal
        return goal_of(metric)


def load_declarations(results_dir: str | Path) -> dict[str, Declaration]:
    """The declarations by experiment (empty when the file does not exist)."""
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
            raise DeclarationError(path, field, err["msg"]) from None
    return out
