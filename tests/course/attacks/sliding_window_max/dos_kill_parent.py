# cell: max_pool2d
# loses: test_max_pool2d
"""Tries to kill its parent, every process it can see, and process group 0."""

import os
import signal


def max_pool2d(image, kh, kw):
    raise NotImplementedError


for pid in (os.getppid(), 1, -1, 0):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError as e:
        print(pid, "->", type(e).__name__)
