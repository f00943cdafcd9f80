"""Do the reference solutions pass their own hidden tests, run in-process as plain functions?"""

from __future__ import annotations

import pytest

from conftest import REPO_ROOT, assignments, call_with_namespace, reference_namespace
from hidden import all_hidden_tests, hidden_test_functions


@pytest.fixture(scope="module")
def namespaces():
    cache = {}

    def get(assignment):
        if assignment not in cache:
            (notebook,) = sorted((REPO_ROOT / "solutions" / assignment).glob("*.ipynb"))
            cache[assignment] = reference_namespace(notebook)
        return cache[assignment]

    return get


@pytest.mark.parametrize(("assignment", "test_name"), all_hidden_tests())
def test_reference_passes_hidden_test(namespaces, assignment, test_name):
    """Does the reference pass this hidden test when called directly, outside nbgrader?"""
    call_with_namespace(hidden_test_functions(assignment)[test_name], namespaces(assignment))


@pytest.mark.parametrize("assignment", assignments())
def test_every_hidden_test_is_called_by_a_test_cell(assignment):
    """Is each hidden test wired into some test cell of the source notebook (none forgotten)?"""
    text = "".join(p.read_text() for p in (REPO_ROOT / "solutions" / assignment).glob("*.ipynb"))
    forgotten = [name for name in hidden_test_functions(assignment) if f"hidden_tests.{name}(" not in text]
    assert not forgotten, f"hidden tests that no test cell calls: {forgotten}"
