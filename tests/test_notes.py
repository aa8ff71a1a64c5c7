"""Notes on runs, variants and days: files of their own, validated, shown beside the numbers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from journal.cli import main
from journal.errors import JournalError
from journal.folder import load_journal
from journal.notes import NOTES_DIR, add_note, load_notes, read_note, write_note
from journal.records import Record, write_record
from journal.render import build_posts

Factory = Callable[..., Record]
DAY = date(2026, 11, 23)


@pytest.fixture
def results(tmp_path: Path, make_record: Factory) -> Path:
    folder = tmp_path / "results"
    for seed in (0, 1):
        write_record(make_record(seed=seed), folder, create=True)
        write_record(make_record(seed=seed, variant="student + KD", id=f"kd-{seed}",
                                 metrics={"acer": 0.20 + 0.01 * seed}), folder, create=True)
    return folder


def test_a_note_round_trips_with_its_target(results: Path) -> None:
    when = datetime(2026, 11, 23, 9, 12, tzinfo=UTC)
    path = write_note(results, "  KD **helps**.\n", experiment="fas_kd", variant="student + KD",
                      day=DAY, now=when)
    assert path.parent == results / NOTES_DIR and path.name.startswith("20261123T091200Z-")
    note = read_note(path)
    assert note.text == "KD **helps**."
    assert (note.target.kind, note.target.variant, note.target.day) == ("variant", "student + KD", DAY)
    assert note.created == when


def test_notes_never_replace_each_other(results: Path) -> None:
    when = datetime(2026, 11, 23, 9, 12, tzinfo=UTC)
    paths = {write_note(results, f"note {i}", experiment="fas_kd", day=DAY, now=when) for i in range(20)}
    assert len(paths) == 20
    notes, errors = load_notes(results)
    assert errors == [] and sorted(n.text for n in notes) == sorted(f"note {i}" for i in range(20))


def test_add_note_checks_the_target_exists(results: Path) -> None:
    variants = "variants: student, student \\+ KD"
    with pytest.raises(JournalError, match=f"no runs of variant 'nope' in fas_kd; {variants}"):
        add_note("x", results_dir=results, experiment="fas_kd", variant="nope")
    with pytest.raises(JournalError, match="no runs of fas_kd on 2026-11-24; days: 2026-11-23"):
        add_note("x", results_dir=results, experiment="fas_kd", variant="student", day=date(2026, 11, 24))
    # a day without runs takes a note: it is a diary entry with a post of its own
    diary = add_note("To do: rerun seed 3", results_dir=results, experiment="fas_kd", day=date(2026, 11, 24))
    assert read_note(diary).target.kind == "day" and read_note(diary).target.day == date(2026, 11, 24)
    with pytest.raises(JournalError, match="2 runs in .* with an id starting 'kd-'"):
        add_note("x", results_dir=results, run="kd-")
    with pytest.raises(JournalError, match="needs --variant or --day"):
        add_note("x", results_dir=results, experiment="fas_kd")
    path = add_note("ok", results_dir=results, run="kd-1")
    assert read_note(path).target.run == "kd-1"
    assert read_note(path).target.experiment == "fas_kd"  # taken from the run's record


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("no header", "no YAML header"),
        ("---\nexperiment: fas_kd\n---\ntext", "field 'created': Field required"),
        ("---\nexperiment: fas_kd\ncreated: 2026-11-23T09:00:00Z\n---\ntext",
         "needs a run, a variant or a day"),
        ("---\nexperiment: fas_kd\nday: 2026-13-40\ncreated: 2026-11-23T09:00:00Z\n---\nx",
         "field 'day'"),
        ("---\nexperiment: fas_kd\nday: 2026-11-23\ncreated: 2026-11-23T09:00:00Z\nwho: me\n---\nx",
         "field 'who': Extra inputs are not permitted"),
        ("---\nexperiment: fas_kd\nday: 2026-11-23\ncreated: 2026-11-23T09:00:00Z\n---\n  \n",
         "the note has no text"),
        ("---\nexperiment: fas_kd\nday: 2026-11-23\ncreated: 2026-11-23T09:00:00Z\n---\n"
         + "[a](b)" * 20_000, "a note holds at most 100,000 characters, this one 120,000"),
    ],
)
def test_a_bad_note_is_an_error_naming_file_and_field(results: Path, content: str, expected: str) -> None:
    (results / NOTES_DIR).mkdir()
    (results / NOTES_DIR / "bad.md").write_text(content)
    notes, errors = load_notes(results)
    assert notes == []
    assert len(errors) == 1 and str(results / NOTES_DIR / "bad.md") in str(errors[0])
    assert expected in str(errors[0])


def test_a_note_on_nothing_is_reported_not_dropped(results: Path) -> None:
    write_note(results, "orphan", experiment="fas_kd", variant="gone")
    journal = load_journal(results)
    assert [str(e).split(": ", 1)[1] for e in journal.errors] == [
        "no record matches variant 'gone' of fas_kd"]


def test_posts_show_each_note_beside_what_it_is_about(results: Path) -> None:
    write_note(results, "Whole day: the first KD runs.", experiment="fas_kd", day=DAY)
    write_note(results, "KD helps, within noise.", experiment="fas_kd", variant="student + KD")
    write_note(results, "Seed 1 used a stale cache.", experiment="fas_kd", run="kd-1")
    write_note(results, "Other day only.", experiment="fas_kd", variant="student", day=date(2026, 1, 1))
    journal = load_journal(results)
    (post,) = build_posts(journal.records, notes=journal.notes)
    md = post.markdown
    day_at = md.index("Whole day: the first KD runs.")
    assert day_at < md.index("<!-- more -->")  # under the summary
    kd_section = md.index("## student + KD")
    title = '<p class="admonition-title">'
    assert md.index(f"{title}Note, 2026-") < day_at < md.index("## student\n")
    assert kd_section < md.index(f"{title}Note on student + KD,") < md.index("KD helps, within noise.")
    assert md.index(f"{title}Note on seed 1,") > kd_section
    assert "Other day only." not in md  # pinned to another day


def test_cli_note_writes_a_file_and_rejects_bad_input(results: Path, tmp_path: Path) -> None:
    cli = CliRunner()
    ok = cli.invoke(main, ["note", "--results", str(results), "--experiment", "fas_kd",
                           "--variant", "student", "Works."])
    assert ok.exit_code == 0, ok.output
    assert read_note(Path(ok.output.strip())).text == "Works."
    src = tmp_path / "n.md"
    src.write_text("From a **file**.")
    ok = cli.invoke(main, ["note", "--results", str(results), "--run", "kd-0", "--file", str(src)])
    assert ok.exit_code == 0 and read_note(Path(ok.output.strip())).text == "From a **file**."
    bad = cli.invoke(main, ["note", "--results", str(results), "--experiment", "fas_kd",
                            "--day", "23/11/2026", "x"])
    assert bad.exit_code == 2
    assert bad.output == "journal: error: --day: expected YYYY-MM-DD, got '23/11/2026'\n"
    both = cli.invoke(main, ["note", "--results", str(results), "--run", "kd-0"])
    assert both.exit_code == 2 and "give the note as TEXT or with --file" in both.output


def test_a_day_note_without_runs_is_a_diary_post(results: Path) -> None:
    from journal.folder import load_journal
    from journal.render import build_posts

    add_note("# Conclusions\n\nTo do: rerun seed 3 <script>x</script>", results_dir=results,
             experiment="fas_kd", day=date(2026, 11, 25))
    journal = load_journal(results)
    assert journal.errors == []  # not an unmatched note
    posts = build_posts(journal.records, notes=journal.notes)
    diary = posts[-1]
    assert (diary.experiment, diary.day) == ("fas_kd", date(2026, 11, 25))
    assert diary.filename == "2026-11-25-fas-kd.md"
    assert "title: Conclusions" in diary.markdown and "No runs on this day." in diary.markdown
    assert "To do: rerun seed 3" in diary.markdown and "<script>" not in diary.markdown
    assert [p.day for p in posts] == sorted(p.day for p in posts)


def test_a_note_full_of_brackets_shows_them_as_text() -> None:
    """More than 1,000 "[": the brackets are text (Python-Markdown would search for each link's
    end through the rest of the note); a note with a few links keeps them."""
    from journal.escape import MAX_NOTE_BRACKETS, note_html

    many = "see [x](http://a.org) " + "[" * (MAX_NOTE_BRACKETS + 1)
    html = note_html(many)
    assert "<a " not in html and html.startswith("<p>see [x](http://a.org) [[[")
    assert '<a href="http://a.org"' in note_html("see [x](http://a.org) " + "[" * 10)


def test_a_day_note_that_is_only_a_heading_is_the_title_and_nothing_more(results: Path) -> None:
    write_note(results, "# A day of toys", experiment="fas_kd", day=DAY)
    journal = load_journal(results)
    (post,) = build_posts(journal.records, notes=journal.notes)
    assert "# A day of toys\n" in post.markdown
    assert '<p class="admonition-title">Note, 2026-' not in post.markdown  # no empty box
