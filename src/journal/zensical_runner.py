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
entries it used, so the file holds only the current pages. It is tagged with Zensical's version
and ignored when that changes, or when it cannot be read; a scan that fails is not remembered.

The wrapping is applied only when Zensical has the two scanners this module knows (Zensical
0.0.x); otherwise Zensical runs as it is, only slower. ``journal build`` and ``journal serve``
run Zensical through :func:`main`; ``zensical build`` itself works too, unmemoized.
"""

from __future__ import annotations

import hashlib
import json
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

CACHE_NAME = "zensical-scans.json"
SCANNERS = ("references", "anchors")
"""The functions of ``zensical.collectors`` that are remembered."""

_FORMAT = 1


class ScanMemo:
    """Results of Zensical's scanners, by scanner, argument and hash of the text scanned.

    ``entries`` maps a key to the scan's result in JSON form (a list of strings, or of the
    reference dataclasses as dicts tagged with their class name). ``used`` is the keys looked
    up or added since the memo was loaded: the ones :meth:`save` keeps.
    """

    def __init__(self, version: str, path: Path | None = None) -> None:
        self.version = version
        self.path = path
        self.entries: dict[str, list[Any]] = {}
        self.used: set[str] = set()
        self.decoded: dict[str, list[Any]] = {}
        self.hits = 0
        self.misses = 0
        self.dirty = False
        self.lock = threading.Lock()
        if path is not None:
            self.entries = _load(path, version)

    def save(self) -> None:
        """Write the entries used since loading to :attr:`path` (atomically; a memo that
        cannot be written is only a slower next build, so the error is not raised)."""
        if self.path is None:
            return
        from .atomic import write_atomic

        with self.lock:
            kept = {key: self.entries[key] for key in sorted(self.used) if key in self.entries}
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
                    isinstance(arg, (int, str)) and not isinstance(arg, bool) for arg in args):
                return iter(list(scan(text, *args, **kwargs)))
            raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
            key = f"{name}:{type(text).__name__}:{json.dumps(args)}:" + hashlib.blake2b(
                raw, digest_size=20).hexdigest()
            with self.lock:
                self.used.add(key)
                found = self.decoded.get(key)
                if found is None and key in self.entries:
                    try:
                        found = [_decode(item, types) for item in self.entries[key]]
                    except (KeyError, TypeError, ValueError):  # written by another version
                        found = None
                    else:
                        self.decoded[key] = found
                if found is not None:
                    self.hits += 1
                    return iter(list(found))
            result = list(scan(text, *args))
            with self.lock:
                self.misses += 1
                self.entries[key] = [_encode(item) for item in result]
                self.decoded[key] = result
                self.dirty = True
            return iter(list(result))

        remembered.__wrapped__ = scan  # type: ignore[attr-defined]
        remembered.__doc__ = scan.__doc__
        return remembered


def remember_scans(cache_dir: Path | None) -> ScanMemo | None:
    """Wrap Zensical's link and anchor scanners with a :class:`ScanMemo` kept in ``cache_dir``
    (in memory only when ``None``) and return it; ``None`` (and nothing wrapped) when this
    Zensical does not have the scanners this module knows."""
    try:
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
    version = str(getattr(zensical, "version", lambda: "?")())
    memo = ScanMemo(version, cache_dir / CACHE_NAME if cache_dir is not None else None)
    for name, scan in scanners.items():
        setattr(collectors, name, memo.wrap(name, scan, types))
    return memo


def _encode(item: Any) -> Any:
    if is_dataclass(item) and not isinstance(item, type):
        out = {"": type(item).__name__}
        out.update({f.name: _encode(getattr(item, f.name)) for f in fields(item)})
        return out
    if isinstance(item, (list, tuple)):
        return [_encode(x) for x in item]
    if item is None or isinstance(item, (str, int, float)):
        return item
    raise TypeError(f"cannot remember a {type(item).__name__}")


def _decode(item: Any, types: dict[str, type]) -> Any:
    if isinstance(item, dict):
        cls = types[item[""]]
        return cls(**{key: _decode(value, types) for key, value in item.items() if key})
    if isinstance(item, list):
        return [_decode(x, types) for x in item]
    return item


def _load(path: Path, version: str) -> dict[str, list[Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
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
        return 0 if exc.code is None else exc.code if isinstance(exc.code, int) else 1
    except RuntimeError as exc:  # Zensical's own verdict (--strict), already explained above it
        print(f"zensical: {exc}", file=sys.stderr)
        return 1
    finally:
        if memo is not None:
            memo.save()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
