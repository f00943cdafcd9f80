# cell: max_pool2d
# loses: test_max_pool2d
"""sys.exit, a custom BaseException and KeyboardInterrupt from student code, hoping the grader stops counting."""

import sys


class Escape(BaseException):
    pass


def max_pool2d(image, kh, kw):
    raise Escape("stop grading here")


try:
    sys.exit(0)
finally:
    raise KeyboardInterrupt
