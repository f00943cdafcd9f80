"""Grading speed: stock nbgrader against the sandboxed grader, and per-submission overhead.

    .venv/bin/python benchmarks/grading.py [--students 40]

In a scratch course it writes a class of sliding_window_max submissions (the reference,
the blank stub and the plausible mistakes, repeated to the class size) and times:

1. stock ``nbgrader autograde`` (``autograder grade --unsafe-no-sandbox``: each notebook in
   its own kernel, hidden tests included), then ``autograder grade --workers 2`` and
   ``--workers 1``, sandboxed, each from scratch (``--force``);
2. per-submission overhead: a trivial one-cell assignment graded sandboxed, one at a time.

Prints each time and the ratios the course aims for: stock / workers-2 >= 2,
workers-1 / workers-2 >= 1.8, trivial overhead < 1 s.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from autograder.course import Course
from autograder.grade import grade
from autograder.sample_class import fill_notebook, load_mistakes, reference_answers

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENT = "sliding_window_max"


def scratch_course(workdir: Path) -> Course:
    shutil.copy(REPO / "nbgrader_config.py", workdir)
    shutil.copytree(REPO / "solutions" / ASSIGNMENT, workdir / "solutions" / ASSIGNMENT)
    shutil.copytree(REPO / "assignments" / ASSIGNMENT, workdir / "assignments" / ASSIGNMENT)
    return Course(workdir)


def write_class(course: Course, size: int) -> None:
    release = course.release_dir / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    reference = reference_answers(course.source_dir / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    kinds = [("reference", reference), ("blank", {})]
    kinds += [(m.name, reference | {m.cell: m.source}) for m in load_mistakes(REPO / "tests" / "mistakes" / ASSIGNMENT)]
    for i in range(size):
        name, answers = kinds[i % len(kinds)]
        fill_notebook(release, answers, course.submitted_dir / f"s{i:03d}_{name}" / ASSIGNMENT / release.name)


def write_trivial_assignment(course: Course, students: int) -> str:
    """A one-answer assignment: what a submission costs when the student's code costs nothing."""
    name = "trivial"
    meta = {"schema_version": 3, "task": False}
    answer = new_code_cell("answer = 42")
    answer.metadata["nbgrader"] = meta | {"grade": False, "grade_id": "answer", "locked": False, "solution": True}
    test = new_code_cell("assert answer == 42")
    test.metadata["nbgrader"] = meta | {
        "grade": True,
        "grade_id": "test_answer",
        "locked": True,
        "points": 1,
        "solution": False,
    }
    nb = new_notebook(cells=[answer, test])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for folder in (course.source_dir / name, *(course.submitted_dir / f"t{i:02d}" / name for i in range(students))):
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
    return name


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def quiet(_message: str) -> None:
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--trivial", type=int, default=10, help="submissions of the trivial assignment")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="grading-bench-") as workdir:
        course = scratch_course(Path(workdir))
        write_class(course, args.students)
        print(f"class: {args.students} {ASSIGNMENT} submissions (reference, blank, mistakes)")
        stock = timed(lambda: grade(course, ASSIGNMENT, force=True, sandboxed=False, log=quiet))
        print(f"stock nbgrader autograde (no sandbox)   {stock:7.1f} s")
        two = timed(lambda: grade(course, ASSIGNMENT, force=True, workers=2, log=quiet))
        print(f"autograder grade --workers 2 (sandbox) {two:7.1f} s")
        one = timed(lambda: grade(course, ASSIGNMENT, force=True, workers=1, log=quiet))
        print(f"autograder grade --workers 1 (sandbox) {one:7.1f} s")

        trivial = write_trivial_assignment(course, args.trivial)
        per_ours = timed(lambda: grade(course, trivial, force=True, workers=1, log=quiet)) / args.trivial
        per_stock = timed(lambda: grade(course, trivial, force=True, sandboxed=False, log=quiet)) / args.trivial
        print(f"trivial notebook, per submission: sandboxed {per_ours:.2f} s, stock nbgrader {per_stock:.2f} s")

    print()
    print(f"stock / workers 2   = {stock / two:5.2f}x   (goal >= 2)")
    print(f"workers 1 / 2       = {one / two:5.2f}x   (goal >= 1.8)")
    print(f"overhead per trivial submission = {per_ours:.2f} s   (goal < 1 s)")


if __name__ == "__main__":
    main()
