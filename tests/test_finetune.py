"""finetune end to end: .npy data, pre-training checkpoint reuse, fine-tuning records, references."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from journal.config import apply_overrides, parse_overrides
from journal.errors import ConfigError, JournalError
from journal.experiments.finetune.config import FinetuneConfig
from journal.experiments.finetune.data import load_split, make_tiny_data
from journal.experiments.finetune.model import info_nce
from journal.metrics import regression_metrics
from journal.naming import variant_suffix
from journal.records import load_records
from journal.render import build_posts


def test_data_layout(tmp_path: Path) -> None:
    root = make_tiny_data(tmp_path / "d", 20, {"train": 10, "val": 4, "test": 6}, seed=0)
    assert np.load(root / "unlabelled_ecg.npy").shape == (20, 400)
    x, y = load_split(root, "ppg_hr", "test")
    assert x.shape == (6, 400) and y.shape == (6,) and y.min() >= 50 and y.max() <= 130
    _, af = load_split(root, "ecg_rhythm", "train")
    assert set(np.unique(af)) <= {0, 1}
    with pytest.raises(JournalError, match="ppg_hr/val_x.npy: cannot read array"):
        load_split(tmp_path, "ppg_hr", "val")


def test_info_nce_prefers_matching_pairs() -> None:
    a = torch.nn.functional.normalize(torch.randn(8, 16), dim=1)
    matched, top1 = info_nce(a, a, 0.1)
    shuffled, _ = info_nce(a, a.roll(1, 0), 0.1)
    assert top1 == 1.0 and matched < shuffled


def test_reference_overrides_fill_a_dict_and_do_not_tag_the_variant() -> None:
    pairs = parse_overrides(["reference.mae=2.35", "reference.rmse=3.08", "mode=linear"])
    config = apply_overrides(FinetuneConfig(), pairs)
    assert config.reference == {"mae": 2.35, "rmse": 3.08} and config.mode == "linear"
    recorded = {"mode": "linear", "reference": config.reference}
    assert variant_suffix(pairs, recorded, experiment="finetune") == " · mode=linear"
    with pytest.raises(ConfigError, match="reference.mae"):
        apply_overrides(FinetuneConfig(), parse_overrides(["reference.mae=low"]))


@pytest.mark.slow
def test_records_and_post(finetune_results: Path) -> None:
    records, errors = load_records(finetune_results)
    assert errors == []
    variants = sorted({r.variant for r in records})
    tag = " · epochs=4 · mode=linear · pretrain_epochs=3"
    # a tag only for a setting the run has: pre-training has no fine-tuning epochs or mode
    assert variants == [f"ecg_rhythm{tag}", f"ppg_hr{tag}", "pretrain · pretrain_epochs=3"]
    pretrain = [r for r in records if r.variant.startswith("pretrain")]
    assert len(pretrain) == 2 and all(0 <= r.metrics["val_top1"] <= 1 for r in pretrain)
    hr = [r for r in records if r.variant.startswith("ppg_hr")]
    for rec in hr:
        assert list(rec.metrics) == ["mae", "r2", "rmse", "pearson_r"]
        assert rec.checkpoint == "mae_best" and rec.config["mode"] == "linear"
        assert rec.references == {"paper": {"mae": 2.35, "rmse": 3.08}}
        assert rec.selections["mae_best"].value == min(r.values()["val_mae"] for r in rec.history)
    ecg = [r for r in records if r.variant.startswith("ecg_rhythm")]
    for rec in ecg:
        assert set(rec.metrics) == {"acc", "macro_f1", "auroc"} and rec.references == {}
        assert rec.confusion is not None and rec.confusion.labels == ["normal", "AF"]
        assert rec.per_class["macro avg"]["f1"] == pytest.approx(rec.metrics["macro_f1"])
    (post,) = build_posts(records)
    md = post.markdown
    assert "| run | status | MAE | R² | RMSE | Pearson r |" in md
    mae = np.mean([r.metrics["mae"] for r in hr])
    assert f"| ours − paper | {mae - 2.35:+.4f} |" in md
    assert "| **ours (mean)** |" in md and "| paper | 2.3500 | —" not in md


def test_regression_metrics_in_bpm_example() -> None:
    m = regression_metrics([60.0, 80.0, 100.0], [62.0, 79.0, 97.0])
    assert m["mae"] == pytest.approx(2.0) and m["rmse"] == pytest.approx(np.sqrt(14 / 3))
