"""Where tiny data sets live, and how one is written exactly once, atomically."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

MARKER = "GENERATED"


def data_home(experiment: str) -> Path:
    """``$JOURNAL_DATA/<experiment>``, else ``~/.cache/journal/data/<experiment>``."""
    base = os.environ.get("JOURNAL_DATA") or Path.home() / ".cache" / "journal" / "data"
    return Path(base) / experiment


def is_built(root: Path) -> bool:
    """True once :func:`build_once` has completed ``root``."""
    return (Path(root) / MARKER).exists()


@contextmanager
def build_once(root: Path, description: str) -> Iterator[Path]:
    """Yield an empty folder beside ``root`` to write a data set into; on success it becomes
    ``root`` in one rename, so a reader never sees half a data set. If another process finished
    the same data set first, its copy is kept and ours discarded."""
    root = Path(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.", dir=root.parent))
    try:
        yield tmp
        (tmp / MARKER).write_text(description + "\n", encoding="utf-8")
        try:
            tmp.rename(root)
        except OSError:
            if not is_built(root):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
