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
time, size and inode (:func:`journal.serve.snapshot`, the same test ``journal serve`` polls with), the
journal's language, the library's code (:func:`journal.code_hash.library_code`) and the two
folders' places. A generated file (or the listing) edited or deleted by hand, a build that
reported a problem, or a state file that cannot be read means: render.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path, PurePosixPath

from .code_hash import library_code

STATE_NAME = "docs-state.json"
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


def fingerprint(results: Path, docs: Path, lang: str) -> str:
    """A hash of everything the generated files of ``docs`` are rendered from (see the module);
    taken before the results folder is read, so that a record written meanwhile makes the next
    build render again."""
    from .serve import snapshot

    digest = hashlib.sha256()
    for part in (str(_FORMAT), library_code(), lang, str(results.resolve()), str(docs.resolve())):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\0")
    for entry in snapshot(results):
        digest.update("\0".join(map(str, entry)).encode("utf-8", "surrogateescape") + b"\0")
    return digest.hexdigest()


def _stat(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_mtime_ns, st.st_size]


def up_to_date(cache_dir: Path, docs: Path, print_: str) -> bool:
    """Whether the last build remembered in ``cache_dir`` had fingerprint ``print_`` and every
    file it generated in ``docs`` is still as it left it."""
    try:
        state = json.loads((cache_dir / STATE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(state, dict) or state.get("fingerprint") != print_:
        return False
    files = state.get("files")
    if not isinstance(files, dict) or not files:
        return False
    return all(_stat(docs / rel) == seen for rel, seen in files.items())


def remember(cache_dir: Path, docs: Path, print_: str) -> None:
    """Store ``print_`` with the state of each generated file of ``docs`` (see the module); a
    state that cannot be written only means the next build renders."""
    from .atomic import write_atomic

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
