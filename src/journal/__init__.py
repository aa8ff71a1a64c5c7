"""journal: a research journal for machine-learning experiments.

Training code writes one JSON record per run through :func:`start_run`; the MkDocs plugin
``journal`` renders the records into dated posts of a Material blog.

The names below are imported on first use, so ``import journal`` (and the ``journal`` command,
and shell completion) starts without loading pydantic, numpy or pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The one place the version is written; pyproject.toml reads it from here.
__version__ = "0.1.0"

if TYPE_CHECKING:
    from . import metrics
    from .errors import ConfigError, JournalError, RecordError
    from .records import Record, load_records, read_record
    from .tracking import Run, start_run

# public name → the module that defines it
_LAZY = {
    "metrics": "journal.metrics",
    "ConfigError": "journal.errors",
    "JournalError": "journal.errors",
    "RecordError": "journal.errors",
    "Record": "journal.records",
    "load_records": "journal.records",
    "read_record": "journal.records",
    "Run": "journal.tracking",
    "runs": "journal.runs_table",
    "start_run": "journal.tracking",
}


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'journal' has no attribute '{name}'") from None
    value = importlib.import_module(module)
    if name != "metrics":
        value = getattr(value, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


__all__ = [
    "ConfigError",
    "JournalError",
    "Record",
    "RecordError",
    "Run",
    "__version__",
    "load_records",
    "metrics",
    "read_record",
    "runs",
    "start_run",
]
