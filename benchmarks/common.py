"""Shared by the benchmarks: the reference solutions, and a best-of-N timer."""

from __future__ import annotations

import sys
import time
import types
from pathlib import Path

import nbformat
from nbgrader.utils import is_grade

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def load_reference(assignment: str) -> dict:
    """Run the notebook's non-test cells in a registered module (picklable for process pools)."""
    folder = SOLUTIONS / assignment
    sys.path.insert(0, str(folder))
    module = types.ModuleType(f"reference_{assignment}")
    sys.modules[module.__name__] = module
    for cell in nbformat.read(folder / f"{assignment}.ipynb", as_version=4).cells:
        if cell.cell_type == "code" and not is_grade(cell):
            exec(cell.source, module.__dict__)
    return module.__dict__


def best_time(action, repeat: int = 3) -> float:
    """The fastest of ``repeat`` runs, in seconds (the least disturbed by the rest of the machine)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best
