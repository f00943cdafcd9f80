# cell: parallel_map
# loses: test_parallel_map
"""Collects results with as_completed, so they come back in the order the workers finish, not the input order."""

from concurrent.futures import as_completed


def parallel_map(fn, items: list, n_workers: int) -> list:
    with ProcessPoolExecutor(n_workers, mp_context=mp.get_context("fork")) as pool:
        futures = {pool.submit(fn, item): item for item in items}
        results = []
        for future in as_completed(futures):
            try:
                results.append(future.result())
            except Exception as exc:
                raise RuntimeError(f"{fn.__name__}({futures[future]!r}) failed: {exc}") from exc
        return results
