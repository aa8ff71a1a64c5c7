"""Generated variant names list exactly the settings that reached the run."""

from __future__ import annotations

from journal.naming import applied_overrides, generated_variant, variant_suffix

STUDENT_NO_KD = {"lr": 0.0003, "kd": "none", "baseline": True, "model": "student", "temperature": 4.0}


def test_an_override_that_did_not_reach_the_model_is_not_in_its_name() -> None:
    overrides = {"kd": "logit", "lr": "3e-4"}
    assert generated_variant("student", overrides, STUDENT_NO_KD, experiment="fas_kd") == "student · lr=3e-4"
    kd = {**STUDENT_NO_KD, "kd": "logit"}
    assert generated_variant("student + logit KD", overrides, kd, experiment="fas_kd") == (
        "student + logit KD · kd=logit · lr=3e-4")


def test_a_setting_the_run_lacks_never_appears() -> None:
    teacher = {"lr": 0.001, "model": "teacher", "kd": "none"}  # no temperature: the teacher lacks it
    assert variant_suffix({"temperature": "2"}, teacher) == ""
    assert variant_suffix({"temperature": "2", "lr": "0.001"}, teacher) == " · lr=0.001"


def test_settings_that_change_no_result_are_never_tags() -> None:
    kd = {**STUDENT_NO_KD, "kd": "logit", "baseline": False, "device": "cuda"}
    assert variant_suffix({"baseline": "false", "device": "cuda"}, kd, experiment="fas_kd") == ""
    assert variant_suffix({"sigma": "9", "model": "s4"}, {"sigma": 9, "model": "s4"},
                          ignore=("model",)) == " · sigma=9"


def test_values_are_compared_by_type() -> None:
    cfg = {"flag": False, "n": 3, "x": 0.5, "name": "a", "opt": None, "reference": {"mae": 2.35}}
    assert applied_overrides({"flag": "off", "n": "3", "x": "5e-1", "name": "a", "opt": "none"}, cfg) == {
        "flag": "off", "n": "3", "x": "5e-1", "name": "a", "opt": "none"}
    assert applied_overrides({"flag": "true", "n": "4", "x": "oops", "name": "b"}, cfg) == {}
    assert applied_overrides({"reference.mae": "2.35"}, cfg) == {"reference.mae": "2.35"}
    assert applied_overrides({"reference.mae": "2.35"}, cfg, ignore=("reference",)) == {}


def test_tags_are_sorted_by_key() -> None:
    assert variant_suffix({"b": "1", "a": "2"}, {"a": 2, "b": 1}) == " · a=2 · b=1"
