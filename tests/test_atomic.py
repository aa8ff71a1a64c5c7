"""Atomic writes (journal.atomic), and the results-folder checks that journal.paths owns."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from journal import layout, paths, records
from journal.atomic import TargetExistsError, write_atomic
from journal.errors import JournalError, RecordExistsError


def test_replace_and_exclusive_create(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    write_atomic(target, "one")
    write_atomic(target, b"two", durable=False)
    assert target.read_bytes() == b"two"
    with pytest.raises(TargetExistsError, match=f"{target}: cannot write: the file exists") as info:
        write_atomic(target, "three", exclusive=True)
    assert isinstance(info.value, JournalError) and info.value.path == target
    assert target.read_bytes() == b"two"
    assert sorted(os.listdir(tmp_path)) == ["a.txt"]  # no temporary file left behind
    write_atomic(tmp_path / "b.txt", "new", exclusive=True)
    assert (tmp_path / "b.txt").read_text() == "new"


def test_a_system_error_names_the_file_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing" / "a.txt", "x")
    folder = tmp_path / "f"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(folder, "x")  # replacing a folder by a file
    assert os.listdir(tmp_path) == ["f"]


def test_records_keep_their_own_error_for_an_existing_run(tmp_path: Path) -> None:
    target = tmp_path / "run.json"
    target.write_text("{}")
    with pytest.raises(RecordExistsError, match="a record with this run id already exists"):
        records.write_atomic(target, "{}", exclusive=True)


def test_leaves_follows_links_and_refuses_loops(tmp_path: Path) -> None:
    root = tmp_path / "results"
    (root / "notes").mkdir(parents=True)
    (root / "out").symlink_to(tmp_path)
    (root / "loop").symlink_to(root / "loop")
    assert not paths.leaves(root / "notes", root)
    assert paths.leaves(root / "out", root)
    assert paths.leaves(root / "loop", root)
    with pytest.raises(paths.PathError, match="a symbolic link leads outside the results folder"):
        paths.within(root, root / "out" / "x")
    assert layout.leaves is paths.leaves and layout.yaml_problem is paths.yaml_problem
    assert paths.NOTES_DIR == "notes" and paths.DECLARATIONS_FILE == "experiments.yml"


def test_only_paths_names_the_results_folder_layout() -> None:
    """The folder and file names of the results folder are defined once, in paths.py: no other
    module assigns a layout constant or spells one of the names as a literal."""
    import ast

    names = {"DEFAULT_RESULTS_DIR", "NOTES_DIR", "RETIRED_DIR", "STATE_DIR", "SUBMITIT_DIR",
             "DECLARATIONS_FILE"}
    literals = {".state", ".submitit", "experiments.yml"}
    src = Path(paths.__file__).parent
    offenders = []
    for module in sorted(src.rglob("*.py")):
        if module == Path(paths.__file__):
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                offenders += [f"{module.name}: {t.id} =" for t in targets
                              if isinstance(t, ast.Name) and t.id in names]
            elif isinstance(node, ast.Constant) and node.value in literals:
                offenders.append(f"{module.name}:{node.lineno}: {node.value!r}")
    assert offenders == []
    from journal import declarations, notes, tracking

    assert notes.NOTES_DIR is paths.NOTES_DIR and tracking.STATE_DIR is paths.STATE_DIR
    assert declarations.DECLARATIONS_FILE is paths.DECLARATIONS_FILE
