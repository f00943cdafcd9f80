"""Hostile submissions, graded beside honest ones: is every attack contained?

Each attack in ``tests/attacks/<assignment>/`` replaces one solution cell, like a
mistake file, with a wrong answer plus the attack. Containment means: the attack
loses exactly the test cells its file names (it forged nothing), honest students keep
their exact scores, nothing outside the sandbox was read or written, no process it
started is left running, nothing reached a server on the host, and the whole class
finished within its limits.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import socket
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder.course import Course
from autograder.grade import grade
from autograder.report import cell_scores
from autograder.sample_class import fill_notebook, load_mistakes, reference_answers
from autograder.sandbox import Limits

from conftest import ATTACKS_ROOT, MISTAKES_ROOT, require_sandbox

ASSIGNMENT = "sliding_window_max"
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
ATTACKS = load_mistakes(ATTACKS_ROOT / ASSIGNMENT)
LIMITS = Limits(
    cell_seconds=8,
    submission_seconds=90,
    memory_bytes=1 << 30,
    processes=32,
    disk_bytes=32 << 20,
    output_bytes=16 << 10,
)
MARKER = f"7777.{random.Random().randrange(10**6):06d}"  # numeric, so `sleep MARKER1` is a valid command
CANARY = f"canary-{MARKER}"
HONEST = {"reference": 100.0, "naive_misses_last_window": 90.0}

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name="attacks")]


class LoopbackServer:
    """A TCP server on the host's loopback that records every connection it accepts."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def stop(self):
        self.running = False
        self.thread.join(timeout=2)
        self.sock.close()


def tampered(release: Path, reference: dict[str, str], how: str) -> nbformat.NotebookNode:
    """The reference submission with max_pool2d left as the stub and the notebook tampered with."""
    nb = nbformat.read(release, as_version=4)
    answers = {k: v for k, v in reference.items() if k != "max_pool2d"}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_max_pool2d")
    if how == "edited_test_cell":
        test.source = "pass  # nothing to see here"
    elif how == "deleted_test_cell":
        nb.cells.remove(test)
    elif how == "retagged_test_cell":
        test.metadata.nbgrader.update({"grade": False, "solution": True, "locked": False})
        test.source = "pass"
    elif how == "duplicated_cell_ids":
        stub = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "max_pool2d")
        good = nbformat.from_dict(dict(stub))
        good.source = reference["max_pool2d"]
        nb.cells.insert(nb.cells.index(stub) + 1, good)  # same cell id and grade id, after the stub
    elif how == "changed_kernelspec":
        nb.metadata.kernelspec = {"name": "bash", "display_name": "Bash", "language": "bash"}
    return nb


TAMPERING = ["edited_test_cell", "deleted_test_cell", "retagged_test_cell", "duplicated_cell_ids", "changed_kernelspec"]


def fingerprint(paths: list[Path]) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else "absent" for p in paths}


def leftover_processes(marker: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline and "pytest" not in cmdline:
                found.append(f"{entry.name}: {cmdline}")
    return found


@pytest.fixture(scope="module")
def attacked(repo, tmp_path_factory):
    require_sandbox(LIMITS)
    root = tmp_path_factory.mktemp("attacks") / "course"
    root.mkdir()
    shutil.copy(repo.root / "nbgrader_config.py", root)
    shutil.copytree(repo.source_dir, root / "solutions", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(repo.release_dir, root / "assignments")
    course = Course(root)
    release = course.release_dir / ASSIGNMENT / NOTEBOOK
    reference = reference_answers(course.source_dir / ASSIGNMENT / NOTEBOOK)
    server = LoopbackServer()

    def submit(student: str, answers: dict[str, str]) -> None:
        fill_notebook(release, answers, course.submitted_dir / student / ASSIGNMENT / NOTEBOOK)

    submit("reference", reference)
    (course.submitted_dir / "reference" / ASSIGNMENT / "notes.txt").write_text(CANARY)
    honest_mistake = next(m for m in load_mistakes(MISTAKES_ROOT / ASSIGNMENT) if m.name == "naive_misses_last_window")
    submit(honest_mistake.name, reference | {honest_mistake.cell: honest_mistake.source})
    for attack in ATTACKS:
        source = (
            attack.source.replace("@COURSE_ROOT@", str(root))
            .replace("@PORT@", str(server.port))
            .replace("@MARKER@", MARKER)
        )
        submit(attack.name, reference | {attack.cell: source})
    for how in TAMPERING:
        path = course.submitted_dir / how / ASSIGNMENT / NOTEBOOK
        path.parent.mkdir(parents=True)
        nbformat.write(tampered(release, reference, how), path)
    for how, content in {"invalid_json": '{"cells": [', "empty_file": ""}.items():
        path = course.submitted_dir / how / ASSIGNMENT / NOTEBOOK
        path.parent.mkdir(parents=True)
        path.write_text(content)

    protected = [
        root / "gradebook.db",
        root / "nbgrader_config.py",
        root / "solutions" / ASSIGNMENT / "hidden_tests.py",
        root / "solutions" / ASSIGNMENT / NOTEBOOK,
        course.submitted_dir / "reference" / ASSIGNMENT / NOTEBOOK,
        root / f"{MARKER}-planted.txt",
        Path("/root") / f"{MARKER}-planted.txt",
    ]
    os.environ["AUTOGRADER_TEST_SECRET"] = CANARY
    try:
        course.api().generate_assignment(ASSIGNMENT)  # create the gradebook first, so it can be watched
        before = fingerprint(protected)
        start = time.monotonic()
        results = {r.student: r for r in grade(course, ASSIGNMENT, workers=2, limits=LIMITS, log=lambda _: None)}
        elapsed = time.monotonic() - start
        time.sleep(0.5)  # give anything that escaped a moment to show itself
    finally:
        os.environ.pop("AUTOGRADER_TEST_SECRET", None)
        server.stop()
    after = fingerprint(protected)
    scores = cell_scores(course, ASSIGNMENT)
    return {
        "course": course,
        "results": results,
        "elapsed": elapsed,
        "before": before,
        "after": after,
        "server": server,
        "scores": scores,
    }


def failing_cells(attacked, student: str) -> set[str]:
    return {s.cell for s in attacked["scores"] if s.student == student and s.score < s.max_score}


def points(attacked, cells: set[str]) -> float:
    return sum({s.cell: s.max_score for s in attacked["scores"]}[c] for c in cells)


@pytest.mark.parametrize("student", sorted(HONEST))
def test_honest_students_keep_their_exact_scores(attacked, student):
    result = attacked["results"][student]
    assert (result.status, result.score) == ("graded", HONEST[student]), result


@pytest.mark.parametrize("attack", ATTACKS, ids=[a.name for a in ATTACKS])
def test_attack_forges_nothing(attacked, attack):
    """Does the attack lose exactly the cells it names, as a plain wrong answer would?"""
    result = attacked["results"][attack.name]
    assert failing_cells(attacked, attack.name) == set(attack.loses), (attack.description, result)
    assert result.score == 100 - points(attacked, set(attack.loses)), result


@pytest.mark.parametrize("how", TAMPERING)
def test_tampered_notebook_is_graded_from_the_source_cells(attacked, how):
    """Edited, deleted, retagged or duplicated cells and a changed kernel change nothing: the stub still fails."""
    result = attacked["results"][how]
    assert result.status == "graded" and result.score == 85, result
    assert failing_cells(attacked, how) == {"test_max_pool2d"}


@pytest.mark.parametrize("how", ["invalid_json", "empty_file"])
def test_unreadable_notebook_scores_zero_with_a_reason(attacked, how):
    result = attacked["results"][how]
    assert (result.status, result.score) == ("failed", 0), result
    assert "JSON" in result.reason


def test_nothing_outside_the_sandbox_was_written(attacked):
    changed = {p for p in attacked["before"] if attacked["before"][p] != attacked["after"][p]}
    changed.discard(str(attacked["course"].root / "gradebook.db"))  # the grader itself writes the gradebook
    assert not changed, f"files changed by student code: {sorted(changed)}"


def test_the_gradebook_holds_only_the_graders_scores(attacked):
    """The gradebook changed (grading wrote it), but student code did not: every score is the grader's."""
    recorded = {s.student for s in attacked["scores"]}
    assert set(attacked["results"]) - {"invalid_json", "empty_file"} <= recorded


def test_nothing_secret_was_read(attacked):
    """The reader printed whatever it could open: none of the course's files or secrets may appear."""
    autograded = attacked["course"].autograded_dir / "read_course_files" / ASSIGNMENT / NOTEBOOK
    text = autograded.read_text()
    outputs = "".join(
        str(o) for c in nbformat.reads(text, as_version=4).cells if c.cell_type == "code" for o in c.get("outputs", [])
    )
    for secret in (
        CANARY,
        "SQLite format 3",
        "def test_max_sliding_window_random",
        "BEGIN SOLUTION",
        "AUTOGRADER_TEST",
    ):
        assert secret not in outputs, f"student code read {secret!r}"
    assert "PermissionError" in outputs or "FileNotFoundError" in outputs


def parent_of(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
    except (OSError, IndexError):
        return "0"


def started_here(entry: str) -> bool:
    """Is this process a descendant of this test process (not another pytest worker's sandbox)?"""
    pid, me = entry.split(":", 1)[0], str(os.getpid())
    while pid not in ("0", "1"):
        pid = parent_of(pid)
        if pid == me:
            return True
    return False


def test_no_process_outlives_grading(attacked):
    assert leftover_processes(MARKER) == []  # the attacks' own processes, wherever they ran off to
    assert [p for p in leftover_processes("/opt/grader/runner.py") if started_here(p)] == []


def test_no_connection_reached_the_host(attacked):
    assert attacked["server"].connections == 0


def test_grading_finished_within_its_limits(attacked):
    students = len(attacked["results"])
    assert attacked["elapsed"] < students * (LIMITS.cell_seconds + 10) / 2 + 60


def test_contained_attacks_are_flagged(attacked):
    """Submissions whose code ended or broke its sandbox carry a note in the table."""
    for student in ("forge_os_exit", "dos_infinite_loop_ignoring_signals"):
        assert attacked["results"][student].reason, attacked["results"][student]
