"""Threads against processes: start-up cost, and CPU-bound speed-up of count_primes_parallel.

    .venv/bin/python benchmarks/threads_processes.py [--limit 400000]

Prints, in one run: the median time to create, start and join one thread, one forked
process and one spawned process; and the reference count_primes_parallel at 1 and 2
workers in both modes, with the speed-up of 2 workers over 1 (best of 3 each).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import threading
import time


def median_start(make, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        worker = make()
        worker.start()
        worker.join()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=400_000)
    args = parser.parse_args()
    # Imported here, not at the top: a spawned child re-imports this script, and should pay
    # only for an interpreter, not for nbformat and the reference notebook.
    from common import best_time, load_reference

    reference = load_reference("threads_processes")
    count_primes_parallel = reference["count_primes_parallel"]

    print("start + join one worker (median):")
    for name, make, repeat in [
        ("thread", lambda: threading.Thread(target=int), 500),
        ("process, fork", lambda: mp.get_context("fork").Process(target=int), 50),
        ("process, spawn", lambda: mp.get_context("spawn").Process(target=time.sleep, args=(0,)), 10),
    ]:
        print(f"  {name:<15} {median_start(make, repeat) * 1e3:8.3f} ms")

    print(f"count_primes_parallel({args.limit:,}, workers, mode), best of 3:")
    for mode in ("thread", "process"):
        times = {n: best_time(lambda n=n, mode=mode: count_primes_parallel(args.limit, n, mode)) for n in (1, 2)}
        print(
            f"  {mode:<8} 1 worker {times[1]:6.3f} s   2 workers {times[2]:6.3f} s   speed-up {times[1] / times[2]:4.2f}x"
        )


if __name__ == "__main__":
    main()
