"""Confusion matrices over epochs: recorded compactly, recall per class computed in the library,
and the post showing the matrices at the selected and last epochs and how recall moved."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from journal import start_run
from journal.confusions import recall_by_epoch, recall_moves, recalls, shown_epochs
from journal.records import ConfusionHistory, EpochConfusion, Record, Selection, read_record
from journal.render import build_posts
from journal.render.confusion import epochs_section
from journal.render.i18n import language
from journal.tracking import reopen_run

LABELS = ["cat", "dog", "<b>fox</b>"]
MATRICES = {
    1: [[5, 5, 0], [4, 6, 0], [0, 0, 0]],
    2: [[8, 2, 0], [2, 8, 0], [1, 1, 8]],
    3: [[9, 1, 0], [1, 9, 0], [0, 2, 8]],
    4: [[7, 3, 0], [0, 10, 0], [0, 1, 9]],
}


def _run_with_epochs(folder: Path) -> Record:
    with start_run("cm", results_dir=folder, variant="v") as run:
        for epoch, matrix in MATRICES.items():
            if epoch == 1:
                run.set_confusion(matrix, LABELS, epoch=1)
            else:
                run.log(epoch, val_acc=0.5 + epoch / 10, confusion=matrix)
        run.select("acc_best", metric="val_acc", mode="max", epoch=3, value=0.8)
        run.select("last", metric="val_acc", mode="last", epoch=4, value=0.9)
    return read_record(run.path)


def test_matrices_per_epoch_are_kept_one_line_each(tmp_path: Path) -> None:
    record = _run_with_epochs(tmp_path)
    history = record.confusion_epochs
    assert history is not None and history.labels == LABELS and history.split == "val"
    assert [e.epoch for e in history.epochs] == [1, 2, 3, 4]
    assert [history.at(e) for e in MATRICES] == list(MATRICES.values())
    assert record.confusion is None  # the final matrix is a separate thing
    raw = (tmp_path / f"{record.id}.json").read_text()
    assert '"matrix": "9 1 0; 1 9 0; 0 2 8"' in raw
    assert [r.values()["val_acc"] for r in record.history] == [0.7, 0.8, 0.9]


def test_the_same_epoch_again_replaces_its_matrix_and_labels_must_agree(tmp_path: Path) -> None:
    with start_run("cm", results_dir=tmp_path) as run:
        with pytest.raises(TypeError, match="needs the class names once"):
            run.log(1, confusion=[[1, 0], [0, 1]])
        run.set_confusion([[1, 0], [0, 1]], ["a", "b"], epoch=1)
        run.set_confusion([[2, 0], [1, 1]], ["a", "b"], epoch=1)
        with pytest.raises(ValueError, match="share their labels and split"):
            run.set_confusion([[1, 0], [0, 1]], ["a", "c"], epoch=2)
    history = read_record(run.path).confusion_epochs
    assert history is not None and [(e.epoch, e.matrix) for e in history.epochs] == [(1, "2 0; 1 1")]


def test_bad_matrices_are_refused_by_the_schema() -> None:
    with pytest.raises(ValidationError, match="whole counts"):
        EpochConfusion(epoch=1, matrix="1 x; 0 1")
    with pytest.raises(ValidationError, match="must not be negative"):
        EpochConfusion(epoch=1, matrix="1 -1; 0 1")
    with pytest.raises(ValidationError, match="must be 2×2"):
        ConfusionHistory(labels=["a", "b"], epochs=[EpochConfusion(epoch=1, matrix="1 0 0; 0 1 0")])
    with pytest.raises(ValidationError, match="one matrix per epoch"):
        ConfusionHistory(labels=["a"], epochs=[EpochConfusion(epoch=1, matrix="1"),
                                               EpochConfusion(epoch=1, matrix="2")])


def test_a_resumed_run_drops_matrices_after_its_saved_epoch(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), start_run("cm", results_dir=tmp_path) as run:
        for epoch in (1, 2, 3):
            run.set_confusion([[epoch, 0], [0, 1]], ["a", "b"], epoch=epoch)
        raise KeyboardInterrupt
    reopened = reopen_run(read_record(run.path), tmp_path)
    with reopened:
        reopened.continue_after(2)
    history = read_record(run.path).confusion_epochs
    assert history is not None and [e.epoch for e in history.epochs] == [1, 2]


def test_recall_per_class_over_epochs(tmp_path: Path) -> None:
    record = _run_with_epochs(tmp_path)
    assert recalls([[8, 2], [0, 0]])[0] == 0.8 and math.isnan(recalls([[8, 2], [0, 0]])[1])
    assert record.confusion_epochs is not None
    series = recall_by_epoch(record.confusion_epochs)
    assert series["cat"] == [(1, 0.5), (2, 0.8), (3, 0.9), (4, 0.7)]
    assert series["dog"] == [(1, 0.6), (2, 0.8), (3, 0.9), (4, 1.0)]
    assert [s.epoch for s in shown_epochs(record)] == [3, 4]
    assert [s.reasons for s in shown_epochs(record)] == [("acc_best",), ("last",)]
    moves = recall_moves(record)
    assert moves is not None and moves.epochs == [1, 3, 4]
    label, values, change = moves.rows[0]
    assert (label, values, change) == ("cat", [0.5, 0.9, 0.7], pytest.approx(0.2))
    fox = moves.rows[2]
    assert math.isnan(fox[1][0]) and fox[1][1:] == [0.8, 0.9] and math.isnan(fox[2])


def test_a_selection_on_an_epoch_without_a_matrix_is_not_shown(make_record: Callable[..., Record]) -> None:
    history = ConfusionHistory(labels=["a", "b"], epochs=[EpochConfusion(epoch=2, matrix="1 0; 0 1")])
    record = make_record(confusion_epochs=history, selections={
        "best": Selection(metric="val_acc", mode="max", epoch=1, value=0.5)})
    assert [(s.epoch, s.reasons) for s in shown_epochs(record)] == [(2, ("last",))]
    assert recall_moves(make_record()) is None and epochs_section(make_record()) == ""


def test_the_section_shows_chosen_and_last_matrices_and_recall_moves(tmp_path: Path) -> None:
    record = _run_with_epochs(tmp_path)
    html = epochs_section(record)
    assert "val split, epoch 3 (acc&#95;best); rows are the true class" in html
    assert "val split, epoch 4 (last); rows are the true class" in html
    assert html.count('<table class="journal-confusion">') == 2
    assert "<strong>9</strong>" in html  # the diagonal of epoch 3
    cat_row = html.split('<th scope="row">cat</th>')[-1].split("</tr>")[0]
    assert cat_row.startswith("<td>50.0\u00a0%</td><td>90.0\u00a0%</td><td>70.0\u00a0%</td>"
                              "<td>+20.0\u00a0pp</td>")
    assert "▅▇█▆" in cat_row
    assert "<b>fox</b>" not in html and "&#60;b&#62;fox&#60;/b&#62;" in html
    with language("zh"):
        assert "各类别召回率随轮次的变化（val 集）" in epochs_section(record)


def test_the_post_shows_confusion_over_epochs(tmp_path: Path) -> None:
    record = _run_with_epochs(tmp_path)
    (post,) = build_posts([record])
    assert "**Confusion matrix**" in post.markdown
    assert "Recall per class over epochs (val split)" in post.markdown
    assert json.dumps(post.markdown).count("journal-recall") == 1
