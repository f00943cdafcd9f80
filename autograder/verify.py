"""Checks that a built assignment can tell a right answer from a wrong one.

After nbgrader generates the release, the build grades the reference notebook (with
its hidden tests) and the released stub twice: the stock nbgrader way, in a kernel (as
``nbgrader autograde`` and students' Validate do), and through the sandbox and proxies
exactly as ``autograder grade`` does. Every autograded cell is scored with nbgrader's own
rule (:func:`nbgrader.utils.determine_grade`). The reference must earn full marks and the
stub nothing on every cell, on both paths, and a cell that the two paths grade
differently is a problem: a hidden test that relies on something a proxy is not (``is``,
``isinstance``, a live object) would misgrade through the sandbox.
"""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.preprocessors import Execute
from nbgrader.utils import determine_grade, is_grade, is_solution
from traitlets.config import Config

from .course import HIDDEN_TESTS_MODULE, Course
from .pipeline import SubmissionJob, read_folder, run_job
from .release import hidden_test_files
from .remote import ensure_sandbox_works
from .sandbox import Limits, SandboxUnavailable

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### BEGIN HIDDEN TESTS")


@dataclass(frozen=True)
class Problem:
    """One failed check: which notebook and cell, and why."""

    notebook: str
    cell: str
    why: str

    def __str__(self) -> str:
        return f"{self.notebook} [{self.cell}]: {self.why}"


@dataclass(frozen=True)
class CellResult:
    """The score nbgrader gives one autograded cell after the notebook ran."""

    grade_id: str
    points: float
    max_points: float
    error: str

    @property
    def passed(self) -> bool:
        return self.points == self.max_points


def autograded_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The code cells nbgrader scores automatically (test cells, not manually graded answers)."""
    return [c for c in nb.cells if c.cell_type == "code" and is_grade(c) and not is_solution(c)]


def error_summary(cell: nbformat.NotebookNode) -> str:
    """The last line of a cell's error (or stderr) output, for messages."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            return f"{output.ename}: {output.evalue}".strip().splitlines()[-1][:300] if output.evalue else output.ename
        if output.output_type == "stream" and output.name == "stderr":
            return "wrote to stderr: " + output.text.strip()[-300:]
    return ""


def execute_notebook(notebook: Path, config: Config) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a scratch copy of its folder; return it with outputs."""
    with tempfile.TemporaryDirectory(prefix="autograder-run-") as scratch:
        folder = Path(scratch) / notebook.parent.name
        shutil.copytree(notebook.parent, folder, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        nb = nbformat.read(folder / notebook.name, as_version=4)
        Execute(config=config).preprocess(nb, {"metadata": {"path": str(folder)}})
        return nb


def score_cells(nb: nbformat.NotebookNode) -> list[CellResult]:
    """nbgrader's score for each autograded cell of an executed notebook."""
    results = []
    for cell in autograded_cells(nb):
        points, max_points = determine_grade(cell)
        results.append(CellResult(cell.metadata.nbgrader["grade_id"], points or 0.0, max_points, error_summary(cell)))
    return results


def check_source_notebook(path: Path) -> list[Problem]:
    """Static checks of a source notebook: no outputs, unique grade ids, tests to grade."""
    nb = nbformat.read(path, as_version=4)
    problems = []
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "?")
            problems.append(Problem(path.name, grade_id, "source notebooks must be committed without outputs"))
    ids = Counter(c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata)
    problems += [Problem(path.name, gid, f"grade id used by {n} cells") for gid, n in ids.items() if n > 1]
    if not autograded_cells(nb):
        problems.append(Problem(path.name, "-", "no autograded test cells"))
    return problems


def check_release_folder(folder: Path) -> list[Problem]:
    """The release must hold no hidden-test module and no solution or hidden-test text."""
    problems = [Problem(p.name, "-", "hidden tests were released") for p in hidden_test_files(folder)]
    for path in sorted(folder.glob("*.ipynb")):
        text = path.read_text(encoding="utf-8")
        problems += [Problem(path.name, "-", f"release contains {m!r}") for m in SOLUTION_MARKERS if m in text]
    return problems


def run_sandboxed(source_folder: Path, submission_folder: Path, notebook: str, limits: Limits):
    """Grade one notebook the way ``autograder grade`` does; returns it executed (or None and why not)."""
    job = SubmissionJob(
        student="build-check",
        assignment=source_folder.name,
        source=read_folder(source_folder),
        submission=read_folder(submission_folder),
        limits=limits,
    )
    run = run_job(job)
    if notebook in run.notebooks:
        return nbformat.reads(run.notebooks[notebook], as_version=4), ""
    return None, run.problems.get(notebook, "the sandboxed grader returned no notebook")


def graded_both_ways(
    notebook: Path, source_folder: Path, config: Config, limits: Limits | None
) -> tuple[list[CellResult], list[CellResult] | None, str]:
    """Cell scores from a kernel, and from the sandbox (run meanwhile in a thread; None when there is none)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        sandboxed = (
            pool.submit(run_sandboxed, source_folder, notebook.parent, notebook.stem, limits) if limits else None
        )
        in_kernel = score_cells(execute_notebook(notebook, config))
        if sandboxed is None:
            return in_kernel, None, ""
        executed, why = sandboxed.result()
    return in_kernel, (score_cells(executed) if executed is not None else None), why


def disagreements(name: str, in_kernel: list[CellResult], sandboxed: list[CellResult] | None, why: str):
    """Cells that the sandboxed grader scores differently from a kernel."""
    if sandboxed is None:
        return [Problem(name, "-", f"the sandboxed grader could not run it: {why}")] if why else []
    through_sandbox = {r.grade_id: r for r in sandboxed}
    problems = []
    for r in in_kernel:
        other = through_sandbox.get(r.grade_id)
        if other is None or other.points != r.points:
            got = "nothing" if other is None else f"{other.points:g}/{other.max_points:g}"
            detail = other.error if other is not None and other.error else r.error
            problems.append(
                Problem(
                    name,
                    r.grade_id,
                    f"graded {r.points:g}/{r.max_points:g} in a kernel but {got} through the sandbox"
                    + (f": {detail}" if detail else ""),
                )
            )
    return problems


def check_reference_passes(name: str, results: list[CellResult], how: str) -> list[Problem]:
    """Every autograded cell of the reference notebook must earn full points."""
    return [
        Problem(name, r.grade_id, f"reference solution scores {r.points:g}/{r.max_points:g} {how}: {r.error}")
        for r in results
        if not r.passed
    ]


def check_stub_fails(name: str, results: list[CellResult], how: str) -> list[Problem]:
    """Every autograded cell of the released stub must earn nothing (a test that cannot fail is a defect)."""
    return [
        Problem(name, r.grade_id, f"the blank stub earns {r.points:g}/{r.max_points:g} {how}: this test cannot fail")
        for r in results
        if r.points > 0
    ]


def sandbox_limits(log) -> Limits | None:
    """The grader's default limits, or None (and a warning) where this machine cannot sandbox."""
    try:
        ensure_sandbox_works(Limits())
        return Limits()
    except SandboxUnavailable as exc:
        log(f"WARNING: verifying in a kernel only, not through the sandbox: {exc}")
        return None


def verify_assignment(course: Course, assignment: str, log=print) -> list[Problem]:
    """All checks of one built assignment; an empty list means it is ready to hand out."""
    problems = []
    release = course.release_dir / assignment
    problems += check_release_folder(release)
    limits = sandbox_limits(log)
    for source in course.source_notebooks(assignment):
        problems += check_source_notebook(source)
        if not (source.parent / HIDDEN_TESTS_MODULE).is_file():
            problems.append(Problem(source.name, "-", f"no {HIDDEN_TESTS_MODULE} beside the source notebook"))
        kernel, sandboxed, why = graded_both_ways(source, source.parent, course.config, limits)
        problems += check_reference_passes(source.name, kernel, "in a kernel")
        problems += check_reference_passes(source.name, sandboxed or [], "through the sandbox")
        problems += disagreements(f"{source.name} (reference)", kernel, sandboxed, why)
        released = release / source.name
        if not released.is_file():
            problems.append(Problem(source.name, "-", "missing from the release"))
            continue
        kernel, sandboxed, why = graded_both_ways(released, source.parent, course.config, limits)
        problems += check_stub_fails(released.name, kernel, "in a kernel")
        problems += check_stub_fails(released.name, sandboxed or [], "through the sandbox")
        problems += disagreements(f"{released.name} (blank stub)", kernel, sandboxed, why)
    return problems
