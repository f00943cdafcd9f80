"""Is the committed student release exactly what the build produces, and safe to hand out?"""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest

from autograder.build import build
from autograder.course import HIDDEN_TESTS_MODULE
from autograder.verify import check_release_folder, check_source_notebook

from conftest import REPO_ROOT, assignments


def files_under(folder):
    return {p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_committed_release_equals_a_fresh_build(repo, scratch_course):
    """Does `autograder build` reproduce assignments/ byte for byte?

    Generation only: each assignment's full verification runs once, in its demo course
    (conftest's ``graded_class``, checked by test_autograde.py).
    """
    build(scratch_course, verify=False, log=lambda _: None)
    for assignment in repo.assignments():
        built = files_under(scratch_course.release_dir / assignment)
        committed = files_under(repo.release_dir / assignment)
        assert built.keys() == committed.keys(), f"{assignment}: release files differ; run `autograder build`"
        stale = [str(p) for p in built if built[p] != committed[p]]
        assert not stale, f"{assignment}: {stale} drifted from the build; run `autograder build` and commit"


@pytest.mark.parametrize("assignment", assignments())
def test_release_holds_no_solutions_or_hidden_tests(repo, assignment):
    assert check_release_folder(repo.release_dir / assignment) == []


@pytest.mark.parametrize("assignment", assignments())
def test_sources_are_committed_clean(repo, assignment):
    for notebook in repo.source_notebooks(assignment):
        assert check_source_notebook(notebook) == []


def test_plain_nbgrader_keeps_hidden_tests_out_of_the_release(scratch_course):
    """Does stock `nbgrader generate_assignment` (not only our build) drop the hidden-test module?"""
    release = scratch_course.release_dir / "sliding_window_max"
    subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", "sliding_window_max", "--force"],
        cwd=scratch_course.root,
        check=True,
        capture_output=True,
    )
    assert (release / "sliding_window_max.ipynb").is_file()
    assert not (release / HIDDEN_TESTS_MODULE).exists()
    assert (scratch_course.source_dir / "sliding_window_max" / HIDDEN_TESTS_MODULE).exists()


def test_verification_flags_outputs_and_duplicate_grade_ids(tmp_path):
    nb = nbformat.read(REPO_ROOT / "solutions/sliding_window_max/sliding_window_max.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    code[0].outputs = [nbformat.v4.new_output("stream", name="stdout", text="left over\n")]
    code[2].metadata.nbgrader["grade_id"] = code[1].metadata.nbgrader["grade_id"]
    path = tmp_path / "broken.ipynb"
    nbformat.write(nb, path)
    whys = [p.why for p in check_source_notebook(path)]
    assert any("without outputs" in w for w in whys) and any("grade id used by 2 cells" in w for w in whys), whys


def test_verification_flags_leaked_hidden_tests_and_solution_text(tmp_path):
    (tmp_path / HIDDEN_TESTS_MODULE).write_text("def test_x(f): pass\n")
    (tmp_path / "a.ipynb").write_text('{"cells": [{"source": "### BEGIN SOLUTION"}]}')
    whys = [p.why for p in check_release_folder(tmp_path)]
    assert "hidden tests were released" in whys and any("BEGIN SOLUTION" in w for w in whys)


@pytest.mark.slow
def test_build_fails_on_a_test_the_stub_passes(scratch_course, capsys):
    """Is a test cell that cannot fail (it passes on the blank stub) caught by the build?"""
    from autograder.cli import main

    path = scratch_course.source_dir / "sliding_window_max" / "sliding_window_max.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_max_pool2d")
    cell.source = "assert True  # tests nothing"
    nbformat.write(nb, path)
    assert main(["--course", str(scratch_course.root), "build", "sliding_window_max"]) == 1
    assert "test_max_pool2d]: the blank stub earns 15/15" in capsys.readouterr().out
