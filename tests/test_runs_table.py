"""The run table as a library: filters, column specs, sorting and the four output formats."""

from __future__ import annotations

import html
import io
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from journal.errors import JournalError
from journal.records import Record, Selection, write_record
from journal.runs_table import format_table, from_json, gfm_cell, runs

GOLDEN = Path(__file__).parent / "fixtures" / "runs_table.md"
COLUMNS = ["variant", "seed", "status", "acer", "val_acer@best", "acer@last", "config.lr"]


@pytest.fixture
def results(tmp_path: Path, make_record: Callable[..., Record]) -> Path:
    """Four runs: two variants, one failed, one with a hostile variant name."""
    folder = tmp_path / "results"
    t = datetime(2026, 11, 23, 6, 10, tzinfo=UTC)
    specs = [
        dict(seed=0, variant="student", acer=0.25, best=0.2, lr=0.001),
        dict(seed=1, variant="student", acer=0.3, best=0.15, lr=0.001),
        dict(seed=0, variant="KD | <b>*x*</b> [a](b) $y$", acer=0.1, best=0.05, lr=0.0003),
        dict(seed=2, variant="student", acer=None, best=None, lr=0.01, status="failed"),
    ]
    for i, s in enumerate(specs):
        start = t.replace(day=23 + i)
        selections = {
            "last": Selection(metric="val_acer", mode="last", epoch=3, value=0.4,
                              test={"acer": 0.35}),
        }
        if s["best"] is not None:
            selections["acer_best"] = Selection(metric="val_acer", mode="min", epoch=2,
                                                value=s["best"], test={"acer": s["acer"]})
        rec = make_record(
            id=f"2026112{3 + i}T061000Z-fas_kd-0000000{i}", seed=s["seed"], variant=s["variant"],
            started_at=start, updated_at=start, ended_at=start,
            status=s.get("status", "finished"), error="boom" if s.get("status") else None,
            config={"lr": s["lr"], "epochs": 3, "optim": {"name": "adam"}},
            metrics={} if s["acer"] is None else {"acer": s["acer"], "acc": 1 - s["acer"]},
            selections=selections,
        )
        write_record(rec, folder, create=True)
    write_record(make_record(id="20261201T000000Z-ser-00000009", experiment="ser", variant="cnn",
                             started_at=datetime(2026, 12, 1, tzinfo=UTC), metrics={"ua": 0.6}),
                 folder, create=True)
    return folder


def test_columns_resolve_metrics_selections_and_config(results: Path) -> None:
    df = runs(results, experiment="fas_kd", columns=COLUMNS)
    assert list(df.columns) == COLUMNS
    assert df["seed"].tolist() == [0, 1, 0, 2]
    assert df["acer"].tolist()[:3] == [0.25, 0.3, 0.1] and pd.isna(df["acer"][3])
    assert df["val_acer@best"].tolist()[:3] == [0.2, 0.15, 0.05]  # the selection on val_acer
    assert df["acer@last"].tolist() == [0.35] * 4  # a named selection's test metric
    assert df["config.lr"].tolist() == [0.001, 0.001, 0.0003, 0.01]
    nested = runs(results, experiment="fas_kd", columns=["config.optim.name", "train_loss@acer_best"])
    assert nested["config.optim.name"].tolist() == ["adam"] * 4
    # train_loss is no test metric of acer_best: read from the history row of its epoch (2)
    assert nested["train_loss@acer_best"].tolist()[:3] == [0.5] * 3


def test_default_columns_are_the_fields_and_every_metric(results: Path) -> None:
    df = runs(results)
    assert list(df.columns) == ["id", "experiment", "variant", "seed", "status", "started_at",
                                "acer", "acc", "ua"]
    assert len(df) == 5 and df["started_at"].is_monotonic_increasing


def test_filters_combine(results: Path) -> None:
    assert runs(results, variant="student")["seed"].tolist() == [0, 1, 2]
    assert runs(results, status="failed")["seed"].tolist() == [2]
    assert runs(results, experiment="fas_kd", where={"lr": "0.001"})["seed"].tolist() == [0, 1]
    assert runs(results, where={"config.optim.name": "adam", "lr": 0.01})["seed"].tolist() == [2]
    assert runs(results, since="2026-11-24", until="2026-11-25")["seed"].tolist() == [1, 0]
    assert runs(results, since=datetime(2026, 11, 26, tzinfo=UTC))["experiment"].tolist() == [
        "fas_kd", "ser"]
    # an 'until' time is inclusive: the run that started at that very second is in
    assert runs(results, until=datetime(2026, 11, 24, 6, 10, tzinfo=UTC))["seed"].tolist() == [0, 1]
    with pytest.raises(JournalError, match="since: expected a date"):
        runs(results, since="last week")


def test_tags_filter_reads_record_tags(results: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import journal.runs_table as rt

    monkeypatch.setattr(rt, "tags_of", lambda r: ["baseline"] if r.seed == 1 else [])
    assert runs(results, tags=["baseline"])["seed"].tolist() == [1]
    assert runs(results, tags=["baseline", "other"]).empty


def test_sort_descending_with_missing_last(results: Path) -> None:
    df = runs(results, experiment="fas_kd", columns=["seed", "acer"], sort="-acer")
    assert df["acer"].tolist()[:3] == [0.3, 0.25, 0.1] and pd.isna(df["acer"][3])
    with pytest.raises(JournalError, match="sort: no column 'nope'"):
        runs(results, sort="nope")


def test_markdown_matches_golden_file(results: Path) -> None:
    """Regenerate with JOURNAL_UPDATE_GOLDEN=1 and review the diff by eye."""
    text = format_table(runs(results, experiment="fas_kd", columns=COLUMNS), "md")
    if os.environ.get("JOURNAL_UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_markdown_parses_as_a_gfm_table_with_literal_cells(results: Path) -> None:
    """A GFM table parser (markdown-it's, which follows the GFM spec for tables) reads every
    cell back as the literal text: the hostile variant neither splits its cell nor becomes
    markup."""
    from markdown_it import MarkdownIt

    df = runs(results, experiment="fas_kd", columns=COLUMNS)
    parsed = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(
        format_table(df, "md"))
    rows: list[list[str]] = []
    for i, tok in enumerate(parsed):
        if tok.type == "tr_open":
            rows.append([])
        if tok.type == "inline" and parsed[i - 1].type in ("th_open", "td_open"):
            assert [c.type for c in tok.children or []] == ["text"]  # no emphasis, link, html
            rows[-1].append(tok.content)
    rendered = MarkdownIt("commonmark").enable(["table"]).render(format_table(df, "md"))
    assert len(rows) == 5 and all(len(r) == len(COLUMNS) for r in rows)
    assert html.unescape(rendered).count("KD | <b>*x*</b> [a](b) $y$") == 1
    assert rows[0] == [gfm_cell(c) for c in COLUMNS]
    assert rows[1] == ["student", "0", "finished", "0.2500", "0.2000", "0.3500", "0.001"]
    assert rows[4][3:5] == ["—", "—"]


def test_gfm_cell_escapes_syntax_and_drops_control_characters() -> None:
    assert gfm_cell("a|b") == "a\\|b"
    assert gfm_cell("<script>&") == "&lt;script&gt;&amp;"
    assert gfm_cell("*_`~[]$\\") == "\\*\\_\\`\\~\\[\\]\\$\\\\"
    assert gfm_cell("two\nlines\x1b[31m") == "two lines"


def test_json_round_trips_into_the_same_frame(results: Path) -> None:
    df = runs(results, columns=["id", "experiment", "variant", "seed", "status", "started_at",
                                "ended_at", "acer", "ua", "config.lr"])
    text = format_table(df, "json")
    assert_frame_equal(from_json(text), df)
    # a notebook reading the file as it is: the same frame, dtypes aside
    plain = pd.read_json(io.StringIO(text), precise_float=True)
    assert_frame_equal(plain, df, check_dtype=False)


def test_csv_and_text_formats(results: Path) -> None:
    df = runs(results, experiment="fas_kd", columns=["variant", "seed", "acer"], status="finished")
    csv = format_table(df, "csv")
    assert csv.splitlines()[0] == "variant,seed,acer"
    assert pd.read_csv(io.StringIO(csv))["acer"].tolist() == [0.25, 0.3, 0.1]
    text = format_table(df.iloc[:2], "table")
    assert text.splitlines() == ["variant  seed    acer", "student     0  0.2500",
                                 "student     1  0.3000"]
    with pytest.raises(JournalError, match="format 'xml'"):
        format_table(df, "xml")
