"""Rendering: records → Markdown posts and SVG charts. Imports nothing from MkDocs.

The names below come from :mod:`.posts` on first use, so importing one light submodule (such
as :mod:`.tables`, which ``journal list`` uses) does not load pandas and matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .posts import Post, build_posts, write_posts

__all__ = ["Post", "build_posts", "write_posts"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'journal.render' has no attribute '{name}'")
    from . import posts

    return getattr(posts, name)
