"""Generated variant names: the settings that make a run differ, and nothing else.

When a run is started with ``--set`` overrides and no name of the author's, its variant is a
base name (``student``, ``S4D``) followed by one ``· key=value`` tag per override that *this
run* has: a tag is written only when the run's recorded config holds the key (``a.b`` reads
the entry ``b`` of the setting ``a``) with the overridden value. So a model the override does
not reach keeps a clean name (the no-KD student of a ``--set kd=logit`` job records ``kd: none``
and is ``student``, not ``student · kd=logit``), a setting the run lacks never appears, and
settings that change no result (``baseline``, the device, output folders, reference numbers:
:func:`journal.identity.non_result_keys`) are never tags.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from .declarations import SUFFIX_SEPARATOR
from .identity import non_result_keys

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_MISSING = object()


def _lookup(config: Mapping[str, Any], key: str) -> Any:
    if key in config:
        return config[key]
    head, dot, rest = key.partition(".")
    if dot and isinstance(config.get(head), Mapping):
        return _lookup(config[head], rest)
    return _MISSING


def _matches(value: Any, text: str) -> bool:
    """Whether the recorded ``value`` is what the override ``text`` sets."""
    low = text.strip().lower()
    if isinstance(value, bool):
        return (value and low in _TRUE) or (not value and low in _FALSE)
    if isinstance(value, int | float):
        try:
            number = float(text)
        except ValueError:
            return False
        return math.isclose(float(value), number, rel_tol=1e-12, abs_tol=0.0) or value == number
    if value is None:
        return low in ("none", "null")
    return str(value) == text


def applied_overrides(
    overrides: Mapping[str, str], config: Mapping[str, Any], ignore: Iterable[str] = ()
) -> dict[str, str]:
    """The ``overrides`` that reached a run with ``config``: its config has the key with that
    value, and neither the key nor its first part is in ``ignore``."""
    skip = set(ignore)
    out = {}
    for key, text in overrides.items():
        if key in skip or key.partition(".")[0] in skip:
            continue
        value = _lookup(config, key)
        if value is not _MISSING and _matches(value, text):
            out[key] = text
    return out


def variant_suffix(
    overrides: Mapping[str, str], config: Mapping[str, Any], *, experiment: str = "",
    ignore: Iterable[str] = (),
) -> str:
    """``· key=value`` for each override in :func:`applied_overrides`, sorted by key, leaving
    out ``ignore`` and ``experiment``'s non-result keys."""
    applied = applied_overrides(overrides, config, [*ignore, *non_result_keys(experiment)])
    return "".join(f"{SUFFIX_SEPARATOR}{k}={v}" for k, v in sorted(applied.items()))


def generated_variant(
    base: str, overrides: Mapping[str, str], config: Mapping[str, Any], *, experiment: str = "",
    ignore: Iterable[str] = (),
) -> str:
    """``base`` with the :func:`variant_suffix` of the run's overrides: ``student + logit KD ·
    lr=3e-4``."""
    return base + variant_suffix(overrides, config, experiment=experiment, ignore=ignore)
