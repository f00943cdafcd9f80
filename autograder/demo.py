"""``autograder demo``: the whole instructor workflow on a sample class, in a scratch course.

Copies the course configuration and one assignment's source into a fresh folder,
builds and verifies the release, writes a class (the reference, the blank stub
and one student per plausible mistake in ``tests/course/mistakes/``), grades it into a
new SQLite gradebook, or the database ``--db-url`` names (sandboxed, two submissions at
a time), prints the table and writes the report and feedback.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from .build import build
from .course import CONFIG_FILE, Course, CourseError
from .feedback import feedback
from .grade import format_table, grade, write_csv
from .remote import ensure_sandbox_works
from .report import cell_scores, format_pass_rates, pass_rates, report
from .sample_class import load_mistakes, write_sample_class
from .sandbox import Limits, SandboxUnavailable

DEFAULT_ASSIGNMENT = "sliding_window_max"
MISTAKES_FOLDER = Path("tests", "course", "mistakes")


def make_scratch_course(repo: Course, assignment: str, workdir: Path, db_url: str | None = None) -> Course:
    """A new course folder holding only the configuration and one assignment's source.

    Its gradebook is ``db_url``, or a new SQLite file in the folder: never the database
    the course's own configuration names, which holds real students' grades.
    """
    if workdir.exists() and any(workdir.iterdir()):
        raise CourseError(f"{workdir} is not empty; the demo needs a fresh folder")
    workdir.mkdir(parents=True, exist_ok=True)
    # The course's own setting is dropped: nbgrader's default is gradebook.db in the course root.
    gradebook = f"c.CourseDirectory.db_url = {db_url!r}" if db_url else 'c.CourseDirectory.pop("db_url", None)'
    config = (repo.root / CONFIG_FILE).read_text()
    (workdir / CONFIG_FILE).write_text(
        f"{config}\n# Written by `autograder demo`: the sample class's own gradebook.\n{gradebook}\n"
    )
    shutil.copytree(
        repo.source_dir / assignment,
        workdir / repo.source_dir.name / assignment,
        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"),
    )
    return Course(workdir)


def demo(
    repo: Course,
    *,
    assignment: str = DEFAULT_ASSIGNMENT,
    workdir: Path | None = None,
    workers: int = 2,
    db_url: str | None = None,
    log=print,
) -> Path:
    """Run the workflow end to end; returns the scratch course folder."""
    repo.require_assignment(assignment)
    workdir = workdir or Path(tempfile.mkdtemp(prefix="autograder-demo-"))
    course = make_scratch_course(repo, assignment, workdir, db_url)
    course.check_gradebook()
    log(f"scratch course: {course.root}")

    problems = build(course, [assignment], log=log)[assignment]
    if problems:
        listed = "\n".join(f"  {problem}" for problem in problems)
        raise CourseError(f"the release of {assignment!r} failed verification:\n{listed}")

    mistakes = load_mistakes(repo.root / MISTAKES_FOLDER / assignment)
    students = write_sample_class(course, assignment, mistakes)
    log(f"sample class: {len(students)} submissions (reference, blank stub, {len(mistakes)} plausible mistakes)")
    for mistake in mistakes:
        log(f"  {mistake.name}: {mistake.description}")

    try:
        ensure_sandbox_works(Limits())
        sandboxed = True
    except SandboxUnavailable as exc:
        log(f"WARNING: {exc}\nGrading the sample class without a sandbox: acceptable only because we wrote it.")
        sandboxed = False
    results = grade(course, assignment, workers=workers, sandboxed=sandboxed, log=log)
    write_csv(results, course.root / "reports" / f"{assignment}_table.csv")
    log("\n" + format_table(results) + "\n")
    log("pass rate per test cell:\n" + format_pass_rates(pass_rates(cell_scores(course, assignment))) + "\n")

    for kind, path in report(course, assignment, course.root / "reports").items():
        log(f"report {kind}: {path}")
    feedback(course, assignment, log=log)
    return course.root
