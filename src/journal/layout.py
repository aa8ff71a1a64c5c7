"""Names kept for code that imported them from here: the results folder's layout, and reading
its files safely, live in :mod:`journal.paths`."""

from __future__ import annotations

from .paths import leaves, yaml_problem

__all__ = ["leaves", "yaml_problem"]
