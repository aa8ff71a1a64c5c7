"""journal: a research journal for machine-learning experiments.

Training code writes one JSON record per run through :func:`start_run`; the MkDocs plugin
``journal`` renders the records into dated posts of a Material blog.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("journal")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

from . import metrics  # noqa: E402
from .errors import ConfigError, JournalError, RecordError  # noqa: E402
from .records import Record, load_records, read_record  # noqa: E402
from .tracking import Run, start_run  # noqa: E402

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
    "start_run",
]
