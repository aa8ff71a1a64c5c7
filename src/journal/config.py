"""Typed experiment configs: a dataclass per experiment, overridden by ``key=value`` strings.

Each experiment declares its hyperparameters as a frozen dataclass with a comment on every
default. ``apply_overrides`` type-checks ``--set key=value`` against the field's annotation
(``int``, ``float``, ``bool``, ``str`` or a ``Literal`` of choices) and names the key on error.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Iterable
from typing import Any, Literal, TypeVar, get_args, get_origin

from .errors import ConfigError

C = TypeVar("C")

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def field_types(config_cls: type) -> dict[str, Any]:
    """Field name → resolved annotation of a config dataclass."""
    hints = typing.get_type_hints(config_cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(config_cls)}


def describe_type(annotation: Any) -> str:
    """``int``, ``float``, … or ``one of: a, b`` for a ``Literal``."""
    if get_origin(annotation) is Literal:
        return "one of: " + ", ".join(map(str, get_args(annotation)))
    if get_origin(annotation) is dict:
        return "set entries with KEY.NAME=VALUE"
    return getattr(annotation, "__name__", str(annotation))


def parse_value(key: str, text: str, annotation: Any) -> Any:
    """Convert ``text`` to the type of ``annotation``; raise :class:`ConfigError` naming ``key``."""
    if get_origin(annotation) is Literal:
        choices = get_args(annotation)
        for choice in choices:
            if str(choice) == text:
                return choice
        raise ConfigError(key, f"'{text}' is not one of: {', '.join(map(str, choices))}")
    if annotation is bool:
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigError(key, f"expected true or false, got '{text}'")
    if annotation is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(key, f"expected an integer, got '{text}'") from None
    if annotation is float:
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(key, f"expected a number, got '{text}'") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(key, f"expected a finite number, got '{text}'")
        return value
    if annotation is str:
        return text
    raise ConfigError(key, f"cannot be set from the command line (type {annotation})")


def parse_overrides(pairs: Iterable[str]) -> dict[str, str]:
    """``["lr=1e-3", "kd=feature"]`` → ``{"lr": "1e-3", "kd": "feature"}``."""
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(pair, "expected key=value")
        out[key] = value.strip()
    return out


def apply_overrides(config: C, overrides: dict[str, str]) -> C:
    """A copy of the dataclass ``config`` with ``overrides`` parsed and applied."""
    types = field_types(type(config))
    changes: dict[str, Any] = {}
    for key, text in overrides.items():
        head, dot, sub = key.partition(".")
        if dot and head in types and get_origin(types[head]) is dict:
            # `reference.mae=2.35` sets one entry of a dict[str, float] field.
            value_type = get_args(types[head])[1]
            current = changes.get(head, dict(getattr(config, head)))
            changes[head] = {**current, sub: parse_value(key, text, value_type)}
            continue
        if key not in types:
            raise ConfigError(key, f"unknown key; valid keys: {', '.join(sorted(types))}")
        changes[key] = parse_value(key, text, types[key])
    new = dataclasses.replace(config, **changes)  # type: ignore[type-var]
    validate = getattr(new, "validate", None)
    if callable(validate):
        validate()
    return new


def as_dict(config: Any, exclude: tuple[str, ...] = ("device",)) -> dict[str, Any]:
    """The config as a plain dict for the record, without ``exclude`` (by default the device:
    where a run ran belongs to its environment, not its hyperparameters)."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in exclude}
