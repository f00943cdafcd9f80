"""Does `autograder build` grade the reference and the stub the way `grade` does, and say where they differ?"""

from __future__ import annotations

import pytest

from autograder.build import build

from conftest import require_sandbox, write_tiny_assignment

pytestmark = pytest.mark.slow

SOLUTION = "def add_one(x):\n    return x + 1"


def test_build_passes_when_both_ways_agree(tmp_path):
    require_sandbox()
    course = write_tiny_assignment(tmp_path, "tiny", SOLUTION, {"test_add_one": "assert add_one(1) == 2"})
    assert build(course, log=lambda _: None) == {"tiny": []}


def test_build_reports_a_cell_that_passes_in_a_kernel_but_not_through_the_sandbox(tmp_path):
    """A test that asks what the student's object *is* (not what it returns) misgrades through a proxy."""
    require_sandbox()
    tests = {
        "test_add_one": "assert add_one(1) == 2",
        "test_is_function": "import types\nassert isinstance(add_one, types.FunctionType), 'not a function'",
    }
    course = write_tiny_assignment(tmp_path, "tiny", SOLUTION, tests)
    problems = build(course, log=lambda _: None)["tiny"]
    cells = {p.cell for p in problems}
    assert cells == {"test_is_function"}, problems
    why = " ".join(p.why for p in problems)
    assert "1/1 in a kernel but 0/1 through the sandbox" in why and "through the sandbox" in why
