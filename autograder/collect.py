"""``autograder collect``: import a learning-management-system download into ``submitted/``.

LMS downloads (Canvas, Moodle, Blackboard, ...) hold one notebook per student with
the student's id somewhere in the file name, e.g. ``smithjane_48213_1093847_sliding_window_max.ipynb``.
A file belongs to a student when a student id from the gradebook's roster appears
in its name as a whole token; with no roster, the file name's first token is the id
(or give ``pattern``, a regular expression with a ``student`` group). Each matched
notebook becomes ``submitted/<student>/<assignment>/<notebook>.ipynb``; everything
else is reported, never guessed.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

from .course import Course, CourseError

MAX_NOTEBOOK_BYTES = 64 << 20
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
FIRST_TOKEN = re.compile(r"^(?P<student>[A-Za-z0-9.-]+)_")


def notebooks_in(source: Path) -> Iterator[tuple[str, bytes | None]]:
    """(file name, content) of each notebook in a zip or folder; content None when too large."""
    if source.is_dir():
        for path in sorted(source.rglob("*.ipynb")):
            if path.is_file() and not path.is_symlink() and ".ipynb_checkpoints" not in path.parts:
                yield path.name, path.read_bytes() if path.stat().st_size <= MAX_NOTEBOOK_BYTES else None
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            for info in archive.infolist():
                name = Path(info.filename).name
                if info.is_dir() or not name.endswith(".ipynb") or info.filename.startswith("__MACOSX"):
                    continue
                yield name, archive.read(info) if info.file_size <= MAX_NOTEBOOK_BYTES else None
    else:
        raise CourseError(f"{source} is neither a folder nor a zip file")


def roster(course: Course) -> set[str]:
    with course.gradebook() as gb:
        return {student.id for student in gb.students}


def student_of(file_name: str, known: set[str], pattern: re.Pattern | None) -> str | None:
    stem = file_name.removesuffix(".ipynb")
    if pattern is not None:
        match = pattern.search(stem)
        return match.group("student") if match else None
    if known:
        tokens = set(re.split(r"[^A-Za-z0-9.@-]+", stem))
        hits = sorted(tokens & known)
        return hits[0] if len(hits) == 1 else None
    match = FIRST_TOKEN.match(stem)
    return match.group("student") if match else None


def collect(
    course: Course, source: Path, assignment: str, *, pattern: str | None = None
) -> tuple[dict[str, Path], dict[str, str]]:
    """Import notebooks; returns (student -> written path, file name -> why it was not imported)."""
    course.require_assignment(assignment)
    notebooks = course.source_notebooks(assignment)
    if len(notebooks) != 1:
        raise CourseError(f"{assignment!r} has {len(notebooks)} notebooks; collect handles one per assignment")
    target_name = notebooks[0].name
    known = roster(course)
    try:
        regex = re.compile(pattern) if pattern else None
    except re.error as exc:
        raise CourseError(f"--pattern is not a regular expression: {exc}") from None
    if regex is not None and "student" not in regex.groupindex:
        raise CourseError("--pattern needs a (?P<student>...) group")
    imported: dict[str, Path] = {}
    unmatched: dict[str, str] = {}
    for name, content in notebooks_in(source):
        student = student_of(name, known, regex)
        if content is None:
            unmatched[name] = f"larger than {MAX_NOTEBOOK_BYTES >> 20} MiB"
        elif student is None:
            unmatched[name] = "no known student id in the file name"
        elif not STUDENT_ID.match(student):
            unmatched[name] = f"{student!r} is not a usable student id"
        elif student in imported:
            unmatched[name] = f"a second notebook for {student}; kept the first"
        else:
            destination = course.submitted_dir / student / assignment / target_name
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(content)
            imported[student] = destination
    return imported, unmatched
