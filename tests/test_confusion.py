"""Confusion matrices: counts and row shares by hand arithmetic, the sum over seeds, shading,
escaping, the checkpoint and epoch named, and HTML that Markdown keeps as one block."""

from __future__ import annotations

from collections.abc import Callable

import markdown

from journal.records import Confusion, Record
from journal.render import confusion

Factory = Callable[..., Record]


def test_a_matrix_with_counts_shares_and_shading() -> None:
    html = confusion.matrix_html(["neg", "<b>pos</b>", "a very long class name"],
                                 [[3, 1, 0], [1, 2, 1], [0, 0, 0]], "test")
    assert "<td><strong>3</strong><br><small>75.0\u00a0%</small></td>" not in html  # shaded
    # 3/4 → 7.5 tenths → h8; 1/4 → 2.5 → h3 (halves up); 2/4 → h5
    assert '<td class="h8"><strong>3</strong><br><small>75.0\u00a0%</small></td>' in html
    assert '<td class="h3">1<br><small>25.0\u00a0%</small></td>' in html
    assert "<td>0<br><small>0.0\u00a0%</small></td>" in html  # 0 of 4: no shade
    assert '<td class="h5"><strong>2</strong><br><small>50.0\u00a0%</small>' in html
    assert "style=" not in html.split("<table", 1)[1]  # no inline colour in any cell
    assert "<small>—</small>" in html and "<td>4</td>" in html  # empty row; row total n
    assert "<b>" not in html and "&#60;b&#62;pos&#60;/b&#62;" in html  # text to HTML and Markdown alike
    assert 'title="a very long class name">a very long…</th>' in html
    assert html.startswith('<div class="journal-scroll"')


def test_a_shade_is_the_share_in_tenths_and_the_stylesheet_colours_each() -> None:
    import math
    from importlib.resources import files

    cases = {0.0: 0, math.nan: 0, 0.001: 1, 0.149: 1, 0.15: 2, 0.5: 5, 0.949: 9, 0.95: 10, 1.0: 10}
    assert {s: confusion.shade(s) for s in cases} == cases
    css = files("journal").joinpath("assets/journal.css").read_text(encoding="utf-8")
    for step in range(1, confusion.SHADES + 1):  # every class a cell can carry is coloured
        rule = f"td.h{step} {{ background-color: rgba(68, 138, 255, {0.06 * step:.2f}); }}"
        assert f"table.journal-confusion {rule}" in css


def test_section_sums_over_seeds_and_names_the_epoch(make_record: Factory) -> None:
    runs = [make_record(seed=0, confusion=Confusion(labels=["attack", "bona fide"], matrix=[[3, 1], [1, 3]],
                                                    checkpoint="acer_best")),
            make_record(seed=1, confusion=Confusion(labels=["attack", "bona fide"], matrix=[[2, 2], [0, 4]],
                                                    checkpoint="acer_best"))]
    out = confusion.section(runs, "student")
    # sum: [[5, 3], [1, 7]]: 5/8 = 62.5 %, 3/8 = 37.5 %, 1/8 = 12.5 %, 7/8 = 87.5 %
    for cell in ("<strong>5</strong><br><small>62.5\u00a0%", "3<br><small>37.5\u00a0%",
                 "1<br><small>12.5\u00a0%", "<strong>7</strong><br><small>87.5\u00a0%"):
        assert cell in out, cell
    assert "Sum over 2 runs; test split, checkpoint acer&#95;best, epoch 3" in out
    assert out.index("sum over seeds") < out.index("seed 0") < out.index("seed 1")
    html = markdown.markdown(f"before\n\n{out}\n\nafter", extensions=["tables", "md_in_html"])
    assert "<p><div" not in html and html.count("<table") == 3  # kept as one raw block
