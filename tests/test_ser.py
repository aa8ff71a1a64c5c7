"""ser end to end: WAV + CSV corpus, features, and records whose figures match scikit-learn."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from sklearn.metrics import classification_report

from conftest import expand
from journal.errors import JournalError
from journal.experiments.ser import features
from journal.experiments.ser.data import make_tiny_corpus, read_index, read_wav, write_wav
from journal.metrics import classification_metrics, speech_emotion_summary
from journal.records import load_records
from journal.render import build_posts

NAMES = ["正向", "中性", "负向"]


def test_wav_round_trip(tmp_path: Path) -> None:
    signal = np.sin(np.linspace(0, 100, 1600)) * 0.5
    write_wav(tmp_path / "a.wav", signal)
    back, rate = read_wav(tmp_path / "a.wav")
    assert rate == 16_000 and back.shape == (1600,)
    assert np.max(np.abs(back - signal)) < 1e-4


def test_tiny_corpus_layout_and_imbalance(tmp_path: Path) -> None:
    root = make_tiny_corpus(tmp_path / "c", NAMES, n_train=200, n_test=100, seed=0)
    with open(root / "index.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 300 and set(rows[0]) == {"path", "label", "split"}
    items = read_index(root, NAMES)
    counts = np.bincount([i.label for i in items], minlength=3)
    assert counts[1] > counts[2] and counts[0] > counts[2]  # 负向 is the rare class, as in the notes
    wave, rate = read_wav(root / rows[0]["path"])
    assert rate == 16_000 and wave.size == 16_000


def test_index_errors_name_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "index.csv").write_text("path,label,split\na.wav,正向,train\nb.wav,开心,train\n")
    with pytest.raises(JournalError, match=r"index.csv:3: field 'label': '开心' is not one of"):
        read_index(tmp_path, NAMES)


def test_features_shapes_and_transforms() -> None:
    wave = torch.randn(16_000)
    spec = features.log_spectrogram(wave, 16_000)
    assert spec.shape == (257, 51)
    assert features.log_spectrogram(wave, 16_000, max_hz=4000).shape == (129, 51)
    assert features.mfcc(wave, 16_000, 20).shape == (20, 51)
    bank = features.mel_filterbank(16_000)
    assert bank.shape == (40, 257) and float(bank.max()) <= 1.0 and (bank.sum(dim=1) > 0).all()
    dct = features.dct_matrix(40, 40)
    assert torch.allclose(dct @ dct.T, torch.eye(40), atol=1e-5)  # orthonormal


@pytest.mark.slow
def test_records_figures_equal_sklearn(ser_results: Path) -> None:
    records, errors = load_records(ser_results)
    assert errors == [] and sorted(r.seed for r in records) == [0, 1]
    for rec in records:
        assert rec.status == "finished" and rec.checkpoint == "ua_best"
        assert rec.confusion is not None and rec.confusion.labels == NAMES
        assert rec.confusion.checkpoint == "ua_best"
        y_true, y_pred = expand(rec.confusion.matrix)  # the predictions behind the matrix
        ref = classification_report(y_true, y_pred, labels=[0, 1, 2], target_names=NAMES,
                                    output_dict=True, zero_division=0)
        for name in NAMES:
            assert rec.per_class[name]["precision"] == pytest.approx(ref[name]["precision"])
            assert rec.per_class[name]["recall"] == pytest.approx(ref[name]["recall"])
            assert rec.per_class[name]["f1"] == pytest.approx(ref[name]["f1-score"])
        assert rec.metrics["wa"] == pytest.approx(ref["accuracy"])
        assert rec.metrics["ua"] == pytest.approx(ref["macro avg"]["recall"])
        assert rec.selections["ua_best"].value == max(row.values()["val_ua"] for row in rec.history)
        assert rec.selections["ua_best"].test == pytest.approx(
            speech_emotion_summary(classification_metrics(rec.confusion.matrix, NAMES)))


@pytest.mark.slow
def test_post_per_class_table_equals_sklearn(ser_results: Path) -> None:
    records, _ = load_records(ser_results)
    (post,) = build_posts(records)
    for name in NAMES:
        values = [r.per_class[name]["f1"] for r in records]
        mean, std = np.mean(values), np.std(values, ddof=1)
        assert f"| **{name}** | 2 |" in post.markdown
        assert f"{mean:.4f}\u00a0±\u00a0{std:.4f}" in post.markdown
    chart = next(v for k, v in post.assets.items() if k.endswith("per-class-f1.svg")).decode()
    assert all(f">{name}<" in chart or name in chart for name in NAMES)
    assert "| UA\u00a0% &#91;95% CI&#93; |" in post.markdown  # the headline ranks by UA
    assert "| UA\u00a0% | WA\u00a0% |" in post.markdown  # the lead: UA, then WA


@pytest.mark.slow
@pytest.mark.parametrize("options", [
    ["features=mfcc", "loss=focal", "class_balance=sampler"],
    ["low_freq_only=true", "class_balance=none", "classes=pos,neu,neg"],
])
def test_options_train(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: list[str]) -> None:
    from journal.config import parse_overrides
    from journal.experiments import run_experiment
    from journal.records import read_record

    monkeypatch.setenv("JOURNAL_DATA", str(tmp_path / "data"))
    overrides = parse_overrides([*options, "epochs=2", "n_train=60", "n_test=30"])
    (path,) = run_experiment("ser", seeds=[0], overrides=overrides, results_dir=tmp_path / "r",
                             progress=False)
    rec = read_record(path)
    assert rec.status == "finished" and len(rec.history) == 2
    assert all(not math.isnan(v) for v in rec.metrics.values())
    assert rec.variant.startswith("Light-SERNet · ")
