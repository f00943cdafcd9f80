"""Keep hidden tests out of the student release.

nbgrader copies every non-notebook file of a source assignment into the release,
and also into each autograded submission. The autograder needs the hidden-test
module there; students must never see it. ``nbgrader_config.py`` registers
:func:`remove_hidden_tests` as GenerateAssignment's post-convert hook, so plain
``nbgrader generate_assignment`` and ``autograder build`` both drop it, and
``autograder build`` then checks that it is gone.
"""

from __future__ import annotations

from pathlib import Path

from .course import HIDDEN_TESTS_MODULE, Course, course_root_of_source


def hidden_test_files(release_assignment_dir: Path) -> list[Path]:
    """Hidden-test modules present in a released assignment folder (there should be none)."""
    return sorted(release_assignment_dir.rglob(HIDDEN_TESTS_MODULE))


def remove_hidden_tests(assignment: str, student: str, notebooks: list[str]) -> None:
    """nbgrader post-convert hook: delete hidden-test modules from the fresh release."""
    if not notebooks:
        return
    course = Course(course_root_of_source(notebooks[0], assignment))
    for path in hidden_test_files(course.release_dir / assignment):
        path.unlink()
