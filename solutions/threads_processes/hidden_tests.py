"""Hidden tests for the threads-and-processes assignment.

Never released. Each test takes the student's functions and looks only at what they
return. Concurrency that must happen inside the student's process (threads waiting in
known functions, opposite transfers, forced thread switching) is driven through
``student_module``: the helper module and ``sys`` as the student's process sees them.
Every call that could hang runs under ``time_limit``, so a deadlock or a lost shutdown
fails the test instead of stalling the grader. Results that a driver reports are checked
against values computed here (balances, counts), never taken on trust.
"""

from __future__ import annotations

import random

from autograder.testing import expect_raises, student_module, time_limit

HANG_SECONDS = 20.0


def primes_below(limit: int) -> int:
    """Sieve of Eratosthenes: the oracle for prime counts."""
    sieve = bytearray([1]) * max(limit, 2)
    sieve[0:2] = b"\x00\x00"
    for p in range(2, int(limit**0.5) + 1):
        if sieve[p]:
            sieve[p * p :: p] = bytearray(len(range(p * p, limit, p)))
    return sum(sieve[:limit])


class forced_switching:
    """Make the student's interpreter switch threads as often as it can, then restore it."""

    def __enter__(self):
        self.sys = student_module("sys")
        self.previous = self.sys.getswitchinterval()
        self.sys.setswitchinterval(1e-6)
        return self

    def __exit__(self, *exc):
        self.sys.setswitchinterval(self.previous)


# ------------------------------------------------------------------ part 1


def test_thread_dump_sees_waiting_threads(thread_dump):
    """Does the dump list threads by name, with their stacks innermost first?"""
    lab = student_module("concurrency_lab")
    names = ["grader-alpha", "grader-beta"]
    release = lab.start_waiting_threads(names)
    try:
        with time_limit(HANG_SECONDS, "thread_dump()"):
            dump = thread_dump()
    finally:
        release.set()
    by_name = {entry.get("name"): entry for entry in dump}
    for name in names:
        assert name in by_name, (
            f"two threads named {names} were waiting, but thread_dump() listed only {sorted(by_name)}"
        )
        entry = by_name[name]
        stack = entry.get("stack")
        assert isinstance(stack, list) and stack, f"thread {name!r} has stack {stack!r}; expected its function names"
        assert "wait_for_release" in stack, (
            f"thread {name!r} was waiting inside concurrency_lab.wait_for_release, but its stack is {stack}"
        )
        assert stack.index("wait_for_release") < stack.index("_bootstrap_inner"), (
            f"thread {name!r} has stack {stack}: list the innermost function first (the one running now), "
            "then its caller, out to threading's _bootstrap"
        )
        assert entry.get("daemon") is True and isinstance(entry.get("native_id"), int), (
            f"thread {name!r} is a daemon with a native id; got daemon={entry.get('daemon')!r}, "
            f"native_id={entry.get('native_id')!r}"
        )
    idents = [entry.get("ident") for entry in dump]
    assert len(set(idents)) == len(idents), f"each thread should appear once; idents {idents}"


# ------------------------------------------------------------------ part 2


def test_increment_shared_modes(increment_shared):
    """Threads see one counter; processes each see their own copy; unknown modes are refused."""
    for workers, increments in [(1, 1), (4, 2500), (8, 100)]:
        with time_limit(HANG_SECONDS, f"increment_shared({workers}, {increments}, 'thread')"):
            got = increment_shared(workers, increments, "thread")
        assert got == workers * increments, (
            f"increment_shared({workers}, {increments}, 'thread') returned {got}: threads share COUNTER"
        )
        with time_limit(HANG_SECONDS, f"increment_shared({workers}, {increments}, 'process')"):
            got = increment_shared(workers, increments, "process")
        assert got == 0, (
            f"increment_shared({workers}, {increments}, 'process') returned {got}: worker processes change "
            "their own copies of COUNTER, so the parent's must stay 0 (are these really processes?)"
        )
    with expect_raises(ValueError, "increment_shared(2, 10, 'fiber')"):
        increment_shared(2, 10, "fiber")


# ------------------------------------------------------------------ part 3


def test_shared_counter_processes_exact(shared_counter_processes):
    for workers, increments in [(1, 10), (4, 2000)]:
        with time_limit(HANG_SECONDS, f"shared_counter_processes({workers}, {increments})"):
            got = shared_counter_processes(workers, increments)
        assert got == workers * increments, (
            f"shared_counter_processes({workers}, {increments}) returned {got}; with the Value's lock held "
            "around each read-and-write, no update is lost"
        )


# ------------------------------------------------------------------ part 4


def test_locked_counter_under_forced_switching(locked_counter):
    """With thread switches forced as often as possible, is every update still counted?"""
    with forced_switching():
        # several shapes: a lost update is likely in each, and near certain in at least one
        for threads, increments in [(2, 20_000), (8, 10_000), (4, 25_000)]:
            with time_limit(HANG_SECONDS, f"locked_counter({threads}, {increments})"):
                got = locked_counter(threads, increments)
            assert got == threads * increments, (
                f"locked_counter({threads}, {increments}) returned {got} with sys.setswitchinterval(1e-6): "
                f"{threads * increments - got} updates were lost. Hold a lock around counter = bump(counter)."
            )


# ------------------------------------------------------------------ part 5


def test_transfer_concurrent(Account, transfer):  # noqa: N803 (the student's class, by its name)
    """Opposite transfers must not deadlock; refused transfers change nothing; the total is conserved."""
    lab = student_module("concurrency_lab")
    with forced_switching():
        a, b = Account(10**6), Account(10**6)
        report = lab.opposite_transfers(transfer, a, b, 2000, 4, HANG_SECONDS / 2)
        assert report["finished"], (
            "two threads ran transfer(a, b, 1) while two ran transfer(b, a, 1), and some never finished within "
            f"{HANG_SECONDS / 2:g} s: a deadlock. Lock the two accounts in one global order (by id), not in "
            "argument order."
        )
        assert not report["errors"], f"opposite transfers raised: {report['errors']}"
        assert (a.balance, b.balance) == (10**6, 10**6), (
            f"after equal numbers of 1-unit transfers each way, balances are {(a.balance, b.balance)}, "
            f"not {(10**6, 10**6)}: some updates were lost"
        )

        accounts = [Account(100) for _ in range(5)]
        report = lab.random_transfers(transfer, accounts, 4, 500, random.randrange(10**6), HANG_SECONDS / 2)
        assert report["finished"], "random concurrent transfers did not finish: a deadlock?"
        balances = [account.balance for account in accounts]
        assert sum(balances) == 500, f"the total changed from 500 to {sum(balances)} (balances {balances})"
        assert min(balances) >= 0, f"an account was overdrawn: balances {balances}"

    poor, rich = Account(5), Account(0)
    for amount, why in [(10, "more than the balance"), (0, "zero"), (-3, "a negative amount")]:
        with expect_raises(ValueError, f"transfer of {amount} ({why})"):
            transfer(poor, rich, amount)
    assert (poor.balance, rich.balance) == (5, 0), (
        f"refused transfers changed balances to {(poor.balance, rich.balance)}"
    )


# ------------------------------------------------------------------ part 6


def test_count_primes_chunks(count_primes, count_primes_parallel):
    for lo, hi in [(0, 2), (2, 3), (10, 20), (97, 98), (1000, 2000)]:
        want = primes_below(hi) - primes_below(lo)
        got = count_primes(lo, hi)
        assert got == want, f"count_primes({lo}, {hi}) returned {got}: count primes p with lo <= p < hi"
    for limit, workers in [(10, 3), (5000, 1), (5000, 2), (12345, 4)]:
        for mode in ("thread", "process"):
            with time_limit(HANG_SECONDS, f"count_primes_parallel({limit}, {workers}, {mode!r})"):
                got = count_primes_parallel(limit, workers, mode)
            assert got == primes_below(limit), (
                f"count_primes_parallel({limit}, {workers}, {mode!r}) returned {got}; do the chunks cover "
                "[0, limit) exactly, without gaps or overlaps?"
            )
    with expect_raises(ValueError, "count_primes_parallel(100, 2, 'gpu')"):
        count_primes_parallel(100, 2, "gpu")


# ------------------------------------------------------------------ part 7


def test_simulated_io_overlaps_and_keeps_order(simulated_io):
    latencies = [0.4, 0.1, 0.3, 0.05, 0.2, 0.0]
    with time_limit(HANG_SECONDS, "simulated_io"):
        got = simulated_io(latencies, 6)
    assert got == latencies, f"simulated_io({latencies}, 6) returned {got}: results must be in input order"
    for latencies, threads, bound in [([0.25] * 8, 4, 1.4), ([0.3] * 3, 8, 0.9)]:
        with time_limit(bound, f"simulated_io({latencies}, {threads})", "the waits should overlap on the threads"):
            got = simulated_io(latencies, threads)
        assert got == latencies, f"simulated_io({latencies}, {threads}) returned {got}"


# ------------------------------------------------------------------ part 8


def test_producer_consumer_many(producer_consumer):
    items = list(range(300))
    for producers, consumers in [(1, 1), (4, 3), (3, 5), (6, 2)]:
        for mode in ("thread", "process"):
            call = f"producer_consumer(list(range(300)), {producers}, {consumers}, {mode!r})"
            with time_limit(
                HANG_SECONDS, call, "does every consumer get its own stop signal after all producers finish?"
            ):
                got = producer_consumer(items, producers, consumers, mode)
            assert isinstance(got, list), f"{call} returned {type(got).__name__}, expected a list"
            missing = sorted(set(items) - set(got))
            assert not missing and len(got) == len(items), (
                f"{call} returned {len(got)} items; missing {missing[:10]}"
                + (f", duplicated {len(got) - len(set(got))}" if len(got) != len(set(got)) else "")
            )


# ------------------------------------------------------------------ part 9


def test_parallel_map_order_and_errors(parallel_map):
    lab = student_module("concurrency_lab")
    with time_limit(HANG_SECONDS, "parallel_map(slow_square, range(10), 4)"):
        got = parallel_map(lab.slow_square, list(range(10)), 4)
    assert got == [x * x for x in range(10)], (
        f"parallel_map(slow_square, range(10), 4) returned {got}: results must follow the input order, "
        "not the order in which workers finish"
    )
    with time_limit(HANG_SECONDS, "parallel_map(square, range(50), 3)"):
        got = parallel_map(lab.square, list(range(50)), 3)
    assert got == [x * x for x in range(50)], f"parallel_map(square, range(50), 3) returned {got}"
    try:
        with time_limit(HANG_SECONDS, "parallel_map(fail_on_seven, range(10), 2)"):
            result = parallel_map(lab.fail_on_seven, list(range(10)), 2)
    except AssertionError:
        raise
    except Exception as exc:
        assert "7" in str(exc), (
            f"parallel_map(fail_on_seven, range(10), 2) raised {type(exc).__name__}: {exc}; "
            "the message should name the item that failed (7)"
        )
    else:
        raise AssertionError(f"parallel_map(fail_on_seven, range(10), 2) returned {result} instead of raising")
