"""Charts: every text legible at 390 px, series named in the SVG, NaN/inf marked, log axes; and
the series they draw (means and bands over seeds, groups, confusion sums) by hand arithmetic."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from journal.records import Confusion, EpochRow, Record
from journal.render import charts
from journal.series import (
    Line,
    Mark,
    log_scale,
    mean_line,
    metric_group,
    metric_groups,
    row_shares,
    summed_matrix,
)


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def test_every_text_is_at_least_11_px_at_390_px_wide() -> None:
    svg = charts.panel_chart(
        [Line("seed 0", "train_loss", [1, 2, 3], [0.5, 0.3, 0.2]),
         Line("seed 1", "val_loss", [1, 2, 3], [0.6, 0.4, 0.3], low=[0.5, 0.3, 0.2], high=[0.7, 0.5, 0.4])],
        title="a variant with a rather long name: train_loss, val_loss per epoch", ylabel="loss",
        marks=[Mark("seed 1", "val_loss", 3, 0.3)]).decode()
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg)[1])  # type: ignore[index]
    sizes = [float(s) for s in re.findall(r"font-size: ([\d.]+)px", svg)]
    assert sizes and min(sizes) * 390 / width >= 11
    texts = _texts(svg)
    assert texts.count("seed 0") == 1 and texts.count("seed 1") == 1  # each seed once in the legend
    assert {"train_loss", "val_loss", "chosen epoch"} <= set(texts)
    assert all(len(t) <= 44 for t in texts)  # the long title wrapped, not clipped


def test_non_finite_values_are_marked_and_decades_get_a_log_axis() -> None:
    diverged = Line("seed 0", "train_loss", [1, 2, 3], [0.5, 3.0, 1e14], nan=[4.0])
    svg = charts.panel_chart([diverged], title="loss", ylabel="loss").decode()
    texts = _texts(svg)
    assert "NaN/inf" in texts and "1e+12" in texts  # a log axis, ticks as plain text
    assert log_scale([diverged]) and not log_scale([Line("a", "k", [1, 2], [0.0, 1e5])])


def test_groups_means_and_confusion_sums() -> None:
    assert [metric_group(k) for k in ("train_loss", "val_loss", "val_acc", "lr", "backbone_lr", "val_f1")] \
        == ["loss", "loss", "acc", "lr", "lr", "f1"]
    assert metric_groups([]) == {}
    a = Confusion(labels=["neg", "pos"], matrix=[[3, 1], [0, 4]])
    b = Confusion(labels=["neg", "pos"], matrix=[[2, 2], [1, 5]])
    assert summed_matrix([a, b]) == [[5, 3], [1, 9]]
    assert summed_matrix([a, Confusion(labels=["x", "y"], matrix=[[1, 0], [0, 1]])]) is None
    shares = row_shares([[5, 3], [1, 9], [0, 0]])
    assert shares[0] == [0.625, 0.375] and shares[1] == [0.1, 0.9] and math.isnan(shares[2][0])


def test_mean_line_over_seeds(make_record: Callable[..., Record]) -> None:
    def rows(v: float, w: float) -> list[EpochRow]:
        return [EpochRow.model_validate({"epoch": e, "val_acc": y}) for e, y in ((1, v), (2, w))]

    runs = [make_record(seed=s, history=rows(v, w))
            for s, (v, w) in enumerate([(0.5, 0.7), (0.7, float("nan"))])]
    line = mean_line(runs, "val_acc", "student")
    assert line is not None and line.x == [1.0, 2.0] and line.y == [0.6, 0.7]
    assert math.isclose(line.high[0] - line.y[0], math.sqrt(0.02))  # sample std of 0.5, 0.7
    assert line.nan == [2.0] and line.low[1] == line.high[1] == 0.7


def test_long_bar_labels_keep_their_start_and_end() -> None:
    """Variants that share a long prefix stay apart on the chart: the ellipsis goes in the
    middle, never over the setting that differs."""
    names = ["v2 lr=0.0001 dropout=0.21", "v2 lr=0.0001 dropout=0.37", "short"]
    assert [charts.shorten(n) for n in names] == [
        "v2 lr=0.000…dropout=0.21", "v2 lr=0.000…dropout=0.37", "short"]
    assert all(len(charts.shorten(n)) == 24 for n in names[:2])
    svg = charts._bar_chart(names, [0.7, 0.6, 0.5], [0.01, 0.02, 0.03], title="t", ylabel="Acc",
                            horizontal=True).decode()
    assert "dropout=0.21" in svg and "dropout=0.37" in svg


def test_a_chart_key_hashes_the_same_text_as_a_deep_copy_of_its_spec() -> None:
    """The key reads a spec's dataclasses field by field (no deep copy): the text it hashes is
    what ``dataclasses.asdict`` gives, nested dataclasses, tuples and NaN included, so a key
    never changes with how it is computed, and a different point gives a different key."""
    import dataclasses
    import json

    lines = [Line(label="seed 0", key="val_loss", x=[1, 2, 3], y=[0.5, 0.4], nan=[3])]
    marks = (Mark(label="seed 0", key="val_loss", x=1, y=math.nan),)
    kwargs = {"title": "loss", "marks": marks}
    ours = json.dumps([lines, kwargs], default=charts._plain, allow_nan=True)
    deep = json.dumps([[dataclasses.asdict(x) for x in lines],
                       {"title": "loss", "marks": [dataclasses.asdict(m) for m in marks]}], allow_nan=True)
    assert ours == deep
    moved = [dataclasses.replace(lines[0], y=[0.5, 0.41])]
    assert charts.chart_key("panel", [lines], kwargs) != charts.chart_key("panel", [moved], kwargs)
