"""Every metric against scikit-learn or hand arithmetic from counts."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import classification_report, confusion_matrix, roc_curve

from conftest import expand
from journal import metrics


def test_fas_metrics_by_hand_with_unequal_far_and_frr() -> None:
    # 100 bona fide, 300 attacks; 10 real faces rejected, 30 attacks accepted.
    m = metrics.fas_metrics(tp=90, fn=10, tn=270, fp=30)
    assert m["apcer"] == pytest.approx(30 / 300)  # attacks accepted
    assert m["bpcer"] == pytest.approx(10 / 100)  # real faces rejected
    assert m["far"] == pytest.approx(0.1) and m["frr"] == pytest.approx(0.1)
    m = metrics.fas_metrics(tp=80, fn=20, tn=291, fp=9)
    assert m["far"] == pytest.approx(9 / 300)
    assert m["frr"] == pytest.approx(20 / 100)
    assert m["apcer"] == pytest.approx(0.03) and m["bpcer"] == pytest.approx(0.2)
    assert m["hter"] == pytest.approx((0.03 + 0.2) / 2)
    assert m["acer"] == pytest.approx(0.115)
    assert m["acc"] == pytest.approx(371 / 400)
    assert list(m) == list(metrics.FAS_KEYS)


def test_fas_metrics_zero_denominators_are_defined() -> None:
    only_attacks = metrics.fas_metrics(tp=0, fn=0, tn=5, fp=5)
    assert only_attacks["bpcer"] == 0.0 and only_attacks["apcer"] == 0.5
    empty = metrics.fas_metrics(0, 0, 0, 0)
    assert all(v == 0.0 for v in empty.values())


@pytest.mark.parametrize("bad", [-1, 1.5])
def test_fas_metrics_rejects_non_counts(bad: float) -> None:
    with pytest.raises(ValueError, match="tp"):
        metrics.fas_metrics(tp=bad, fn=1, tn=1, fp=1)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(5))
def test_fas_counts_match_sklearn_confusion_matrix(seed: int) -> None:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    s = np.clip(rng.normal(0.3 + 0.4 * y, 0.25), 0, 1)
    t = float(rng.uniform(0.2, 0.8))
    tn, fp, fn, tp = confusion_matrix(y, (s >= t).astype(int), labels=[0, 1]).ravel()
    assert metrics.fas_counts(y, s, t) == {"tp": tp, "fn": fn, "tn": tn, "fp": fp}
    m = metrics.fas_metrics_from_scores(y, s, policy="fixed", threshold=t)
    assert m["apcer"] == pytest.approx(fp / (fp + tn))
    assert m["bpcer"] == pytest.approx(fn / (fn + tp))
    assert m["threshold"] == t


@pytest.mark.parametrize("seed", range(5))
def test_tpr_at_fpr_matches_sklearn_roc(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    y = rng.integers(0, 2, 500)
    s = np.round(rng.normal(y * 1.2, 1.0), 2)  # ties on purpose
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    for target in (1e-3, 1e-2, 0.1, 0.5):
        expected = tpr[fpr <= target].max()
        assert metrics.tpr_at_fpr(y, s, target) == pytest.approx(expected)


@pytest.mark.parametrize("seed", range(5))
def test_eer_threshold_is_the_closest_far_frr_point_of_sklearn_roc(seed: int) -> None:
    rng = np.random.default_rng(200 + seed)
    y = rng.integers(0, 2, 400)
    s = rng.normal(y * 1.5, 1.0)
    fpr, tpr, thresholds = roc_curve(y, s, drop_intermediate=False)
    gap = np.abs(fpr - (1 - tpr))
    t = metrics.eer_threshold(y, s)
    counts = metrics.fas_counts(y, s, t)
    m = metrics.fas_metrics(**counts)
    assert abs(m["far"] - m["frr"]) == pytest.approx(gap[1:].min())


def test_eer_tie_goes_by_exact_counts_to_the_larger_threshold() -> None:
    """7 negatives, 7 positives: at 0.6 (FP 2, FN 3) and at 0.5 (FP 3, FN 2) both |FAR − FRR|
    are 1/7 and both FAR + FRR 5/7, by hand; the rule says the larger threshold. In floats
    1 − TPR made the two gaps differ in the last bit and picked 0.5."""
    y = [0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1]
    s = [0, .7, 1, .9, 0, .5, .2, .3, .2, .8, .3, 1, .5, .6]
    for threshold, (fp, fn) in ((0.6, (2, 3)), (0.5, (3, 2))):
        c = metrics.fas_counts(y, s, threshold)
        assert (c["fp"], c["fn"]) == (fp, fn)
    assert metrics.eer_threshold(y, s) == 0.6


def test_eer_policy_takes_threshold_from_validation() -> None:
    val_y = np.array([0, 0, 0, 1, 1, 1])
    val_s = np.array([0.1, 0.2, 0.3, 0.7, 0.8, 0.9])
    m = metrics.fas_metrics_from_scores([0, 1], [0.65, 0.66], policy="eer",
                                        val_labels=val_y, val_scores=val_s)
    assert m["threshold"] == 0.7  # separates validation perfectly
    assert m["tn"] == 1 and m["fn"] == 1  # both test scores fall below it
    with pytest.raises(ValueError, match="val_labels"):
        metrics.fas_metrics_from_scores([0, 1], [0.1, 0.9], policy="eer")


# The users' own numbers: seed note 003, first run (rows = true class 正向, 中性, 负向).
NOTE_003 = [[1550, 393, 0], [834, 1311, 0], [101, 305, 0]]


def test_classification_metrics_reproduce_the_seed_note() -> None:
    m = metrics.classification_metrics(NOTE_003, ["正向", "中性", "负向"])
    assert round(m["accuracy"], 3) == 0.637
    per = m["per_class"]
    assert [round(per[k]["precision"], 3) for k in per] == [0.624, 0.653, 0.0]
    assert [round(per[k]["recall"], 3) for k in per] == [0.798, 0.611, 0.0]
    assert [round(per[k]["f1"], 3) for k in per] == [0.700, 0.631, 0.0]
    assert per["负向"]["support"] == 406


@pytest.mark.parametrize("seed", range(8))
def test_classification_metrics_match_sklearn_report(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    confusion = rng.integers(0, 40, (n, n))
    confusion[:, rng.integers(0, n)] = 0  # a class never predicted: zero division
    y_true, y_pred = expand(confusion)
    labels = [f"c{i}" for i in range(n)]
    ours = metrics.classification_metrics(confusion, labels)
    ref = classification_report(y_true, y_pred, labels=list(range(n)), target_names=labels,
                                output_dict=True, zero_division=0)
    assert ours["accuracy"] == pytest.approx(np.trace(confusion) / confusion.sum())
    for name in labels:
        for key in ("precision", "recall", "f1-score", "support"):
            ours_key = "f1" if key == "f1-score" else key
            assert ours["per_class"][name][ours_key] == pytest.approx(ref[name][key])
    for avg in ("macro avg", "weighted avg"):
        for key in ("precision", "recall", "f1-score"):
            ours_key = "f1" if key == "f1-score" else key
            assert ours[avg][ours_key] == pytest.approx(ref[avg][key])


def test_confusion_matrix_matches_sklearn() -> None:
    rng = np.random.default_rng(3)
    t, p = rng.integers(0, 3, 100), rng.integers(0, 3, 100)
    assert metrics.confusion_matrix(t, p, 3) == confusion_matrix(t, p, labels=[0, 1, 2]).tolist()


def test_classification_metrics_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError, match="square"):
        metrics.classification_metrics([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError, match="labels"):
        metrics.classification_metrics([[1, 0], [0, 1]], ["a"])


@pytest.mark.parametrize("seed", range(6))
def test_auroc_matches_sklearn(seed: int) -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(300 + seed)
    y = rng.integers(0, 2, 200)
    s = np.round(rng.normal(y * 0.8, 1.0), 1)  # many ties
    assert metrics.auroc(y, s) == pytest.approx(roc_auc_score(y, s))
    assert np.isnan(metrics.auroc(np.ones(5), np.arange(5)))


def test_auroc_by_hand() -> None:
    # positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4) (0.8>0.1) (0.4=0.4 → ½) (0.4>0.1)
    assert metrics.auroc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]) == pytest.approx(3.5 / 4)


@pytest.mark.parametrize("seed", range(5))
def test_regression_metrics_match_sklearn_and_numpy(seed: int) -> None:
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    rng = np.random.default_rng(400 + seed)
    t = rng.normal(80, 15, 100)
    p = t + rng.normal(0, 10 + 20 * seed, 100)  # later seeds predict worse than the mean: R² < 0
    m = metrics.regression_metrics(t, p)
    assert list(m) == ["mae", "r2", "rmse", "pearson_r"]
    assert m["mae"] == pytest.approx(mean_absolute_error(t, p))
    assert m["r2"] == pytest.approx(r2_score(t, p))
    assert m["rmse"] == pytest.approx(np.sqrt(mean_squared_error(t, p)))
    assert m["pearson_r"] == pytest.approx(np.corrcoef(t, p)[0, 1])


def test_regression_r2_is_negative_when_worse_than_the_mean() -> None:
    m = metrics.regression_metrics([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
    assert m["r2"] == pytest.approx(1 - 8 / 2) and m["pearson_r"] == pytest.approx(-1.0)
    assert np.isnan(metrics.regression_metrics([2.0, 2.0], [1.0, 3.0])["r2"])


def test_speech_emotion_summary_from_the_seed_note() -> None:
    report = metrics.classification_metrics(NOTE_003, ["正向", "中性", "负向"])
    s = metrics.speech_emotion_summary(report)
    assert s["wa"] == pytest.approx((1550 + 1311) / 4494)
    assert s["ua"] == pytest.approx((1550 / 1943 + 1311 / 2145 + 0) / 3)


def test_ua_is_balanced_accuracy_over_the_classes_the_test_set_has() -> None:
    """No sample of class 1 in the test set: UA averages the recalls of classes 0 and 2
    ((3/4 + 4/5) / 2 = 0.775, by hand), as sklearn's balanced accuracy does; not 0.517."""
    import warnings

    from sklearn.metrics import balanced_accuracy_score

    matrix = [[3, 1, 0], [0, 0, 0], [1, 0, 4]]
    s = metrics.speech_emotion_summary(metrics.classification_metrics(matrix, ["a", "b", "c"]))
    y_true = [0, 0, 0, 0, 2, 2, 2, 2, 2]
    y_pred = [0, 0, 0, 1, 0, 2, 2, 2, 2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "y_pred contains classes not in y_true"
        assert s["ua"] == pytest.approx(balanced_accuracy_score(y_true, y_pred)) == pytest.approx(0.775)


@pytest.mark.parametrize("sigma", [0.5, 3, 7, 9])
def test_gaussian_smooth_matches_scipy(sigma: float) -> None:
    from scipy.ndimage import gaussian_filter1d

    x = np.random.default_rng(1).random(40)  # shorter than 2 × 4σ for sigma 9: repeated reflection
    assert np.allclose(metrics.gaussian_smooth(x, sigma), gaussian_filter1d(x, sigma))
    assert np.array_equal(metrics.gaussian_smooth(x, 0), x)


def test_roc_points_match_sklearn() -> None:
    rng = np.random.default_rng(5)
    y, s = rng.integers(0, 2, 300), rng.random(300)
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    ours_fpr, ours_tpr = metrics.roc_points(y, s, max_points=10_000)
    assert np.allclose(ours_fpr, fpr) and np.allclose(ours_tpr, tpr)
    thin_fpr, _ = metrics.roc_points(y, s, max_points=50)
    assert len(thin_fpr) <= 50 and thin_fpr[0] == 0.0 and thin_fpr[-1] == 1.0


def _reid_by_definition(dist, q_ids, g_ids, q_cams, g_cams, max_rank):  # type: ignore[no-untyped-def]
    """The protocol written out plainly, one query at a time, for comparison."""
    cmc, aps = np.zeros(max_rank), []
    for q in range(len(q_ids)):
        ranked = sorted(range(len(g_ids)), key=lambda g: (dist[q][g], g))
        valid = [g for g in ranked if not (g_ids[g] == q_ids[q] and g_cams[g] == q_cams[q])]
        good = [i for i, g in enumerate(valid) if g_ids[g] == q_ids[q]]
        if not good:
            continue
        for k in range(max_rank):
            cmc[k] += good[0] <= k
        aps.append(np.mean([(n + 1) / (i + 1) for n, i in enumerate(good)]))
    return cmc / len(aps), float(np.mean(aps))


def test_reid_hand_made_case() -> None:
    # query id 1 cam 1; gallery sorted by distance: [id1 cam1 (junk), id2, id1 cam2, id3, id1 cam3]
    dist = [[0.1, 0.2, 0.3, 0.4, 0.5]]
    cmc, m = metrics.reid_cmc_map(dist, [1], [1, 2, 1, 3, 1], [1], [1, 1, 2, 1, 3], max_rank=3)
    # after removing the same-camera match: [id2, id1, id3, id1] → first hit at rank 2
    assert cmc.tolist() == [0.0, 1.0, 1.0]
    assert m == pytest.approx((1 / 2 + 2 / 4) / 2)
    # a query whose only matches share its camera is skipped
    cmc, m = metrics.reid_cmc_map([[0.1, 0.2], [0.2, 0.1]], [1, 2], [1, 2], [1, 1], [1, 2], max_rank=1)
    assert cmc.tolist() == [1.0] and m == 1.0  # only the second query counts


@pytest.mark.parametrize("seed", range(5))
def test_reid_matches_the_protocol_written_out(seed: int) -> None:
    rng = np.random.default_rng(500 + seed)
    q_ids, g_ids = rng.integers(0, 6, 15), rng.integers(0, 6, 60)
    q_cams, g_cams = rng.integers(0, 3, 15), rng.integers(0, 3, 60)
    dist = rng.random((15, 60)).round(2)  # ties resolved by gallery order in both
    cmc, m = metrics.reid_cmc_map(dist, q_ids, g_ids, q_cams, g_cams, max_rank=10)
    ref_cmc, ref_m = _reid_by_definition(dist, q_ids, g_ids, q_cams, g_cams, 10)
    assert np.allclose(cmc, ref_cmc) and m == pytest.approx(ref_m)
