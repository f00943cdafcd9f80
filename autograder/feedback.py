"""``autograder feedback``: nbgrader's HTML feedback for every autograded submission."""

from __future__ import annotations

from pathlib import Path

from .course import Course, CourseError


def autograded_students(course: Course, assignment: str) -> list[str]:
    return sorted(p.parent.name for p in course.autograded_dir.glob(f"*/{assignment}") if p.is_dir())


def feedback(course: Course, assignment: str, *, log=print) -> list[Path]:
    """Generate ``feedback/<student>/<assignment>/*.html``; returns the files written."""
    course.require_assignment(assignment)
    course.check_gradebook()
    students = autograded_students(course, assignment)
    if not students:
        raise CourseError(f"no autograded submissions of {assignment!r}: run `autograder grade` first")
    api = course.api()
    for student in students:
        result = api.generate_feedback(assignment, student, force=True)
        if not result["success"]:
            log(f"{student}: nbgrader could not generate feedback:\n{result.get('log', '')}{result.get('error', '')}")
    written = sorted(course.feedback_dir.glob(f"*/{assignment}/*.html"))
    log(f"{len(written)} feedback file(s) under {course.feedback_dir}")
    return written
