"""The course as people use it: JupyterLab with nbgrader's extensions, in headless Chromium.

A student opens the released notebook, meets locked cells, types a solution, runs its
test and validates the notebook with nbgrader's Validate button; an instructor opens
nbgrader's formgrader on a graded class and finds the gradebook's scores there. Each
step leaves a screenshot in ``SCREENSHOTS``; every assertion reads what the page shows.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook
from nbgrader.utils import is_grade, is_locked

from autograder.course import Course
from autograder.sample_class import reference_answers

from conftest import REPO_ROOT
from servers import chromium, jupyter_lab

ASSIGNMENT = "sliding_window_max"
NOTEBOOK = f"assignments/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
SOLVED = "max_sliding_window_naive"  # the one function the student solves
MISTAKE = "first_window_skipped"  # the submission the instructor opens
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", REPO_ROOT / "test-artifacts" / "browser"))
PAGE_SECONDS = 120  # a loaded two-core CI machine renders formgrader's submission page slowly

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group(name=f"class-{ASSIGNMENT}")]  # shares that graded class


@pytest.fixture(scope="module")
def lab(graded_class, tmp_path_factory):
    """JupyterLab on a copy of the graded sample class's course: release, submissions and gradebook."""
    scratch = tmp_path_factory.mktemp("browser")
    root = scratch / "course"
    shutil.copytree(graded_class(ASSIGNMENT).course.root, root)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    with jupyter_lab(root, scratch) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_SECONDS * 1000)
    page = context.new_page()
    yield page
    report = getattr(request.node, "call_report", None)
    if report is not None and report.failed:
        snap(page, f"failed-{request.node.name}")  # what the page showed when the test gave up
    context.close()


def snap(page, name: str) -> None:
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def released_cells(root: Path) -> list[nbformat.NotebookNode]:
    return nbformat.read(root / NOTEBOOK, as_version=4).cells


def index_of(cells, grade_id: str) -> int:
    return next(i for i, c in enumerate(cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def editor_lines(editor) -> list[str]:
    """The text a cell's editor shows, line by line (an empty line renders as a line break)."""
    lines = [line.rstrip("\n") for line in editor.locator(".cm-line").all_inner_texts()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def wait_for_idle_kernel(page) -> None:
    page.locator(".jp-Toolbar-kernelName").filter(has_text="Python").wait_for()
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for()


def test_student_solves_one_function_and_validates(page, lab):  # the browser first: it may skip
    cells = released_cells(lab.root)
    solution_at = index_of(cells, SOLVED)
    test_at = next(i for i in range(solution_at, len(cells)) if is_grade(cells[i]))
    locked_code = [i for i, c in enumerate(cells) if c.cell_type == "code" and is_locked(c)]
    test_cells = [i for i, c in enumerate(cells) if is_grade(c)]

    page.goto(lab.url(f"lab/tree/{NOTEBOOK}"))
    shown = page.locator(".jp-Notebook .jp-Cell")
    shown.first.wait_for()
    wait_for_idle_kernel(page)
    assert shown.count() == len(cells)
    title = cells[0].source.splitlines()[0].lstrip("# ")
    assert title in shown.nth(0).inner_text(), "the instructions are not rendered"
    assert page.locator(".validate-button").is_visible(), "nbgrader's Validate button is missing (lab extension off?)"
    snap(page, "01-student-opens-the-assignment")

    # Locked cells (instructions' code, imports, tests) ignore typing; solution cells take it.
    for i in (locked_code[0], test_at):
        editor = shown.nth(i).locator(".cm-content")
        before = editor.inner_text()
        editor.click()
        page.keyboard.type("# my edit")
        assert editor.inner_text() == before, f"locked cell {i} accepted an edit"
        page.keyboard.press("Escape")
    snap(page, "02-locked-test-cell-unchanged")

    answer = reference_answers(lab.root / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")[SOLVED]
    editor = shown.nth(solution_at).locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(answer)  # as pasted: no auto-indent or bracket closing
    assert editor_lines(editor) == answer.strip().splitlines()
    page.keyboard.press("Escape")
    snap(page, "03-student-types-a-solution")

    # Run from the top through the solved function's test cell, as a student would.
    shown.nth(0).click()
    for _ in range(test_at + 1):
        page.keyboard.press("Shift+Enter")
    prompt = shown.nth(test_at).locator(".jp-InputPrompt")
    page.wait_for_function("el => /\\[\\d+\\]/.test(el.innerText)", arg=prompt.element_handle())
    wait_for_idle_kernel(page)
    errors = shown.nth(test_at).locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, f"the visible test of {SOLVED} failed: {errors.first.inner_text()[:500]}"
    shown.nth(test_at).scroll_into_view_if_needed()
    snap(page, "04-its-visible-test-passes")

    page.locator(".validate-button").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("#validation-message").wait_for()
    said = dialog.inner_text()
    snap(page, "05-validate-lists-the-unsolved-tests")
    failed = said.count("The following cell failed:")
    assert failed == len(test_cells) - 1, f"Validate reported {failed} failing cells:\n{said[:2000]}"
    assert "NotImplementedError" in said
    assert cells[test_at].source.splitlines()[0] not in said, "Validate says the solved function's test failed"
    dialog.get_by_role("button", name="Ok").click()


def gradebook_scores(root: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Every student's total, and MISTAKE's score per graded cell, as the gradebook holds them."""
    with Gradebook(Course(root).coursedir.db_url) as gb:
        totals = {s.student.id: float(s.score) for s in gb.find_assignment(ASSIGNMENT).submissions}
        notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, MISTAKE)
        cells = {grade.name: float(grade.score) for grade in notebook.grades}
    return totals, cells


def test_instructor_reads_the_gradebook_in_formgrader(page, lab):
    totals, mistake_cells = gradebook_scores(lab.root)

    page.goto(lab.url("lab"))
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    page.locator(".lm-Menu-itemLabel", has_text="Formgrader").first.click()
    formgrader = page.frame_locator("iframe").first
    row = formgrader.locator("#main-table tr", has_text=ASSIGNMENT)
    row.wait_for()
    assert str(len(totals)) in row.inner_text().split(), f"formgrader's row: {row.inner_text()!r}"
    snap(page, "06-formgrader-lists-the-assignment")

    formgrader.locator("a", has_text="Manage Students").click()
    rows = formgrader.locator("#main-table tr")
    formgrader.locator("#main-table td.id", has_text=MISTAKE).wait_for()
    shown = {}
    for i in range(rows.count()):
        student = rows.nth(i).locator("td.id").inner_text().strip()
        shown[student] = float(rows.nth(i).locator("td.score").inner_text().split("/")[0])
    assert shown == totals
    snap(page, "07-formgrader-shows-each-students-score")

    formgrader.locator("#main-table tr", has_text=MISTAKE).locator("td.name a").click()
    formgrader.locator("#main-table a", has_text=ASSIGNMENT).click()
    formgrader.locator("#main-table td.name a", has_text=ASSIGNMENT).click()
    score_boxes = formgrader.locator("input.score")
    score_boxes.first.wait_for()
    # The autograded score of each test cell is the placeholder of its (empty) manual-score box,
    # which formgrader's script fills in after the page has rendered.
    submission_page = next(f for f in page.frames if "/formgrader/submissions/" in f.url)
    submission_page.wait_for_function(
        "() => [...document.querySelectorAll('input.score')].every(box => box.hasAttribute('placeholder'))"
    )
    on_page = {score_boxes.nth(i).get_attribute("id"): float(score_boxes.nth(i).get_attribute("placeholder"))
               for i in range(score_boxes.count())}  # fmt: skip
    assert on_page == mistake_cells
    assert re.search(r"Submission #\d+", formgrader.locator("body").inner_text())
    lost = [box for box, score in on_page.items() if score == 0]
    formgrader.locator(f"input.score#{lost[0]}").scroll_into_view_if_needed()  # show a cell it lost
    snap(page, "08-formgrader-opens-one-submission")
