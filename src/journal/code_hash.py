"""A hash of the library code that computes or renders: part of every cache key of the site.

Every module of ``journal`` except the training side (``experiments/``) and the command line
(``cli/``) is hashed, with the scripts and stylesheet the site ships (``assets/``), so that a
change to statistics, notes or declarations code invalidates cached posts (and a docs tree
written before it) as surely as one to ``render/``.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

SKIPPED = ("experiments", "cli")


@cache
def library_code() -> str:
    """The hash (16 hex digits) of the library's rendering and computing code and its assets,
    read once."""
    root = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*root.rglob("*.py"), *(root / "assets").iterdir()]):
        rel = path.relative_to(root)
        if rel.parts[0] in SKIPPED or not path.is_file():
            continue
        digest.update(str(rel).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
