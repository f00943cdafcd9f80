"""The trusted side's small pieces: which cells run, and how failures and student exceptions arrive."""

from __future__ import annotations

import nbformat
import numpy as np

from autograder.remote import CATCHABLE, StudentException, student_exception, update_in_place
from autograder.trusted import canonical_cells


def cell(source: str, grade_id: str | None, **flags) -> nbformat.NotebookNode:
    made = nbformat.v4.new_code_cell(source)
    if grade_id is not None:
        made.metadata["nbgrader"] = {"grade_id": grade_id, "schema_version": 3} | {
            "grade": False, "solution": False, "locked": False, **flags,
        }  # fmt: skip
    return made


def notebook(*cells) -> nbformat.NotebookNode:
    return nbformat.v4.new_notebook(cells=list(cells))


SOURCE = notebook(
    cell("import numpy as np", "imports", locked=True),
    cell("def f(): ...", "answer", solution=True),
    cell("assert f() == 1", "test_f", grade=True, locked=True, points=1),
)


def sources(cells) -> list[str]:
    return [c.source for c in cells]


def test_answers_come_from_the_submission_and_everything_else_from_the_source():
    submitted = notebook(
        cell("import os  # edited instructor cell", "imports", locked=True),
        cell("def f(): return 1", "answer", solution=True),
        cell("pass  # the student emptied the test", "test_f", grade=True, locked=True, points=1),
    )
    assert sources(canonical_cells(SOURCE, submitted)) == ["import numpy as np", "def f(): return 1", "assert f() == 1"]


def test_added_cells_keep_their_place_and_duplicates_do_not_count_twice():
    submitted = notebook(
        cell("helper = 1", None),
        cell("def f(): return 1", "answer", solution=True),
        cell("def f(): return 2", "answer", solution=True),  # a duplicated grade id: the first one counts
        cell("scratch = 2", None),
    )
    assert sources(canonical_cells(SOURCE, submitted)) == [
        "helper = 1", "import numpy as np", "def f(): return 1", "scratch = 2", "assert f() == 1",
    ]  # fmt: skip


def test_a_retagged_or_missing_answer_is_an_empty_cell():
    submitted = notebook(cell("def f(): return 1", "answer", solution=False, grade=True, locked=True))
    assert sources(canonical_cells(SOURCE, submitted))[1] == "def f(): return 1"  # same grade id: still its answer
    assert sources(canonical_cells(SOURCE, notebook()))[1] == ""


def test_student_exceptions_keep_builtin_types_and_nothing_else():
    assert (
        type(student_exception({"ename": "MyError", "evalue": "x", "bases": ["ValueError", "Exception"]})) is ValueError
    )
    odd = student_exception({"ename": "SystemExit", "evalue": "0", "bases": ["SystemExit", "BaseException"]})
    assert type(odd) is StudentException and "SystemExit" in str(odd)
    assert "BaseException" not in CATCHABLE and "Exception" not in CATCHABLE


def test_arguments_changed_in_place_are_written_back_only_when_they_fit():
    items, table, array = [1, 2], {"a": 1}, np.zeros(3)
    update_in_place(items, [3])
    update_in_place(table, {"b": 2})
    update_in_place(array, np.ones(3))
    assert items == [3] and table == {"b": 2} and array.tolist() == [1, 1, 1]
    frozen = np.zeros(2)
    frozen.flags.writeable = False
    update_in_place(frozen, np.ones(2))
    update_in_place(array, np.ones(5))  # another shape: left alone
    update_in_place(items, "not a list")
    assert frozen.tolist() == [0, 0] and array.tolist() == [1, 1, 1] and items == [3]
