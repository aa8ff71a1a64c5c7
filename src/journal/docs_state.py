"""A docs folder's generated files: their listing, and whether they are what ``journal render
--docs`` would write into it now.

``journal render --docs`` lists the files it wrote in ``.journal-generated.json`` in the docs
folder (:data:`MANIFEST`, :func:`generated_files`); a later run replaces and cleans exactly those.

After a build without problems, :func:`remember` stores a fingerprint of everything the
generated files were made from, and the size and modification time of each file written, in
``.journal-cache/docs-state.json``. A later build in a new process (``journal build``, the first
render of ``journal serve``) asks :func:`up_to_date` first: when the fingerprint and every
generated file are as they were, there is nothing to render, and the build goes straight to the
generator. Reading 2,000 records and planning their comparisons takes seconds; this check reads
no record.

The fingerprint covers: every file of the results folder the site reads, by path, modification
and change times, size and inode (:func:`journal.serve.snapshot`, the test ``journal serve``
polls with), the journal's language, the library's code and assets
(:func:`journal.code_hash.library_code`), the versions of the packages that compute and draw
(:data:`RENDERING_PACKAGES`) and the two folders' places. A fingerprint taken less than 2 s
after a file changed is not remembered (:data:`RACY_NS`). A generated file (or the listing)
edited or deleted by hand, a build that reported a problem, or a state file that cannot be read
means: render.

Two processes that render into one docs folder (two ``journal build`` runs, a build beside
``journal serve``) take turns: :func:`writing` holds an exclusive lock on
``.journal-cache/docs.lock`` from the fingerprint to :func:`remember`, so that neither remembers
a fingerprint beside the other's files.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from .code_hash import library_code

STATE_NAME = "docs-state.json"
LOCK_NAME = "docs.lock"
_FORMAT = 1

MANIFEST = ".journal-generated.json"
"""The list of files ``journal render --docs`` wrote into a docs folder (and may replace)."""


def generated_files(docs: Path) -> set[str]:
    """The files of ``docs`` that an earlier ``journal render --docs`` wrote (POSIX, relative)."""
    try:
        data = json.loads((docs / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    files = data.get("files", []) if isinstance(data, dict) else []
    return {f for f in files if isinstance(f, str) and _safe_rel(f)}


def _safe_rel(rel: str) -> bool:
    path = PurePosixPath(rel)
    return bool(path.parts) and not path.is_absolute() and ".." not in path.parts


RACY_NS = 2_000_000_000
"""A file changed this close to the fingerprint (2 s) could change again within the same tick
of a coarse file-system clock unseen: such a fingerprint is never remembered (as git does)."""
RENDERING_PACKAGES = ("matplotlib", "numpy", "pandas", "scipy", "pydantic", "pydantic-core")
"""Packages whose version can change what a render writes (numbers, charts)."""


def fingerprint(results: Path, docs: Path, lang: str) -> str:
    """A hash of everything the generated files of ``docs`` are rendered from (see the module);
    taken before the results folder is read, so that a record written meanwhile makes the next
    build render again. It ends in ``+racy`` when a file changed in the last 2 s."""
    from importlib import metadata

    from .serve import snapshot

    now = time.time_ns()
    digest = hashlib.sha256()
    versions = []
    for name in RENDERING_PACKAGES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=-")
    for part in (str(_FORMAT), library_code(), lang, str(results.resolve()), str(docs.resolve()),
                 *versions):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    racy = False
    for entry in snapshot(results):
        digest.update("\0".join(map(str, entry)).encode("utf-8", "surrogateescape") + b"\0")
        racy = racy or max(entry[1], entry[4]) > now - RACY_NS
    return digest.hexdigest() + ("+racy" if racy else "")


def _stat(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return [st.st_mtime_ns, st.st_size]


def up_to_date(cache_dir: Path, docs: Path, print_: str) -> bool:
    """Whether the last build remembered in ``cache_dir`` had fingerprint ``print_`` and every
    file it generated in ``docs`` is still as it left it (a state file that cannot be read, or
    holds anything else, is not)."""
    try:
        state = json.loads((cache_dir / STATE_NAME).read_text(encoding="utf-8"))
        if not isinstance(state, dict) or state.get("fingerprint") != print_:
            return False
        files = state.get("files")
        if not isinstance(files, dict) or not files:
            return False
        return all(isinstance(rel, str) and _safe_rel(rel) and _stat(docs / rel) == seen
                   for rel, seen in files.items())
    except Exception:  # a broken state only means a render
        return False


def remember(cache_dir: Path, docs: Path, print_: str) -> None:
    """Store ``print_`` with the state of each generated file of ``docs`` (see the module); a
    state that cannot be written only means the next build renders."""
    from .atomic import write_atomic

    if print_.endswith("+racy"):
        return
    files = {rel: _stat(docs / rel) for rel in sorted(generated_files(docs) | {MANIFEST})}
    if any(seen is None for seen in files.values()):
        return
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        write_atomic(cache_dir / STATE_NAME, json.dumps(
            {"fingerprint": print_, "files": files}, separators=(",", ":")), durable=False)
    except OSError:
        pass


def forget(cache_dir: Path) -> None:
    """Drop the remembered state: the next build renders."""
    (cache_dir / STATE_NAME).unlink(missing_ok=True)


@contextmanager
def writing(cache_dir: Path, log: Callable[[str], None] | None = None,
            poll: float = 0.1) -> Iterator[None]:
    """Hold the lock of the docs folder whose cache is ``cache_dir`` while inside, waiting for
    another process that holds it (``log`` says so once)."""
    from .escape import terminal_text
    from .paths import try_lock

    cache_dir.mkdir(parents=True, exist_ok=True)
    lock = try_lock(cache_dir / LOCK_NAME)
    if lock is None and log is not None:
        log(f"journal: waiting for another process rendering into the docs folder "
            f"({terminal_text(cache_dir / LOCK_NAME)})")
    while lock is None:
        time.sleep(poll)
        lock = try_lock(cache_dir / LOCK_NAME)
    try:
        yield
    finally:
        lock.close()
