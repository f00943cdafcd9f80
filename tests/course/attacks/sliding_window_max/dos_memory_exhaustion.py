# cell: max_pool2d
# loses: test_max_pool2d
"""Allocates far more memory than the limit, in one block and then little by little."""

import numpy as np


def max_pool2d(image, kh, kw):
    raise NotImplementedError


hoard = []
try:
    hoard.append(np.ones(64 * 2**30, dtype=np.uint8))
except MemoryError:
    print("big block refused")
try:
    while True:
        hoard.append(bytearray(2**24))
except MemoryError:
    print("refused after", len(hoard), "blocks of 16 MiB")
