"""The results folder's layout, and names and paths inside it: nothing a record says, and no
symbolic link, can reach outside it.

Run ids, sweep ids and job ids come from records and command lines, so they are untrusted. They
are checked as *names* (:func:`check_name`: letters, digits and ``_.+-``, no ``..``, no path
separator) and joined under the results folder with :func:`inside`, which also refuses a path
that a symbolic link (``results/notes`` → elsewhere) would carry out of the folder. Folders that
training and notes write into are made with :func:`folder_inside`; :func:`within` checks a path
built otherwise.

:func:`try_lock` takes an exclusive, non-blocking ``flock`` on a lock file (never through a
link), so that one process at a time continues a run.

A results folder is shared (pull requests, copied folders), so a file in it may be a symbolic
link to anywhere on the machine: readers ask :func:`leaves` and refuse such a file, naming the
link, not what it points to; YAML parse errors are reported by position only
(:func:`yaml_problem`), since the YAML library's message quotes the offending line, which could
be anything (a credential in a file a link pointed at).

Temporary files of atomic writes (``.NAME.XXXX.tmp``) that a kill left behind are removed by
:func:`clean_stale_tmp` once they are an hour old, when a command next writes into their folder
(or ``journal list`` reads it).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import time
from pathlib import Path
from typing import IO, Any

from .errors import JournalError

DEFAULT_RESULTS_DIR = "results"
"""The results folder when neither ``--results`` nor ``JOURNAL_RESULTS`` names one."""
NOTES_DIR = "notes"
"""Notes on runs, variants and days (:mod:`journal.notes`)."""
RETIRED_DIR = "retired"
"""Why a run is not counted: one ``<run id>.yml`` per retired run (:mod:`journal.identity`)."""
STATE_DIR = ".state"
"""Training state that interrupted runs resume from (:mod:`journal.tracking`)."""
SUBMITIT_DIR = ".submitit"
"""Logs of Slurm jobs (:mod:`journal.launchers`)."""
DECLARATIONS_FILE = "experiments.yml"
"""Key metric, goal, baseline and references per experiment (:mod:`journal.declarations`)."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,199}")
NAME_RULE = "letters, digits and '_.+-', starting with a letter or digit, at most 200 characters, no '..'"

STALE_TMP_SECONDS = 3600.0
"""Age after which a ``.*.tmp`` file is an orphan of a killed write (no write takes this long)."""
_TMP = re.compile(r"\..+\.tmp")
_CLEAN_EVERY = 600.0
_last_clean: dict[str, float] = {}


class PathError(JournalError):
    """A name that is not a plain file name, or a path a link would carry out of its folder."""


def is_name(value: object) -> bool:
    """True when ``value`` is a string usable as one file name inside the results folder."""
    return isinstance(value, str) and _NAME.fullmatch(value) is not None and ".." not in value


def check_name(value: object, what: str) -> str:
    """``value`` if it is a safe name (see :data:`NAME_RULE`); else :class:`PathError` naming
    ``what`` (``launch.sweep of record X``)."""
    if not isinstance(value, str) or not is_name(value):
        from .escape import terminal_text

        shown = terminal_text(repr(value))[:80]
        raise PathError(f"{what}: {shown} is not a valid name ({NAME_RULE})")
    return value


def inside(root: str | Path, folder: str, name: str, suffix: str = "", *,
           what: str = "name") -> Path:
    """``root/folder/name+suffix`` after checking ``name`` with :func:`check_name` (``folder``
    and ``suffix`` are the journal's own constants) and that no symbolic link along the way
    leads out of ``root``. ``root`` itself may be a link: it is the folder the user chose."""
    base = Path(root)
    path = base / folder / (check_name(name, what) + suffix) if folder else (
        base / (check_name(name, what) + suffix))
    return within(base, path)


def leaves(path: str | Path, root: str | Path) -> bool:
    """Whether ``path`` (a file or folder below ``root``), with every symbolic link followed,
    lies outside ``root`` (a loop of links counts as leaving)."""
    try:
        return not Path(path).resolve().is_relative_to(Path(root).resolve())
    except (OSError, RuntimeError):  # a loop of links
        return True


def within(root: str | Path, path: str | Path) -> Path:
    """``path`` if, with every symbolic link followed, it stays inside ``root``; else
    :class:`PathError`."""
    base, path = Path(root), Path(path)
    if leaves(path, base):
        raise PathError(f"{path}: a symbolic link leads outside the results folder {base} "
                        f"(to {os.path.realpath(path)}); refusing to write there")
    return path


def yaml_problem(exc: Any) -> str:
    """A YAML error as ``line L, column C: problem``, without quoting the text."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def folder_inside(root: str | Path, folder: str) -> Path:
    """``root/folder`` (the journal's own sub-folder, e.g. ``notes``), created when missing,
    refused when a link carries it out of ``root``: checked before and after it is made."""
    path = within(root, Path(root) / folder)
    path.mkdir(parents=True, exist_ok=True)
    return within(root, path)


class HeldLock:
    """An exclusive ``flock`` on a lock file, held until :meth:`close` (which removes the file)."""

    def __init__(self, path: Path, handle: IO[bytes]) -> None:
        self.path = path
        self._handle: IO[bytes] | None = handle

    def close(self) -> None:
        if self._handle is None:
            return
        with contextlib.suppress(OSError):  # removed while held: a waiter sees it is gone
            os.unlink(self.path)
        self._handle.close()
        self._handle = None


def try_lock(path: Path) -> HeldLock | None:
    """An exclusive lock on ``path`` (created; never through a link), or ``None`` at once when
    another process holds it. The lock ends with the process, however it ends."""
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        except OSError as exc:
            raise PathError(f"{path}: cannot open the lock file: {exc.strerror or exc}") from None
        handle = os.fdopen(fd, "r+b")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path, follow_symlinks=False))
        except FileNotFoundError:
            same = False
        if same:
            return HeldLock(path, handle)
        handle.close()  # its holder removed it as we opened it: take the new one


def clean_stale_tmp(folder: str | Path, *, max_age: float = STALE_TMP_SECONDS,
                    force: bool = False) -> list[Path]:
    """Remove ``.*.tmp`` files older than ``max_age`` seconds directly in ``folder`` (regular
    files only, never through a link); returns what was removed. Runs at most every ten
    minutes per folder and process unless ``force``."""
    key = os.path.abspath(folder)
    now = time.time()
    if not force and now - _last_clean.get(key, 0.0) < _CLEAN_EVERY:
        return []
    _last_clean[key] = now
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not _TMP.fullmatch(entry.name):
            continue
        try:
            if entry.is_file(follow_symlinks=False) and now - entry.stat(
                    follow_symlinks=False).st_mtime > max_age:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone already, or not ours to remove
    return removed
