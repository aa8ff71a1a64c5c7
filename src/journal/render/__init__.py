"""Rendering: records → Markdown posts and SVG charts. Imports nothing from MkDocs."""

from .posts import Post, build_posts, write_posts

__all__ = ["Post", "build_posts", "write_posts"]
