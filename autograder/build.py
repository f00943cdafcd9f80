"""``autograder build``: generate the student release with nbgrader, then verify it."""

from __future__ import annotations

from .course import Course
from .gradebook import generate_release
from .verify import Problem, verify_assignment


def build(
    course: Course, assignments: list[str] | None = None, *, verify: bool = True, log=print
) -> dict[str, list[Problem]]:
    """Build and verify each assignment (all of them by default); returns the problems per assignment.

    ``verify=False`` only generates the release (and finds no problems): the checks are what
    make a release safe to hand out, so skip them only to regenerate one already verified.
    """
    names = assignments or course.assignments()
    for name in names:
        course.require_assignment(name)
    problems = {}
    for name in names:
        log(f"building {name}: nbgrader generate_assignment")
        generate_release(course, name)
        if not verify:
            problems[name] = []
            continue
        log(f"verifying {name}: reference passes every test cell, stub fails every one, in a kernel and sandboxed")
        problems[name] = verify_assignment(course, name, log=log)
        for problem in problems[name]:
            log(f"  PROBLEM {problem}")
        log(f"{name}: {'ok' if not problems[name] else f'{len(problems[name])} problem(s)'}")
    return problems
