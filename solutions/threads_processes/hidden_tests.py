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
import time

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
    lab = student_module("concurrency_lab")
    # The last shape is long enough that a version which returns before joining its threads reads
    # a partial count (in process mode it would still read 0, so that mode is not run on it).
    for workers, increments in [(1, 1), (4, 2500), (8, 100), (4, 250_000)]:
        call = f"increment_shared({workers}, {increments}, 'thread')"
        with time_limit(HANG_SECONDS, call):
            report = lab.observe(increment_shared, workers, increments, "thread")
        assert report["result"] == workers * increments, (
            f"{call} returned {report['result']}: threads share COUNTER (and are all joined before returning?)"
        )
        assert report["threads"] >= workers, f"{call} started {report['threads']} thread(s); start one per worker"
        if increments > 10_000:
            continue
        call = f"increment_shared({workers}, {increments}, 'process')"
        with time_limit(HANG_SECONDS, call):
            report = lab.observe(increment_shared, workers, increments, "process")
        assert report["result"] == 0, (
            f"{call} returned {report['result']}: worker processes change their own copies of COUNTER, so the "
            "parent's must stay 0 (are these really processes?)"
        )
        assert report["forks"] >= workers, (
            f"{call} forked {report['forks']} process(es); start one process per worker (the fork context)"
        )
    with expect_raises(ValueError, "increment_shared(2, 10, 'fiber')"):
        increment_shared(2, 10, "fiber")


# ------------------------------------------------------------------ part 3


def test_shared_counter_processes_exact(shared_counter_processes):
    lab = student_module("concurrency_lab")
    for workers, increments in [(1, 10), (4, 2000), (4, 20_000)]:
        call = f"shared_counter_processes({workers}, {increments})"
        with time_limit(HANG_SECONDS, call):
            report = lab.observe(shared_counter_processes, workers, increments)
        assert report["result"] == workers * increments, (
            f"{call} returned {report['result']}; with the Value's lock held around each read-and-write, "
            "no update is lost"
        )
        assert report["forks"] >= workers, (
            f"{call} forked {report['forks']} process(es); the workers are processes (the fork context), one per worker"
        )


# ------------------------------------------------------------------ part 4


def test_locked_counter_under_forced_switching(locked_counter):
    """With thread switches forced as often as possible, is every update still counted?"""
    lab = student_module("concurrency_lab")
    with forced_switching():
        # Long enough that the threads overlap for many switches, whenever each one starts: without
        # the lock, tens of thousands of updates are lost in each shape (tried here, busy or idle).
        for threads, increments in [(2, 200_000), (4, 50_000)]:
            call = f"locked_counter({threads}, {increments})"
            with time_limit(HANG_SECONDS, call):
                report = lab.observe(locked_counter, threads, increments)
            got = report["result"]
            assert got == threads * increments, (
                f"{call} returned {got} with sys.setswitchinterval(1e-6): "
                f"{threads * increments - got} updates were lost. Hold a lock around counter = bump(counter)."
            )
            assert report["threads"] >= threads, (
                f"{call} started {report['threads']} thread(s); each of the {threads} threads does its share"
            )


# ------------------------------------------------------------------ part 5


def test_transfer_concurrent(Account, transfer):  # noqa: N803 (the student's class, by its name)
    """Opposite transfers must not deadlock; refused transfers change nothing; the total is conserved."""
    lab = student_module("concurrency_lab")
    # The deadlock, provoked deterministically: while this test holds the destination's lock,
    # does the waiting transfer already hold the source's? With one global lock order, exactly
    # one of transfer(a, b) and transfer(b, a) does (the one whose source comes first).
    a, b = Account(10), Account(10)
    probes = {}
    for src, dst, call in [(a, b, "transfer(a, b, 1)"), (b, a, "transfer(b, a, 1)")]:
        with time_limit(HANG_SECONDS, f"{call} while its destination's lock is held"):
            probes[call] = lab.transfer_while_dst_locked(transfer, src, dst, 0.2)
        assert not probes[call]["finished"], (
            f"{call} finished while another thread held its destination's lock: hold both accounts' locks "
            "while checking and updating the balances"
        )
    first = {call: "its source's lock" if probe["held_src"] else "no lock yet" for call, probe in probes.items()}
    assert first["transfer(a, b, 1)"] != first["transfer(b, a, 1)"], (
        f"while waiting for the destination's lock, {'; '.join(f'{c} held {w}' for c, w in first.items())}"
        + (
            ": each locks its source first, so running both at once can deadlock. Lock the lower id first."
            if probes["transfer(a, b, 1)"]["held_src"]
            else ": neither had taken the other account's lock; take both, in one global order (lower id first)."
        )
    )
    assert (a.balance, b.balance) == (10, 10), (
        f"one transfer of 1 each way changed the balances (10, 10) to {(a.balance, b.balance)}"
    )

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


def check_primes_workers(report: dict, call: str, mode: str) -> None:
    """Did the work run where the mode says? Judged from the (process, thread) pairs that called is_prime."""
    callers = [tuple(pair) for pair in report["prime_callers"]]
    here = [thread for pid, thread in callers if pid == report["pid"]]
    elsewhere = sorted({pid for pid, _ in callers if pid != report["pid"]})
    if mode == "thread":
        assert not elsewhere, (
            f"{call}: is_prime ran in other processes {elsewhere}; mode='thread' counts on threads of this process"
        )
        assert any(thread != report["thread"] for thread in here), (
            f"{call}: every is_prime call ran in the thread that called count_primes_parallel; "
            "mode='thread' counts the chunks on a ThreadPoolExecutor's threads"
        )
    else:
        assert elsewhere and not here, (
            f"{call}: is_prime ran in {len(elsewhere)} other process(es) and in {len(set(here))} thread(s) of "
            "the calling process; mode='process' counts every chunk in worker processes (ProcessPoolExecutor)"
        )


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
                "[0, limit) exactly, without gaps or overlaps, and is every worker finished before adding up?"
            )
    # Big enough that the last chunk takes a tenth of a second or more: an implementation that
    # returns before its workers finish sums only part of the counts.
    lab = student_module("concurrency_lab")
    limit, workers = 200_000, 3
    for mode in ("thread", "process"):
        call = f"count_primes_parallel({limit}, {workers}, {mode!r})"
        with time_limit(HANG_SECONDS, call):
            report = lab.observe(count_primes_parallel, limit, workers, mode)
        assert report["result"] == primes_below(limit), (
            f"{call} returned {report['result']}; does it wait for every worker to finish before adding up?"
        )
        check_primes_workers(report, call, mode)
    with expect_raises(ValueError, "count_primes_parallel(100, 2, 'gpu')"):
        count_primes_parallel(100, 2, "gpu")


# ------------------------------------------------------------------ part 7


def test_simulated_io_overlaps_and_keeps_order(simulated_io):
    latencies = [0.4, 0.1, 0.3, 0.05, 0.2, 0.0]
    with time_limit(HANG_SECONDS, "simulated_io"):
        got = simulated_io(latencies, 6)
    assert got == latencies, f"simulated_io({latencies}, 6) returned {got}: results must be in input order"
    # (latencies, threads, at least, at most): n_threads threads cannot finish sooner than the
    # waits allow (so a pool of the default size is caught), and should overlap them fully.
    for latencies, threads, least, bound in [
        ([0.25] * 8, 4, 0.5, 1.4),
        ([0.3] * 3, 8, 0.3, 0.9),
        ([0.1] * 4, 1, 0.4, 2.0),
    ]:
        call = f"simulated_io({latencies}, {threads})"
        start = time.perf_counter()
        with time_limit(bound, call, "the waits should overlap on the threads"):
            got = simulated_io(latencies, threads)
        elapsed = time.perf_counter() - start
        assert got == latencies, f"{call} returned {got}"
        assert elapsed >= least - 0.01, (
            f"{call} took {elapsed:.2f} s, less than the {least:g} s that {threads} thread(s) need for these waits: "
            "use a pool of exactly n_threads threads"
        )


# ------------------------------------------------------------------ part 8


def test_producer_consumer_many(producer_consumer):
    lab = student_module("concurrency_lab")
    items = list(range(300))
    for producers, consumers in [(1, 1), (4, 3), (3, 5), (6, 2)]:
        for mode in ("thread", "process"):
            call = f"producer_consumer(list(range(300)), {producers}, {consumers}, {mode!r})"
            with time_limit(
                HANG_SECONDS, call, "does every consumer get its own stop signal after all producers finish?"
            ):
                report = lab.observe(producer_consumer, items, producers, consumers, mode)
            got = report["result"]
            started = report["threads"] if mode == "thread" else report["forks"]
            assert started >= producers + consumers, (
                f"{call} started {started} {'threads' if mode == 'thread' else 'processes'}; "
                f"mode={mode!r} runs each producer and each consumer in its own"
            )
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
        report = lab.observe(parallel_map, lab.slow_square, list(range(10)), 4)
    got = report["result"]
    assert report["forks"] >= 1, (
        f"parallel_map(slow_square, range(10), 4) forked {report['forks']} processes: run fn on a process pool"
    )
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
