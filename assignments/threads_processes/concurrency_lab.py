"""Helpers for the threads-and-processes assignment.

Worker processes started with "spawn" or "forkserver" import their target function by
module and name, so anything a process pool runs must live in an importable module like
this one, not in the notebook. The drivers at the end start threads inside your process
for the tests; read them if a test that uses one fails.
"""

from __future__ import annotations

import random
import threading
import time


def bump(value: int) -> int:
    """Stands for real work between reading shared state and writing it back: returns value + 1."""
    return value + 1


def is_prime(n: int) -> bool:
    """Trial division: deliberately CPU-bound."""
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    divisor = 3
    while divisor * divisor <= n:
        if n % divisor == 0:
            return False
        divisor += 2
    return True


def square(x: int) -> int:
    return x * x


def slow_square(x: int) -> int:
    """Earlier items take longer, so a pool that returns results as they finish gets the order wrong."""
    time.sleep(0.02 * max(0, 10 - x))
    return x * x


def fail_on_seven(x: int) -> int:
    if x == 7:
        raise ValueError("seven is not allowed")
    return x


# ----------------------------------------------------------------- drivers


def wait_for_release(release: threading.Event) -> None:
    """A known function for a thread to wait in, so a thread dump can be checked."""
    release.wait()


def start_waiting_threads(names: list[str]) -> threading.Event:
    """Start one daemon thread per name, each waiting inside wait_for_release; set the event to free them."""
    release = threading.Event()
    for name in names:
        threading.Thread(target=wait_for_release, args=(release,), name=name, daemon=True).start()
    time.sleep(0.05)  # let each thread reach its wait
    return release


def run_threads(jobs: list, timeout: float) -> dict:
    """Run each zero-argument job in its own daemon thread; report whether all finished in time."""
    errors: list[str] = []

    def guarded(job):
        try:
            job()
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=guarded, args=(job,), daemon=True) for job in jobs]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return {"finished": not any(t.is_alive() for t in threads), "errors": errors[:5]}


def opposite_transfers(transfer, a, b, rounds: int, threads: int, timeout: float) -> dict:
    """Half the threads move 1 from a to b, half from b to a, `rounds` times each."""

    def a_to_b():
        for _ in range(rounds):
            transfer(a, b, 1)

    def b_to_a():
        for _ in range(rounds):
            transfer(b, a, 1)

    return run_threads([a_to_b, b_to_a] * (threads // 2), timeout)


def random_transfers(transfer, accounts: list, threads: int, per_thread: int, seed: int, timeout: float) -> dict:
    """Threads making random transfers of small amounts among the accounts (some may be refused)."""

    def job(rng):
        def run():
            for _ in range(per_thread):
                src, dst = rng.sample(accounts, 2)
                try:
                    transfer(src, dst, rng.randint(1, 20))
                except ValueError:
                    pass  # refused: would overdraw

        return run

    return run_threads([job(random.Random(seed + i)) for i in range(threads)], timeout)
