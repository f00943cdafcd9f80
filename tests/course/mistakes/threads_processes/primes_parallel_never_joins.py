# cell: count_primes
# loses: test_count_primes
"""Starts a worker per chunk and adds up whatever counts have arrived when it returns, without waiting for the workers."""


def count_primes(lo: int, hi: int) -> int:
    return sum(1 for n in range(lo, hi) if is_prime(n))


def count_primes_parallel(limit: int, n_workers: int, mode: str) -> int:
    if mode == "thread":
        counts, worker = queue.SimpleQueue(), threading.Thread
    elif mode == "process":
        context = mp.get_context("fork")
        counts, worker = context.SimpleQueue(), context.Process
    else:
        raise ValueError(f"unknown mode {mode!r}")
    bounds = [limit * i // n_workers for i in range(n_workers + 1)]

    def count(lo, hi):
        counts.put(count_primes(lo, hi))

    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        worker(target=count, args=(lo, hi)).start()
    total = 0
    while not counts.empty():
        total += counts.get()
    return total
