"""``autograder grade``: autograde every submission of an assignment into the gradebook.

nbgrader does the grading (``NbGraderAPI.autograde``) and stays the system of
record; this module runs it over a class, one submission at a time, so that a
broken submission costs only its own student, and ends with a table and a CSV.
"""

from __future__ import annotations

import csv
import re
import tempfile
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.utils import temp_attrs
from sqlalchemy.exc import SAWarning

from .build import generate_release
from .course import Course, CourseError
from .pipeline import SubmissionJob, SubmissionRun, autograde_config, read_folder, run_jobs
from .sandbox import Limits, SandboxUnavailable, ensure_sandbox_works

# nbgrader 0.9 trips SQLAlchemy 2's autoflush warnings on every autograde; they are noise.
warnings.filterwarnings("ignore", category=SAWarning)

EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception|Exit)): ?(.*)$")
KNOWN_FAILURES = [
    ("No notebooks were matched", "no notebook found in the submission folder"),
    ("Kernel died", "the kernel died while running the notebook (a crash, os._exit, or too much memory)"),
    ("NotJSONError", "the notebook file is not valid JSON (corrupted or not a notebook)"),
    ("CellTimeoutError", "a cell ran past the time limit"),
]


@dataclass(frozen=True)
class StudentResult:
    """One row of the grading table."""

    student: str
    score: float
    max_score: float
    status: str  # "graded" or "failed"
    reason: str = ""
    seconds: float = 0.0


def sync_gradebook(course: Course, assignment: str) -> None:
    """Record the assignment's cells in the gradebook, creating the database if needed.

    nbgrader learns an assignment's graded cells when it generates the release; do
    that into a scratch folder so grading never touches the committed release.
    """
    with tempfile.TemporaryDirectory(prefix="autograder-release-") as scratch:
        with temp_attrs(course.coursedir, release_directory=scratch):
            generate_release(course, assignment)


def failure_reason(log: str) -> str:
    """A one-line reason for a failed autograde, from nbgrader's log."""
    for needle, reason in KNOWN_FAILURES:
        if needle in log:
            return reason
    exceptions = [m for m in map(EXCEPTION_LINE.match, log.splitlines()) if m and m.group(1) != "NbGraderException"]
    if exceptions:
        name, message = exceptions[-1].groups()
        return f"{name}: {message}"[:200]
    return "nbgrader could not autograde this submission (see its log)"


def recorded_score(course: Course, assignment: str, student: str) -> tuple[float, float]:
    with course.gradebook() as gb:
        submission = gb.find_submission(assignment, student)
        return float(submission.score), float(submission.max_score)


def max_score(course: Course, assignment: str) -> float:
    with course.gradebook() as gb:
        return float(gb.find_assignment(assignment).max_score)


def grade_student(course: Course, assignment: str, student: str, *, force: bool) -> StudentResult:
    """Autograde one submission; a failure becomes a zero with its reason, never an exception."""
    result = course.api().autograde(assignment, student, force=force, create=True)
    full = max_score(course, assignment)
    if not result["success"]:
        return StudentResult(
            student, 0.0, full, "failed", failure_reason(result.get("log", "") + result.get("error", ""))
        )
    try:
        score, full = recorded_score(course, assignment, student)
    except MissingEntry:
        return StudentResult(student, 0.0, full, "failed", "nbgrader recorded no submission")
    return StudentResult(student, score, full, "graded")


def make_job(course: Course, assignment: str, student: str, limits: Limits) -> SubmissionJob:
    return SubmissionJob(
        student=student,
        assignment=assignment,
        source=read_folder(course.source_dir / assignment),
        submission=read_folder(course.submitted_dir / student / assignment),
        limits=limits,
    )


def record_run(course: Course, assignment: str, run: SubmissionRun) -> StudentResult:
    """Hand a worker's sandboxed run to nbgrader's autograde, which writes the gradebook."""
    result = course.api(autograde_config(run)).autograde(assignment, run.student, force=True, create=True)
    full = max_score(course, assignment)
    if not result["success"]:
        return StudentResult(
            run.student, 0.0, full, "failed", failure_reason(result.get("log", "") + result.get("error", ""))
        )
    score, full = recorded_score(course, assignment, run.student)
    return StudentResult(run.student, score, full, "graded", "; ".join(run.notes), run.seconds)


def already_graded(course: Course, assignment: str, student: str) -> StudentResult | None:
    """The recorded result of a submission graded before (kept unless --force)."""
    if not (course.autograded_dir / student / assignment).is_dir():
        return None
    try:
        score, full = recorded_score(course, assignment, student)
    except MissingEntry:
        return None
    return StudentResult(student, score, full, "graded", "graded before; --force to regrade")


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
    """
    course.require_assignment(assignment)
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

    if not sandboxed:
        for student in students:
            report(grade_student(course, assignment, student, force=force))
        return results
    todo = []
    for student in students:
        earlier = None if force else already_graded(course, assignment, student)
        if earlier is not None:
            report(earlier)
        else:
            todo.append(student)
    jobs = [make_job(course, assignment, student, limits) for student in todo]
    for run in run_jobs(jobs, workers=workers, scheduler=scheduler):
        report(record_run(course, assignment, run))
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
