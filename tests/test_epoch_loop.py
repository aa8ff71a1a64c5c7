"""EpochLoop: the resumable epoch loop with its best checkpoints and `last`/best selections,
on a tiny real torch model: a run stopped and resumed ends with the record of a run never
stopped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from journal import start_run  # noqa: E402
from journal.experiments.common import EpochLoop, seed_everything  # noqa: E402
from journal.records import Record, read_record  # noqa: E402
from journal.tracking import reopen_run  # noqa: E402

EPOCHS = 5


def _train(run: Any, stop_after: int | None = None) -> EpochLoop:
    """A linear model fitting y = 2x; val_loss and a made-up val_score that peaks at epoch 3."""
    generator = seed_everything(0)
    model = torch.nn.Linear(1, 1)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.randn(32, 1, generator=generator)
    y = 2 * x
    loop = EpochLoop(run, EPOCHS, model=model,
                     best={"loss_best": ("val_loss", "min"), "score_best": ("val_score", "max")},
                     state={"model": model, "optimiser": optimiser, "generator": generator},
                     progress=False)
    if loop.done:
        return loop
    for epoch in loop:
        order = torch.randperm(32, generator=generator)
        for i in range(0, 32, 8):
            batch = order[i:i + 8]
            loss = torch.nn.functional.mse_loss(model(x[batch]), y[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        with torch.no_grad():
            val = torch.nn.functional.mse_loss(model(x), y).item()
        run.log(epoch, val_loss=val, val_score=-abs(epoch - 3))
        if epoch == stop_after:
            raise KeyboardInterrupt("stop")
    with torch.no_grad():
        weight = float(model.weight.item())
    loop.select_last("val_loss", test={"weight": weight})
    loop.select_best(lambda: {"weight": float(model.weight.item())})
    assert float(model.weight.item()) == weight  # the final weights are back
    return loop


def _comparable(record: Record) -> dict[str, Any]:
    return {"history": [r.model_dump() for r in record.history],
            "selections": {k: v.model_dump() for k, v in record.selections.items()}}


def test_selections_name_the_best_epochs_and_their_weights(tmp_path: Path) -> None:
    with start_run("loop", results_dir=tmp_path) as run:
        loop = _train(run)
    record = read_record(run.path)
    losses = [r.values()["val_loss"] for r in record.history]
    assert [r.epoch for r in record.history] == [1, 2, 3, 4, 5]
    assert list(record.selections) == ["last", "loss_best", "score_best"]
    last, loss_best, score_best = (record.selections[k] for k in ("last", "loss_best", "score_best"))
    assert (last.mode, last.epoch, last.value) == ("last", 5, losses[-1])
    assert (loss_best.mode, loss_best.epoch, loss_best.value) == ("min", 1 + losses.index(min(losses)),
                                                                    min(losses))
    assert (score_best.metric, score_best.mode, score_best.epoch, score_best.value) == (
        "val_score", "max", 3, 0.0)
    assert score_best.test["weight"] != last.test["weight"]  # epoch 3's weights, not the last
    assert loop.best["score_best"].epoch == 3


def test_a_stopped_run_resumes_to_the_record_of_one_never_stopped(tmp_path: Path) -> None:
    with start_run("loop", results_dir=tmp_path / "a") as run:
        _train(run)
    whole = read_record(run.path)
    with pytest.raises(KeyboardInterrupt), start_run("loop", results_dir=tmp_path / "b") as stopped:
        _train(stopped, stop_after=2)
    halted = read_record(stopped.path)
    assert halted.status == "interrupted" and [r.epoch for r in halted.history] == [1, 2]
    with reopen_run(halted, tmp_path / "b") as again:
        loop = _train(again)
    assert loop.start == 1  # stopped before the state of epoch 2 was saved: epoch 2 again
    resumed = read_record(stopped.path)
    assert resumed.status == "finished" and [i.after_epoch for i in resumed.interruptions] == [1]
    assert _comparable(resumed) == _comparable(whole)
    with reopen_run(resumed, tmp_path / "b") as finished:
        assert _train(finished).done
