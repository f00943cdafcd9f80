# cell: parallel_map
# loses: test_parallel_map
"""Lets the worker's exception propagate as it is: the caller learns that something was not allowed, not which item."""


def parallel_map(fn, items: list, n_workers: int) -> list:
    with ProcessPoolExecutor(n_workers, mp_context=mp.get_context("fork")) as pool:
        futures = [pool.submit(fn, item) for item in items]
        return [future.result() for future in futures]
