"""Helpers for the threads-and-processes assignment.

Worker processes started with "spawn" or "forkserver" import their target function by
module and name, so anything a process pool runs must live in an importable module like
this one, not in the notebook. The drivers at the end start threads inside your process
for the tests; read them if a test that uses one fails.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
import tempfile
import threading
import time

# Set only while observe() runs: a folder where is_prime leaves one empty file per
# (process id, thread id) that called it. Also passed through the environment, so that a
# process started by "spawn" (a fresh interpreter importing this module) records too.
_CALLER_LOG_VARIABLE = "CONCURRENCY_LAB_CALLER_LOG"
_caller_log: str | None = os.environ.get(_CALLER_LOG_VARIABLE)
_callers_noted: set = set()
_forks = 0


def _count_fork() -> None:
    global _forks
    _forks += 1


os.register_at_fork(after_in_parent=_count_fork)


def bump(value: int) -> int:
    """Stands for real work between reading shared state and writing it back: returns value + 1."""
    return value + 1


def is_prime(n: int) -> bool:
    """Trial division: deliberately CPU-bound."""
    if _caller_log is not None:
        _note_caller()
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


def _note_caller() -> None:
    """Leave a file named after this process and thread in the caller log (once per pair)."""
    key = (os.getpid(), threading.get_ident())
    if key not in _callers_noted:
        _callers_noted.add(key)
        try:
            open(os.path.join(_caller_log, f"{key[0]}-{key[1]}"), "w").close()
        except OSError:
            pass  # the log is gone: a worker still running after observe() returned


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


def observe(fn, *args) -> dict:
    """Call fn(*args) and report what it did in this process, as plain data.

    The report holds the result; this process's id and the calling thread's id; how many
    child processes this process forked during the call (``forks``); how many threads were
    started during the call (``threads``); and ``prime_callers``, the (process id,
    thread id) pairs that called is_prime, collected when fn returned.
    """
    global _caller_log
    log = tempfile.mkdtemp(prefix="is-prime-callers-")
    started: list = []  # one entry per thread started (idents of finished threads are reused)
    previous_hook = threading.gettrace()

    def note_thread(frame, event, arg):
        started.append(threading.get_ident())
        sys.settrace(previous_hook)
        return previous_hook(frame, event, arg) if previous_hook is not None else None

    _callers_noted.clear()
    forks_before = _forks
    _caller_log = os.environ[_CALLER_LOG_VARIABLE] = log
    threading.settrace(note_thread)
    try:
        result = fn(*args)
    finally:
        threading.settrace(previous_hook)
        _caller_log = None
        os.environ.pop(_CALLER_LOG_VARIABLE, None)
        forks = _forks - forks_before
        callers = sorted(tuple(int(part) for part in name.split("-")) for name in os.listdir(log))
        shutil.rmtree(log, ignore_errors=True)
    return {
        "result": result,
        "pid": os.getpid(),
        "thread": threading.get_ident(),
        "forks": forks,
        "threads": len(started),
        "prime_callers": callers,
    }


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


def _held(lock) -> bool:
    """Is the lock held (by another thread)? Works for Lock and RLock alike."""
    if lock.acquire(blocking=False):
        lock.release()
        return False
    return True


def transfer_while_dst_locked(transfer, src, dst, wait: float) -> dict:
    """Hold dst.lock while another thread runs transfer(src, dst, 1), then let it finish.

    Reports whether the transfer finished while dst.lock was held (``finished``), and
    whether, while it waited, src.lock was held (``held_src``: it took src's lock first).
    """
    done = threading.Event()

    def run():
        try:
            transfer(src, dst, 1)
        finally:
            done.set()

    with dst.lock:
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        finished = done.wait(wait)
        held_src = not finished and _held(src.lock)
    thread.join(wait + 5.0)
    return {"finished": finished, "held_src": held_src}


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
