"""The instructor CLI end to end: grade a class with broken submissions, report, feedback."""

from __future__ import annotations

import csv
import shutil

import nbformat
import pytest

from autograder.cli import main
from autograder.course import Course

from conftest import require_sandbox

ASSIGNMENT = "sliding_window_max"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name=f"class-{ASSIGNMENT}")]  # shares that graded class
NOTEBOOK = f"{ASSIGNMENT}.ipynb"


def write_broken_submissions(course: Course) -> dict[str, tuple[str, float, str]]:
    """Submissions that cannot be graded normally; returns student -> (status, score, words in the reason)."""
    submitted = course.submitted_dir
    folder = {s: submitted / s / ASSIGNMENT for s in ("corrupt_json", "empty_file", "no_notebook", "kernel_dies")}
    for path in folder.values():
        path.mkdir(parents=True)
    (folder["corrupt_json"] / NOTEBOOK).write_text('{"cells": [')
    (folder["empty_file"] / NOTEBOOK).write_text("")
    (folder["no_notebook"] / "answers.txt").write_text("I wrote my answers here")
    nb = nbformat.read(submitted / "reference" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "max_sliding_window":
            cell.source = "import os\nos._exit(3)"
    nbformat.write(nb, folder["kernel_dies"] / NOTEBOOK)
    return {
        "corrupt_json": ("failed", 0, "JSON"),
        "empty_file": ("failed", 0, "JSON"),
        "no_notebook": ("failed", 0, "no notebook"),
        # the fatal cell's own tests fail (35 points); a fresh sandbox grades the rest, and the table says why
        "kernel_dies": ("graded", 65, "ended the sandbox"),
    }


@pytest.fixture(scope="module")
def cli_course(graded_class, tmp_path_factory):
    """A copy of the graded demo course, with broken submissions added and graded through the CLI."""
    require_sandbox()
    root = tmp_path_factory.mktemp("cli") / "course"
    shutil.copytree(graded_class(ASSIGNMENT).course.root, root)
    course = Course(root)
    broken = write_broken_submissions(course)
    table = root / "table.csv"
    assert main(["--course", str(root), "grade", ASSIGNMENT, "--csv", str(table)]) == 0
    with open(table) as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    return course, broken, rows


def test_grade_reports_broken_submissions_and_grades_the_rest(cli_course):
    """Does each broken submission get its score with a clear reason, while the others keep theirs?"""
    _, broken, rows = cli_course
    for student, (status, score, words) in broken.items():
        row = rows[student]
        assert row["status"] == status and float(row["score"]) == score, row
        assert words.lower() in row["reason"].lower(), f"{student}: reason {row['reason']!r} should mention {words!r}"
    assert float(rows["reference"]["score"]) == 100 and rows["reference"]["status"] == "graded"
    assert float(rows["blank_stub"]["score"]) == 0 and rows["blank_stub"]["status"] == "graded"


def test_grade_prints_progress_and_a_table(cli_course, capsys):
    course, _, _ = cli_course
    assert main(["--course", str(course.root), "grade", ASSIGNMENT]) == 0
    out, err = capsys.readouterr()
    n = len(course.students_with_submissions(ASSIGNMENT))
    assert f"{n}/{n} graded" in err
    assert "reference" in out and "100/100" in out and "failed: " in out


def test_report_writes_csv_pass_rates_and_histogram(cli_course, capsys):
    course, _, _ = cli_course
    out_dir = course.root / "out"
    assert main(["--course", str(course.root), "report", ASSIGNMENT, "--out", str(out_dir)]) == 0
    grades = list(csv.DictReader(open(out_dir / f"{ASSIGNMENT}_grades.csv")))
    assert {"reference", "blank_stub"} <= {g["student"] for g in grades}
    rates = {r["cell"]: float(r["pass_rate"]) for r in csv.DictReader(open(out_dir / f"{ASSIGNMENT}_pass_rates.csv"))}
    assert "test_max_sliding_window" in rates and all(0 <= r < 1 for r in rates.values())
    assert (out_dir / f"{ASSIGNMENT}_histogram.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "pass rate per test cell" in capsys.readouterr().out


def test_feedback_shows_why_but_not_the_hidden_tests(cli_course):
    """Feedback says which hidden test failed, on what input and with what answer; never the test itself."""
    course, _, _ = cli_course
    assert main(["--course", str(course.root), "feedback", ASSIGNMENT]) == 0
    html = (course.feedback_dir / "reuses_input_as_output" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "modified its input list: afterwards it was" in html  # a hidden test's message: input and outcome
    for secret in ("hidden_tests", "BEGIN HIDDEN TESTS", "expected_small", "check_list_function"):
        assert secret not in html, f"feedback reveals {secret!r}"


def test_unknown_assignment_is_an_error_not_a_traceback(cli_course, capsys):
    course, _, _ = cli_course
    assert main(["--course", str(course.root), "grade", "no_such_assignment"]) == 2
    assert "no assignment 'no_such_assignment'" in capsys.readouterr().err


def test_grade_on_a_fresh_clone_creates_the_gradebook(scratch_course, capsys):
    """Without any gradebook.db, does grading create what nbgrader needs?"""
    require_sandbox()
    assert not (scratch_course.root / "gradebook.db").exists()
    submission = scratch_course.submitted_dir / "alice" / ASSIGNMENT
    submission.mkdir(parents=True)
    shutil.copy(scratch_course.release_dir / ASSIGNMENT / NOTEBOOK, submission / NOTEBOOK)
    assert main(["--course", str(scratch_course.root), "grade", ASSIGNMENT]) == 0
    assert "alice" in capsys.readouterr().out
    assert (scratch_course.root / "gradebook.db").exists()
