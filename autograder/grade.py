"""``autograder grade``: autograde every submission of an assignment into the gradebook.

Workers run each submission sandboxed (:mod:`autograder.pipeline`); nbgrader records
each run as it arrives (:mod:`autograder.gradebook`) and stays the system of record. A
broken submission costs only its own student; the command ends with a table and a CSV.
"""

from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path

from .course import Course, CourseError
from .gradebook import Recorder, StudentResult, already_graded, sync_gradebook
from .pipeline import SubmissionJob, read_folder, run_jobs
from .remote import ensure_sandbox_works
from .sandbox import Limits, SandboxUnavailable

__all__ = ["StudentResult", "format_table", "grade", "write_csv"]


def make_job(course: Course, assignment: str, student: str, limits: Limits, source: dict | None = None):
    """A worker's job: the source assignment (read once per class) and one submission, as bytes."""
    return SubmissionJob(
        student=student,
        assignment=assignment,
        source=source if source is not None else read_folder(course.source_dir / assignment),
        submission=read_folder(course.submitted_dir / student / assignment),
        limits=limits,
    )


def grade(
    course: Course,
    assignment: str,
    *,
    force: bool = False,
    workers: int = 1,
    scheduler: str | None = None,
    limits: Limits | None = None,
    sandboxed: bool = True,
    log=print,
) -> list[StudentResult]:
    """Autograde every ``submitted/<student>/<assignment>/`` folder; returns one result per student.

    Sandboxed (the default), student code runs only inside a sandbox and every verdict is
    decided in a trusted process; ``sandboxed=False`` is stock nbgrader, in the student's kernel.
    Each run is recorded as soon as a worker returns it, while the others keep running.
    """
    course.require_assignment(assignment)
    course.check_gradebook()
    limits = limits or Limits()
    students = course.students_with_submissions(assignment)
    if not students:
        raise CourseError(f"no submissions of {assignment!r} under {course.submitted_dir}")
    if sandboxed:
        try:
            ensure_sandbox_works(limits)
        except SandboxUnavailable as exc:
            raise CourseError(str(exc)) from exc
    sync_gradebook(course, assignment)
    results: list[StudentResult] = []

    def report(result: StudentResult) -> None:
        results.append(result)
        outcome = f"{result.score:g}/{result.max_score:g}" if result.status == "graded" else f"FAILED ({result.reason})"
        took = f" ({result.seconds:.1f} s)" if result.seconds else ""
        log(f"{len(results)}/{len(students)} graded: {result.student} {outcome}{took}")

    with Recorder(course, assignment) as recorder:
        if not sandboxed:
            for student in students:
                report(recorder.record_stock(student, force=force))
            return results
        todo = []
        for student in students:
            earlier = None if force else already_graded(course, assignment, student)
            if earlier is not None:
                report(earlier)
            else:
                todo.append(student)
        source = read_folder(course.source_dir / assignment)
        jobs = [make_job(course, assignment, student, limits, source) for student in todo]
        for run in run_jobs(jobs, workers=workers, scheduler=scheduler):
            report(recorder.record(run))
    return results


def format_table(results: list[StudentResult]) -> str:
    """The results as an aligned text table, best score first."""
    rows = [("student", "score", "status")]
    for r in sorted(results, key=lambda r: (-r.score, r.student)):
        status = r.status if not r.reason else f"{r.status}: {r.reason}"
        rows.append((r.student, f"{r.score:g}/{r.max_score:g}", status))
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c}" for a, b, c in rows]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


def write_csv(results: list[StudentResult], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(StudentResult.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(asdict(r) for r in sorted(results, key=lambda r: r.student))
