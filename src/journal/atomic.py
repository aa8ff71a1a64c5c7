"""Writing a file atomically: a reader sees the old file or the new one, never part of one.

The data goes to a temporary file ``.NAME.XXXX.tmp`` in the same folder, is flushed (and, when
``durable``, fsynced with its folder) and then renamed over the target, or, when ``exclusive``,
hard-linked to it so that an existing file is never replaced: meeting one is
:class:`TargetExistsError`, naming the file. The system's own errors (a full disk, a read-only
folder) are the ``OSError`` they are, naming the file too. A temporary file is never left
behind by an error (one left by a kill is removed later by
:func:`journal.paths.clean_stale_tmp`).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .errors import JournalError


class AtomicWriteError(JournalError):
    """A file that was not written, and why."""

    def __init__(self, path: str | Path, cause: str) -> None:
        self.path = Path(path)
        self.cause = cause
        super().__init__(f"{self.path}: cannot write: {cause}")


class TargetExistsError(AtomicWriteError):
    """An exclusive write whose target already exists (it is left as it was)."""


def write_atomic(
    path: str | Path, data: str | bytes, *, exclusive: bool = False, durable: bool = True
) -> None:
    """Write ``data`` (text as UTF-8) to ``path`` atomically (see the module).

    ``exclusive``: create the file, refused with :class:`TargetExistsError` when the name
    exists, instead of atomically replacing it. ``durable``: fsync the file and its folder, so
    it survives a power loss (caches that can be rebuilt skip this).
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        if exclusive:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise TargetExistsError(path, "the file exists and is never replaced") from None
        else:
            os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if durable:
        fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries to disk (a rename is durable only then); best effort."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
