# cell: max_pool2d
# loses: test_max_pool2d
"""Leaves processes behind: a setsid child and a double-forked daemon, both sleeping for a long time."""

import os
import subprocess


def max_pool2d(image, kh, kw):
    raise NotImplementedError


subprocess.Popen(["sleep", "@MARKER@1"], start_new_session=True)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "@MARKER@2"])
    os._exit(0)
