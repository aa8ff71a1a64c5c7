"""Typed experiment configs: a dataclass per experiment, overridden by ``key=value`` strings.

Each experiment declares its hyperparameters as a frozen dataclass with a comment on every
default. ``apply_overrides`` type-checks ``--set key=value`` against the field's annotation
(``int``, ``float``, ``bool``, ``str`` or a ``Literal`` of choices) and names the key on error,
then checks what every experiment shares (``device``, ``weight_decay``, learning rates, integer
sizes) and the experiment's own ``validate()``: a config no run could use is refused before a
record is written. Seeds (:func:`parse_seeds`) are bounded too.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from collections.abc import Iterable
from typing import Any, Literal, TypeVar, get_args, get_origin

from .errors import ConfigError, JournalError

C = TypeVar("C")

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
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
        raise ConfigError(key, f"'{_short(text)}' is not one of: {', '.join(map(str, choices))}")
    if annotation is bool:
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ConfigError(key, f"expected true or false, got '{_short(text)}'")
    if annotation is int:
        try:
            return int(text)
        except ValueError:
            raise ConfigError(key, f"expected an integer, got '{_short(text)}'") from None
    if annotation is float:
        try:
            value = float(text)
        except ValueError:
            raise ConfigError(key, f"expected a number, got '{_short(text)}'") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigError(key, f"expected a finite number, got '{_short(text)}'")
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
            raise ConfigError(_short(pair), "expected key=value")
        if _CONTROL.search(pair):
            raise ConfigError(_short(key), "keys and values may not hold control characters or line breaks")
        out[key] = value.strip()
    return out


def apply_overrides(config: C, overrides: dict[str, str]) -> C:
    """A copy of the dataclass ``config`` with ``overrides`` parsed and applied."""
    types = field_types(type(config))
    changes: dict[str, Any] = {}
    for key, text in overrides.items():
        if _CONTROL.search(key) or _CONTROL.search(text):
            raise ConfigError(_short(key), "keys and values may not hold control characters or line breaks")
        head, dot, sub = key.partition(".")
        if dot and head in types and get_origin(types[head]) is dict:
            # `reference.mae=2.35` sets one entry of a dict[str, float] field.
            value_type = get_args(types[head])[1]
            current = changes.get(head, dict(getattr(config, head)))
            changes[head] = {**current, sub: parse_value(key, text, value_type)}
            continue
        if key not in types:
            raise ConfigError(_short(key), f"unknown key; valid keys: {', '.join(sorted(types))}")
        changes[key] = parse_value(key, text, types[key])
    new = dataclasses.replace(config, **changes)  # type: ignore[type-var]
    check_common(new)
    validate = getattr(new, "validate", None)
    if callable(validate):
        validate()
    return new


INT_LIMIT = 2**31 - 1
"""The largest integer a config value may hold (torch and NumPy take C integers)."""
SEED_LIMIT = 2**32 - 1
"""Seeds lie in 0 … 2**32 − 1 (what NumPy's generator takes)."""
MAX_SEEDS = 10_000
"""The most seeds one command may ask for."""
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:[0-9]{1,3})?")


def check_common(config: Any) -> None:
    """Checks every experiment's config shares: integers within :data:`INT_LIMIT`, no
    negative weight decay, positive learning rates, and a device torch knows and has here."""
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT_LIMIT:
            raise ConfigError(f.name, f"must be at most {INT_LIMIT} in size, got {value}")
        if f.name == "weight_decay" and value < 0:
            raise ConfigError(f.name, f"must not be negative, got {value}")
        if (f.name == "lr" or f.name.endswith("_lr") or f.name.startswith("lr")) and isinstance(
                value, float) and value < 0:
            raise ConfigError(f.name, f"must not be negative, got {value}")
        if f.name == "device":
            check_device(str(value))


def check_device(name: str) -> None:
    """``auto``, ``cpu``, ``cuda``, ``cuda:N`` or ``mps``, and present on this machine."""
    if not _DEVICE.fullmatch(name):
        raise ConfigError("device", f"'{name}' is not a device; use auto, cpu, cuda, cuda:N or mps")
    if name.startswith("cuda"):
        import torch

        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        index = int(name.partition(":")[2] or 0)
        if index >= count:
            raise ConfigError("device", f"'{name}' is not available here ({count} CUDA devices); "
                              "use auto or cpu")
    elif name == "mps":
        import torch

        if not torch.backends.mps.is_available():
            raise ConfigError("device", "'mps' is not available here; use auto or cpu")


def parse_seeds(text: str, what: str = "--seeds") -> list[int]:
    """``"0,1,2,3"``, ``"0-3"`` or a mix (``"0-2,7"``) → the distinct seeds in order, each in
    0 … :data:`SEED_LIMIT`, at most :data:`MAX_SEEDS` of them; the size is checked before any
    range is expanded, so ``0-1000000000`` is refused at once.

    Raises:
        JournalError: naming ``what``, with the form expected or the limit exceeded.
    """
    spans: list[tuple[int, int]] = []
    total = 0
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo_text, dash, hi_text = part.partition("-")
        lo = _seed(lo_text, text, what)
        hi = _seed(hi_text, text, what) if dash else lo
        if hi < lo:
            raise JournalError(f"{what}: range '{_short(part)}' runs backwards")
        total += hi - lo + 1
        if total > MAX_SEEDS:
            raise JournalError(f"{what}: at most {MAX_SEEDS:,} seeds per command, "
                               f"got more in '{_short(text)}'")
        spans.append((lo, hi))
    seeds = list(dict.fromkeys(s for lo, hi in spans for s in range(lo, hi + 1)))
    if not seeds:
        raise JournalError(f"{what}: no seed in '{_short(text)}'")
    return seeds


def _seed(digits: str, text: str, what: str) -> int:
    digits = digits.strip()
    if not digits.isascii() or not digits.isdigit():
        raise JournalError(f"{what}: expected e.g. 0,1,2 or 0-3, got '{_short(text)}'")
    if len(digits) > 10 or int(digits) > SEED_LIMIT:
        raise JournalError(f"{what}: seeds lie in 0 … {SEED_LIMIT}, got {_short(digits)}")
    return int(digits)


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def as_dict(config: Any, exclude: tuple[str, ...] = ("device",)) -> dict[str, Any]:
    """The config as a plain dict for the record, without ``exclude`` (by default the device:
    where a run ran belongs to its environment, not its hyperparameters)."""
    return {k: v for k, v in dataclasses.asdict(config).items() if k not in exclude}
