"""The CI summary: per experiment, each variant's runs and mean ± std over finished runs."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from journal.records import Record, write_record
from journal.step_summary import summary, summary_frames


@pytest.fixture
def results(tmp_path: Path, make_record: Callable[..., Record]) -> Path:
    folder = tmp_path / "results"
    runs = [("student", 0, 0.2, "finished"), ("student", 1, 0.3, "finished"),
            ("student", 2, 0.9, "failed"), ("KD | <b>*x*</b>", 0, 0.1, "finished"),
            ("diverged", 0, math.nan, "finished")]
    for i, (variant, seed, acer, status) in enumerate(runs):
        write_record(make_record(id=f"20261123T06100{i}Z-fas_kd-0000000{i}", variant=variant,
                                 seed=seed, status=status, error="boom" if status == "failed" else None,
                                 metrics={"acer": acer}), folder, create=True)
    write_record(make_record(id="20261124T000000Z-ser-00000009", experiment="ser", variant="cnn",
                             metrics={"ua": 0.6}), folder, create=True)
    return folder


def test_summary_tables_per_experiment(results: Path) -> None:
    text = summary(results, columns=["acer"], experiment="fas_kd")
    assert text == (
        "### fas\\_kd\n\n"
        "| variant | runs | finished | acer |\n"
        "| :--- | ---: | ---: | :--- |\n"
        "| student | 3 | 2 | 0.2500 ± 0.0707 |\n"
        "| KD \\| &lt;b&gt;\\*x\\*&lt;/b&gt; | 1 | 1 | 0.1000 |\n"
        "| diverged | 1 | 1 | nan |\n"
    )


def test_summary_frames_cover_every_experiment(results: Path) -> None:
    tables, bad = summary_frames(results)
    assert list(tables) == ["fas_kd", "ser"] and bad == 0
    assert tables["ser"].to_dict(orient="records") == [
        {"variant": "cnn", "runs": 1, "finished": 1, "ua": "0.6000"}]


def test_summary_names_unreadable_records(results: Path) -> None:
    (results / "broken.json").write_text("{", encoding="utf-8")
    assert summary(results).endswith("1 record file(s) could not be read.\n")
    assert summary(results.parent / "empty") == "No runs.\n"


def test_a_rerun_seed_counts_once(tmp_path: Path, make_record: Callable[..., Record]) -> None:
    folder = tmp_path / "results"
    for i, acer in enumerate([0.5, 0.2, 0.3]):  # seed 0 twice (same config): the later run counts
        write_record(make_record(id=f"20261123T06100{i}Z-fas_kd-0000000{i}", variant="student",
                                 seed=0 if i < 2 else 1, metrics={"acer": acer},
                                 ended_at=f"2026-11-23T06:1{i}:00Z"), folder, create=True)
    tables, _ = summary_frames(folder)
    assert tables["fas_kd"].to_dict(orient="records") == [
        {"variant": "student", "runs": 3, "finished": 2, "acer": "0.2500 ± 0.0707"}]
