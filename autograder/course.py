"""A course directory: where nbgrader keeps each kind of file, and an API bound to it.

Everything here defers to nbgrader: the layout comes from the course's own
``nbgrader_config.py`` and the paths from :class:`nbgrader.coursedir.CourseDirectory`.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy
from nbgrader.api import Gradebook
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

CONFIG_FILE = "nbgrader_config.py"
HIDDEN_TESTS_MODULE = "hidden_tests.py"


class CourseError(Exception):
    """Something about the course directory stops a command; the message says what."""


def load_config(root: Path) -> Config:
    """The course's nbgrader configuration, read from ``root/nbgrader_config.py``."""
    path = root / CONFIG_FILE
    if not path.is_file():
        raise CourseError(f"{root} is not a course directory: it has no {CONFIG_FILE}")
    config = PyFileConfigLoader(CONFIG_FILE, path=str(root)).load_config()
    config.CourseDirectory.root = str(root)
    return config


def put_interpreter_scripts_on_path() -> None:
    """Let nbgrader find the tools it runs by name (``alembic``) beside this interpreter.

    A virtual environment's scripts are on PATH only when it is activated; the
    Makefile and tests call ``.venv/bin/...`` directly, without activating it.
    """
    scripts = str(Path(sys.executable).parent)
    if scripts not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = scripts + os.pathsep + os.environ.get("PATH", "")


@dataclass
class Course:
    """A course directory on disk, configured by its ``nbgrader_config.py``."""

    root: Path
    config: Config = field(init=False, repr=False)
    coursedir: CourseDirectory = field(init=False, repr=False)

    def __post_init__(self) -> None:
        put_interpreter_scripts_on_path()
        self.root = Path(self.root).resolve()
        self.config = load_config(self.root)
        self.coursedir = CourseDirectory(config=self.config)

    def api(self, extra: Config | None = None) -> NbGraderAPI:
        """A fresh nbgrader API on this course (it is cheap, and holds per-call state)."""
        config = self.config
        if extra is not None:
            config = Config(self.config)
            config.merge(extra)
        api = NbGraderAPI(coursedir=self.coursedir, config=config)
        api.log.setLevel(logging.WARNING)
        return api

    def gradebook(self) -> Gradebook:
        """The gradebook (``gradebook.db`` unless the config names another database)."""
        return Gradebook(self.coursedir.db_url, course_id=self.coursedir.course_id or "default_course")

    def check_gradebook(self) -> None:
        """Connect to the gradebook's database once; CourseError, in one line, if that fails.

        Commands call this before they start work, so a database server that is down or
        refuses the password stops them at once, with a reason that names the database.
        """
        url = sqlalchemy.make_url(self.coursedir.db_url)
        shown = url.render_as_string(hide_password=True)
        # A server that never answers would otherwise hold the command for minutes.
        connect_args = {"connect_timeout": 10} if url.get_backend_name() == "postgresql" else {}
        try:
            engine = sqlalchemy.create_engine(url, connect_args=connect_args)
        except ModuleNotFoundError as exc:
            raise CourseError(
                f"cannot open the gradebook {shown}: its database driver {exc.name!r} is not installed "
                "(for PostgreSQL: pip install -e '.[postgres]')"
            ) from None
        try:
            with engine.connect():
                pass
        except sqlalchemy.exc.SQLAlchemyError as exc:
            raise CourseError(f"cannot open the gradebook {shown}: {database_complaint(exc, url.password)}") from None
        finally:
            engine.dispose()

    def _directory(self, name: str) -> Path:
        return self.root / getattr(self.coursedir, name)

    @property
    def source_dir(self) -> Path:
        return self._directory("source_directory")

    @property
    def release_dir(self) -> Path:
        return self._directory("release_directory")

    @property
    def submitted_dir(self) -> Path:
        return self._directory("submitted_directory")

    @property
    def autograded_dir(self) -> Path:
        return self._directory("autograded_directory")

    @property
    def feedback_dir(self) -> Path:
        return self._directory("feedback_directory")

    def assignments(self) -> list[str]:
        """Names of the assignments with a source folder, sorted."""
        if not self.source_dir.is_dir():
            return []
        return sorted(p.name for p in self.source_dir.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))

    def require_assignment(self, assignment: str) -> None:
        if assignment not in self.assignments():
            known = ", ".join(self.assignments()) or "none"
            raise CourseError(f"no assignment {assignment!r} in {self.source_dir} (known: {known})")

    def source_notebooks(self, assignment: str) -> list[Path]:
        return sorted((self.source_dir / assignment).glob("*.ipynb"))

    def students_with_submissions(self, assignment: str) -> list[str]:
        """Student ids that have a ``submitted/<student>/<assignment>/`` folder, sorted."""
        if not self.submitted_dir.is_dir():
            return []
        return sorted(p.parent.name for p in self.submitted_dir.glob(f"*/{assignment}") if p.is_dir())


def database_complaint(exc: sqlalchemy.exc.SQLAlchemyError, password: str | None) -> str:
    """The first line of what the database driver said, never showing the password."""
    said = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    line = said[0].strip() if said else type(exc).__name__
    return line.replace(password, "***") if password else line


def course_root_of_source(notebook: str | Path, assignment: str) -> Path:
    """The course root above a source notebook ``<root>/<source>/<assignment>/<name>.ipynb``."""
    path = Path(notebook).resolve()
    for folder in path.parents:
        if folder.name == assignment and (folder.parent.parent / CONFIG_FILE).is_file():
            return folder.parent.parent
    raise CourseError(f"cannot find the course directory above {notebook}")
