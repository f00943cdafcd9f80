# cell: max_pool2d
# loses: test_max_pool2d
"""Prints hundreds of megabytes, through print and straight to file descriptors 1 and 2."""

import os
import sys


def max_pool2d(image, kh, kw):
    raise NotImplementedError


line = "flood " * 1000 + "\n"
for _ in range(50_000):
    sys.stdout.write(line)
for _ in range(2_000):
    try:
        os.write(1, line.encode())
        os.write(2, line.encode())
    except OSError:
        break
