"""The nbgrader side: does the gradebook know an assignment as its source has it, and why did a run fail?"""

from __future__ import annotations

import nbformat
import pytest

from autograder.gradebook import failure_reason, gradebook_knows, sync_gradebook

from conftest import write_tiny_assignment


@pytest.mark.parametrize(
    ("log", "words"),
    [
        ("[AutogradeApp | ERROR] No notebooks were matched by 'x'", "no notebook found"),
        ("Traceback...\nnbformat.reader.NotJSONError: Notebook does not appear to be JSON", "not valid JSON"),
        ("  File x\nKeyError: 'cells'\nNbGraderException: failed", "KeyError: 'cells'"),
        ("nothing useful", "could not autograde"),
    ],
)
def test_failure_reasons_are_one_readable_line(log, words):
    reason = failure_reason(log)
    assert words in reason and "\n" not in reason


def test_the_gradebook_is_synced_once_and_again_only_when_the_source_changes(tmp_path):
    course = write_tiny_assignment(tmp_path, "tiny", "x = 1", {"test_x": "assert x == 1"})
    assert not gradebook_knows(course, "tiny")
    assert sync_gradebook(course, "tiny") is True
    assert gradebook_knows(course, "tiny") and sync_gradebook(course, "tiny") is False
    path = course.source_dir / "tiny" / "tiny.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = "assert x == 1, 'x should be one'"
    nbformat.write(nb, path)
    assert not gradebook_knows(course, "tiny") and sync_gradebook(course, "tiny") is True
    nb.cells[1].metadata.nbgrader["points"] = 2
    nbformat.write(nb, path)
    assert not gradebook_knows(course, "tiny")


def test_syncing_never_touches_the_committed_release(tmp_path):
    course = write_tiny_assignment(tmp_path, "tiny", "x = 1", {"test_x": "assert x == 1"})
    release = course.release_dir / "tiny"
    release.mkdir(parents=True)
    (release / "hidden_tests.py").write_text("# a stray file the release hook would delete")
    sync_gradebook(course, "tiny")
    assert (release / "hidden_tests.py").exists() and not (release / "tiny.ipynb").exists()
