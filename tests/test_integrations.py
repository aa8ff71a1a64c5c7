"""Trainer integrations: tiny real trainings on CPU whose records hold what the trainers logged."""

from __future__ import annotations

import math
import signal
from pathlib import Path
from typing import Any

import pytest

from journal.integrations.common import best_epoch, failure, selection_name
from journal.records import EpochRow, load_records

pytestmark = pytest.mark.filterwarnings(
    "ignore::DeprecationWarning", "ignore::FutureWarning", "ignore::UserWarning")


def only_record(folder: Path) -> Any:
    records, errors = load_records(folder)
    assert errors == [] and len(records) == 1
    return records[0]


def test_failure_tells_interruptions_from_errors() -> None:
    try:
        raise ValueError("bad batch")
    except ValueError as exc:
        status, text = failure(exc, default="?")
    assert status == "failed" and "ValueError: bad batch" in text and "Traceback" in text
    assert failure(KeyboardInterrupt(), default="?") == ("interrupted", "interrupted (KeyboardInterrupt)")
    assert failure(None, default="Lightning ended the run: failed") == (
        "failed", "Lightning ended the run: failed")


def test_best_epoch_and_selection_name() -> None:
    rows = [EpochRow(epoch=1, val_loss=0.5), EpochRow(epoch=2, val_loss=0.25),
            EpochRow(epoch=3, val_loss=0.25)]
    assert best_epoch(rows, "val_loss", 0.25, None) == 2
    assert best_epoch(rows, "val_loss", 0.1, 3) == 3
    assert selection_name("val_loss") == "loss_best"
    assert selection_name("eval_accuracy") == "accuracy_best"
    assert selection_name("val_") == "val__best"


# -- Lightning -----------------------------------------------------------------------------

def _lightning_module(fail_at_epoch: int | None = None, interrupt: bool = False) -> Any:
    pl = pytest.importorskip("lightning.pytorch")
    import torch
    from torch import nn

    class Tiny(pl.LightningModule):
        def __init__(self, lr: float = 0.05, hidden: int = 8) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 1))

        def training_step(self, batch: list[torch.Tensor], _: int) -> torch.Tensor:
            if fail_at_epoch is not None and self.current_epoch == fail_at_epoch:
                if interrupt:
                    raise KeyboardInterrupt
                raise ValueError("bad batch")
            x, y = batch
            loss = nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch: list[torch.Tensor], _: int) -> None:
            x, y = batch
            self.log("val_loss", nn.functional.mse_loss(self.net(x), y))

        def test_step(self, batch: list[torch.Tensor], _: int) -> None:
            x, y = batch
            self.log("test_loss", nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(48, 4), torch.randn(48, 1))
    return Tiny(), torch.utils.data.DataLoader(data, batch_size=8)


def _trainer(tmp_path: Path, logger: Any, epochs: int = 4, **kwargs: Any) -> Any:
    import lightning.pytorch as pl
    from lightning.pytorch.loggers import CSVLogger

    return pl.Trainer(max_epochs=epochs, logger=[logger, CSVLogger(str(tmp_path / "csv"), name="x")],
                      log_every_n_steps=2, enable_progress_bar=False, enable_model_summary=False,
                      default_root_dir=str(tmp_path), **kwargs)


def test_lightning_logger_calls_without_a_trainer(tmp_path: Path) -> None:
    """The logger API as Lightning calls it: hyperparameters (an infinite one kept as text),
    metrics of two epochs (step values merged, the last kept), test metrics, the end."""
    pytest.importorskip("lightning.pytorch")
    from journal.integrations.lightning import JournalLogger

    logger = JournalLogger("api", config={"clip": float("inf")}, results_dir=tmp_path)
    logger.log_hyperparams({"lr": 0.1, "layers": (2, 3), "act": object})
    logger.log_metrics({"loss": 0.9, "epoch": 0}, step=1)
    logger.log_metrics({"loss": 0.8, "epoch": 0}, step=2)
    logger.log_metrics({"loss": 0.5, "val_acc": 0.7, "epoch": 1}, step=3)
    logger.log_metrics({"test_acc": 0.65, "epoch": 2}, step=4)
    logger.finalize("success")
    rec = only_record(tmp_path)
    assert rec.config == {"clip": "inf", "lr": 0.1, "layers": [2, 3], "act": "<class 'object'>"}
    assert [(r.epoch, r.values()) for r in rec.history] == [
        (1, {"loss": 0.8}), (2, {"loss": 0.5, "val_acc": 0.7})]
    assert rec.metrics == {"loss": 0.5, "val_acc": 0.7, "test_acc": 0.65}
    assert rec.status == "finished" and rec.selections == {}


@pytest.mark.slow
def test_lightning_logger_records_what_the_trainer_logged(tmp_path: Path) -> None:
    """The same logging calls reach our logger and Lightning's CSVLogger: the record's epochs
    equal the CSV's, its metrics the trainer's logged_metrics, its selection the checkpoint's."""
    import pandas as pd
    from lightning.pytorch.callbacks import ModelCheckpoint

    from journal.integrations.lightning import JournalLogger

    model, loader = _lightning_module()
    logger = JournalLogger("tiny_reg", variant="mlp", seed=3, results_dir=tmp_path / "results",
                           config={"data": "random"})
    checkpoint = ModelCheckpoint(monitor="val_loss", mode="min", dirpath=tmp_path / "ckpt")
    trainer = _trainer(tmp_path, logger, callbacks=[checkpoint])
    trainer.fit(model, loader, loader)

    rec = only_record(tmp_path / "results")
    assert (rec.experiment, rec.variant, rec.seed, rec.status) == ("tiny_reg", "mlp", 3, "finished")
    assert rec.id == logger.version and rec.config == {"data": "random", "lr": 0.05, "hidden": 8}
    csv = pd.read_csv(tmp_path / "csv" / "x" / "version_0" / "metrics.csv")
    assert [row.epoch for row in rec.history] == [1, 2, 3, 4]
    for row in rec.history:
        rows = csv[csv["epoch"] == row.epoch - 1]
        expected = {c: float(rows[c].dropna().iloc[-1])
                    for c in ("train_loss_step", "train_loss_epoch", "val_loss")}
        assert row.values() == pytest.approx(expected, rel=1e-6)
    logged = {k: float(v) for k, v in trainer.logged_metrics.items()}
    assert rec.metrics == pytest.approx(logged, rel=1e-6)

    best = float(checkpoint.best_model_score)
    selection = rec.selections["loss_best"]
    assert (selection.metric, selection.mode) == ("val_loss", "min")
    assert selection.value == pytest.approx(best, rel=1e-6)
    val = {row.epoch: row.values()["val_loss"] for row in rec.history}
    assert selection.epoch == min(val, key=lambda e: val[e])
    assert f"epoch={selection.epoch - 1}-" in Path(checkpoint.best_model_path).name

    trainer.test(model, loader, ckpt_path="best")
    rec = only_record(tmp_path / "results")
    assert rec.metrics["test_loss"] == pytest.approx(float(trainer.logged_metrics["test_loss"]))
    assert all("test_loss" not in row.values() for row in rec.history)
    assert rec.status == "finished"


@pytest.mark.slow
def test_lightning_logger_records_a_failure_with_its_traceback(tmp_path: Path) -> None:
    from journal.integrations.lightning import JournalLogger

    model, loader = _lightning_module(fail_at_epoch=1)
    logger = JournalLogger("tiny_reg", results_dir=tmp_path / "results")
    with pytest.raises(ValueError, match="bad batch"):
        _trainer(tmp_path, logger, enable_checkpointing=False).fit(model, loader, loader)
    rec = only_record(tmp_path / "results")
    assert rec.status == "failed" and "ValueError: bad batch" in rec.error
    assert [row.epoch for row in rec.history] == [1]  # the epoch it completed
    assert rec.ended_at is not None


@pytest.mark.slow
def test_lightning_logger_records_an_interruption(tmp_path: Path) -> None:
    from journal.integrations.lightning import JournalLogger

    model, loader = _lightning_module(fail_at_epoch=2, interrupt=True)
    logger = JournalLogger("tiny_reg", results_dir=tmp_path / "results")
    sigint = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit):  # Lightning exits after a graceful shutdown
            _trainer(tmp_path, logger, enable_checkpointing=False).fit(model, loader, loader)
    finally:
        signal.signal(signal.SIGINT, sigint)  # Lightning ignores Ctrl-C from then on
    rec = only_record(tmp_path / "results")
    assert rec.status == "interrupted" and "KeyboardInterrupt" in rec.error
    assert [row.epoch for row in rec.history] == [1, 2]


# -- Hugging Face --------------------------------------------------------------------------

def _hf_parts(tmp_path: Path, fail_at_step: int | None = None) -> tuple[Any, Any, Any]:
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    import torch
    from torch import nn

    class Tiny(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
            self.calls = 0

        def forward(self, x: torch.Tensor, labels: torch.Tensor) -> dict[str, torch.Tensor]:
            self.calls += self.training
            if fail_at_step is not None and self.calls > fail_at_step:
                raise RuntimeError("out of memory (simulated)")
            logits = self.net(x)
            return {"loss": nn.functional.cross_entropy(logits, labels), "logits": logits}

    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=generator)
    data = [{"x": x[i], "labels": int(x[i, 0] > 0)} for i in range(64)]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "hf"), num_train_epochs=3, per_device_train_batch_size=16,
        per_device_eval_batch_size=32, learning_rate=0.05, logging_strategy="steps",
        logging_steps=3, eval_strategy="epoch", save_strategy="epoch",
        load_best_model_at_end=True, metric_for_best_model="loss", greater_is_better=False,
        report_to=[], use_cpu=True, seed=5, disable_tqdm=True, save_only_model=True)
    torch.manual_seed(0)
    return Tiny(), args, (data[:48], data[48:])


@pytest.mark.slow
def test_huggingface_callback_records_what_the_trainer_logged(tmp_path: Path) -> None:
    from transformers import Trainer

    from journal.integrations.huggingface import JournalCallback, epoch_of

    model, args, (train, val) = _hf_parts(tmp_path)
    callback = JournalCallback("tiny_cls", variant="mlp", results_dir=tmp_path / "results",
                               args_keys=["learning_rate", "num_train_epochs", "seed"])
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=val,
                      callbacks=[callback])
    with callback:
        trainer.train()

    rec = only_record(tmp_path / "results")
    assert (rec.experiment, rec.variant, rec.seed, rec.status) == ("tiny_cls", "mlp", 5, "finished")
    assert rec.config == {"learning_rate": 0.05, "num_train_epochs": 3, "seed": 5}
    expected: dict[int, dict[str, float]] = {}
    last: dict[str, float] = {}
    for entry in trainer.state.log_history:
        values = {k: float(v) for k, v in entry.items() if k not in ("epoch", "step")}
        expected.setdefault(epoch_of(entry["epoch"]), {}).update(values)
        last.update(values)
    assert {row.epoch: row.values() for row in rec.history} == expected
    assert sorted(expected) == [1, 2, 3] and "eval_loss" in expected[3] and "loss" in expected[1]
    assert rec.metrics == last and "train_runtime" in rec.metrics

    selection = rec.selections["loss_best"]
    assert (selection.metric, selection.mode) == ("eval_loss", "min")
    assert selection.value == trainer.state.best_metric
    evals = {e: v["eval_loss"] for e, v in expected.items()}
    assert selection.epoch == min(evals, key=lambda e: evals[e])
    assert not math.isnan(selection.value)


@pytest.mark.slow
def test_huggingface_callback_records_a_failure(tmp_path: Path) -> None:
    from transformers import Trainer

    from journal.integrations.huggingface import JournalCallback

    model, args, (train, val) = _hf_parts(tmp_path, fail_at_step=4)
    callback = JournalCallback("tiny_cls", results_dir=tmp_path / "results")
    trainer = Trainer(model=model, args=args, train_dataset=train, eval_dataset=val,
                      callbacks=[callback])
    with pytest.raises(RuntimeError, match="simulated"), callback:
        trainer.train()
    rec = only_record(tmp_path / "results")
    assert rec.status == "failed" and "RuntimeError: out of memory (simulated)" in rec.error
    assert rec.history[0].epoch == 1 and "eval_loss" in rec.history[0].values()
