"""The gradebook on a PostgreSQL server: grade, read back, export and regrade, as on SQLite.

The server is a real one that the test starts in a temporary folder (tests/servers.py).
The class is part of assignment 1's sample class, whose SQLite scores the course tests
already hold; grading it into PostgreSQL must give the same score on every cell.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from autograder.cli import main
from autograder.course import CONFIG_FILE, Course
from autograder.demo import make_scratch_course

from conftest import require_sandbox, write_tiny_assignment
from servers import free_port, postgres_server

ASSIGNMENT = "sliding_window_max"
# The reference, the stub, and two mistakes that lose different cells.
STUDENTS = ["reference", "blank_stub", "no_input_validation", "first_window_skipped"]
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name=f"class-{ASSIGNMENT}")]  # reads that graded class


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as server:
        yield server


def course_on_database(root: Path, model: Course, url: str, students: list[str] = ()) -> Course:
    """A new course at ``root``: ``model``'s configuration and assignment, some of its submissions, and ``url``'s gradebook."""
    shutil.copytree(model.source_dir / ASSIGNMENT, root / model.source_dir.name / ASSIGNMENT)
    for student in students:
        shutil.copytree(model.submitted_dir / student, root / "submitted" / student)
    config = (model.root / CONFIG_FILE).read_text()
    (root / CONFIG_FILE).write_text(f"{config}\nc.CourseDirectory.db_url = {url!r}\n")
    return Course(root)


def scores_by_cell(url: str, assignment: str) -> dict[tuple[str, str], float]:
    """(student, cell) -> score, read with nbgrader's own Gradebook."""
    with Gradebook(url) as gb:
        return {
            (submission.student.id, grade.name): float(grade.score)
            for submission in gb.find_assignment(assignment).submissions
            for notebook in submission.notebooks
            for grade in notebook.grades
        }


@pytest.fixture(scope="module")
def postgres_class(postgres, graded_class, tmp_path_factory):
    """Part of the sample class, in a new course whose gradebook is a PostgreSQL database, graded by the CLI."""
    require_sandbox()
    sqlite = graded_class(ASSIGNMENT).course
    url = postgres.create_database("course")
    course = course_on_database(tmp_path_factory.mktemp("postgres") / "course", sqlite, url, STUDENTS)
    assert main(["--course", str(course.root), "grade", ASSIGNMENT, "--workers", "2"]) == 0
    return course, url, sqlite


def test_postgres_scores_match_sqlite_cell_for_cell(postgres_class):
    course, url, sqlite = postgres_class
    on_sqlite = {key: score for key, score in scores_by_cell(sqlite.coursedir.db_url, ASSIGNMENT).items()
                 if key[0] in STUDENTS}  # fmt: skip
    on_postgres = scores_by_cell(url, ASSIGNMENT)
    assert on_postgres == on_sqlite
    assert {student for student, _ in on_postgres} == set(STUDENTS)


def test_nbgrader_export_reads_the_postgres_gradebook(postgres_class):
    course, url, _ = postgres_class
    out = course.root / "grades.csv"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "nbgrader"), "export", "--to", str(out)],
        cwd=course.root, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    with open(out) as f:
        exported = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    with Gradebook(url) as gb:
        recorded = {s.student.id: float(s.score) for s in gb.find_assignment(ASSIGNMENT).submissions}
    assert exported == recorded
    assert exported["reference"] == 100 and exported["blank_stub"] == 0


def test_regrade_with_force_keeps_every_score(postgres_class, capsys):
    course, url, _ = postgres_class
    before = scores_by_cell(url, ASSIGNMENT)
    assert main(["--course", str(course.root), "grade", ASSIGNMENT, "--force", "--workers", "2"]) == 0
    assert "graded before" not in capsys.readouterr().out
    assert scores_by_cell(url, ASSIGNMENT) == before


def test_report_and_feedback_read_the_postgres_gradebook(postgres_class):
    course, _, _ = postgres_class
    out = course.root / "reports"
    assert main(["--course", str(course.root), "report", ASSIGNMENT, "--out", str(out)]) == 0
    with open(out / f"{ASSIGNMENT}_grades.csv") as f:
        assert {row["student"] for row in csv.DictReader(f)} == set(STUDENTS)
    assert main(["--course", str(course.root), "feedback", ASSIGNMENT]) == 0
    assert len(list(course.feedback_dir.glob(f"*/{ASSIGNMENT}/*.html"))) == len(STUDENTS)


def test_demo_grades_its_sample_class_into_postgres(postgres, repo, tmp_path):
    """``autograder demo --db-url``: build, grade, report and feedback on a tiny assignment, in PostgreSQL."""
    require_sandbox()
    tiny = write_tiny_assignment(tmp_path / "repo", "tiny", "def double(x):\n    return 2 * x",
                                 {"test_double": "assert double(3) == 6"})  # fmt: skip
    url = postgres.create_database("demo")
    workdir = tmp_path / "demo"
    assert main(["--course", str(tiny.root), "demo", "--assignment", "tiny", "--workdir", str(workdir),
                 "--db-url", url]) == 0  # fmt: skip
    with Gradebook(url) as gb:
        scores = {s.student.id: float(s.score) for s in gb.find_assignment("tiny").submissions}
    assert scores == {"reference": 1.0, "blank_stub": 0.0}
    assert not (workdir / "gradebook.db").exists()


@pytest.mark.parametrize("problem", ["server down", "wrong password"])
def test_unreachable_database_stops_grading_with_one_line(postgres, graded_class, tmp_path, capsys, problem):
    """The error names the database without its password, and no submission is graded."""
    sqlite = graded_class(ASSIGNMENT).course
    if problem == "server down":
        url = f"postgresql://grader:hunter2secret@127.0.0.1:{free_port()}/course"
        said = "Connection refused"
    else:
        url = postgres.create_database("refused").replace(postgres.password, "hunter2secret")
        said = "password authentication failed"
    root = course_on_database(tmp_path / "course", sqlite, url, ["reference"]).root
    assert main(["--course", str(root), "grade", ASSIGNMENT]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, f"not one line: {err!r}"
    assert said in err and "hunter2secret" not in err
    assert url.replace("hunter2secret", "***") in err
    assert not (root / "autograded").exists()


def test_demo_never_grades_into_the_course_gradebook(repo, tmp_path):
    """Without --db-url the demo's class goes to its own SQLite file, whatever the course's config names."""
    course = course_on_database(tmp_path / "course", repo, "postgresql://grader:secret@db.example.org/real_course")
    scratch = make_scratch_course(course, ASSIGNMENT, tmp_path / "demo")
    assert scratch.coursedir.db_url == f"sqlite:///{scratch.root / 'gradebook.db'}"
