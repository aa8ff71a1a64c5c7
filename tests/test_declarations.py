"""Declarations: roles, per-task key metrics and the bundled experiments' defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal.declarations import (
    BUNDLED,
    Declaration,
    DeclarationError,
    TaskDeclaration,
    base_name,
    declaration_for,
    load_declarations,
)


def test_roles_default_to_candidate_and_match_the_base_name() -> None:
    decl = Declaration(roles={"teacher": "upper bound", "paper · v2": "reference"})
    assert decl.role_of("teacher") == "upper bound"
    assert decl.role_of("teacher · lr=3e-4") == "upper bound"
    assert decl.role_of("paper · v2") == "reference" and decl.role_of("paper") == "candidate"
    assert decl.role_of("student") == "candidate"
    assert base_name("student + logit KD · kd=logit · lr=3e-4") == "student + logit KD"


def test_baseline_matches_its_name_or_base_name() -> None:
    decl = Declaration(baseline="student")
    assert decl.is_baseline("student") and decl.is_baseline("student · lr=3e-4")
    assert not decl.is_baseline("student + logit KD") and not Declaration().is_baseline("student")


def test_key_metric_per_task() -> None:
    decl = Declaration(key_metric="acc", tasks={"ppg_hr": TaskDeclaration(key_metric="mae", goal="min")})
    assert decl.key_metric_for("ppg_hr", ["r2", "mae"]) == "mae"
    assert decl.goal_for_task("ppg_hr", "mae") == "min"
    assert decl.key_metric_for("ecg_rhythm", ["auroc", "acc"]) == "acc"
    assert decl.key_metric_for("other", ["rmse", "r2"]) == "r2"  # acc not measured: preference order
    assert decl.key_metric_for(None, ["val_top1", "val_ssl_loss"]) == "val_top1"
    assert decl.key_metric_for(None, []) is None
    assert decl.goal_for_task("other", "rmse") == "min" and decl.goal_for_task(None, "r2") == "max"


def test_bundled_defaults() -> None:
    fas = declaration_for("fas_kd")
    assert fas.role_of("teacher") == "upper bound" and fas.baseline == "student"
    assert (fas.key_metric, fas.goal_for("acer")) == ("acer", "min")
    ft = declaration_for("finetune")
    assert ft.key_metric_for("ecg_rhythm", ["acc", "macro_f1", "auroc"]) == "acc"
    assert ft.goal_for_task("ecg_rhythm", "acc") == "max"
    assert ft.key_metric_for("ppg_hr", ["mae", "r2", "rmse", "pearson_r"]) == "mae"
    assert ft.goal_for_task("ppg_hr", "mae") == "min"
    assert declaration_for("my_own") == Declaration()
    assert set(BUNDLED) == {"fas_kd", "finetune", "reid_noisy", "ser", "vad"}


def test_the_file_is_laid_over_the_bundled_defaults() -> None:
    mine = {"fas_kd": Declaration(roles={"student": "reference"}, baseline="student + logit KD")}
    decl = declaration_for("fas_kd", mine)
    assert decl.roles == {"teacher": "upper bound", "student": "reference"}
    assert decl.baseline == "student + logit KD" and decl.key_metric == "acer"
    other_key = declaration_for("fas_kd", {"fas_kd": Declaration(key_metric="acc")})
    assert other_key.goal_for("acc") == "max"  # the bundled goal belonged to the bundled acer
    ft = declaration_for("finetune", {"finetune": Declaration(key_metric="auroc")})
    assert ft.tasks == {} and ft.key_metric_for("ecg_rhythm", ["acc", "auroc"]) == "auroc"


def test_roles_and_tasks_are_read_from_the_file(tmp_path: Path) -> None:
    (tmp_path / "experiments.yml").write_text(
        "finetune:\n  roles: {pretrain: reference, oracle: upper bound}\n"
        "  tasks:\n    ppg_hr: {key_metric: rmse, goal: min}\n", encoding="utf-8")
    decl = load_declarations(tmp_path)["finetune"]
    assert decl.role_of("oracle") == "upper bound"
    assert decl.tasks["ppg_hr"] == TaskDeclaration(key_metric="rmse", goal="min")


@pytest.mark.parametrize("body,field", [
    ("fas_kd:\n  roles: {teacher: oracle}\n", "fas_kd.roles.teacher"),
    ("fas_kd:\n  tasks: {t: {goal: best}}\n", "fas_kd.tasks.t.goal"),
    ("fas_kd:\n  tasks: {t: {metric: acc}}\n", "fas_kd.tasks.t.metric"),
])
def test_a_bad_role_or_task_names_the_field(tmp_path: Path, body: str, field: str) -> None:
    (tmp_path / "experiments.yml").write_text(body, encoding="utf-8")
    with pytest.raises(DeclarationError) as err:
        load_declarations(tmp_path)
    assert err.value.field == field


def test_one_bad_entry_costs_its_own_experiment_not_the_file(tmp_path: Path) -> None:
    """A typo under one experiment: that experiment's declarations are reported (file and
    field) and left out; every other experiment keeps its own."""
    from journal.folder import load_journal

    (tmp_path / "experiments.yml").write_text(
        "ser:\n  baseline: cnn\n  references: {Paper: {ua: 0.6}}\n"
        "fas_kd:\n  baselin: student\n", encoding="utf-8")
    journal = load_journal(tmp_path)
    assert journal.declarations["ser"].baseline == "cnn"
    assert journal.declarations["ser"].references == {"Paper": {"ua": 0.6}}
    assert "fas_kd" not in journal.declarations
    [error] = [e for e in journal.errors if isinstance(e, DeclarationError)]
    assert error.field == "fas_kd.baselin" and error.path == tmp_path / "experiments.yml"
