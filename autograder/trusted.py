"""Run one submission with trusted verdicts: student cells in the sandbox, test cells here.

The notebook that is run is rebuilt from the *source* notebook: every locked cell
(instructions, imports, tests) comes from the source, and only the solution cells,
plus any code cells the student added, come from the submission. So an edited,
deleted, retagged or duplicated test cell, or a changed kernelspec, changes nothing.

Each test cell runs in this (trusted) process, in a namespace where the test's own
names and Python's builtins come first and every other name is the student's,
fetched from the sandbox as plain data or as a proxy whose calls return plain data.
A test cell fails exactly when its code raises here, which nothing in the sandbox
can cause or prevent except through the values its functions return.
"""

from __future__ import annotations

import ast
import builtins
import copy
import importlib.util
import io
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import nbformat
from nbformat import NotebookNode
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.utils import is_grade, is_locked, is_solution

from .course import HIDDEN_TESTS_MODULE
from .remote import GraderError, Session, StudentNamespace
from .sandbox import Limits, SandboxProcess
from .testing import grading_session

OUTPUT_LIMIT_CHARS = 64 * 1024
MAX_SANDBOX_RESTARTS = 3  # per notebook: a submission that kills every sandbox cannot multiply grading time
_hidden_modules: dict[Path, ModuleType] = {}


def grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def is_test(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and is_grade(cell) and not is_solution(cell)


def is_instructor_code(cell: NotebookNode) -> bool:
    return cell.cell_type == "code" and is_locked(cell) and not is_grade(cell) and not is_solution(cell)


def canonical_cells(source: NotebookNode, submitted: NotebookNode) -> list[NotebookNode]:
    """The cells to run: the source's cells, with the student's solution cells and added code cells."""
    source_ids = {grade_id(c) for c in source.cells if grade_id(c)}
    solution_ids = {grade_id(c) for c in source.cells if is_solution(c)}
    answers: dict[str, str] = {}
    added_after: dict[str | None, list[NotebookNode]] = defaultdict(list)
    anchor = None
    for cell in submitted.cells:
        gid = grade_id(cell)
        if gid in source_ids:
            if gid in solution_ids and gid not in answers:
                answers[gid] = str(cell.get("source", ""))
            anchor = gid
        elif cell.get("cell_type") == "code":
            added_after[anchor].append(nbformat.v4.new_code_cell(str(cell.get("source", ""))))
    cells = list(added_after[None])
    for cell in source.cells:
        cell = copy.deepcopy(cell)
        gid = grade_id(cell)
        if gid in solution_ids:
            cell.source = answers.get(gid, "")
        cells.append(cell)
        cells.extend(added_after.get(gid, []))
    return cells


def load_hidden_tests(source_dir: Path) -> ModuleType | None:
    """The assignment's hidden-test module, imported once per process from the source folder."""
    path = (source_dir / HIDDEN_TESTS_MODULE).resolve()
    if not path.is_file():
        return None
    if path not in _hidden_modules:
        spec = importlib.util.spec_from_file_location(f"hidden_tests__{source_dir.name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _hidden_modules[path] = module
    return _hidden_modules[path]


def cell_builtins(hidden: ModuleType | None, printed: io.StringIO) -> dict:
    """Builtins for one test cell: ``import hidden_tests`` gives the trusted module, ``print`` is captured.

    Per cell rather than through sys.modules and sys.stdout, so that several submissions
    can be graded in threads of one process (as Dask workers do).
    """

    def import_(name, globals=None, locals=None, fromlist=(), level=0):
        if name == "hidden_tests" and level == 0 and hidden is not None:
            return hidden
        return builtins.__import__(name, globals, locals, fromlist, level)

    def print_(*args, file=None, **kwargs):
        builtins.print(*args, file=printed if file is None else file, **kwargs)

    return {**builtins.__dict__, "__import__": import_, "print": print_}


def capped(text: str) -> str:
    if len(text) <= OUTPUT_LIMIT_CHARS:
        return text
    return text[:OUTPUT_LIMIT_CHARS] + f"\n... [{len(text) - OUTPUT_LIMIT_CHARS} more characters dropped]\n"


def stream(text: str) -> NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=capped(text))


def error(ename: str, evalue: str, traceback: list[str] | None = None) -> NotebookNode:
    lines = [f"{ename}: {evalue}"] if traceback is None else [*traceback, f"{ename}: {evalue}"]
    return nbformat.v4.new_output("error", ename=ename, evalue=capped(evalue), traceback=lines)


def sandbox_outputs(reply: dict) -> list[NotebookNode]:
    """Outputs of a student cell, from the runner's reply."""
    outputs = []
    printed = str(reply.get("stdout", "")) + str(reply.get("stderr", ""))
    if printed:
        outputs.append(stream(printed))
    if not reply.get("ok"):
        e = reply.get("error") or {}
        outputs.append(
            error(str(e.get("ename", "Error")), str(e.get("evalue", "")), [str(x) for x in e.get("traceback", [])])
        )
    return outputs


def run_test_cell(
    source: str, name: str, namespace: StudentNamespace, session: Session, hidden: ModuleType | None
) -> list[NotebookNode]:
    """Run a test cell here; it fails exactly when it raises. The traceback shows no test source."""
    namespace.forget_student_names()
    session.printed.clear()
    printed = io.StringIO()
    namespace["__builtins__"] = cell_builtins(hidden, printed)
    failure = None
    try:
        exec(compile(source, name, "exec"), namespace)  # noqa: S102 (instructor code from the source notebook)
    except (Exception, GraderError) as exc:  # any failure of the test, whatever raised it, is a failed test
        failure = exc
    outputs = []
    text = "".join(session.printed) + printed.getvalue()
    if text:
        outputs.append(stream(text))
    if failure is not None:
        student_lines = getattr(failure, "student_traceback", None)
        outputs.append(error(type(failure).__name__, str(failure), student_lines))
    return outputs


def run_instructor_code_here(source: str, name: str, namespace: StudentNamespace) -> None:
    """Run an instructor cell (imports, constants) here too, so test code can use what it defines.

    Statement by statement, and only as far as it goes: a module only the submission's folder
    provides (an assignment's helper module) cannot be imported here, and a statement that
    uses student code may fail on a proxy; test code then finds those names in the sandbox,
    as the student's process sees them. The sandbox's run of the cell is what the notebook shows.
    """
    for statement in ast.parse(source).body:
        try:
            exec(compile(ast.Module([statement], type_ignores=[]), name, "exec"), namespace)  # noqa: S102
        except (Exception, GraderError):
            continue


def without_hidden_tests(cell: NotebookNode) -> NotebookNode:
    """The test cell as the student may see it: nbgrader's own hidden-region stripping."""
    cell = copy.deepcopy(cell)
    ClearHiddenTests()._remove_hidden_test_region(cell)
    return cell


class SandboxLives:
    """The sandbox a notebook runs in, started again (at most ``restarts`` times) when a cell kills it.

    A cell whose code is stopped for overrunning (and ignores the interrupt) or that crashes
    its process takes the sandbox with it. Rather than failing every later cell, a fresh
    sandbox replays the student's cells that ran before (without their tests, and without
    any cell that killed a sandbox), so the student loses exactly the cells that were stopped.
    """

    def __init__(self, files: Path, limits: Limits, slot: int, restarts: int = MAX_SANDBOX_RESTARTS):
        self.files, self.limits, self.slot = files, limits, slot
        self.restarts_left = restarts
        self.deadline = time.monotonic() + limits.submission_seconds
        self.notes: list[str] = []
        self.killers: set[int] = set()  # indices of cells that killed a sandbox
        self.session = self._start()

    def _start(self) -> Session:
        process = SandboxProcess(self.files, self.limits, self.slot)
        try:
            return Session(process, self.limits, submission_deadline=self.deadline)
        except BaseException:
            process.kill()
            raise

    def ready_for(self, index: int, cells: list[NotebookNode], killed_by: str) -> Session:
        """The live session for cell ``index``, restarting and replaying if the last one died."""
        if not self.session.dead:
            return self.session
        if self.restarts_left <= 0 or time.monotonic() >= self.deadline:
            return self.session  # spent: later cells fail on the dead session, as they say
        why = self.session.dead
        self.restarts_left -= 1
        self.session.close()
        self.session = self._start()
        self.notes.append(f"sandbox restarted after {killed_by} ({why})")
        for earlier, cell in enumerate(cells[:index]):
            if cell.cell_type == "code" and not is_test(cell) and earlier not in self.killers:
                try:
                    self.session.run_cell(cell.source, f"<replay of cell {grade_id(cell) or earlier}>")
                except (Exception, GraderError):
                    break  # the replay itself failed: later cells fail as they will
        return self.session

    def close(self) -> None:
        self.session.close()


def execute_submission(
    source_notebook: Path, submitted_notebook: NotebookNode, files: Path, limits: Limits, slot: int = 0
) -> NotebookNode:
    """Run one notebook of a submission; returns the canonical notebook with outputs."""
    source = nbformat.read(source_notebook, as_version=4)
    hidden = load_hidden_tests(source_notebook.parent)
    cells = canonical_cells(source, submitted_notebook)
    lives = SandboxLives(files, limits, slot)
    namespace = StudentNamespace(lives.session)
    count, last_name = 0, ""
    try:
        for index, cell in enumerate(cells):
            if cell.cell_type != "code":
                continue
            count += 1
            name = f"<cell {grade_id(cell) or index}>"
            session = lives.ready_for(index, cells, last_name)
            namespace.use(session)
            with grading_session(session):
                if is_test(cell):
                    cell.outputs = run_test_cell(cell.source, name, namespace, session, hidden)
                    cells[index] = without_hidden_tests(cell)
                else:
                    if is_instructor_code(cell):
                        run_instructor_code_here(cell.source, name, namespace)
                    cell.outputs = run_student_cell(session, cell.source, name)
            if session.dead:
                lives.killers.add(index)
                last_name = grade_id(cell) or f"cell {index}"
            cells[index].execution_count = count
    finally:
        lives.close()
    notebook = copy.deepcopy(source)
    notebook.cells = cells
    stopped = lives.session.dead
    notes = lives.notes + ([f"sandbox stopped for good: {stopped}"] if stopped else [])
    if notes:
        notebook.metadata["autograder"] = {"sandbox_notes": notes}
    return notebook


def run_student_cell(session: Session, source: str, name: str) -> list[NotebookNode]:
    try:
        return sandbox_outputs(session.run_cell(source, name))
    except (Exception, GraderError) as exc:  # the sandbox timed out or died: this cell fails
        return [error(type(exc).__name__, str(exc))]
