# cell: locked_counter
# loses: test_locked_counter
"""Sidesteps the race by doing every thread's share in the calling thread: the count is exact, but no thread ever ran."""


def locked_counter(n_threads: int, n_increments: int) -> int:
    counter = 0
    for _ in range(n_threads * n_increments):
        counter = bump(counter)
    return counter
