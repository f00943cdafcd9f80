# cell: parallel_map
# loses: test_parallel_map
"""Uses a ThreadPoolExecutor: order and error messages are right, but CPU-bound fn never leaves the GIL."""


def parallel_map(fn, items: list, n_workers: int) -> list:
    items = list(items)
    with ThreadPoolExecutor(n_workers) as pool:
        futures = [pool.submit(fn, item) for item in items]
        results = []
        for item, future in zip(items, futures, strict=True):
            try:
                results.append(future.result())
            except Exception as exc:
                raise RuntimeError(f"{fn.__name__}({item!r}) failed: {type(exc).__name__}: {exc}") from exc
        return results
