"""When student code has to be killed, does the submission lose exactly the cells that were stopped?"""

from __future__ import annotations

import shutil

import pytest

from autograder.grade import grade
from autograder.report import cell_scores
from autograder.sandbox import Limits

from conftest import require_sandbox, write_tiny_assignment

pytestmark = pytest.mark.slow

SOLUTION = '''
import signal

def good():
    return 1

def stuck():
    """A loop that ignores the interrupt, as a C-level loop does: only a kill stops it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    while True:
        pass
'''
STUCK = "from autograder.testing import time_limit\nwith time_limit(1, 'stuck()'):\n    stuck()"
GOOD = "assert good() == 1"
LIMITS = Limits(cell_seconds=20, submission_seconds=120)


def graded(tmp_path, tests: dict[str, str]) -> tuple[dict[str, float], str]:
    require_sandbox(LIMITS)
    course = write_tiny_assignment(tmp_path, "tiny", SOLUTION, tests)
    submission = course.submitted_dir / "student" / "tiny"
    submission.mkdir(parents=True)
    shutil.copy(course.source_dir / "tiny" / "tiny.ipynb", submission)
    (result,) = grade(course, "tiny", limits=LIMITS, log=lambda _: None)
    return {s.cell: s.score for s in cell_scores(course, "tiny")}, result.reason


def test_a_killed_cell_costs_only_itself(tmp_path):
    scores, reason = graded(tmp_path, {"test_before": GOOD, "test_stuck": STUCK, "test_after": GOOD})
    assert scores == {"test_before": 1, "test_stuck": 0, "test_after": 1}
    assert "sandbox restarted after test_stuck" in reason


def test_restarts_are_bounded_per_submission(tmp_path):
    tests = {f"test_stuck_{i}": STUCK for i in range(5)} | {"test_after": GOOD}
    scores, reason = graded(tmp_path, tests)
    assert all(score == 0 for score in scores.values()), scores
    assert reason.count("sandbox restarted") == 3 and "stopped for good" in reason, reason
