# cell: max_pool2d
# loses: test_max_pool2d
"""Tries to overwrite the gradebook, the hidden tests, another student's notebook, the repository and the home directory."""

import os


def max_pool2d(image, kh, kw):
    raise NotImplementedError


root = "@COURSE_ROOT@"
for path in [
    root + "/gradebook.db",
    root + "/solutions/sliding_window_max/hidden_tests.py",
    root + "/submitted/reference/sliding_window_max/sliding_window_max.ipynb",
    root + "/nbgrader_config.py",
    root + "/@MARKER@-planted.txt",
    "/root/@MARKER@-planted.txt",
    os.path.expanduser("~/../@MARKER@-planted.txt"),
]:
    try:
        with open(path, "w") as f:
            f.write("pwned")
        print("wrote", path)
    except OSError as e:
        print(path, "->", type(e).__name__)
