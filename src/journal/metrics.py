"""Every metric the journal reports, each with its definition.

Face anti-spoofing (FAS) convention
-----------------------------------
The **bona fide** (live, real face) class is the *positive* class. A model outputs a score, the
probability of bona fide; a sample is *accepted* as bona fide when ``score >= threshold``.
From the four counts

* ``tp``: bona fide accepted, ``fn``: bona fide rejected,
* ``tn``: attacks rejected, ``fp``: attacks accepted,

the rates are (ISO/IEC 30107-3 names, and the older verification names):

* ``apcer = fp / (fp + tn)`` — attack presentations wrongly accepted;
* ``bpcer = fn / (fn + tp)`` — bona fide presentations wrongly rejected (older papers: NPCER);
* ``acer = (apcer + bpcer) / 2``;
* ``far = fp / (fp + tn)`` — false acceptance rate (equals APCER);
* ``frr = fn / (fn + tp)`` — false rejection rate (equals BPCER);
* ``hter = (far + frr) / 2``;
* ``acc = (tp + tn) / (tp + fn + tn + fp)``.

A rate whose denominator is zero (no attack, or no bona fide sample) is ``0.0``, the convention
of scikit-learn's ``zero_division=0``; it never raises.

Multi-class classification
--------------------------
:func:`classification_metrics` takes a confusion matrix whose *rows are the true class* and
columns the predicted class, and returns what scikit-learn's ``classification_report`` shows:
for class *k*, ``precision = C[k,k] / sum(C[:,k])``, ``recall = C[k,k] / sum(C[k,:])``,
``f1 = 2·p·r / (p + r)``, ``support = sum(C[k,:])``; ``accuracy = trace(C) / sum(C)``;
the macro average is the unweighted mean over classes, the weighted average weights by support.
Speech-emotion papers call accuracy *WA* and the macro recall *UA* (unweighted accuracy).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

FAS_KEYS = ("acc", "far", "frr", "hter", "apcer", "bpcer", "acer")
"""The keys of :func:`fas_metrics`, in the order the seed notes list them."""

LOWER_IS_BETTER = frozenset(
    {"far", "frr", "hter", "apcer", "bpcer", "npcer", "acer", "eer", "fpr", "fnr", "error_rate",
     "cer", "wer", "mae", "mape", "rmse", "mse", "nll", "perplexity", "ppl", "error", "loss"}
)
"""Metrics where smaller is better (error rates, losses, errors); every other metric is taken
as higher-is-better. Matched after a ``val_``/``test_``/``train_`` prefix (``test_acer``), at the
end of a name after ``_`` (``ppg_mae``, ``val_loss``, ``top1_error``, ``word_error_rate``) and
before an operating point (``fpr@tpr=0.95``, ``apcer@bpcer=0.01``, ``fpr_at_tpr95``: what
follows ``_at_`` is the condition, so ``tpr_at_fpr`` is higher-is-better)."""

SPLIT_PREFIXES = ("val_", "test_", "train_")


def base_metric(metric: str) -> str:
    """``metric`` in lower case without a ``val_``/``test_``/``train_`` prefix: the name its
    goal (:func:`goal_of`) and range (:func:`journal.statistics.bounds_of`) are looked up by."""
    name = metric.strip().lower()
    for prefix in SPLIT_PREFIXES:
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):]
    return name


def goal_of(metric: str) -> Literal["min", "max"]:
    """``"min"`` for error rates, losses and errors (``acer``, ``test_acer``, ``mae``,
    ``val_loss``, ``fpr@tpr=0.95``…), else ``"max"``; see :data:`LOWER_IS_BETTER`."""
    name = base_metric(metric).partition("@")[0].split("_at_")[0]  # tpr_at_fpr measures the TPR
    if name in LOWER_IS_BETTER or name.endswith(("loss", "error_rate")):
        return "min"
    if "_" in name and name.rsplit("_", 1)[1] in LOWER_IS_BETTER:
        return "min"
    return "max"



def _rate(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else 0.0


def fas_metrics(tp: int, fn: int, tn: int, fp: int) -> dict[str, float]:
    """FAS metrics from the four counts (bona fide = positive); see the module docstring.

    >>> fas_metrics(tp=90, fn=10, tn=180, fp=20)["acer"]
    0.1
    """
    counts = {"tp": tp, "fn": fn, "tn": tn, "fp": fp}
    for name, value in counts.items():
        if int(value) != value or value < 0:
            raise ValueError(f"{name} must be a non-negative integer count, got {value!r}")
    apcer = _rate(fp, fp + tn)
    bpcer = _rate(fn, fn + tp)
    total = tp + fn + tn + fp
    return {
        "acc": _rate(tp + tn, total),
        "far": apcer,
        "frr": bpcer,
        "hter": (apcer + bpcer) / 2,
        "apcer": apcer,
        "bpcer": bpcer,
        "acer": (apcer + bpcer) / 2,
    }


def _as_arrays(labels: Any, scores: Any) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(labels).astype(int).ravel()
    s = np.asarray(scores, dtype=float).ravel()
    if y.shape != s.shape:
        raise ValueError(f"labels and scores differ in length: {y.size} vs {s.size}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError("labels must be 0 (attack) or 1 (bona fide)")
    return y, s


def fas_counts(labels: Any, scores: Any, threshold: float) -> dict[str, int]:
    """``tp, fn, tn, fp`` for labels (1 = bona fide) and scores accepted at ``>= threshold``."""
    y, s = _as_arrays(labels, scores)
    accept = s >= threshold
    return {
        "tp": int(np.sum(accept & (y == 1))),
        "fn": int(np.sum(~accept & (y == 1))),
        "tn": int(np.sum(~accept & (y == 0))),
        "fp": int(np.sum(accept & (y == 0))),
    }


def _roc_counts(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thresholds (distinct scores, descending) with the true and false positives of
    ``score >= t`` (integer counts)."""
    order = np.argsort(-s, kind="mergesort")
    s_sorted, y_sorted = s[order], y[order]
    tps = np.cumsum(y_sorted == 1)
    fps = np.cumsum(y_sorted == 0)
    last = np.r_[np.flatnonzero(np.diff(s_sorted)), s.size - 1]
    return s_sorted[last], tps[last], fps[last]


def _roc(y: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thresholds (distinct scores, descending) with the TPR and FPR of ``score >= t``."""
    thresholds, tps, fps = _roc_counts(y, s)
    tpr = tps / max(int(np.sum(y == 1)), 1)
    fpr = fps / max(int(np.sum(y == 0)), 1)
    return thresholds, tpr, fpr


def eer_threshold(labels: Any, scores: Any) -> float:
    """The threshold at the equal error rate: the candidate where ``|FAR - FRR|`` is smallest.

    Candidates are the distinct scores (accepting ``score >= t``). Ties go to the candidate with
    the smaller ``FAR + FRR``, then to the larger threshold. Find it on validation, apply it to test.
    The rates are compared as exact fractions of the counts (``FAR = FP / N``, ``FRR = FN / P``
    over the common denominator ``N·P``), so a tie is a tie, not a rounding accident.
    """
    y, s = _as_arrays(labels, scores)
    if s.size == 0:
        return 0.5
    thresholds, tps, fps = _roc_counts(y, s)
    pos, neg = max(int(np.sum(y == 1)), 1), max(int(np.sum(y == 0)), 1)
    far = fps.astype(np.int64) * pos  # FAR · N·P
    frr = (int(np.sum(y == 1)) - tps).astype(np.int64) * neg  # FRR · N·P
    order = np.lexsort((-thresholds, far + frr, np.abs(far - frr)))
    return float(thresholds[order[0]])


def tpr_at_fpr(labels: Any, scores: Any, fpr: float) -> float:
    """The highest true-positive rate reachable with a false-positive rate ``<= fpr``.

    Positive = bona fide. Equivalent to reading scikit-learn's ROC curve at ``fpr``
    (rejecting everything, TPR 0 at FPR 0, is always reachable).
    """
    y, s = _as_arrays(labels, scores)
    if s.size == 0 or not np.any(y == 1):
        return 0.0
    _, tprs, fprs = _roc(y, s)
    ok = fprs <= fpr
    return float(tprs[ok].max()) if ok.any() else 0.0


def fas_metrics_from_scores(
    labels: Any,
    scores: Any,
    *,
    policy: Literal["fixed", "eer"] = "fixed",
    threshold: float = 0.5,
    val_labels: Any = None,
    val_scores: Any = None,
) -> dict[str, float]:
    """FAS metrics of scores at a threshold chosen by ``policy``.

    * ``fixed``: accept at ``score >= threshold`` (0.5 by default);
    * ``eer``: the equal-error-rate threshold of ``val_labels``/``val_scores`` (required),
      applied to ``labels``/``scores``.

    Returns the :data:`FAS_KEYS`, the four counts, the ``threshold`` used, and
    ``tpr@fpr=1e-2`` and ``tpr@fpr=1e-3``.
    """
    if policy == "eer":
        if val_labels is None or val_scores is None:
            raise ValueError("policy 'eer' needs val_labels and val_scores to find the threshold")
        threshold = eer_threshold(val_labels, val_scores)
    elif policy != "fixed":
        raise ValueError(f"unknown threshold policy {policy!r}; use 'fixed' or 'eer'")
    counts = fas_counts(labels, scores, threshold)
    out: dict[str, float] = dict(fas_metrics(**counts))
    out.update({k: float(v) for k, v in counts.items()})
    out["threshold"] = float(threshold)
    out["tpr@fpr=1e-2"] = tpr_at_fpr(labels, scores, 1e-2)
    out["tpr@fpr=1e-3"] = tpr_at_fpr(labels, scores, 1e-3)
    return out


def confusion_matrix(y_true: Any, y_pred: Any, n_classes: int) -> list[list[int]]:
    """Counts with rows = true class and columns = predicted class (integer class ids)."""
    t = np.asarray(y_true, dtype=int).ravel()
    p = np.asarray(y_pred, dtype=int).ravel()
    if t.shape != p.shape:
        raise ValueError(f"y_true and y_pred differ in length: {t.size} vs {p.size}")
    out = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(out, (t, p), 1)
    return out.tolist()


def classification_metrics(
    confusion: Sequence[Sequence[int]] | np.ndarray, labels: Sequence[str] | None = None
) -> dict[str, Any]:
    """Accuracy and per-class precision, recall, F1 and support from a confusion matrix.

    Args:
        confusion: square matrix, rows = true class, columns = predicted class.
        labels: class names (default ``"0"``, ``"1"``, …).

    Returns:
        ``{"accuracy", "per_class": {label: {precision, recall, f1, support}},
        "macro avg": {...}, "weighted avg": {...}}`` — the figures of scikit-learn's
        ``classification_report`` with ``zero_division=0``.
    """
    c = np.asarray(confusion, dtype=float)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"confusion matrix must be square, got shape {c.shape}")
    if (c < 0).any():
        raise ValueError("confusion matrix counts must be non-negative")
    n = c.shape[0]
    names = [str(x) for x in labels] if labels is not None else [str(i) for i in range(n)]
    if len(names) != n:
        raise ValueError(f"{len(names)} labels for a {n}×{n} matrix")
    diag = np.diag(c)
    support = c.sum(axis=1)
    predicted = c.sum(axis=0)
    per_class: dict[str, dict[str, float]] = {}
    for k, name in enumerate(names):
        p = _rate(diag[k], predicted[k])
        r = _rate(diag[k], support[k])
        f1 = _rate(2 * p * r, p + r)
        per_class[name] = {"precision": p, "recall": r, "f1": f1, "support": float(support[k])}
    total = float(c.sum())
    keys = ("precision", "recall", "f1")
    macro = {k: float(np.mean([v[k] for v in per_class.values()])) for k in keys}
    weighted = {
        k: _rate(sum(v[k] * v["support"] for v in per_class.values()), total) for k in keys
    }
    macro["support"] = weighted["support"] = total
    return {
        "accuracy": _rate(float(diag.sum()), total),
        "per_class": per_class,
        "macro avg": macro,
        "weighted avg": weighted,
    }


def auroc(labels: Any, scores: Any) -> float:
    """Area under the ROC curve of ``scores`` for the positive class ``labels == 1``.

    Equals the probability that a random positive scores above a random negative, ties counting
    one half (the Mann–Whitney U statistic divided by ``n_pos · n_neg``). NaN when only one class
    is present, where the area is undefined.
    """
    y, s = _as_arrays(labels, scores)
    n_pos, n_neg = int(np.sum(y == 1)), int(np.sum(y == 0))
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(s.size, dtype=float)
    sorted_s = s[order]
    # average ranks over ties (1-based)
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_s)) + 1]
    ends = np.r_[starts[1:], s.size]
    for lo, hi in zip(starts, ends, strict=True):
        ranks[order[lo:hi]] = (lo + 1 + hi) / 2
    u = ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


def regression_metrics(y_true: Any, y_pred: Any) -> dict[str, float]:
    """``mae``, ``r2``, ``rmse`` (the order the cmssl code writes them) and ``pearson_r``.

    * ``mae = mean(|y - ŷ|)``; ``rmse = sqrt(mean((y - ŷ)²))``;
    * ``r2 = 1 - Σ(y - ŷ)² / Σ(y - ȳ)²`` — the coefficient of determination, negative when the
      prediction is worse than the mean (the seed note's negative middle values are R², not r);
      NaN when ``y`` is constant;
    * ``pearson_r`` — the correlation of ``y`` and ``ŷ``; NaN when either is constant.
    """
    t = np.asarray(y_true, dtype=float).ravel()
    p = np.asarray(y_pred, dtype=float).ravel()
    if t.shape != p.shape or t.size == 0:
        raise ValueError(f"y_true and y_pred must be non-empty and of one length: {t.size} vs {p.size}")
    err = t - p
    ss_tot = float(np.sum((t - t.mean()) ** 2))
    st, sp = float(t.std()), float(p.std())
    r = float(np.mean((t - t.mean()) * (p - p.mean())) / (st * sp)) if st > 0 and sp > 0 else float("nan")
    return {
        "mae": float(np.mean(np.abs(err))),
        "r2": 1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan"),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "pearson_r": r,
    }


def report_rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """:func:`classification_metrics` output as one row per class, then ``macro avg`` and
    ``weighted avg`` — the rows of scikit-learn's classification report."""
    return {**report["per_class"], "macro avg": report["macro avg"], "weighted avg": report["weighted avg"]}


def speech_emotion_summary(report: dict[str, Any]) -> dict[str, float]:
    """WA, UA and F1 averages from :func:`classification_metrics` output.

    ``wa`` (weighted accuracy) is the overall accuracy; ``ua`` (unweighted accuracy) is the mean of
    the per-class recalls over the classes the test set has (support > 0), the figure
    speech-emotion papers report next to WA and scikit-learn's ``balanced_accuracy_score``: a
    class with no test sample has no recall to average (with all classes present it is the
    macro recall).
    """
    present = [row["recall"] for row in report["per_class"].values() if row["support"] > 0]
    return {
        "wa": report["accuracy"],
        "ua": float(np.mean(present)) if present else 0.0,
        "macro_f1": report["macro avg"]["f1"],
        "weighted_f1": report["weighted avg"]["f1"],
    }


def roc_points(labels: Any, scores: Any, max_points: int = 200) -> tuple[list[float], list[float]]:
    """The ROC curve ``(fpr, tpr)`` from (0, 0) to (1, 1), thinned to at most ``max_points``."""
    y, s = _as_arrays(labels, scores)
    _, tpr, fpr = _roc(y, s)
    fpr, tpr = np.r_[0.0, fpr], np.r_[0.0, tpr]
    if fpr.size > max_points:
        keep = np.unique(np.linspace(0, fpr.size - 1, max_points).round().astype(int))
        fpr, tpr = fpr[keep], tpr[keep]
    return fpr.tolist(), tpr.tolist()


def gaussian_smooth(values: Any, sigma: float) -> np.ndarray:
    """Gaussian smoothing of a 1-D series, as ``scipy.ndimage.gaussian_filter1d`` computes it:
    kernel truncated at 4σ, edges extended by mirror reflection (``d c b a | a b c d | d c b a``).
    ``sigma <= 0`` returns a copy."""
    x = np.asarray(values, dtype=float).ravel()
    if sigma <= 0 or x.size == 0:
        return x.copy()
    radius = int(4.0 * sigma + 0.5)
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    index = np.arange(-radius, x.size + radius) % (2 * x.size)
    index = np.where(index >= x.size, 2 * x.size - 1 - index, index)
    return np.convolve(x[index], kernel[::-1], mode="valid")


def reid_cmc_map(
    distances: Any, query_ids: Any, gallery_ids: Any, query_cams: Any, gallery_cams: Any,
    max_rank: int = 10,
) -> tuple[np.ndarray, float]:
    """CMC curve (ranks 1…``max_rank``) and mAP under the Market-1501 protocol.

    For each query the gallery is sorted by distance; entries with the query's identity *and*
    camera are removed; a query with no remaining true match is skipped. CMC at rank k is the share
    of queries with a true match in their first k results; AP is the mean of precision at the rank
    of each true match (not interpolated), and mAP the mean AP over the queries kept.
    """
    dist = np.asarray(distances, dtype=float)
    q_ids, g_ids = np.asarray(query_ids), np.asarray(gallery_ids)
    q_cams, g_cams = np.asarray(query_cams), np.asarray(gallery_cams)
    if dist.shape != (q_ids.size, g_ids.size):
        raise ValueError(f"distances must be {q_ids.size}×{g_ids.size}, got {dist.shape}")
    cmc_sum = np.zeros(max_rank)
    aps = []
    for q in range(q_ids.size):
        order = np.argsort(dist[q], kind="mergesort")
        keep = ~((g_ids[order] == q_ids[q]) & (g_cams[order] == q_cams[q]))
        matches = (g_ids[order] == q_ids[q])[keep]
        if not matches.any():
            continue
        first = int(np.argmax(matches))
        if first < max_rank:
            cmc_sum[first:] += 1
        hits = np.cumsum(matches)
        ranks = np.flatnonzero(matches) + 1
        aps.append(float(np.mean(hits[ranks - 1] / ranks)))
    if not aps:
        return np.zeros(max_rank), float("nan")
    return cmc_sum / len(aps), float(np.mean(aps))
