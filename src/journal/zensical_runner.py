"""Zensical run with its link check remembered between builds: ``python -m journal.zensical_runner``.

Zensical checks the links of every page on every build, including pages whose HTML comes from
its cache: it scans each page's Markdown for links (``zensical.collectors.references``) and its
HTML for anchors (``zensical.collectors.anchors``), in Python, at about a microsecond a byte. On
a journal of thousands of runs that scan is most of a warm build. Both scans are pure functions
of the text they are given, so :func:`remember_scans` wraps them with a memo keyed by a hash of
that text: a page that did not change is not scanned again, and the check receives exactly what
the scan would return, so every broken link is still reported, on changed and unchanged pages
alike.

The memo lives in memory for the life of the process (``zensical serve`` rebuilds in one
process) and in ``.journal-cache/zensical-scans.json`` between processes: a build keeps the
entries it used, so the file holds only the current pages. It is tagged with Zensical's version,
Python-Markdown's (the scanner knows its block tags) and a hash of the scanners' source, and
ignored when any of them changes or it cannot be read; an entry that does not check out is
scanned again, and a scan that fails is not remembered.

The wrapping is applied only when Zensical has the two scanners this module knows and a sample
of each kind of link comes back from the memo's format exactly as the scanner gave it;
otherwise Zensical runs as it is, only slower. ``journal build`` and ``journal serve``
run Zensical through :func:`main`; ``zensical build`` itself works too, unmemoized.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields, is_dataclass
from functools import cache
from pathlib import Path
from typing import Any

CACHE_NAME = "zensical-scans.json"
SCANNERS = ("references", "anchors")
"""The functions of ``zensical.collectors`` that are remembered."""

_FORMAT = 1


KEEP_SECONDS = 600.0
"""A running ``zensical serve`` forgets the scans it has not used for this long (older versions
of pages that changed), so that its memo and file hold about the current pages."""

SAMPLE = b"""# Sample

A [link](a.md#x "t"), ![an image](b.svg), <https://example.org>, <a href="c.md">html</a>,
a [reference][r], a [collapsed][] one and a footnote[^1]. `[code](no.md)`

[r]: d.md
[collapsed]: <e f.md> "title"
[^1]: A note with [a link](g.md)
    on two lines.
"""
"""What :func:`remember_scans` scans to check that a result survives the memo unchanged."""
SAMPLE_HTML = '<h2 id="a">A</h2><a name="b"></a><p id=\'c\'>'


class ScanMemo:
    """Results of Zensical's scanners, by scanner, argument and hash of the text scanned.

    ``entries`` maps a key to the scan's result in JSON form (a list of strings, or of the
    reference dataclasses as dicts tagged with their class name). ``used`` is when each key was
    last looked up or added since the memo was loaded: :meth:`save` keeps those of the last
    :data:`KEEP_SECONDS`. An entry read from the file is checked (known classes, exactly their
    fields, offsets within the text, known kinds) and scanned again when anything is off.
    """

    def __init__(self, version: str, path: Path | None = None) -> None:
        self.version = version
        self.path = path
        self.entries: dict[str, list[Any]] = {}
        self.used: dict[str, float] = {}
        self.decoded: dict[str, list[Any]] = {}
        self.hits = 0
        self.misses = 0
        self.dirty = False
        self.lock = threading.Lock()
        if path is not None:
            self.entries = _load(path, version)

    def save(self) -> None:
        """Write the entries used in the last :data:`KEEP_SECONDS` to :attr:`path` and forget
        the rest (atomically; nothing is written when nothing was scanned, and a memo that
        cannot be written is only a slower next build, so the error is not raised)."""
        if self.path is None or not (self.hits or self.misses):
            return
        from .atomic import write_atomic

        since = time.monotonic() - KEEP_SECONDS
        with self.lock:
            kept = {key: self.entries[key] for key in sorted(self.used)
                    if key in self.entries and self.used[key] >= since}
            self.entries = dict(kept)
            self.decoded = {key: value for key, value in self.decoded.items() if key in kept}
            self.used = {key: when for key, when in self.used.items() if key in kept}
            self.dirty = False
        data = json.dumps({"format": _FORMAT, "zensical": self.version, "entries": kept},
                          separators=(",", ":"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, data, durable=False)
        except OSError:
            pass

    def wrap(self, name: str, scan: Callable[..., Iterable[Any]],
             types: dict[str, type]) -> Callable[..., Iterator[Any]]:
        """``scan`` (a generator function of one text and optional plain arguments) answered
        from the memo; ``types`` are the dataclasses its results may hold, by name."""

        def remembered(text: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            if kwargs or not isinstance(text, (str, bytes)) or not all(
                    type(arg) is int for arg in args):
                return iter(list(scan(text, *args, **kwargs)))
            raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
            key = f"{name}:{type(text).__name__}:{json.dumps(args)}:" + hashlib.blake2b(
                raw, digest_size=20).hexdigest()
            limit = len(raw) + sum(args)
            with self.lock:
                self.used[key] = time.monotonic()
                found = self.decoded.get(key)
                if found is None and key in self.entries:
                    try:
                        found = [_decode(item, types, limit) for item in self.entries[key]]
                    except Exception:  # another version's, or damaged: scanned again
                        found = None
                    else:
                        self.decoded[key] = found
                if found is not None:
                    self.hits += 1
                    return iter(list(found))
            result = list(scan(text, *args))
            try:
                encoded = [_encode(item) for item in result]
            except TypeError:  # a result this module cannot store: given, not remembered
                return iter(result)
            with self.lock:
                self.misses += 1
                self.entries[key] = encoded
                self.decoded[key] = result
                self.dirty = True
            return iter(list(result))

        remembered.__wrapped__ = scan  # type: ignore[attr-defined]
        remembered.__doc__ = scan.__doc__
        return remembered


def remember_scans(cache_dir: Path | None) -> ScanMemo | None:
    """Wrap Zensical's link and anchor scanners with a :class:`ScanMemo` kept in ``cache_dir``
    (in memory only when ``None``) and return it; ``None`` (and nothing wrapped) when this
    Zensical does not have the scanners this module knows, or when a sample scan does not come
    back from the memo's file format exactly as the scanner gave it."""
    try:
        import markdown
        import zensical
        import zensical.collectors as collectors
        from zensical.collectors.references import types as reference_types
        from zensical.utilities.span import Span
    except ImportError:
        return None
    scanners: dict[str, Callable[..., Iterable[Any]]] = {}
    for name in SCANNERS:
        scan = getattr(collectors, name, None)
        if not callable(scan):
            return None
        scanners[name] = getattr(scan, "__wrapped__", scan)  # wrapped already: the original
    types: dict[str, type] = {"Span": Span}
    for value in vars(reference_types).values():
        if isinstance(value, type) and is_dataclass(value) and issubclass(value, Span):
            types[value.__name__] = value
    try:
        for name, sample in (("references", SAMPLE), ("anchors", SAMPLE_HTML)):
            given = list(scanners[name](sample))
            back = [_decode(x, types, len(sample)) for x in
                    json.loads(json.dumps([_encode(item) for item in given]))]
            if not given or back != given or list(map(type, back)) != list(map(type, given)):
                return None
    except Exception:  # a scanner this module does not know: left alone
        return None
    sources = hashlib.sha256()
    for path in sorted(Path(collectors.__file__).parent.rglob("*.py")):
        sources.update(path.read_bytes())
    version = (f"{getattr(zensical, 'version', lambda: '?')()} markdown "
               f"{getattr(markdown, '__version__', '?')} {sources.hexdigest()[:16]}")
    memo = ScanMemo(version, cache_dir / CACHE_NAME if cache_dir is not None else None)
    for name, scan in scanners.items():
        setattr(collectors, name, memo.wrap(name, scan, types))
    return memo


def _encode(item: Any) -> Any:
    """A scan's item as JSON: a string, or a dataclass of ints, strings, ``None`` and nested
    dataclasses (anything else is a :class:`TypeError`: not remembered)."""
    if isinstance(item, str):
        return item
    if not is_dataclass(item) or isinstance(item, type):
        raise TypeError(f"cannot remember a {type(item).__name__}")
    out: dict[str, Any] = {"": type(item).__name__}
    for f in fields(item):
        value = getattr(item, f.name)
        if is_dataclass(value):
            out[f.name] = _encode(value)
        elif value is None or type(value) in (int, str):
            out[f.name] = value
        else:
            raise TypeError(f"cannot remember a {type(value).__name__}")
    return out


def _decode(item: Any, types: dict[str, type], limit: int) -> Any:
    """:func:`_encode` undone, checked: a known class with exactly its fields, each an int,
    string, ``None`` or nested span; offsets ``0 ≤ start ≤ end ≤ limit``; a ``kind`` among the
    class's declared kinds. Anything else raises."""
    if isinstance(item, str):
        return item
    cls = types[item[""]]
    names = _names(cls)
    if len(item) != len(names) + 1 or not all(name in item for name in names):
        raise ValueError("fields")
    values = {}
    for name in names:
        value = item[name]
        if isinstance(value, dict):
            value = _decode(value, types, limit)
        elif value is not None and type(value) not in (int, str):
            raise ValueError(name)
        values[name] = value
    obj = cls(**values)
    start, end = getattr(obj, "start", None), getattr(obj, "end", None)
    if type(start) is not int or type(end) is not int or not 0 <= start <= end <= limit:
        raise ValueError("offsets")
    kinds = _kinds(cls)
    if kinds and getattr(obj, "kind", None) not in kinds:
        raise ValueError("kind")
    return obj


@cache
def _names(cls: type) -> tuple[str, ...]:
    """The fields of a dataclass, by name."""
    return tuple(f.name for f in fields(cls))


@cache
def _kinds(cls: type) -> tuple[Any, ...]:
    """The values a class's ``kind`` field is declared to take (``Literal[...]``), if any."""
    import typing

    try:
        hint = typing.get_type_hints(cls).get("kind")
    except Exception:  # no usable annotation: no check of kind
        return ()
    return typing.get_args(hint) if typing.get_origin(hint) is typing.Literal else ()


def _load(path: Path, version: str) -> dict[str, list[Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except Exception:  # unreadable, not JSON, nested too deep: an empty memo
        return {}
    if (not isinstance(data, dict) or data.get("format") != _FORMAT
            or data.get("zensical") != version or not isinstance(data.get("entries"), dict)):
        return {}
    return {key: value for key, value in data["entries"].items() if isinstance(value, list)}


def config_of(argv: list[str]) -> Path:
    """The configuration file a ``zensical build|serve`` command line names (``-f``,
    ``--config-file``), else the one Zensical would pick in the current folder."""
    for i, arg in enumerate(argv):
        if arg in ("-f", "--config-file") and i + 1 < len(argv):
            return Path(argv[i + 1])
        for prefix in ("--config-file=", "-f"):
            if arg.startswith(prefix) and len(arg) > len(prefix):
                return Path(arg[len(prefix):].lstrip("="))
    for name in ("zensical.toml", "mkdocs.yml", "mkdocs.yaml"):
        if Path(name).exists():
            return Path(name)
    return Path("mkdocs.yml")


def _save_while_serving(memo: ScanMemo, every: float = 5.0) -> None:
    """Save the memo every few seconds while it changes (``zensical serve`` runs until it is
    stopped, so there is no end of the build to save at)."""

    def loop() -> None:
        while True:
            threading.Event().wait(every)
            if memo.dirty:
                memo.save()

    threading.Thread(target=loop, name="journal-scan-memo", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    """``zensical`` with its scanners remembered in the site's ``.journal-cache``."""
    from .serve import docs_dir_of, project_cache

    argv = list(sys.argv[1:] if argv is None else argv)
    config = config_of(argv)
    cache_dir = project_cache(docs_dir_of(config)) if config.suffix in (".yml", ".yaml") \
        and config.is_file() else config.resolve().parent / ".journal-cache"
    memo = remember_scans(cache_dir)
    if memo is not None and argv[:1] == ["serve"]:
        _save_while_serving(memo)
    from zensical.main import cli

    try:
        cli.main(args=argv, prog_name="zensical")  # exits: click's standalone mode
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(exc.code, file=sys.stderr)
        return 1
    except RuntimeError as exc:
        if type(exc) is not RuntimeError or "strict" not in str(exc):
            raise
        print(f"zensical: {exc}", file=sys.stderr)  # its verdict; the warnings are above it
        return 1
    finally:
        if memo is not None:
            memo.save()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
