"""Posts: golden Markdown, escaping of hostile strings, chart data and files."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from journal.analysis import Series
from journal.records import Record
from journal.render import build_posts, write_posts
from journal.render.charts import line_chart
from journal.render.tables import escape, mean_std, number

Factory = Callable[..., Record]
GOLDEN = Path(__file__).parent / "fixtures" / "post_fas_kd.md"


def _day(make_record: Factory) -> list[Record]:
    recs = [make_record(seed=s) for s in (0, 1)]
    recs[1].metrics["acer"] = 0.35
    kd = [make_record(seed=s, variant="student + logit KD", id=f"kd-{s}",
                      config={"lr": 0.001, "epochs": 3, "kd": "logit"}) for s in (0, 1)]
    failed = make_record(seed=2, variant="student + logit KD", id="kd-2", status="failed",
                         error="Traceback\nRuntimeError: CUDA out of memory",
                         config={"lr": 0.001, "epochs": 3, "kd": "logit"}, note="OOM at *batch 64*")
    return [*recs, *kd, failed]


def test_post_matches_golden_file(make_record: Factory) -> None:
    """Regenerate with JOURNAL_UPDATE_GOLDEN=1 and review the diff by eye."""
    (post,) = build_posts(_day(make_record))
    if os.environ.get("JOURNAL_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(post.markdown, encoding="utf-8")
    assert post.markdown == GOLDEN.read_text(encoding="utf-8")


def test_post_content(make_record: Factory) -> None:
    (post,) = build_posts(_day(make_record))
    md = post.markdown
    assert md.startswith("---\ndate:\n  created: 2026-11-23T06:10:00Z\n")
    assert "slug: fas-kd-2026-11-23" in md and "<!-- more -->" in md
    assert "| **kd** | none | logit |" in md  # what differs stands out
    assert "| **mean ± std (n=2)** |  | **0.7500\u00a0±\u00a00.0000** |" in md
    assert "0.3000\u00a0±\u00a00.0707" in md  # acer of 0.25 and 0.35, sample std
    assert ('<th scope="row">attack</th><td class="h8"><strong>3'
            '</strong><br><small>75.0\u00a0%</small></td>') in md  # counts and the row share, shaded
    assert '??? failure "seed 2 failed"' in md and "CUDA out of memory" in md
    assert set(post.assets) == {
        "2026-11-23-fas-kd/student-loss.svg", "2026-11-23-fas-kd/student-acer.svg",
        "2026-11-23-fas-kd/student-logit-kd-loss.svg", "2026-11-23-fas-kd/student-logit-kd-acer.svg",
    }
    assert post.run_ids == [
        "20261123T061000Z-fas_kd-000000", "kd-0", "20261123T061001Z-fas_kd-000001", "kd-1", "kd-2"
    ]


def test_hostile_strings_render_as_text(make_record: Factory) -> None:
    rec = make_record(variant="a|b <script>alert(1)</script> {{ x }}",
                      config={"name": "x | y", "path": "../../etc"},
                      note="<script>alert(2)</script> **fine**")
    (post,) = build_posts([rec])
    md = post.markdown
    assert "<script>" not in md
    assert "a&#124;b &#60;script&#62;" in md and "&#123;&#123; x &#125;&#125;" in md
    assert all(".." not in name for name in post.assets)


def test_write_posts_writes_files_and_skips_unchanged(tmp_path: Path, make_record: Factory) -> None:
    posts = build_posts(_day(make_record))
    paths = write_posts(posts, tmp_path)
    assert (tmp_path / "2026-11-23-fas-kd.md").read_text(encoding="utf-8") == posts[0].markdown
    assert len(paths) == 5
    mtimes = {p: p.stat().st_mtime_ns for p in paths}
    write_posts(posts, tmp_path)
    assert {p: p.stat().st_mtime_ns for p in paths} == mtimes


def test_chart_svg_holds_the_data_as_text() -> None:
    svg = line_chart([Series("seed 0", [1, 2, 3], [0.5, 0.3, 0.2])], title="负向 loss",
                     ylabel="loss", marks=[("seed 0", 3, 0.2)])
    text = svg.decode()
    assert text.startswith("<?xml") and "负向 loss" in text and "seed 0" in text
    assert line_chart([Series("seed 0", [1, 2, 3], [0.5, 0.3, 0.2])], title="负向 loss",
                      ylabel="loss", marks=[("seed 0", 3, 0.2)]) == svg  # deterministic


def test_number_formats() -> None:
    assert [number(v) for v in (None, float("nan"), float("inf"), -float("inf"), 3, 0.123456)] == [
        "—", "nan", "inf", "-inf", "3", "0.1235"]
    assert mean_std(0.5, float("nan")) == "0.5000"
    assert escape("a|b*c_d") == "a&#124;b&#42;c&#95;d"


def test_non_finite_values_render_as_nan_and_inf(make_record: Factory) -> None:
    rec = make_record(metrics={"acer": float("nan"), "loss": float("inf")})
    (post,) = build_posts([rec])
    assert "| seed 0 | finished | nan | inf |" in post.markdown


def test_a_metric_a_selection_never_tested_shows_a_dash(make_record: Factory) -> None:
    rec = make_record()
    rec.selections["acer_best"].test = {"acer": 0.25}  # no "acc" for this rule
    (post,) = build_posts([rec])
    assert "| acer&#95;best | val&#95;acer | 3 | 1 | 0.2500 | — |" in post.markdown


def _variant(make_record: Factory, name: str, acers: list[float], offset: int) -> list[Record]:
    return [make_record(seed=offset + i, id=f"{name}-{i}", variant=name,
                        metrics={"acer": a, "acc": 1 - a}) for i, a in enumerate(acers)]


def test_results_table_agrees_with_seed_summary_on_a_run_without_the_metric(make_record: Factory) -> None:
    """AUC 0.9 and 0.8 and a third run that never measured it: its cell is —, the mean is over
    the two that did (0.85 ± 0.0707, by hand), and the row says so with its own n."""
    from journal.render.sections import results_table

    runs = [make_record(seed=0, metrics={"auc": 0.9, "acc": 0.7}),
            make_record(seed=1, metrics={"auc": 0.8, "acc": 0.8}),
            make_record(seed=2, metrics={"acc": 0.9})]
    md = results_table(runs, ["auc", "acc"])
    assert "| seed 2 | finished | — | 0.9000 |" in md
    assert ("| **mean ± std (n=3)** |  | **0.8500\u00a0±\u00a00.0707 (n=2)** "
            "| **0.8000\u00a0±\u00a00.1000** |") in md
    assert "nan" not in md
    # a metric only an unfinished run measured: — in the mean row, not "nan (n=0)"
    from journal.render.sections import variants_table

    mixed = [make_record(seed=0, metrics={"acer": 0.2}),
             make_record(seed=1, status="failed", error="boom", metrics={"acc": 0.5})]
    for table in (results_table(mixed, ["acer", "acc"]), variants_table({"v": mixed}, ["acer", "acc"])):
        assert "nan" not in table and "(n=0)" not in table, table


def test_differences_are_marked_within_or_beyond_seed_noise(make_record: Factory) -> None:
    base = _variant(make_record, "base", [0.20, 0.22, 0.19, 0.21], 0)
    noisy = _variant(make_record, "noisy", [0.18, 0.24, 0.17, 0.22], 4)  # overlaps base
    clear = _variant(make_record, "clear", [0.05, 0.06, 0.05, 0.04], 8)  # far below noisy
    (post,) = build_posts([*base, *noisy, *clear])
    md = post.markdown
    # identical configs: each is compared with the earliest other variant (the nearest, tie → first run)
    assert ("| noisy | 4 | 20.25 [15.37,\u00a025.84] | base (nearest) | −0.25 [−5.23,\u00a0+4.73] "
            "| within seed noise |") in md
    assert "| base (nearest) | −15.50 [−17.46,\u00a0−13.54] | **beyond seed noise** |" in md
    assert "★ clear is best: −15.25 points [−20.35,\u00a0−10.15] against noisy, beyond seed noise." in md
    assert "| **mean ± std (n=4)** |" in md and "| 95% CI |  |" in md


def test_journal_blocks_render_tables_and_name_the_page_on_error(make_record: Factory) -> None:
    import pytest

    from journal.errors import JournalError
    from journal.render.blocks import render_blocks

    records = _day(make_record)
    page = "Intro\n\n```journal\nexperiment: fas_kd\nvariant: student\nshow: results\n```\n\nAfter."
    out = render_blocks(page, records, "blog/posts/mine.md")
    assert out.startswith("Intro\n\n| run | status |") and "| **mean ± std (n=2)** |" in out
    assert out.rstrip().endswith("After.") and "```journal" not in out
    summary = render_blocks("```journal\nexperiment: fas_kd\n```", records, "p.md")
    assert "| student + logit KD | 2 |" in summary
    unknown = r"^blog/posts/mine.md: journal block: no runs of experiment 'ser'"
    with pytest.raises(JournalError, match=unknown):
        render_blocks("```journal\nexperiment: ser\n```", records, "blog/posts/mine.md")
    with pytest.raises(JournalError, match="unknown view 'chart'"):
        render_blocks("```journal\nexperiment: fas_kd\nshow: chart\n```", records, "p.md")
    # given a list for problems, a bad block costs only itself: a failure box, escaped
    problems: list[str] = []
    page = ("```journal\nexperiment: <script>alert(1)</script>\n```\n\n"
            "```journal\nexperiment: fas_kd\n```\n")
    out = render_blocks(page, records, "p.md", problems=problems)
    assert problems == ["p.md: journal block: no runs of experiment '<script>alert(1)</script>'; "
                        "experiments: fas_kd"]
    assert out.startswith('<div class="admonition failure">\n<p class="admonition-title">journal '
                          "block</p>\n<p>p.md&#58; journal block&#58; no runs of experiment "
                          "'&#60;script&#62;alert(1)&#60;/script&#62;'")
    assert "<script>" not in out and "| student + logit KD | 2 |" in out
    # differences: against the declared baseline, as the posts compare
    from journal.declarations import Declaration

    block = "```journal\nexperiment: fas_kd\nshow: differences\n```"
    assert "| student + logit KD | student (baseline) |" in render_blocks(block, records, "p.md")
    declared = render_blocks(block, records, "p.md", {"fas_kd": Declaration(baseline="student + logit KD")})
    assert "| student | student + logit KD (baseline) |" in declared  # the file's declaration wins
    assert "| student + logit KD | " not in declared  # the baseline is compared with nothing


def test_a_differences_block_prints_percent_logs_as_logged_and_a_table_per_task(
        make_record: Factory) -> None:
    from journal.render.blocks import render_blocks

    runs = [make_record(id=f"{v}-{task}-{s}", experiment="cls", variant=v, seed=s, selections={},
                        config={"task": task, "wide": v == "b"},
                        metrics={"acc": acc + s} if task == "rhythm" else {"mae": mae + s / 10})
            for v, acc, mae in (("a", 80.0, 3.0), ("b", 85.0, 2.5)) for task in ("rhythm", "hr")
            for s in (0, 1, 2)]
    md = render_blocks("```journal\nexperiment: cls\nshow: differences\n```", runs, "p.md")
    assert "**rhythm · tiny**" in md and "**hr · tiny**" in md  # a table per task, each its metric
    assert "| b | a (nearest) | <code>wide</code> <code>false</code> → <code>true</code> | +5.00 |" in md
    assert "−500" not in md and "+500" not in md  # acc logged in percent: not times 100
    assert "| b | a (nearest) | <code>wide</code> <code>false</code> → <code>true</code> | −0.5000 |" in md


def test_journal_blocks_quoted_in_a_longer_fence_stay_text(make_record: Factory) -> None:
    from journal.render.blocks import render_blocks

    quoted = "Example:\n\n````markdown\n```journal\nexperiment: nope\n```\n````\n"
    assert render_blocks(quoted, _day(make_record), "p.md") == quoted
