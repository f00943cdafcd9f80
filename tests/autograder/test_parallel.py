"""Does grading in parallel, locally or on a Dask cluster, give exactly the serial scores?"""

from __future__ import annotations

import shutil

import pytest

from autograder.grade import grade
from autograder.sample_class import load_mistakes, write_sample_class

from conftest import MISTAKES_ROOT, require_sandbox

pytestmark = pytest.mark.slow
ASSIGNMENT = "sliding_window_max"
PICKED = {"first_window_skipped", "naive_misses_last_window"}


@pytest.fixture
def small_class(scratch_course):
    require_sandbox()
    mistakes = [m for m in load_mistakes(MISTAKES_ROOT / ASSIGNMENT) if m.name in PICKED]
    write_sample_class(scratch_course, ASSIGNMENT, mistakes)
    return scratch_course


def scores(results) -> dict[str, float]:
    return {r.student: r.score for r in results}


def test_workers_and_dask_match_serial_grading(small_class):
    from dask.distributed import LocalCluster

    serial = scores(grade(small_class, ASSIGNMENT, workers=1, log=lambda _: None))
    assert serial == {"reference": 100, "blank_stub": 0, "first_window_skipped": 70, "naive_misses_last_window": 90}
    parallel = scores(grade(small_class, ASSIGNMENT, force=True, workers=2, log=lambda _: None))
    assert parallel == serial
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as cluster:
        distributed = scores(
            grade(small_class, ASSIGNMENT, force=True, scheduler=cluster.scheduler_address, log=lambda _: None)
        )
    assert distributed == serial


def test_stock_nbgrader_gives_the_same_scores(small_class):
    """The hidden tests also run in the student's own kernel, so stock `nbgrader autograde` still grades."""
    sandboxed = scores(grade(small_class, ASSIGNMENT, log=lambda _: None))
    stock = scores(grade(small_class, ASSIGNMENT, force=True, sandboxed=False, log=lambda _: None))
    assert stock == sandboxed


def test_already_graded_submissions_are_kept_without_force(small_class):
    grade(small_class, ASSIGNMENT, log=lambda _: None)
    shutil.rmtree(small_class.submitted_dir / "reference")  # would fail if it were graded again
    again = grade(small_class, ASSIGNMENT, log=lambda _: None)
    assert {r.student: r.reason for r in again}["blank_stub"].startswith("graded before")
