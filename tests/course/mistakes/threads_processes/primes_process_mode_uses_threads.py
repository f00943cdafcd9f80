# cell: count_primes
# loses: test_count_primes
"""mode="process" quietly runs a ThreadPoolExecutor: the counts are right, but the GIL keeps the chunks on one core."""


def count_primes(lo: int, hi: int) -> int:
    return sum(1 for n in range(lo, hi) if is_prime(n))


def count_primes_parallel(limit: int, n_workers: int, mode: str) -> int:
    if mode not in ("thread", "process"):
        raise ValueError(f"unknown mode {mode!r}")
    bounds = [limit * i // n_workers for i in range(n_workers + 1)]
    with ThreadPoolExecutor(n_workers) as pool:
        return sum(pool.map(count_primes, bounds[:-1], bounds[1:]))
