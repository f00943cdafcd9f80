"""A sample class of submissions, made from the release and the reference solution.

Each student starts from the released notebook (as a real student does) and fills
its solution cells: ``reference`` with the reference solution, ``blank_stub`` with
nothing, and one student per *mistake file* with the reference except for one cell.

A mistake file is a small Python file that replaces one solution cell::

    # cell: max_sliding_window
    # loses: test_max_sliding_window, test_max_sliding_window_large
    \"\"\"What is wrong, in one sentence.\"\"\"
    def max_sliding_window(nums, k):
        ...

``cell`` names the solution cell it replaces and ``loses`` the test cells that
must then lose their points (the maintainers' tests check exactly that).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.utils import is_solution

from .course import Course

REFERENCE = "reference"
BLANK = "blank_stub"
HEADER = re.compile(r"^# (cell|loses): *(.+)$", re.MULTILINE)
SOLUTION_REGION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


@dataclass(frozen=True)
class Mistake:
    name: str
    cell: str
    loses: tuple[str, ...]
    description: str
    source: str


def load_mistake(path: Path) -> Mistake:
    source = path.read_text(encoding="utf-8")
    header = dict(HEADER.findall(source))
    if "cell" not in header or "loses" not in header:
        raise ValueError(f"{path} needs '# cell: <grade id>' and '# loses: <test ids>' header lines")
    loses = tuple(part.strip() for part in header["loses"].split(","))
    return Mistake(path.stem, header["cell"].strip(), loses, ast.get_docstring(ast.parse(source)) or "", source)


def load_mistakes(folder: Path) -> list[Mistake]:
    """Every mistake file in a folder, sorted by name (none if the folder is absent)."""
    return [load_mistake(p) for p in sorted(folder.glob("*.py"))] if folder.is_dir() else []


def strip_solution_markers(source: str) -> str:
    """A solution cell as a student would have written it: without nbgrader's region markers."""
    lines = source.splitlines()
    return "\n".join(line for line in lines if line.strip() not in SOLUTION_REGION_MARKERS)


def reference_answers(source_notebook: Path) -> dict[str, str]:
    """The reference code of each solution cell, by grade id."""
    nb = nbformat.read(source_notebook, as_version=4)
    return {
        cell.metadata.nbgrader["grade_id"]: strip_solution_markers(cell.source)
        for cell in nb.cells
        if cell.cell_type == "code" and is_solution(cell)
    }


def fill_notebook(released: Path, answers: dict[str, str], destination: Path) -> None:
    """Write the released notebook with the given solution cells filled in."""
    nb = nbformat.read(released, as_version=4)
    unknown = set(answers) - {c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells}
    if unknown:
        raise ValueError(f"{released.name} has no cells {sorted(unknown)}")
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, destination)


def write_sample_class(course: Course, assignment: str, mistakes: list[Mistake]) -> list[str]:
    """Write the sample submissions under ``submitted/``; returns the student ids."""
    students = {REFERENCE: None, BLANK: None} | {m.name: m for m in mistakes}
    for source in course.source_notebooks(assignment):
        released = course.release_dir / assignment / source.name
        reference = reference_answers(source)
        for student, mistake in students.items():
            answers = {} if student == BLANK else dict(reference)
            if mistake is not None and mistake.cell in reference:
                answers[mistake.cell] = mistake.source
            fill_notebook(released, answers, course.submitted_dir / student / assignment / source.name)
    return list(students)
