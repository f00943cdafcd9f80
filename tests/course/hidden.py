"""Load each assignment's hidden-test module straight from ``solutions/`` (maintainers only)."""

from __future__ import annotations

import importlib.util
import inspect
from types import ModuleType

from autograder.course import HIDDEN_TESTS_MODULE

from conftest import REPO_ROOT, assignments


def load_hidden_tests(assignment: str) -> ModuleType:
    path = REPO_ROOT / "solutions" / assignment / HIDDEN_TESTS_MODULE
    spec = importlib.util.spec_from_file_location(f"hidden_tests_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hidden_test_functions(assignment: str) -> dict:
    module = load_hidden_tests(assignment)
    return {
        name: fn
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("test_") and fn.__module__ == module.__name__
    }


def all_hidden_tests() -> list[tuple[str, str]]:
    return [(a, name) for a in assignments() for name in hidden_test_functions(a)]
