"""The read part of a post: display of numbers, equal columns, FAS counts, the best run, the
per-epoch line, per-task sections and classification reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from conftest import T0
from journal.declarations import Declaration, MetricDisplay
from journal.metrics import fas_metrics
from journal.records import Confusion, Dataset, EpochRow, Record
from journal.render import build_posts
from journal.render.display import display_of
from journal.render.lead import epoch_lines, lead_block, post_title
from journal.summary import equal_metrics, fas_counts, negative_row, negatives_of, rate_counts

Factory = Callable[..., Record]


def test_rates_print_as_percentages_and_other_metrics_as_numbers() -> None:
    acer, mae = display_of("acer"), display_of("mae")
    assert (acer.percent, acer.label, acer.value(0.0752), acer.value(None)) == (
        True,
        "ACER\u00a0%",
        "7.52",
        "—",
    )
    assert acer.mean_std(0.0752, 0.0041) == "7.52\u00a0±\u00a00.41"
    assert acer.difference(-0.012) == "−1.20"
    assert acer.interval(-0.02, 0.004, signed=True) == "[−2.00,\u00a0+0.40]"
    assert (mae.percent, mae.value(2.3456789)) == (False, "2.3457")
    declared = Declaration(display={"acer": MetricDisplay(percent=False, digits=3)})
    assert display_of("acer", declared).value(0.0752) == "0.075"


def test_fas_counts_follow_the_notes_order(make_record: Factory) -> None:
    rec = make_record(
        confusion=Confusion(labels=["attack", "bona fide"], matrix=[[38242, 2010], [1822, 15636]]),
        metrics=fas_metrics(tp=15636, fn=1822, tn=38242, fp=2010),
    )
    assert fas_counts(rec) == (15636, 1822, 38242, 2010)  # TP FN TN FP
    other = make_record(metrics={"acc": 0.9}, confusion=Confusion(labels=["a", "b"], matrix=[[1, 2], [3, 4]]))
    assert fas_counts(other) is None  # not a FAS run


def test_fas_counts_find_the_attack_row_when_bona_fide_comes_first(make_record: Factory) -> None:
    """Rows [bona fide, attack]: 55 of 275 attacks accepted is APCER 0.2, 27 of 125 bona fide
    rejected is BPCER 0.216, by hand; the counts follow the rates the run logged, not row 0."""
    flipped = Confusion(labels=["bona fide", "attack"], matrix=[[98, 27], [55, 220]])
    rates = fas_metrics(tp=98, fn=27, tn=220, fp=55)
    assert (rates["apcer"], rates["bpcer"]) == (0.2, 0.216)
    assert fas_counts(make_record(confusion=flipped, metrics=rates)) == (98, 27, 220, 55)
    assert negatives_of(make_record(confusion=flipped, metrics=rates)) == 275
    assert rate_counts(make_record(confusion=flipped, metrics=rates), "apcer") == (55, 275)
    # the rates logged in percent, with two decimals: 55/275 = 20 %, 27/125 = 21.6 %
    percent = make_record(confusion=flipped, metrics={"apcer": 20.0, "bpcer": 21.6, "acer": 20.8})
    assert fas_counts(percent) == (98, 27, 220, 55)
    unlabelled = Confusion(labels=["x", "y"], matrix=[[50, 10], [5, 35]])  # 5/40, 10/60 by hand
    assert fas_counts(make_record(confusion=unlabelled,
                                  metrics={"apcer": 12.5, "bpcer": 16.67})) == (50, 10, 35, 5)
    # without the rates, the labels say which row is the attack
    by_label = make_record(confusion=flipped, metrics={"acer": 0.208})
    assert fas_counts(by_label) == (98, 27, 220, 55)
    # rates that neither orientation reproduces (another checkpoint's): row 0, as documented
    assert negative_row(make_record(confusion=Confusion(labels=["a", "b"], matrix=[[5, 5], [1, 9]]),
                                    metrics={"apcer": 0.3, "bpcer": 0.3})) == 0


def test_equal_metrics_are_shown_once_keeping_the_key_metric(make_record: Factory) -> None:
    runs = [make_record(seed=s, metrics=fas_metrics(tp=90 + s, fn=10, tn=80, fp=20 - s)) for s in range(3)]
    same = equal_metrics(runs, ["acc", "far", "frr", "hter", "apcer", "bpcer", "acer"], keep=["acer"])
    assert same == {"hter": "acer", "apcer": "far", "bpcer": "frr"}
    runs[1].metrics["apcer"] = 0.5  # one run differs: never merged
    assert "apcer" not in equal_metrics(runs, ["far", "apcer"])


def _fas_runs(make_record: Factory, variant: str, counts: list[tuple[int, int, int, int]]) -> list[Record]:
    return [
        make_record(
            id=f"{variant}-{i}",
            seed=i,
            variant=variant,
            metrics=fas_metrics(tp=tp, fn=fn, tn=tn, fp=fp),
            confusion=Confusion(labels=["attack", "bona fide"], matrix=[[tn, fp], [fn, tp]]),
        )
        for i, (tp, fn, tn, fp) in enumerate(counts)
    ]


def test_a_lead_block_reads_like_note_004(make_record: Factory) -> None:
    runs = _fas_runs(make_record, "student", [(15636, 1822, 38242, 2010), (15500, 1958, 38000, 2252)])
    text = lead_block(
        runs,
        "acer",
        Declaration(
            key_metric="acer", goal="min", metrics=["acc", "far", "frr", "hter", "apcer", "bpcer", "acer"]
        ),
        None,
    )
    lines = text.splitlines()
    assert lines[0] == "| run | Acc\u00a0% | FAR\u00a0% | FRR\u00a0% | ACER\u00a0% | TP FN TN FP |"
    m = fas_metrics(tp=15636, fn=1822, tn=38242, fp=2010)
    assert lines[2] == (
        f"| seed 0 (best) | {100 * m['acc']:.2f} | {100 * m['far']:.2f} | {100 * m['frr']:.2f} | "
        f"{100 * m['acer']:.2f} | 15636 1822 38242 2010 |"
    )
    assert "Equal in every run, shown once&#58; HTER = ACER, APCER = FAR, BPCER = FRR." in text
    assert "**ACER " in text and "(n=2)**" in text


def test_a_lead_block_shows_the_key_metric_when_the_runs_name_their_metrics_otherwise(
    make_record: Factory,
) -> None:
    """A declaration lists R1 and mAP but the runs logged ``macro_f1`` and ``acc``: the per-seed
    table still has numbers (the key metric first), not a lone column of run names."""
    runs = [make_record(seed=s, metrics={"macro_f1": 0.5 - s / 10, "acc": 0.6 + s / 10}) for s in range(2)]
    declared = Declaration(key_metric="r1", metrics=["r1", "map"])
    lines = lead_block(runs, "macro_f1", declared, None).splitlines()
    assert lines[0] == "| run | macro F1\u00a0% | Acc\u00a0% |"
    assert lines[2] == "| seed 0 (best) | 50.00 | 60.00 |"
    # a declared metric the runs did measure keeps its place, and the key metric joins it
    runs = [make_record(seed=s, metrics={"map": 0.3, "acc": 0.6 + s / 10}) for s in range(2)]
    assert lead_block(runs, "acc", declared, None).splitlines()[0] == "| run | Acc\u00a0% | mAP\u00a0% |"
    # declared eighth of eight, all measured: the first five, then the key metric
    names = [f"m{i}" for i in range(8)]
    runs = [make_record(seed=s, metrics={m: i + s / 10 for i, m in enumerate(names)}) for s in range(2)]
    head = lead_block(runs, "m7", Declaration(key_metric="m7", metrics=names), None).splitlines()[0]
    assert head == "| run | m0 | m1 | m2 | m3 | m4 | m7 |"


def test_the_vad_per_epoch_line(make_record: Factory) -> None:
    aucs = [0.7120, 0.7810, 0.8466, 0.8301]
    rec = make_record(
        experiment="vad",
        metrics={"auc": 0.8301},
        dataset=Dataset(name="ShanghaiTech (tiny)", sizes={"train clips": 8, "test frames": 40791}),
        history=[EpochRow(epoch=e + 1, train_loss=0.1, test_auc=a) for e, a in enumerate(aucs)],
    )
    line = epoch_lines([rec], "auc", Declaration(key_metric="auc", goal="max"))
    assert line == (
        "seed 0: ep1 71.20 · ep2 78.10 · **ep3 84.66** · ep4 83.01\u00a0% AUC over 40791 test frames"
    )


def test_titles_are_short(make_record: Factory) -> None:
    a = [make_record(variant="a", config={"lr": 0.1, "kd": "none"})]
    b = [make_record(variant="b", config={"lr": 0.01, "kd": "none"})]
    day = T0.date()
    assert post_title("fas_kd", day, {"a": a, "b": b}) == "fas_kd · 2026-11-23: lr"


def test_a_post_with_two_tasks_has_a_section_each_with_its_paper_first(make_record: Factory) -> None:
    runs = []
    for task, metric, values in (("ecg_rhythm", "acc", [0.81, 0.84]), ("ppg_hr", "mae", [2.9, 3.1])):
        for seed, v in enumerate(values):
            start = T0 + timedelta(minutes=seed)
            runs.append(
                make_record(
                    id=f"{task}-{seed}",
                    experiment="finetune",
                    variant=f"{task} · mode=full",
                    seed=seed,
                    started_at=start,
                    config={"task": task, "lr": 1e-3},
                    metrics={metric: v},
                    references={"paper": {metric: 0.85 if metric == "acc" else 2.35}},
                    selections={},
                    confusion=None,
                )
            )
    (post,) = build_posts(runs)
    md = post.markdown
    assert (
        md.index("## ecg&#95;rhythm") < md.index("### ecg&#95;rhythm · mode=full") < md.index("## ppg&#95;hr")
    )
    ecg = md[md.index("## ecg&#95;rhythm") : md.index("### ecg&#95;rhythm")]
    assert "beside the references" in ecg and "| paper |" in ecg and "0.8500" in ecg
    assert "| seed 1 (best) | 84.00 |" in md  # accuracy: higher is better
    assert "| seed 0 (best) | 2.9000 |" in md  # MAE: lower is better, and no percentage


def test_each_runs_classification_report(make_record: Factory) -> None:
    report = {
        "正向": {"precision": 0.8, "recall": 0.7, "f1": 0.7467, "support": 10},
        "macro avg": {"precision": 0.8, "recall": 0.7, "f1": 0.7467, "support": 10},
    }
    recs = [
        make_record(
            experiment="ser", variant="cnn", seed=s, id=f"ser-{s}", per_class=report, metrics={"ua": 0.7}
        )
        for s in (0, 1)
    ]
    (post,) = build_posts(recs)
    assert "Classification report of each run" in post.markdown
    assert "| **正向** | 0.8000 | 0.7000 | 0.7467 | 10 |" in post.markdown
    assert "Checkpoint <code>last</code>, epoch 3." in post.markdown


def test_the_visible_part_leaves_out_folded_blocks_and_sets_the_reading_time() -> None:
    from journal.render.lead import reading_minutes, visible

    text = "# t\n\nlead line\n\n??? info \"More\"\n\n    folded one\n\n    folded two\n\nafter\n"
    assert visible(text).split() == ["#", "t", "lead", "line", "after"]
    assert visible("# T\n\n| a |\n\n??? info \"x\"\n\n    | hidden |\n\n    more\n\n## V\n") == \
        "# T\n\n| a |\n\n## V"
    assert reading_minutes("word " * 530) == 2 and reading_minutes("") == 1
    assert reading_minutes(text + ("??? info \"x\"\n\n" + "    word\n" * 5000)) == 1  # folded: not read


def test_two_settings_that_vary_read_as_a_grid(make_record: Factory) -> None:
    from journal.render.lead import grid

    runs = {}
    for mode, blr, mae in (("full", 2e-5, 1.8753), ("full", 1e-5, 2.1027), ("linear", 1e-5, 7.6351)):
        name = f"{mode} · {blr}"
        runs[name] = [make_record(variant=name, config={"mode": mode, "backbone_lr": blr, "lr": 1e-4},
                                  metrics={"mae": mae})]
    text = grid(runs, "mae", Declaration())
    assert text.splitlines()[2:] == [
        "| mode &#92; backbone&#95;lr | 1e-5 | 2e-5 |",
        "| :--- | ---: | ---: |",
        "| **full** | 2.1027 | 1.8753 |",
        "| **linear** | 7.6351 | — |",
    ]
    del runs["linear · 1e-05"]
    assert grid(runs, "mae", Declaration()) == ""  # two variants: no grid


def test_a_metric_logged_in_percent_prints_as_logged(make_record: Factory) -> None:
    """acc logged as 80, not 0.80: printed as it is, and the difference in points is the
    plain difference of means with Welch's interval (scipy), cut at ±100, not ±1."""
    from scipy import stats

    base, wide = [80.0, 85.0, 82.0], [90.0, 92.0, 95.0]
    runs = [make_record(id=f"{v}-{seed}", variant=v, seed=seed, selections={},
                        started_at=T0 + timedelta(minutes=i), config={"lr": 0.1, "width": w},
                        metrics={"acc": value})
            for i, (v, w, seed, value) in enumerate([*(("base", 1, s, x) for s, x in enumerate(base)),
                                                     *(("wide", 2, s, x) for s, x in enumerate(wide))])]
    post = build_posts(runs)[0].markdown
    low, high = stats.ttest_ind(wide, base, equal_var=False).confidence_interval(0.95)
    assert f"{low:+.2f}" == "+4.29" and f"{high:+.2f}" == "+15.71"
    assert "| **★ wide** | 3 | 92.33 [82.95,\u00a096.99] |" in post  # metric_interval's [0, 100]
    assert "| base | 3 | 82.33 [" in post
    assert "+10.00 [+4.29,\u00a0+15.71]" in post
    assert "**Acc 92.33\u00a0±\u00a02.52\u00a0% (n=3)**" in post
    assert "9233" not in post and "+1000.00" not in post
    # a fraction still prints times 100
    fraction = [r.model_copy(update={"metrics": {"acc": r.metrics["acc"] / 100}}) for r in runs]
    assert "| **★ wide** | 3 | 92.33 [82.95,\u00a096.99] |" in build_posts(fraction)[0].markdown


def test_variants_measured_at_different_checkpoints_are_flagged_in_the_post(
        make_record: Factory) -> None:
    """wide's seeds were tested at its best checkpoint, base's at the last epoch: the lead is
    shown with its Welch interval, but flagged, and nobody gets the ★."""
    base, wide = [0.80, 0.85, 0.82], [0.90, 0.92, 0.95]
    runs = [make_record(id=f"{v}-{seed}", variant=v, seed=seed, selections={}, checkpoint=at,
                        started_at=T0 + timedelta(minutes=i), config={"lr": 0.1, "width": w},
                        metrics={"acc": value})
            for i, (v, w, at, seed, value) in enumerate(
                [*(("base", 1, "last", s, x) for s, x in enumerate(base)),
                 *(("wide", 2, "acc_best", s, x) for s, x in enumerate(wide))])]
    post = build_posts(runs)[0].markdown
    assert "★" not in post
    assert ("No clear winner: wide was measured at checkpoint <code>acc&#95;best</code> and base "
            "at <code>last</code>, so +10.00 points") in post
    assert "| wide | 3 | 92.33 [" in post
    assert "**beyond seed noise** (checkpoints differ) |" in post  # the headline's verdict cell
    from journal.render.overview import render_overview

    overview = render_overview("fas_kd", runs).markdown  # its comparisons table says so too
    assert "★ wide" not in overview and "**beyond seed noise** (checkpoints differ) |" in overview
    from journal.render.i18n import language

    with language("zh"):
        chinese = build_posts(runs)[0].markdown
    assert "**超出种子噪声**（检查点不同） |" in chinese
    assert "无明确最优：wide 在检查点 <code>acc&#95;best</code> 测量，base 在 <code>last</code>" in chinese
    same = [r.model_copy(update={"checkpoint": "last"}) for r in runs]
    again = build_posts(same)[0].markdown
    assert "★ wide" in again and "checkpoints differ" not in again


def test_a_variant_only_an_unfinished_run_measured_shows_a_dash_and_is_compared_with_nothing(
        make_record: Factory) -> None:
    from journal.render.overview import render_overview

    runs = [make_record(id=f"a-{seed}", variant="a", seed=seed, selections={},
                        started_at=T0 + timedelta(minutes=seed), config={"lr": 0.1},
                        metrics={"acc": 0.8 + 0.01 * seed}) for seed in (0, 1)]
    runs.append(make_record(id="b-0", variant="b", seed=0, selections={}, status="failed",
                            error="out of memory", started_at=T0 + timedelta(minutes=5),
                            config={"lr": 0.2}, metrics={"acc": 0.5}))
    post = build_posts(runs)[0].markdown
    assert "| b | 0 | — | — | — | — |" in post
    assert "nan" not in post and "too few seeds" not in post
    overview = render_overview("fas_kd", runs).markdown
    assert "| — | b | 0 | — | 2026-11-23 |" in overview  # unranked, n=0, no mean
    assert "nan" not in overview


def test_a_variant_on_two_data_sets_is_two_arms_in_its_post(make_record: Factory) -> None:
    """m ran seeds 0 and 1 on "tiny" (acc 0.50, 0.52) and on "real" (0.90, 0.91); n only on
    "real". Nothing pools the two data sets: each m section has n=2 and its own mean, and on
    "tiny" m is compared with nothing (n never ran there)."""
    runs = []
    for i, (v, data, seed, acc) in enumerate([("m", "tiny", 0, 0.50), ("m", "tiny", 1, 0.52),
                                              ("m", "real", 0, 0.90), ("m", "real", 1, 0.91),
                                              ("n", "real", 0, 0.80), ("n", "real", 1, 0.81)]):
        runs.append(make_record(id=f"{v}-{data}-{seed}", variant=v, seed=seed, selections={},
                                started_at=T0 + timedelta(minutes=i), metrics={"acc": acc},
                                config={"lr": 0.1, "wide": v == "m"},
                                dataset=Dataset(name=data, sizes={"test": 100})))
    post = build_posts(runs)[0].markdown
    assert "## tiny\n" in post and "## real\n" in post
    assert "**Acc 51.00\u00a0±\u00a01.41\u00a0% (n=2)**" in post  # tiny alone, by hand
    assert "**Acc 90.50\u00a0±\u00a00.71\u00a0% (n=2)**" in post  # real alone
    assert "(n=4)" not in post
    tiny = post[post.index("## tiny"):post.index("## real")]
    assert "against" not in tiny.split("???")[0]  # m on tiny: no partner
    headline = post[:post.index("<!-- more -->")]
    tiny_table = headline[headline.index("**tiny**"):headline.index("**real**")]
    assert "| m | 2 | 51.00 [" in tiny_table and "| — | — | — |" in tiny_table


def test_a_post_of_one_data_set_shows_no_ranking_of_another(make_record: Factory) -> None:
    """Day 1 ran a and b on X; day 2 ran them on Y. Day 1's post has no Y table, and the
    index's best variant is measured on its own data set (X: 95.10 ± 0.10, by hand), not on
    X and Y pooled."""
    from journal.render.overview import render_index

    runs = []
    for i, (v, data, day, seed, acc) in enumerate([
            ("a", "X", 0, 0, 0.800), ("a", "X", 0, 1, 0.810), ("b", "X", 0, 0, 0.950),
            ("b", "X", 0, 1, 0.952), ("a", "Y", 1, 0, 0.500), ("a", "Y", 1, 1, 0.510),
            ("b", "Y", 1, 0, 0.550), ("b", "Y", 1, 1, 0.552)]):
        runs.append(make_record(id=f"{v}-{data}-{seed}", variant=v, seed=seed, selections={},
                                started_at=T0 + timedelta(days=day, minutes=i), metrics={"acc": acc},
                                config={"lr": 0.1, "wide": v == "b"},
                                dataset=Dataset(name=data, sizes={"test": 100})))
    day1 = build_posts(runs)[0].markdown
    headline = day1[:day1.index("<!-- more -->")]
    assert "**Y**" not in headline and "55.10" not in headline
    index = render_index(runs).markdown
    assert "★ b: Acc 95.10\u00a0±\u00a00.14\u00a0%" in index  # X, the first group
    assert "75.10" not in index  # never the two data sets pooled
