"""Does `autograder collect` file an LMS download under the right students, and report the rest?"""

from __future__ import annotations

import zipfile

from autograder.cli import main
from autograder.collect import collect

ASSIGNMENT = "sliding_window_max"


def notebook_bytes(scratch_course) -> bytes:
    return (scratch_course.release_dir / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes()


def test_collect_from_a_zip_without_a_roster(scratch_course, tmp_path, capsys):
    archive = tmp_path / "download.zip"
    content = notebook_bytes(scratch_course)
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("smithjane_48213_1093847_sliding_window_max.ipynb", content)
        z.writestr("submissions/lee-kim_48214_1093850_sliding_window_max-1.ipynb", content)
        z.writestr("smithjane_48213_1093999_sliding_window_max.ipynb", content)  # a second upload
        z.writestr("noidentifier.ipynb", content)
        z.writestr("__MACOSX/._smithjane_48213.ipynb", b"junk")
        z.writestr("readme.txt", b"not a notebook")
    assert main(["--course", str(scratch_course.root), "collect", str(archive), ASSIGNMENT]) == 0
    out = capsys.readouterr().out
    assert "imported 2 submission(s)" in out
    assert "noidentifier.ipynb: no known student id" in out and "a second notebook for smithjane" in out
    for student in ("smithjane", "lee-kim"):
        assert (scratch_course.submitted_dir / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_bytes() == content


def test_collect_matches_roster_ids_anywhere_in_the_name(scratch_course, tmp_path):
    with scratch_course.gradebook() as gb:
        for student in ("s1234", "s5678"):
            gb.add_student(student)
    folder = tmp_path / "download"
    folder.mkdir()
    content = notebook_bytes(scratch_course)
    (folder / "Jane Smith - s1234 - late.ipynb").write_bytes(content)
    (folder / "s5678_attempt2.ipynb").write_bytes(content)
    (folder / "stranger_s9999.ipynb").write_bytes(content)
    imported, unmatched = collect(scratch_course, folder, ASSIGNMENT)
    assert set(imported) == {"s1234", "s5678"}
    assert set(unmatched) == {"stranger_s9999.ipynb"}
