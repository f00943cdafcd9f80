"""Graded through nbgrader as a class: does each submission get the score it deserves?"""

from __future__ import annotations

import pytest

from conftest import assignments, mistakes

pytestmark = pytest.mark.slow


def on_its_class_worker(assignment: str):
    """Under pytest-xdist (--dist loadgroup), every test of one sample class runs where it was graded."""
    return pytest.mark.xdist_group(name=f"class-{assignment}")


CASES = [
    pytest.param(a, m, id=f"{a}::{m.name}", marks=on_its_class_worker(a)) for a in assignments() for m in mistakes(a)
]
ASSIGNMENTS = [pytest.param(a, id=a, marks=on_its_class_worker(a)) for a in assignments()]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_scores_full_marks(graded_class, assignment):
    graded = graded_class(assignment)
    cells = graded.cells("reference")
    assert cells, "the reference submission has no graded cells in the gradebook"
    assert not graded.failing_cells("reference"), f"the reference loses points on {graded.failing_cells('reference')}"
    assert sum(full for _, full in cells.values()) == 100, "each assignment is worth 100 points"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_blank_stub_scores_zero_on_every_cell(graded_class, assignment):
    graded = graded_class(assignment)
    earned = {cell: got for cell, (got, _) in graded.cells("blank_stub").items() if got > 0}
    assert not earned, f"the blank stub earns points on {earned}: those tests cannot fail"


@pytest.mark.parametrize("assignment", assignments())
def test_at_least_five_mistakes_are_kept(assignment):
    assert len(mistakes(assignment)) >= 5


@pytest.mark.parametrize(("assignment", "mistake"), CASES)
def test_mistake_loses_exactly_the_cells_it_names(graded_class, assignment, mistake):
    """Does each plausible mistake lose the test cells its file names, and only those?"""
    graded = graded_class(assignment)
    assert graded.failing_cells(mistake.name) == set(mistake.loses), (
        f"{mistake.name} ({mistake.description}) should lose {sorted(mistake.loses)}, "
        f"but lost {sorted(graded.failing_cells(mistake.name))}"
    )
    assert graded.total(mistake.name) < 100
