"""Which charts a variant and a post get: every logged series, named in its chart and alt text."""

from __future__ import annotations

import re
from collections.abc import Callable

from journal.records import EpochRow, Record, Selection
from journal.render import plots

Factory = Callable[..., Record]


def _runs(make_record: Factory, variant: str = "student") -> list[Record]:
    def rows(seed: int) -> list[EpochRow]:
        return [EpochRow.model_validate({"epoch": e, "val_acc": 0.5 + 0.1 * e + 0.01 * seed,
                                         "val_f1": 0.4 + 0.1 * e, "lr": 1e-3 / e}) for e in (1, 2, 3)]

    sel = {"acc_best": Selection(metric="val_acc", mode="max", epoch=3, value=0.8, test={})}
    return [make_record(seed=s, variant=variant, history=rows(s), selections=sel) for s in (0, 1)]


def _texts(svg: bytes) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg.decode())


def test_every_logged_series_is_drawn_and_named(make_record: Factory) -> None:
    files = plots.variant_charts(_runs(make_record), "student", "day", "student")
    assert list(files) == ["day/student-acc.svg", "day/student-f1.svg", "day/student-lr.svg"]
    for (title, svg), series in zip(files.values(), ("val_acc", "val_f1", "lr"), strict=True):
        assert series in title and any(series in text for text in _texts(svg)), series
    acc = _texts(files["day/student-acc.svg"][1])
    assert acc.count("seed 0") == 1 and "acc_best (chosen epoch)" in acc


def test_post_charts_overlay_variants(make_record: Factory) -> None:
    variants = {"a": _runs(make_record, "a"), "b": _runs(make_record, "b")}
    files = plots.post_charts(variants, "day")
    assert list(files) == ["day/by-metric/acc.svg", "day/by-metric/f1.svg", "day/by-metric/lr.svg"]
    title, svg = files["day/by-metric/lr.svg"]
    assert title == "lr: mean ± std over seeds"
    texts = _texts(svg)
    assert {"a", "b"} <= set(texts) and texts.count("a") == 1
