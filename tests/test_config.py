"""Typed --set overrides: values parsed by the field's type, errors name the key."""

from __future__ import annotations

import pytest

from journal.config import apply_overrides, parse_overrides
from journal.errors import ConfigError
from journal.experiments.fas_kd.config import FasKdConfig


def test_overrides_are_parsed_by_type() -> None:
    cfg = apply_overrides(FasKdConfig(), parse_overrides(
        ["lr=3e-4", "epochs=5", "baseline=no", "kd=feature", "threshold=fixed"]))
    assert (cfg.lr, cfg.epochs, cfg.baseline, cfg.kd, cfg.threshold) == (3e-4, 5, False, "feature", "fixed")
    assert FasKdConfig().lr == 1e-3  # the default is untouched


@pytest.mark.parametrize(
    ("pair", "key", "message"),
    [
        ("lr=fast", "lr", "expected a number"),
        ("epochs=2.5", "epochs", "expected an integer"),
        ("baseline=maybe", "baseline", "true or false"),
        ("kd=attention", "kd", "logit, feature, none"),
        ("lr=nan", "lr", "finite"),
        ("momentum=0.9", "momentum", "valid keys: baseline"),
        ("epochs=0", "epochs", "at least 1"),
        ("kd_weight=2", "kd_weight", "[0, 1]"),
    ],
)
def test_bad_overrides_name_the_key(pair: str, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        apply_overrides(FasKdConfig(), parse_overrides([pair]))
    assert info.value.key == key
    assert message in str(info.value)


def test_malformed_pair() -> None:
    with pytest.raises(ConfigError, match="key=value"):
        parse_overrides(["lr"])
