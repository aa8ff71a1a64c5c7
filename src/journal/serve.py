"""``journal serve`` and ``journal build``: the journal rendered into the docs folder, built once
or served live and kept up to date.

With Zensical installed (``zensical`` on the path, or importable), :func:`serve` renders the
journal into the site's docs folder (:func:`journal.site.write_docs`, the files ``journal render
--docs`` writes), starts ``zensical serve`` on it, and polls the results folder: when a record,
note or declaration changes, the site is built again from the cache, so only the posts whose
inputs changed are rendered, and only files whose content changed are rewritten; Zensical sees
those and rebuilds just their pages. Without Zensical, ``mkdocs serve`` runs instead, where the
MkDocs plugin renders and watches the results folder itself.

Zensical keeps a rendered page, on disk and while serving in memory, until the page's text (or
a snippet it includes) changes, and a hand-written page with a ```` ```journal ```` block does not
change when a record does. Writing the journal drops those pages from Zensical's disk cache
(:mod:`journal.zensical_cache`), and when records change :func:`serve` restarts ``zensical
serve`` if the docs folder holds such a page, so that it renders them again from the records;
open tabs reload once the new server answers.

:func:`build` renders the same way, then builds once (``journal build``, and CI). Zensical runs
through :mod:`journal.zensical_runner` when it is importable, so that its link check does not
scan unchanged pages again.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import JournalError
from .memo import Memo

if TYPE_CHECKING:
    from .records import ReadCache

GENERATORS = ("zensical", "mkdocs")
RESTART_GAP = 10.0
"""Seconds at least between two restarts of ``zensical serve`` for pages with journal blocks."""
Snapshot = tuple[tuple[str, int, int, int, int], ...]


def snapshot(results: Path) -> Snapshot:
    """Every file of the results folder that the site reads, with its mtime, size, inode and
    ctime (hidden files and folders such as ``.state`` and temporary files of atomic writes left
    out). Records are replaced by renaming a new file over them, so the inode tells a record
    rewritten within one tick of the file system's clock, at the same size, from the old one;
    the ctime sees a file rewritten in place or whose permissions changed."""
    out = []
    for root, dirs, files in os.walk(results):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            try:
                stat = os.stat(path)
            except OSError:  # removed while we looked: the next poll sees it
                continue
            out.append((path, stat.st_mtime_ns, stat.st_size, stat.st_ino, stat.st_ctime_ns))
    return tuple(sorted(out))


def available_generator() -> str:
    """``zensical`` when it is installed, else ``mkdocs``."""
    if shutil.which("zensical") or importlib.util.find_spec("zensical") is not None:
        return "zensical"
    return "mkdocs"


def docs_dir_of(config: Path) -> Path:
    """The docs folder ``config`` (``mkdocs.yml``) names: ``docs_dir``, else ``docs`` beside it.

    Read by pattern, not by a YAML parser: the file has MkDocs' own tags (``!ENV``,
    ``!!python/name:``), which a safe loader refuses."""
    text = config.read_text(encoding="utf-8")
    match = re.search(r"^docs_dir:\s*['\"]?([^'\"#\n]+?)['\"]?\s*(?:#.*)?$", text, re.MULTILINE)
    return config.parent / (match.group(1) if match else "docs")


def project_cache(docs: Path) -> Path:
    """The cache of the site whose docs folder is ``docs``: ``.journal-cache`` beside it, where
    the MkDocs plugin keeps its own by default."""
    return docs.resolve().parent / ".journal-cache"


def results_dir_of(config: Path) -> Path:
    """The results folder ``config`` gives the plugin (``results_dir``, relative to the file),
    else ``results`` beside it: where the plugin would read records. Read by pattern, as
    :func:`docs_dir_of` reads the docs folder."""
    text = config.read_text(encoding="utf-8")
    match = re.search(r"^\s+results_dir:\s*['\"]?([^'\"#\n]+?)['\"]?\s*(?:#.*)?$", text, re.MULTILINE)
    return config.parent / (match.group(1) if match else "results")


def language_of(config: Path) -> str:
    """The journal's language from ``config``: the plugin's ``language`` or the theme's (zh*
    is Chinese, anything else English)."""
    text = config.read_text(encoding="utf-8")
    match = re.search(r"^\s+language:\s*['\"]?(\w+)", text, re.MULTILINE)
    return "zh" if match and match.group(1).startswith("zh") else "en"


def zensical_command() -> list[str]:
    """How Zensical is run: through :mod:`journal.zensical_runner` (its link check remembered
    between builds) when it is importable here, else the ``zensical`` on the path."""
    if importlib.util.find_spec("zensical") is not None:
        return [sys.executable, "-m", "journal.zensical_runner"]
    exe = shutil.which("zensical")
    return [exe] if exe else [sys.executable, "-m", "zensical"]


def server_command(generator: str, config: Path, addr: str) -> list[str]:
    """The command that serves the site with ``generator``."""
    if generator == "zensical":
        return [*zensical_command(), "serve", "-f", str(config), "-a", addr]
    return [sys.executable, "-m", "mkdocs", "serve", "-f", str(config), "-a", addr]


def build_command(generator: str, config: Path, *, strict: bool = False,
                  clean: bool = False) -> list[str]:
    """The command that builds the site with ``generator`` (``clean``: Zensical starts from
    an empty cache; MkDocs always does)."""
    flags = ["--strict"] if strict else []
    if generator == "zensical":
        return [*zensical_command(), "build", "-f", str(config), *flags,
                *(["--clean"] if clean else [])]
    return [sys.executable, "-m", "mkdocs", "build", "-f", str(config), *flags]


def check_addr(addr: str) -> str:
    """``addr`` if it is ``HOST:PORT`` with a port in 1–65535; else :class:`JournalError`."""
    host, sep, port = addr.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise JournalError(f"--dev-addr: expected HOST:PORT (e.g. 127.0.0.1:8000), got {addr!r}")
    return addr


def check_port_free(addr: str) -> None:
    """Raise :class:`JournalError` when ``HOST:PORT`` cannot be served on: the port is taken
    (another ``journal serve`` or ``mkdocs serve``), or the host is not an address of this
    machine. Checked before rendering, so the generator never starts only to fail."""
    import errno
    import socket

    given, _, port = check_addr(addr).rpartition(":")
    host = given.strip("[]")
    try:
        family, kind, proto, _, where = socket.getaddrinfo(host, int(port), type=socket.SOCK_STREAM)[0]
    except (OSError, UnicodeError) as exc:
        raise JournalError(f"--dev-addr {addr}: cannot resolve {host!r} ({exc})") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind(where)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                other = f", e.g. -a {given}:{int(port) + 1}" if int(port) < 65535 else ""
                raise JournalError(
                    f"--dev-addr {addr}: the port is in use (another journal serve or mkdocs "
                    f"serve?); stop it or give another{other}") from None
            raise JournalError(f"--dev-addr {addr}: cannot serve there ({exc.strerror})") from None


@dataclass
class DocsRenderer:
    """Renders a results folder into a docs folder, again and again, from one cache."""

    results: Path
    docs: Path
    lang: str = "en"
    problems: list[str] = field(default_factory=list)
    read: ReadCache = field(default_factory=dict, repr=False)
    """Records parsed before, by file (a file whose mtime and size are unchanged is not read
    again)."""
    memo: Memo = field(default_factory=Memo, repr=False)
    """What the last build computed from records that have not changed since."""
    log: Callable[[str], None] | None = field(default=None, repr=False)
    """Where to say that another process is rendering into the docs folder, when waiting."""
    root: Path | None = None
    """The folder of the site's configuration, beside which Zensical keeps its cache."""

    def render(self) -> list[Path]:
        """Build the site (cached posts are read back, not rendered) and write what changed;
        nothing is read or rendered when the docs folder already holds what this would write
        (:mod:`journal.docs_state`)."""
        from . import docs_state

        cache = project_cache(self.docs)
        with docs_state.writing(cache, self.log):
            inputs = docs_state.fingerprint(self.results, self.docs, self.lang)
            if docs_state.up_to_date(cache, self.docs, inputs):
                self.problems = []
                return []
            from .folder import load_journal
            from .site import build_site, prune_cache, write_docs

            docs_state.forget(cache)
            journal = load_journal(self.results, cache=self.read)
            site = build_site(journal, lang=self.lang, cache_dir=cache, memo=self.memo)
            self.problems = site.problems
            changed = write_docs(site, self.docs, results_dir=self.results, root=self.root)
            prune_cache(site, cache)
            if not site.problems:
                docs_state.remember(cache, self.docs, inputs)
            return changed


def serve(
    config: Path,
    results: Path,
    *,
    generator: str | None = None,
    addr: str = "127.0.0.1:8000",
    lang: str | None = None,
    interval: float = 1.0,
    stop: threading.Event | None = None,
    log: Callable[[str], None] = print,
    command: Callable[[str, Path, str], Sequence[str]] = server_command,
) -> int:
    """Serve the site of ``config`` until ``stop`` is set or the server exits (see the module);
    returns the server's exit status (0 when stopped)."""
    from .escape import terminal_text
    from .site import check_docs
    from .zensical_cache import pages_with_blocks

    generator = generator or available_generator()
    if generator not in GENERATORS:
        raise JournalError(f"generator: choose {' or '.join(GENERATORS)}, got {generator!r}")
    stop = stop or threading.Event()
    if generator == "mkdocs":  # the plugin renders and watches the results folder itself
        return _run_until(list(command(generator, config, addr)), stop, interval)
    docs = docs_dir_of(config)
    check_docs(docs)
    renderer = DocsRenderer(results, docs, lang or language_of(config), log=log,
                            root=config.resolve().parent)
    seen = snapshot(results)  # before reading: a record written meanwhile renders again
    renderer.render()
    for problem in renderer.problems:
        log(f"journal: {problem}")
    # matplotlib's import and font cache cost the first chart of the first new run a second:
    # pay them while the server starts (and before any render draws, which waits for this)
    from .render.charts import warm_up

    warming = threading.Thread(target=warm_up, name="journal-chart-warm-up", daemon=True)
    warming.start()
    argv = list(command(generator, config, addr))
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    started, restart = time.monotonic(), False
    try:
        while not stop.wait(interval):
            if process.poll() is not None:
                return process.returncode
            if restart and time.monotonic() - started >= RESTART_GAP:
                # Zensical serve keeps each page's HTML in memory, keyed by the page's text,
                # which a new record does not change: a new server renders the pages with
                # journal blocks again (write_docs dropped them from its disk cache); open tabs
                # reload when it answers. At most one restart in RESTART_GAP: a sweep's runs
                # arriving one after another are shown together
                _stop(process)
                process = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
                started, restart = time.monotonic(), False
            now = snapshot(results)
            if now == seen:
                continue
            seen = now
            start = time.perf_counter()
            warming.join()
            changed = renderer.render()
            for problem in renderer.problems:
                log(f"journal: {problem}")
            log(f"journal: {len(changed)} files rewritten in {time.perf_counter() - start:.1f} s")
            readers = pages_with_blocks(docs) if changed and not restart else []
            if readers:
                restart = True
                wait = max(0.0, RESTART_GAP - (time.monotonic() - started))
                log(f"journal: restarting the server{f' in {wait:.0f} s' if wait >= 1 else ''}, "
                    f"so that the {len(readers)} hand-written pages with journal blocks show "
                    f"the records (first: {terminal_text(readers[0])})")
        return 0
    finally:
        _stop(process)


def build(
    config: Path,
    results: Path,
    *,
    generator: str | None = None,
    lang: str | None = None,
    strict: bool = False,
    clean: bool = False,
    log: Callable[[str], None] = print,
) -> int:
    """Build the site of ``config`` once and return the exit status: with Zensical, the journal
    is rendered into the docs folder first (as ``journal render --docs``), and a bad record or
    note is logged and, when ``strict``, fails the build once the rest is built; with MkDocs the
    plugin renders. ``clean``: Zensical starts from an empty cache, and the journal is read
    and rendered even if nothing changed (the post and chart caches are kept: they are keyed by
    content)."""
    from .site import check_docs

    generator = generator or available_generator()
    if generator not in GENERATORS:
        raise JournalError(f"generator: choose {' or '.join(GENERATORS)}, got {generator!r}")
    problems: list[str] = []
    if generator == "zensical":
        docs, root = docs_dir_of(config), config.resolve().parent
        check_docs(docs)
        if clean:  # from nothing: the journal read and rendered, every page's links scanned
            from . import docs_state
            from .zensical_runner import CACHE_NAME

            docs_state.forget(project_cache(docs))
            (project_cache(docs) / CACHE_NAME).unlink(missing_ok=True)
        renderer = DocsRenderer(results, docs, lang or language_of(config), log=log, root=root)
        renderer.render()
        problems = renderer.problems
        for problem in problems:
            log(f"journal: {problem}")
        if strict:  # pages with journal blocks are rendered again, so a bad block is reported
            from .zensical_cache import forget_block_pages

            forget_block_pages(docs, root)
    argv = build_command(generator, config, strict=strict, clean=clean)
    if argv[1:3] == ["-m", "journal.zensical_runner"]:  # in this process: one start-up less
        from . import fence
        from .zensical_runner import main as zensical_main

        fence.PROBLEMS.clear()
        status = zensical_main(argv[3:])
        problems = [*problems, *fence.PROBLEMS]  # bad blocks, each shown as a failure box
    else:  # a bad block is a warning in Zensical's output only (it does not fail its --strict)
        status = subprocess.run(argv, stdin=subprocess.DEVNULL, check=False).returncode
    if status == 0 and strict and problems:
        log(f"journal: {len(problems)} problems (see above); --strict fails the build")
        return 1
    return status


def _run_until(argv: list[str], stop: threading.Event, interval: float) -> int:
    process = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
    try:
        while not stop.wait(interval):
            if process.poll() is not None:
                return process.returncode
        return 0
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
