"""Charts are cached by what they draw: a rebuild re-renders only what changed, a corrupt cache
entry is redrawn, and parallel rendering gives the same bytes as serial."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from conftest import T0
from journal.records import EpochRow, Record
from journal.render import build_posts, charts

Factory = Callable[..., Record]


def _journal(make_record: Factory) -> list[Record]:
    out = []
    for day in (0, 1):
        for variant in ("a", "b"):
            for seed in (0, 1):
                out.append(make_record(id=f"d{day}-{variant}-{seed}", variant=variant, seed=seed,
                                       started_at=T0 + timedelta(days=day, minutes=seed)))
    return out


def _build(records: list[Record], cache: Path, workers: int = 1) -> tuple[dict[str, bytes], int]:
    before = charts.renders
    with charts.cache_in(cache):
        posts = build_posts(records, workers=workers)
    assets = {f"{p.filename}:{rel}": svg for p in posts for rel, svg in p.assets.items()}
    return assets, charts.renders - before


def test_changing_one_record_re_renders_only_its_charts(tmp_path: Path, make_record: Factory) -> None:
    records = _journal(make_record)
    first, drawn = _build(records, tmp_path)
    assert drawn == len(set(first.values())) >= 4  # each distinct chart drawn once (days share)
    again, drawn = _build(records, tmp_path)
    assert drawn == 0 and again == first  # nothing changed: nothing drawn
    target = next(r for r in records if r.id == "d1-b-0")
    changed = target.model_copy(update={"history": [
        EpochRow(epoch=e, train_loss=2.0 / e, val_loss=1.2 / e, val_acer=0.5 - 0.1 * e) for e in (1, 2, 3)]})
    records = [changed if r.id == target.id else r for r in records]
    after, drawn = _build(records, tmp_path)
    different = sorted(k for k in after if after[k] != first[k])
    assert different == ["2026-11-24-fas-kd.md:2026-11-24-fas-kd/b-loss.svg"]
    assert drawn == 1  # its variant's loss chart, nothing else


def test_a_corrupt_cache_entry_is_redrawn_not_served(tmp_path: Path, make_record: Factory) -> None:
    records = _journal(make_record)
    first, _ = _build(records, tmp_path)
    victims = sorted(tmp_path.rglob("*.svg"))[:2]
    victims[0].write_bytes(victims[0].read_bytes()[:100])  # truncated
    victims[1].write_bytes(b"not an svg")
    again, drawn = _build(records, tmp_path)
    assert drawn == 2 and again == first
    assert all(v.read_bytes().rstrip().endswith(b"</svg>") for v in victims)


def test_parallel_rendering_gives_the_same_charts(tmp_path: Path, make_record: Factory) -> None:
    records = _journal(make_record)
    serial, _ = _build(records, tmp_path / "one", workers=1)
    parallel, drawn = _build(records, tmp_path / "two", workers=2)
    assert parallel == serial and drawn == len(set(serial.values()))
    assert all(svg.startswith(b"<?xml") for svg in parallel.values())


def test_unchanged_posts_are_read_back_not_rendered(
    tmp_path: Path, make_record: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from journal.render import posts as posts_module

    rendered: list[str] = []
    real = posts_module.render_post
    monkeypatch.setattr(posts_module, "render_post",
                        lambda *a, **k: (rendered.append(a[0] + str(a[1])), real(*a, **k))[1])
    records = _journal(make_record)
    first = build_posts(records, cache_dir=tmp_path)
    assert len(rendered) == 2
    again = build_posts(records, cache_dir=tmp_path)
    assert len(rendered) == 2  # nothing rendered
    assert [(p.markdown, p.assets) for p in again] == [(p.markdown, p.assets) for p in first]
    changed = [r.model_copy(update={"metrics": {"acer": 0.5}}) if r.id == "d1-a-1" else r
               for r in records]
    after = build_posts(changed, cache_dir=tmp_path)
    # the changed record's post is rendered again; the first day's runs are all superseded by the
    # second day's, so that post shows no comparison the change touches and stays cached
    assert rendered[2:] == ["fas_kd2026-11-24"]
    assert after[1].markdown != first[1].markdown
    fresh = build_posts(changed)  # no cache: what every post must read now
    assert [p.markdown for p in after] == [p.markdown for p in fresh]
    del rendered[3:]
    for path in tmp_path.glob("*.pickle"):
        path.write_bytes(b"garbage")
    build_posts(changed, cache_dir=tmp_path)
    assert len(rendered) == 5  # a damaged cache entry is rendered again, never served


def test_a_run_elsewhere_re_renders_only_the_posts_whose_comparisons_it_changes(
    tmp_path: Path, make_record: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each post shows its own variants' rows and comparisons of the experiment's plan and the
    verdict: a new seed of a variant re-renders the posts that show it (its n and mean moved)
    and, when it changes the verdict, every post of the experiment; never fewer than that."""
    from journal.render import posts as posts_module

    rendered: list[str] = []
    real = posts_module.render_post
    monkeypatch.setattr(posts_module, "render_post",
                        lambda *a, **k: (rendered.append(str(a[1])), real(*a, **k))[1])
    records = []
    # nearest partners (fewest differing settings, then the earliest): a ↔ b, c → b
    configs = {"a": {"lr": 0.1, "wd": 0}, "b": {"lr": 0.01, "wd": 0}, "c": {"lr": 0.01, "wd": 1}}
    for day, (variant, base) in enumerate([("a", 0.30), ("b", 0.20), ("c", 0.10)]):
        for seed in (0, 1, 2):
            records.append(make_record(id=f"{variant}-{seed}", variant=variant, seed=seed,
                                       config=configs[variant], metrics={"acer": base + 0.01 * seed},
                                       started_at=T0 + timedelta(days=day, minutes=seed)))
    build_posts(records, cache_dir=tmp_path)
    rendered.clear()

    def add(variant: str, seed: int, acer: float, day: int) -> list[str]:
        records.append(make_record(id=f"{variant}-{seed}", variant=variant, seed=seed,
                                   config=configs[variant], metrics={"acer": acer},
                                   started_at=T0 + timedelta(days=day, minutes=seed)))
        rendered.clear()
        after = build_posts(records, cache_dir=tmp_path)
        again = sorted(rendered)
        assert [p.markdown for p in after] == [p.markdown for p in build_posts(records)]
        return again

    # a 4th seed of the worst variant, far behind: its post and b's (compared with a); c's post
    # (c against b, the verdict c against b) stays cached
    assert add("a", 3, 0.31, 0) == ["2026-11-23", "2026-11-24"]
    # a 4th seed of the leader moves the verdict's difference: every post states it
    assert add("c", 3, 0.12, 2) == ["2026-11-23", "2026-11-24", "2026-11-25"]
    # a new variant, nobody's nearest, ranked third of four: a drops from rank 3 to rank 4 on
    # the overview, but no post shows a rank, so only the new variant's post is rendered
    configs["d"] = {"lr": 0.5, "wd": 5}
    assert add("d", 0, 0.25, 3) == ["2026-11-26"]
    assert add("d", 1, 0.26, 3) == ["2026-11-26"]


def test_charts_no_post_uses_are_pruned(tmp_path: Path, make_record: Factory) -> None:
    records = [r for r in _journal(make_record) if r.id.startswith("d1-")]  # one day: no sharing
    with charts.cache_in(tmp_path / "charts"):
        posts = build_posts(records, cache_dir=tmp_path / "rendered")
    keys = set().union(*(p.chart_keys for p in posts))
    assert {p.stem for p in (tmp_path / "charts").glob("*/*.svg")} == keys
    changed = [r.model_copy(update={"history": r.history[:2]}) if r.id == "d1-b-0" else r for r in records]
    with charts.cache_in(tmp_path / "charts"):
        posts = build_posts(changed, cache_dir=tmp_path / "rendered")
    now = set().union(*(p.chart_keys for p in posts))
    assert len(now - keys) >= 1 and len(keys - now) >= 1  # a chart replaced
    assert charts.prune(tmp_path / "charts", now) == len(keys - now)
    assert {p.stem for p in (tmp_path / "charts").glob("*/*.svg")} == now


def test_many_posts_render_in_parallel_as_in_one_process(
    tmp_path: Path, make_record: Factory, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past PARALLEL_POSTS posts, forked workers render them: the same posts, in the same order,
    and a post that fails is reported with its error while the rest are kept."""
    from journal.render import posts as posts_module

    days = posts_module.PARALLEL_POSTS + 2
    records = [make_record(id=f"d{day:02d}-{variant}-{seed}", variant=variant, seed=seed,
                           metrics={"acc": 0.7 + 0.01 * day + 0.02 * seed, "acer": 0.2},
                           config={"lr": 0.001, "epochs": 3, "warmup": day},  # a new run each day
                           started_at=T0 + timedelta(days=day, minutes=seed))
               for day in range(days) for variant in ("a", "b")
               for seed in (0, 1)]
    records[5] = records[5].model_copy(update={"variant": "broken"})
    records[13] = records[13].model_copy(update={"variant": "bad file"})
    original = posts_module.render_post

    class Unpicklable(Exception):
        def __init__(self, a: str, b: str) -> None:  # pickles, but cannot be unpickled
            super().__init__(f"{a} {b}")

    def render(experiment: str, day: object, recs: list[Record], *args: object, **kw: object) -> object:
        if any(r.variant == "broken" for r in recs):
            raise ValueError("variant 'broken' cannot be drawn")
        if any(r.variant == "bad file" for r in recs):
            raise Unpicklable("two", "words")
        return original(experiment, day, recs, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(posts_module, "render_post", render)
    forks = []
    real_pool = posts_module.ProcessPoolExecutor

    def pool(*args: object, **kwargs: object) -> object:
        forks.append(kwargs["mp_context"])
        return real_pool(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(posts_module, "ProcessPoolExecutor", pool)
    problems: list[tuple[str, str]] = []
    with charts.cache_in(tmp_path / "charts"):
        parallel = build_posts(records, workers=2,
                               on_problem=lambda what, _, exc: problems.append((what, str(exc))))
        assert len(forks) == 1 and forks[0].get_start_method() == "fork"
        monkeypatch.setattr(posts_module, "PARALLEL_POSTS", 10**6)
        serial = build_posts(records, workers=2, on_problem=lambda *_: None)
    assert len(forks) == 1  # the second build stayed in this process
    assert problems == [("post of fas_kd on 2026-11-24", "variant 'broken' cannot be drawn"),
                        ("post of fas_kd on 2026-11-26", "Unpicklable: two words")]
    assert len(parallel) == days - 2
    assert [(p.filename, p.markdown, p.assets, p.chart_keys) for p in parallel] == \
        [(p.filename, p.markdown, p.assets, p.chart_keys) for p in serial]
    assert all(p.chart_keys and p.assets for p in parallel)
