"""Shared fixtures: the repository's course, and sample classes graded through the real pipeline.

Grading runs every submission through nbgrader and a Jupyter kernel, which takes
seconds each, so each assignment's sample class is built and graded once per session.
"""

from __future__ import annotations

import inspect
import os
import shutil
import sys
import types
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import is_grade

from autograder.course import Course
from autograder.demo import demo
from autograder.remote import ensure_sandbox_works
from autograder.report import CellScore, cell_scores
from autograder.sample_class import load_mistakes
from autograder.sandbox import Limits, SandboxUnavailable

# Triton decides between compiling and interpreting when it is first imported, and any test
# may import it first (PyTorch does, lazily): without an NVIDIA GPU, interpret, as the
# FlashAttention assignment's helper module does for students.
if not Path("/dev/nvidiactl").exists():
    os.environ.setdefault("TRITON_INTERPRET", "1")

REPO_ROOT = Path(__file__).resolve().parents[1]
COURSE_TESTS = REPO_ROOT / "tests" / "course"
MISTAKES_ROOT = COURSE_TESTS / "mistakes"
ATTACKS_ROOT = COURSE_TESTS / "attacks"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each test's outcome on it (``item.call_report``), for fixtures that save evidence of a failure."""
    report = yield
    if report.when == "call":
        item.call_report = report
    return report


@pytest.fixture(scope="session")
def repo() -> Course:
    return Course(REPO_ROOT)


def assignments() -> list[str]:
    return Course(REPO_ROOT).assignments()


def mistakes(assignment: str):
    return load_mistakes(MISTAKES_ROOT / assignment)


def require_sandbox(limits: Limits | None = None) -> None:
    """Skip the calling test, saying why, where this machine cannot sandbox student code."""
    try:
        ensure_sandbox_works(limits or Limits())
    except SandboxUnavailable as exc:
        pytest.skip(f"no sandbox on this machine: {exc}")


class GradedClass:
    """A scratch course whose sample class went through build, grade, report and feedback."""

    def __init__(self, course: Course, assignment: str):
        self.course = course
        self.assignment = assignment
        self.scores: list[CellScore] = cell_scores(course, assignment)

    def cells(self, student: str) -> dict[str, tuple[float, float]]:
        return {s.cell: (s.score, s.max_score) for s in self.scores if s.student == student}

    def failing_cells(self, student: str) -> set[str]:
        return {cell for cell, (got, full) in self.cells(student).items() if got < full}

    def total(self, student: str) -> float:
        return sum(got for got, _ in self.cells(student).values())


_graded: dict[str, GradedClass] = {}


@pytest.fixture(scope="session")
def graded_class(repo, tmp_path_factory):
    """``graded_class(assignment)``: that assignment's demo course, graded once per session."""

    def get(assignment: str) -> GradedClass:
        if assignment not in _graded:
            workdir = tmp_path_factory.mktemp(f"class-{assignment}")
            course = Course(demo(repo, assignment=assignment, workdir=workdir / "course", log=lambda _: None))
            _graded[assignment] = GradedClass(course, assignment)
        return _graded[assignment]

    return get


@pytest.fixture
def scratch_course(repo, tmp_path) -> Course:
    """A copy of the whole course (config, sources, release) that a test may change."""
    for name in ("nbgrader_config.py",):
        shutil.copy(repo.root / name, tmp_path / name)
    for folder in (repo.source_dir, repo.release_dir):
        shutil.copytree(folder, tmp_path / folder.name, ignore=shutil.ignore_patterns("__pycache__"))
    return Course(tmp_path)


def reference_namespace(source_notebook: Path) -> dict:
    """Run a source notebook's non-test code cells (imports and reference solutions) in-process.

    As in a kernel, the notebook's folder is importable, and the namespace is a registered
    module, so functions it defines pickle by reference into forked worker processes.
    """
    folder = str(source_notebook.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    module = types.ModuleType(f"reference_{source_notebook.stem}")
    sys.modules[module.__name__] = module
    for cell in nbformat.read(source_notebook, as_version=4).cells:
        if cell.cell_type == "code" and not is_grade(cell):
            exec(
                compile(cell.source, f"{source_notebook.name}:{cell.metadata.nbgrader['grade_id']}", "exec"),
                module.__dict__,
            )
    return module.__dict__


def call_with_namespace(test_function, namespace: dict):
    """Call a hidden test, passing each parameter from the namespace by name."""
    return test_function(**{name: namespace[name] for name in inspect.signature(test_function).parameters})


def write_tiny_assignment(root: Path, name: str, solution: str, tests: dict[str, str], hidden: str = "") -> Course:
    """A course at ``root`` with one small assignment: a solution cell, then test cells worth 1 point each.

    ``solution`` is the reference code (nbgrader's stub replaces it with ``raise NotImplementedError()``);
    ``tests`` maps test grade ids to their code; ``hidden`` is the hidden-test module.
    """
    meta = {"schema_version": 3, "task": False}
    solution_cell = nbformat.v4.new_code_cell(f"### BEGIN SOLUTION\n{solution}\n### END SOLUTION")
    solution_cell.metadata["nbgrader"] = meta | {
        "grade": False,
        "grade_id": "answer",
        "locked": False,
        "solution": True,
    }
    cells = [solution_cell]
    for grade_id, source in tests.items():
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["nbgrader"] = meta | {
            "grade": True, "grade_id": grade_id, "locked": True, "points": 1, "solution": False,
        }  # fmt: skip
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    folder = root / "solutions" / name
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / f"{name}.ipynb")
    (folder / "hidden_tests.py").write_text(hidden or '"""No hidden tests."""\n')
    shutil.copy(REPO_ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    return Course(root)
