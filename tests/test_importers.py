"""Importers: logs written by the real libraries come back as records, step by step."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest

from journal.importers import ImportOptions, SourceError
from journal.records import load_records

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")

STEPS = range(5)


def loss_at(step: int, seed: int) -> float:
    return 1.0 / (step + 1) + 0.01 * seed


def acc_at(step: int, seed: int) -> float:
    return 0.5 + 0.07 * step - 0.003 * seed


def as_float32(x: float) -> float:
    """TensorBoard keeps scalars as 32-bit floats."""
    return float(np.float32(x))


def records_by_variant(folder: Path) -> dict[str, object]:
    records, errors = load_records(folder)
    assert errors == []
    return {r.variant: r for r in records}


# -- TensorBoard ---------------------------------------------------------------------------

@pytest.fixture
def tb_logs(tmp_path: Path) -> Path:
    """Two runs written by torch's SummaryWriter, each with add_hparams."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    root = tmp_path / "tb" / "mnist_mlp"
    for seed in (0, 1):
        writer = SummaryWriter(str(root / f"seed{seed}"))
        for step in STEPS:
            writer.add_scalar("train/loss", loss_at(step, seed), step)
            writer.add_scalar("val/acc", acc_at(step, seed), step)
        writer.add_hparams({"lr": 0.1, "batch": 32, "opt": "adam", "seed": seed},
                           {"hparam/test_acc": 0.9 + seed / 100})
        writer.close()
    return root


def test_tensorboard_series_equal_what_was_written(tb_logs: Path, tmp_path: Path) -> None:
    from journal.importers.tensorboard import import_tensorboard

    results = tmp_path / "results"
    result = import_tensorboard(tb_logs, ImportOptions(results_dir=results))
    assert len(result.written) == 2 and result.skipped == []
    by_variant = records_by_variant(results)
    assert sorted(by_variant) == ["seed0", "seed1"]
    for seed in (0, 1):
        rec = by_variant[f"seed{seed}"]
        assert rec.experiment == "mnist_mlp"  # the folder imported
        assert rec.seed == seed  # from the hparams
        assert rec.config == {"lr": 0.1, "batch": 32, "opt": "adam", "seed": seed}
        assert [row.epoch for row in rec.history] == list(STEPS)
        for row in rec.history:
            assert row.values() == {"train/loss": as_float32(loss_at(row.epoch, seed)),
                                    "val/acc": as_float32(acc_at(row.epoch, seed))}
        assert rec.metrics == {"train/loss": as_float32(loss_at(4, seed)),
                               "val/acc": as_float32(acc_at(4, seed)),
                               "hparam/test_acc": as_float32(0.9 + seed / 100)}
        assert rec.status == "finished"
        assert rec.started_at <= rec.ended_at


def test_tensorboard_import_twice_does_not_duplicate(tb_logs: Path, tmp_path: Path) -> None:
    from journal.importers.tensorboard import import_tensorboard

    results = tmp_path / "results"
    first = import_tensorboard(tb_logs, ImportOptions(results_dir=results))
    again = import_tensorboard(tb_logs, ImportOptions(results_dir=results, experiment="other"))
    assert again.written == []
    assert sorted(run_id for _, run_id in again.skipped) == sorted(p.stem for p in first.written)
    assert len(list(results.glob("*.json"))) == 2


def test_tensorboard_options_name_runs_and_map_steps(tb_logs: Path, tmp_path: Path) -> None:
    from journal.importers.tensorboard import import_tensorboard

    results = tmp_path / "results"
    options = ImportOptions(results_dir=results, experiment="digits", variant="mlp", seed=7,
                            epoch_from="every:2", epoch_offset=1)
    import_tensorboard(tb_logs / "seed1", options)
    (rec,) = load_records(results)[0]
    assert (rec.experiment, rec.variant, rec.seed) == ("digits", "mlp", 7)
    assert rec.id.split("-")[1] == "digits"
    # steps 0,1 → epoch 1; 2,3 → 2; 4 → 3; the last step of each epoch is kept
    assert [row.epoch for row in rec.history] == [1, 2, 3]
    assert [row.values()["train/loss"] for row in rec.history] == [
        as_float32(loss_at(s, 1)) for s in (1, 3, 4)]


def test_tensorboard_epoch_tag_missing_names_the_field(tb_logs: Path, tmp_path: Path) -> None:
    from journal.importers.tensorboard import import_tensorboard

    with pytest.raises(SourceError) as err:
        import_tensorboard(tb_logs / "seed0", ImportOptions(results_dir=tmp_path / "r",
                                                           epoch_from="tag:epoch"))
    assert err.value.field == "epoch"
    assert err.value.path == (tb_logs / "seed0").resolve()
    assert "train/loss" in str(err.value)


def test_tensorboard_folder_without_events_is_named(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    from journal.importers.tensorboard import import_tensorboard

    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="no TensorBoard event files") as err:
        import_tensorboard(tmp_path / "empty", ImportOptions(results_dir=tmp_path / "r"))
    assert err.value.path == (tmp_path / "empty").resolve()


def test_tensorboard_epoch_scalar_gives_the_epochs(tmp_path: Path) -> None:
    """Lightning logs an ``epoch`` scalar with every call: rows follow it, not the steps."""
    pytest.importorskip("tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    from journal.importers.tensorboard import import_tensorboard

    writer = SummaryWriter(str(tmp_path / "tb" / "version_0"))
    for step in range(6):  # three steps per epoch
        writer.add_scalar("train_loss", loss_at(step, 0), step)
        writer.add_scalar("epoch", step // 3, step)
    writer.close()
    results = tmp_path / "results"
    import_tensorboard(tmp_path / "tb", ImportOptions(results_dir=results, epoch_offset=1))
    (rec,) = load_records(results)[0]
    assert [(row.epoch, row.values()) for row in rec.history] == [
        (1, {"train_loss": as_float32(loss_at(2, 0))}), (2, {"train_loss": as_float32(loss_at(5, 0))})]
    assert rec.metrics == {"train_loss": as_float32(loss_at(5, 0))}


def test_tensorboard_unreadable_event_file_is_named(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard")
    from journal.importers.tensorboard import import_tensorboard

    run = tmp_path / "tb" / "r"
    run.mkdir(parents=True)
    (run / "events.out.tfevents.1.host").write_bytes(bytes(range(256)))
    with pytest.raises(SourceError, match="no scalars in its event files") as err:
        import_tensorboard(tmp_path / "tb", ImportOptions(results_dir=tmp_path / "results"))
    assert err.value.path == run.resolve()


def test_bad_epoch_mapping_is_refused(tmp_path: Path) -> None:
    from journal.errors import JournalError

    with pytest.raises(JournalError, match="every:N"):
        ImportOptions(results_dir=tmp_path, epoch_from="every:0")


# -- MLflow --------------------------------------------------------------------------------

@pytest.fixture
def mlflow_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file store written by mlflow: two finished seeds and a failed run."""
    mlflow = pytest.importorskip("mlflow")
    store = tmp_path / "mlruns"
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(store.as_uri())
    mlflow.set_experiment("digits")
    for seed in (0, 1):
        with mlflow.start_run(run_name=f"mlp-s{seed}"):
            mlflow.log_params({"lr": 0.01, "hidden": 64, "model": "mlp", "seed": seed})
            for step in STEPS:
                mlflow.log_metrics({"loss": loss_at(step, seed), "val_acc": acc_at(step, seed)},
                                   step=step + 1)
            mlflow.log_metric("test_acc", 0.91 + seed / 100)
    with mlflow.start_run(run_name="broken"):
        mlflow.log_param("model", "cnn")
        mlflow.log_metric("loss", float("nan"), step=1)
        mlflow.end_run(status="FAILED")
    mlflow.set_tracking_uri("")
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE")
    return store


def test_mlflow_series_equal_what_was_written(mlflow_store: Path, tmp_path: Path) -> None:
    from journal.importers.mlflow import import_mlflow

    results = tmp_path / "results"
    result = import_mlflow(mlflow_store, ImportOptions(results_dir=results))
    assert len(result.written) == 3
    assert "MLFLOW_ALLOW_FILE_STORE" not in os.environ  # set only while reading
    by_variant = records_by_variant(results)
    for seed in (0, 1):
        rec = by_variant[f"mlp-s{seed}"]
        assert rec.experiment == "digits" and rec.seed == seed and rec.status == "finished"
        assert rec.config == {"hidden": 64, "lr": 0.01, "model": "mlp", "seed": seed}
        assert [row.epoch for row in rec.history] == [0, 1, 2, 3, 4, 5]
        assert rec.history[0].values() == {"test_acc": 0.91 + seed / 100}  # logged at step 0
        for row in rec.history[1:]:
            step = row.epoch - 1
            assert row.values() == {"loss": loss_at(step, seed), "val_acc": acc_at(step, seed)}
        assert rec.metrics == {"loss": loss_at(4, seed), "val_acc": acc_at(4, seed),
                               "test_acc": 0.91 + seed / 100}
    broken = by_variant["broken"]
    assert broken.status == "failed" and "FAILED" in (broken.error or "")
    assert math.isnan(broken.history[0].values()["loss"])


def test_mlflow_import_twice_and_variant_key(mlflow_store: Path, tmp_path: Path) -> None:
    from journal.importers.mlflow import import_mlflow

    results = tmp_path / "results"
    options = ImportOptions(results_dir=results, variant_key="model", experiment="digits_mlp")
    first = import_mlflow(mlflow_store, options, experiments=["digits"])
    assert sorted(r.variant for r in load_records(results)[0]) == ["cnn", "mlp", "mlp"]
    again = import_mlflow(mlflow_store, options)
    assert again.written == [] and len(again.skipped) == 3
    assert {run_id for _, run_id in again.skipped} == {p.stem for p in first.written}


def test_mlflow_unknown_experiment_is_named(mlflow_store: Path, tmp_path: Path) -> None:
    from journal.importers.mlflow import import_mlflow

    with pytest.raises(SourceError, match="no experiment named 'nope'") as err:
        import_mlflow(mlflow_store, ImportOptions(results_dir=tmp_path / "r"), experiments=["nope"])
    assert err.value.field == "experiment" and "digits" in str(err.value)


def test_mlflow_missing_store_is_named(tmp_path: Path) -> None:
    from journal.importers.mlflow import import_mlflow

    with pytest.raises(SourceError, match="no such MLflow store"):
        import_mlflow(tmp_path / "absent", ImportOptions(results_dir=tmp_path / "r"))


def test_mlflow_database_store_without_sqlalchemy_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from journal.importers.mlflow import import_mlflow

    pytest.importorskip("mlflow")
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)  # as with mlflow-skinny alone
    with pytest.raises(SourceError, match="needs the full 'mlflow' package"):
        import_mlflow(f"sqlite:///{tmp_path}/mlflow.db", ImportOptions(results_dir=tmp_path / "r"))


# -- CSV -----------------------------------------------------------------------------------

def test_plain_csv_with_epoch_column(tmp_path: Path) -> None:
    from journal.importers.csv import import_csv

    path = tmp_path / "resnet.csv"
    path.write_text("epoch,train_loss,val_acc\n1,0.9,0.5\n2,0.7,\n3,0.5,0.75\n", encoding="utf-8")
    results = tmp_path / "results"
    import_csv(path, ImportOptions(results_dir=results, seed=3))
    (rec,) = load_records(results)[0]
    assert (rec.experiment, rec.variant, rec.seed) == ("resnet", "resnet", 3)
    assert [(row.epoch, row.values()) for row in rec.history] == [
        (1, {"train_loss": 0.9, "val_acc": 0.5}), (2, {"train_loss": 0.7}),
        (3, {"train_loss": 0.5, "val_acc": 0.75})]
    assert rec.metrics == {"train_loss": 0.5, "val_acc": 0.75}
    assert import_csv(path, ImportOptions(results_dir=results)).written == []


def test_plain_csv_rows_are_epochs_without_an_epoch_column(tmp_path: Path) -> None:
    from journal.importers.csv import import_csv

    path = tmp_path / "log.csv"
    path.write_text("loss\n0.3\n0.2\n", encoding="utf-8")
    import_csv(path, ImportOptions(results_dir=tmp_path / "r"))
    (rec,) = load_records(tmp_path / "r")[0]
    assert [(row.epoch, row.values()) for row in rec.history] == [(1, {"loss": 0.3}), (2, {"loss": 0.2})]


def test_csv_bad_value_names_file_column_and_line(tmp_path: Path) -> None:
    from journal.importers.csv import import_csv

    path = tmp_path / "log.csv"
    path.write_text("epoch,loss\n1,0.3\n2,oops\n", encoding="utf-8")
    with pytest.raises(SourceError) as err:
        import_csv(path, ImportOptions(results_dir=tmp_path / "r"))
    assert err.value.path == path.resolve() and err.value.field == "loss"
    assert "line 3: 'oops' is not a number" in str(err.value)
    assert not (tmp_path / "r").exists()


def test_hparams_yaml_python_tags_are_read_as_text(tmp_path: Path) -> None:
    from journal.importers.csv import read_hparams_yaml

    path = tmp_path / "hparams.yaml"
    path.write_text("lr: 0.1\nact: !!python/name:torch.nn.ReLU ''\nlayers: [4, 8]\n", encoding="utf-8")
    assert read_hparams_yaml(path) == {"lr": 0.1, "act": "<torch.nn.ReLU>", "layers": [4, 8]}


@pytest.mark.slow
def test_lightning_csv_logger_output(tmp_path: Path) -> None:
    """A tiny Lightning fit logged by CSVLogger: each epoch's values and the final ones."""
    pl = pytest.importorskip("lightning.pytorch")
    import pandas as pd
    import torch
    from lightning.pytorch.loggers import CSVLogger
    from torch import nn

    from journal.importers.csv import import_csv

    class Tiny(pl.LightningModule):
        def __init__(self, lr: float = 0.1, hidden: int = 4) -> None:
            super().__init__()
            self.save_hyperparameters()
            self.net = nn.Sequential(nn.Linear(3, hidden), nn.ReLU(), nn.Linear(hidden, 1))

        def training_step(self, batch: list[torch.Tensor], _: int) -> torch.Tensor:
            x, y = batch
            loss = nn.functional.mse_loss(self.net(x), y)
            self.log("train_loss", loss, on_step=True, on_epoch=True)
            return loss

        def validation_step(self, batch: list[torch.Tensor], _: int) -> None:
            x, y = batch
            self.log("val_loss", nn.functional.mse_loss(self.net(x), y))

        def configure_optimizers(self) -> torch.optim.Optimizer:
            return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)

    torch.manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(32, 3), torch.randn(32, 1))
    loader = torch.utils.data.DataLoader(data, batch_size=8)
    trainer = pl.Trainer(max_epochs=3, logger=CSVLogger(str(tmp_path / "logs"), name="tiny"),
                         log_every_n_steps=2, enable_progress_bar=False,
                         enable_model_summary=False, enable_checkpointing=False)
    trainer.fit(Tiny(), loader, loader)

    results = tmp_path / "results"
    import_csv(tmp_path / "logs", ImportOptions(results_dir=results))
    (rec,) = load_records(results)[0]
    assert (rec.experiment, rec.variant) == ("tiny", "version_0")
    assert rec.config == {"lr": 0.1, "hidden": 4}
    written = pd.read_csv(tmp_path / "logs" / "tiny" / "version_0" / "metrics.csv")
    assert [row.epoch for row in rec.history] == [0, 1, 2]
    for row in rec.history:
        epoch_rows = written[written["epoch"] == row.epoch]
        expected = {c: float(epoch_rows[c].dropna().iloc[-1])
                    for c in ("train_loss_step", "train_loss_epoch", "val_loss")}
        assert row.values() == expected
    logged = {k: float(v) for k, v in trainer.logged_metrics.items()}
    assert {k: rec.metrics[k] for k in logged} == pytest.approx(logged, rel=1e-6)
    assert set(rec.metrics) == {"train_loss_step", "train_loss_epoch", "val_loss"}


def test_a_config_seed_that_is_no_seed_names_the_file_and_key(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from journal.importers.common import ImportOptions, SourceError, SourceRun, to_record

    def run(seed: object) -> SourceRun:
        return SourceRun("csv", "x", "x", tmp_path / "hparams.yaml", "exp",
                         datetime(2026, 1, 1, tzinfo=UTC), config={"seed": seed},
                         series={"acc": [(0, 0.5)]})

    options = ImportOptions(results_dir=tmp_path)
    assert to_record(run(2**100), options).seed == 2**100
    assert to_record(run("42"), options).seed == 42
    for bad, why in ((10**40, "beyond ±2**128"), ("seven", "'seven' is not an integer")):
        with pytest.raises(SourceError) as caught:
            to_record(run(bad), options)
        assert str(tmp_path / "hparams.yaml") in str(caught.value)
        assert "config.seed" in str(caught.value) and why in str(caught.value)
