# cell: count_primes
# loses: test_count_primes
"""Checks the mode, then counts everything in the calling thread: right answers, no workers of either kind."""


def count_primes(lo: int, hi: int) -> int:
    return sum(1 for n in range(lo, hi) if is_prime(n))


def count_primes_parallel(limit: int, n_workers: int, mode: str) -> int:
    if mode not in ("thread", "process"):
        raise ValueError(f"unknown mode {mode!r}")
    bounds = [limit * i // n_workers for i in range(n_workers + 1)]
    return sum(count_primes(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True))
