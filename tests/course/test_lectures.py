"""Does every lecture notebook run top to bottom without an error?"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import REPO_ROOT

LECTURES = sorted((REPO_ROOT / "lectures").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", LECTURES, ids=[p.stem for p in LECTURES])
def test_lecture_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    client.execute()  # raises CellExecutionError, naming the cell, on the first error
    assert any(o.get("data", {}).get("image/png") for c in nb.cells for o in c.get("outputs", [])), "no figure drawn"


def test_every_assignment_has_a_lecture(repo):
    assert {p.stem for p in LECTURES} >= set(repo.assignments())
