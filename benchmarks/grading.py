"""Grading speed: stock nbgrader against the sandboxed grader, and per-submission overhead.

    .venv/bin/python benchmarks/grading.py [--students 40]

In a scratch course it writes a class of sliding_window_max submissions (the reference,
the blank stub and the plausible mistakes, repeated to the class size) and times:

1. stock ``nbgrader autograde`` (``autograder grade --unsafe-no-sandbox``: each notebook in
   its own kernel, hidden tests included), then ``autograder grade --workers 2`` and
   ``--workers 1``, sandboxed, each from scratch (``--force``);
2. per-submission overhead: a trivial one-cell assignment graded sandboxed, one at a time;
3. the coordinator alone: one sandboxed run of the trivial assignment copied to a class of
   1,000 (``--large``), recorded into the gradebook from those precomputed runs, the way
   ``grade`` records what its workers return. Printed as submissions per second, beside
   the way it was recorded before (a fresh nbgrader API and database engine per
   submission, the stock preprocessors; on ``--before`` submissions), and the start-up
   of ``grade`` when the gradebook already knows the assignment, before and now.

Prints each time and the goals: stock / workers-2 >= 2, workers-1 / workers-2 >= 1.8,
trivial overhead < 1 s, coordinator >= 10 submissions/s, start-up < 2 s.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.converters import Autograde
from nbgrader.preprocessors import ClearOutput, Execute
from nbgrader.utils import temp_attrs
from traitlets.config import Config

from autograder.course import Course
from autograder.grade import grade, make_job
from autograder.gradebook import (
    PrecomputedOutputs,
    Recorder,
    generate_release,
    max_score,
    quiet_sqlalchemy,
    recorded_score,
    sync_gradebook,
)
from autograder.pipeline import SubmissionRun, run_job
from autograder.sample_class import fill_notebook, load_mistakes, reference_answers
from autograder.sandbox import Limits

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
    kinds += [
        (m.name, reference | {m.cell: m.source})
        for m in load_mistakes(REPO / "tests" / "course" / "mistakes" / ASSIGNMENT)
    ]
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
    for folder in (course.source_dir / name, *(course.submitted_dir / f"t{i:04d}" / name for i in range(students))):
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / f"{name}.ipynb")
    return name


def precomputed_class(course: Course, assignment: str, size: int) -> list[SubmissionRun]:
    """One sandboxed run of the first submission, copied to ``size`` students (their folders must exist)."""
    first = course.students_with_submissions(assignment)[0]
    run = run_job(make_job(course, assignment, first, Limits()))
    return [SubmissionRun(f"t{i:04d}", run.notebooks, run.problems, run.notes, run.seconds) for i in range(size)]


def record_as_before(course: Course, assignment: str, run: SubmissionRun) -> None:
    """How a run was recorded before: a fresh API, engines and stock preprocessors for every submission."""
    config = Config()
    config.Autograde.sanitize_preprocessors = [ClearOutput]
    stock = Autograde.class_traits()["autograde_preprocessors"].default()
    config.Autograde.autograde_preprocessors = [PrecomputedOutputs if p is Execute else p for p in stock]
    config.PrecomputedOutputs.notebooks = run.notebooks
    course.api(config).autograde(assignment, run.student, force=True, create=True)
    max_score(course, assignment)
    recorded_score(course, assignment, run.student)


def coordinator_rate(record, runs: list[SubmissionRun]) -> tuple[float, float]:
    """Submissions per second recorded, by the wall clock and by this process's CPU time."""
    wall, cpu = time.perf_counter(), time.process_time()
    for run in runs:
        record(run)
    return len(runs) / (time.perf_counter() - wall), len(runs) / (time.process_time() - cpu)


def startup_before(course: Course, assignment: str) -> None:
    """What every ``grade`` did first before: regenerate the release into a scratch folder."""
    with tempfile.TemporaryDirectory() as scratch, temp_attrs(course.coursedir, release_directory=scratch):
        generate_release(course, assignment, Config({"GenerateAssignment": {"post_convert_hook": None}}))


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
    parser.add_argument("--large", type=int, default=1000, help="simulated class recorded by the coordinator alone")
    parser.add_argument("--before", type=int, default=100, help="of which recorded the way it was done before")
    parser.add_argument("--coordinator-only", action="store_true", help="skip parts 1 and 2")
    args = parser.parse_args()
    if args.coordinator_only:
        with tempfile.TemporaryDirectory(prefix="grading-bench-") as workdir:
            coordinator(scratch_course(Path(workdir)), args.large, args.before)
        return

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
        rate = coordinator(course, args.large, args.before)

    print()
    print(f"stock / workers 2   = {stock / two:5.2f}x   (goal >= 2)")
    print(f"workers 1 / 2       = {one / two:5.2f}x   (goal >= 1.8)")
    print(f"overhead per trivial submission = {per_ours:.2f} s   (goal < 1 s)")
    print(f"coordinator = {rate:.1f} submissions/s (goal >= 10)")


def coordinator(course: Course, size: int, before: int) -> float:
    """Part 3: the coordinator alone on a simulated class; returns submissions per second (wall clock)."""
    trivial = write_trivial_assignment(course, size)
    sync_gradebook(course, trivial)
    runs = precomputed_class(course, trivial, size)
    with quiet_sqlalchemy():
        old_wall, old_cpu = coordinator_rate(lambda run: record_as_before(course, trivial, run), runs[:before])
    with Recorder(course, trivial) as recorder:
        wall, cpu = coordinator_rate(recorder.record, runs)
    start_before = timed(lambda: startup_before(course, ASSIGNMENT))
    sync_gradebook(course, ASSIGNMENT)
    start_now = timed(lambda: sync_gradebook(course, ASSIGNMENT))
    print(f"coordinator, recording precomputed runs of a trivial submission ({size} students):")
    print(f"  before ({before}): {old_wall:6.1f} submissions/s wall, {old_cpu:6.1f} per CPU-second")
    print(f"  now ({size}):   {wall:6.1f} submissions/s wall, {cpu:6.1f} per CPU-second")
    print(f"  {size} submissions recorded in {size / wall:.1f} s (goal < 100 s)")
    print(
        f"start-up of grade when the gradebook knows the assignment: before {start_before:.2f} s, now {start_now:.3f} s"
    )
    return wall


if __name__ == "__main__":
    main()
