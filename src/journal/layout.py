"""Reading files of a results folder safely: symbolic links that leave it, and YAML errors.

A results folder is shared (pull requests, copied folders), so a file in it may be a symbolic
link to anywhere on the machine. Such a file is refused, never read, and the refusal names the
link, not what it points to. YAML parse errors are reported by position only: the YAML
library's own message quotes the offending line, which could be anything (a credential in a
file a link pointed at).
"""

from __future__ import annotations

from pathlib import Path

import yaml


def leaves(path: Path, root: Path) -> bool:
    """Whether ``path`` (a file or folder below ``root``) resolves to somewhere outside ``root``."""
    try:
        return not path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a loop of links
        return True


def yaml_problem(exc: yaml.YAMLError) -> str:
    """A YAML error as ``line L, column C: problem``, without quoting the text."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or type(exc).__name__
    if mark is None:
        return str(problem)
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"
