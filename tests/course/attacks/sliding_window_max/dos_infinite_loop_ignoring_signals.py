# cell: max_pool2d
# loses: test_max_pool2d
"""An infinite loop with SIGINT and SIGTERM ignored."""

import signal


def max_pool2d(image, kh, kw):
    raise NotImplementedError


signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    pass
