"""The nbgrader side of grading, in one place: the gradebook and nbgrader's autograde pipeline.

nbgrader stays the system of record. A sandboxed run (:class:`pipeline.SubmissionRun`)
is recorded through nbgrader's own ``autograde`` with one preprocessor swapped: its
Execute step becomes :class:`PrecomputedOutputs`, which hands over the notebook the
worker already ran. So nbgrader writes ``autograded/``, the scores and the gradebook
exactly as it would have, and formgrader, feedback and ``nbgrader export`` keep working.

Recording a class is the coordinator's job and bounds how fast any number of workers can
grade, so a :class:`Recorder` keeps one configured nbgrader API and one database engine for
the whole class (nbgrader opens the gradebook several times per submission, and a fresh
engine recompiles every SQL statement), and the assignment's cells are registered with
the gradebook only when it does not already hold them as the source has them.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import nbformat
import nbgrader.api
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, Execute, NbGraderPreprocessor
from nbgrader.utils import compute_checksum, is_grade, is_locked, is_solution, temp_attrs
from sqlalchemy import event
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import scoped_session, sessionmaker
from traitlets import Dict
from traitlets.config import Config

from .course import Course, CourseError


@dataclass(frozen=True)
class StudentResult:
    """One row of the grading table."""

    student: str
    score: float
    max_score: float
    status: str  # "graded" or "failed"
    reason: str = ""
    seconds: float = 0.0


@contextmanager
def quiet_sqlalchemy():
    """nbgrader 0.9 trips SQLAlchemy 2's autoflush warnings on every autograde; they are noise."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=SAWarning)
        yield


# ----------------------------------------------------------- the release and its cells


def generate_release(course: Course, assignment: str, extra: Config | None = None) -> None:
    """``nbgrader generate_assignment``: write the student release and record the cells in the gradebook."""
    with quiet_sqlalchemy():
        result = course.api(extra).generate_assignment(assignment, force=True, create=True)
    if not result["success"]:
        raise CourseError(
            f"nbgrader could not generate {assignment!r}:\n{result.get('log', '')}{result.get('error', '')}"
        )


def recorded_cells(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """What generate_assignment stores of a source notebook's locked cells: grade id -> checksum.

    Solution cells are left out (the gradebook keeps their blanked release form, which
    grading never reads back); every other locked cell is stored as it stands in the source.
    """
    return {
        cell.metadata.nbgrader["grade_id"]: compute_checksum(cell)
        for cell in notebook.cells
        if "nbgrader" in cell.metadata and is_locked(cell) and not is_solution(cell)
    }


def gradebook_knows(course: Course, assignment: str) -> bool:
    """Does the gradebook hold the assignment's notebooks, graded cells and locked cells as the source has them?"""
    with quiet_sqlalchemy(), course.gradebook() as gb:
        try:
            stored = gb.find_assignment(assignment)
        except MissingEntry:
            return False
        notebooks = {
            nb.name: (
                {c.name: float(c.max_score) for c in nb.grade_cells},
                {c.name: c.checksum for c in nb.source_cells},
            )
            for nb in stored.notebooks
        }
    sources = course.source_notebooks(assignment)
    if set(notebooks) != {path.stem for path in sources}:
        return False
    for path in sources:
        source = nbformat.read(path, as_version=4)
        points, checksums = notebooks[path.stem]
        graded = {c.metadata.nbgrader["grade_id"]: float(c.metadata.nbgrader.get("points", 0)) for c in source.cells
                  if "nbgrader" in c.metadata and is_grade(c)}  # fmt: skip
        expected = recorded_cells(source)
        if graded != points or any(checksums.get(gid) != checksum for gid, checksum in expected.items()):
            return False
    return True


def sync_gradebook(course: Course, assignment: str) -> bool:
    """Register the assignment's cells in the gradebook (creating it if needed); False if it knew them already.

    nbgrader learns an assignment's cells when it generates the release; do that into a
    scratch folder, with the release hook off (it cleans up a real release), so grading
    never touches the committed one.
    """
    if gradebook_knows(course, assignment):
        return False
    no_hook = Config({"GenerateAssignment": {"post_convert_hook": None}})
    with tempfile.TemporaryDirectory(prefix="autograder-release-") as scratch:
        with temp_attrs(course.coursedir, release_directory=scratch):
            generate_release(course, assignment, no_hook)
    return True


# ------------------------------------------------------------- recording a run


class PrecomputedOutputs(NbGraderPreprocessor):
    """Stands in for nbgrader's Execute: the notebook was already run, sandboxed, by a worker."""

    notebooks = Dict(help="notebook name -> executed notebook JSON").tag(config=True)

    def preprocess(self, nb, resources):
        name = resources["nbgrader"]["notebook"]
        if name not in self.notebooks:
            raise ValueError(f"notebook {name!r} was not run by the sandboxed grader")
        return nbformat.reads(self.notebooks[name], as_version=4), resources


def autograde_config(notebooks: dict[str, str]) -> Config:
    """nbgrader configuration that records executed notebooks through nbgrader's autograde pipeline."""
    config = Config()
    # The worker already rebuilt the notebook from the source cells (autograder.trusted.canonical_cells),
    # which is what nbgrader's sanitizing does, and more strictly; its output is replaced below anyway.
    config.Autograde.sanitize_preprocessors = [ClearOutput]
    # CheckCellMetadata is left out too: every cell's metadata is the source's, which the build validated.
    stock = Autograde.class_traits()["autograde_preprocessors"].default()
    config.Autograde.autograde_preprocessors = [
        PrecomputedOutputs if p is Execute else p for p in stock if p is not CheckCellMetadata
    ]
    config.PrecomputedOutputs.notebooks = notebooks
    return config


def write_ahead_log(connection, _record) -> None:
    """SQLite: commit to a write-ahead log, synced at checkpoints rather than on every commit.

    nbgrader commits a few dozen times per submission; with SQLite's default rollback
    journal each commit waits for the disk. A crash can lose the last few commits (the
    submissions then simply grade again); it cannot corrupt the database.
    """
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def one_engine_per_database() -> Iterator[None]:
    """Within the block, nbgrader's Gradebooks on one database share one engine, set up once.

    nbgrader opens and closes a ``Gradebook`` about ten times per autograded submission,
    and each one creates a SQLAlchemy engine (whose statement cache starts empty), checks
    every table of the schema, and disposes of the engine again: most of the cost of
    recording a run. Inside this block the first Gradebook on a database does all that
    once; the later ones open a session on the same engine, and closing one ends its
    session (as nbgrader's ``close`` does) but keeps the engine for the next.
    """
    engines = {}
    create, original_init, original_close = nbgrader.api.create_engine, Gradebook.__init__, Gradebook.close

    def shared_engine(url, **kwargs):
        key = (str(url), tuple(sorted(kwargs.items())))
        if key not in engines:
            engines[key] = create(url, **kwargs)
            if engines[key].dialect.name == "sqlite":
                event.listen(engines[key], "connect", write_ahead_log)
        return engines[key]

    def init(self, db_url, course_id="default_course", authenticator=None):
        if not any(key[0] == str(db_url) for key in engines):
            original_init(self, db_url, course_id, authenticator)  # the schema is checked here, once
            return
        self.engine = shared_engine(db_url, echo=False, future=True)
        self.db = scoped_session(sessionmaker(autoflush=True, bind=self.engine, future=True))
        self.check_course(course_id=course_id)
        self.course_id, self.authenticator = course_id, authenticator

    def close(self):
        self.db.remove()

    nbgrader.api.create_engine, Gradebook.__init__, Gradebook.close = shared_engine, init, close
    try:
        yield
    finally:
        nbgrader.api.create_engine, Gradebook.__init__, Gradebook.close = create, original_init, original_close
        for engine in engines.values():
            engine.dispose()


FAILURES_IN_LOG = [
    ("No notebooks were matched", "no notebook found in the submission folder"),
    ("Kernel died", "the kernel died while running the notebook (a crash, os._exit, or too much memory)"),
    ("NotJSONError", "the notebook file is not valid JSON (corrupted or not a notebook)"),
    ("CellTimeoutError", "a cell ran past the time limit"),
]
EXCEPTION_LINE = re.compile(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception|Exit)): ?(.*)$")


def failure_reason(log: str) -> str:
    """A one-line reason for a failed autograde, from nbgrader's log (stock grading has nothing better)."""
    for needle, reason in FAILURES_IN_LOG:
        if needle in log:
            return reason
    exceptions = [m for m in map(EXCEPTION_LINE.match, log.splitlines()) if m and m.group(1) != "NbGraderException"]
    if exceptions:
        name, message = exceptions[-1].groups()
        return f"{name}: {message}"[:200]
    return "nbgrader could not autograde this submission (see its log)"


class Recorder:
    """Records one assignment's submissions in the gradebook through nbgrader's autograde.

    Use as a context manager around a whole class: one nbgrader API, one database engine.
    """

    def __init__(self, course: Course, assignment: str):
        self.course, self.assignment = course, assignment
        self.config = autograde_config({})
        self.api = course.api(self.config)
        self._engines = one_engine_per_database()
        self._quiet = quiet_sqlalchemy()

    def __enter__(self) -> Recorder:
        self._quiet.__enter__()
        self._engines.__enter__()
        self.max_score = max_score(self.course, self.assignment)
        return self

    def __exit__(self, *exc_info) -> None:
        self._engines.__exit__(*exc_info)
        self._quiet.__exit__(*exc_info)

    def record(self, run) -> StudentResult:
        """Hand a worker's sandboxed run to nbgrader's autograde, which writes the gradebook."""
        self.api.config.PrecomputedOutputs.notebooks = run.notebooks
        result = self.api.autograde(self.assignment, run.student, force=True, create=True)
        return self._result(run.student, result, reason_from_worker="; ".join(run.problems.values()),
                            notes="; ".join(run.notes), seconds=run.seconds)  # fmt: skip

    def record_stock(self, student: str, force: bool) -> StudentResult:
        """Stock nbgrader autograde: the notebook runs in its own kernel, as the student (unsandboxed)."""
        api = self.course.api()
        return self._result(student, api.autograde(self.assignment, student, force=force, create=True))

    def _result(self, student: str, result: dict, reason_from_worker: str = "", notes: str = "", seconds=0.0):
        if not result["success"]:
            reason = reason_from_worker or failure_reason(result.get("log", "") + result.get("error", ""))
            return StudentResult(student, 0.0, self.max_score, "failed", reason, seconds)
        try:
            score, full = recorded_score(self.course, self.assignment, student)
        except MissingEntry:
            return StudentResult(student, 0.0, self.max_score, "failed", "nbgrader recorded no submission", seconds)
        return StudentResult(
            student, score, full, "graded", "; ".join(filter(None, [reason_from_worker, notes])), seconds
        )


# --------------------------------------------------------- reading earlier results


def recorded_score(course: Course, assignment: str, student: str) -> tuple[float, float]:
    with quiet_sqlalchemy(), course.gradebook() as gb:
        submission = gb.find_submission(assignment, student)
        return float(submission.score), float(submission.max_score)


def max_score(course: Course, assignment: str) -> float:
    with quiet_sqlalchemy(), course.gradebook() as gb:
        return float(gb.find_assignment(assignment).max_score)


def already_graded(course: Course, assignment: str, student: str) -> StudentResult | None:
    """The recorded result of a submission graded before (kept unless --force)."""
    if not (course.autograded_dir / student / assignment).is_dir():
        return None
    try:
        score, full = recorded_score(course, assignment, student)
    except MissingEntry:
        return None
    return StudentResult(student, score, full, "graded", "graded before; --force to regrade")
