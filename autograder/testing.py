"""Helpers for hidden tests that work the same wherever the student's code runs.

Hidden tests run in three places: in the student's own kernel (stock ``nbgrader
autograde``), in the trusted grader with student code behind a sandbox proxy, and in
maintainers' pytest against the reference. Three things differ between those, and
these helpers hide the difference:

* :func:`time_limit` bounds a call: through the sandbox it sets the call's deadline
  (and the sandbox interrupts the student code); in-process it uses SIGALRM.
* :func:`student_rss_bytes` reads the memory of the process running student code:
  the sandbox from outside, or this process.
* :func:`consume` advances an iterator where it lives: one request to the sandbox
  instead of one round trip per item.
* :func:`student_module` imports a module in the process running student code (an
  assignment's helper module that starts threads there, say).
"""

from __future__ import annotations

import itertools
import signal
import threading
import time
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def grading_session(session):
    """Used by the trusted grader: route this thread's helpers to a sandbox session."""
    previous = getattr(_local, "session", None)
    _local.session = session
    try:
        yield
    finally:
        _local.session = previous


def current_session():
    return getattr(_local, "session", None)


class TimeLimitExceeded(BaseException):
    """Raised inside in-process student code when a time bound runs out.

    A BaseException, so an ``except Exception`` in student code does not swallow it.
    """


@contextmanager
def time_limit(seconds: float, what: str, hint: str = ""):
    """Fail the test if the body runs longer than ``seconds``, stopping the student's code."""
    message = f"{what} did not finish within {seconds:g} s" + (f": {hint}" if hint else "")
    session = current_session()
    start = time.perf_counter()
    if session is not None:
        from .remote import StudentTimeout

        try:
            with session.deadline(seconds):
                yield
        except StudentTimeout:
            raise AssertionError(message) from None
    else:
        with _alarm(seconds, message):
            yield
    elapsed = time.perf_counter() - start
    assert elapsed <= seconds, f"{what} took {elapsed:.1f} s, more than {seconds:g} s" + (f": {hint}" if hint else "")


@contextmanager
def _alarm(seconds: float, message: str):
    if threading.current_thread() is not threading.main_thread():
        yield  # signals only reach the main thread; the elapsed-time check still applies
        return

    def on_alarm(signum, frame):
        raise TimeLimitExceeded(message)

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except TimeLimitExceeded:
        raise AssertionError(message) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def own_rss_bytes() -> int:
    """Resident memory of this process (Linux), in bytes; 0 where /proc is missing."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def student_rss_bytes() -> int:
    """Resident memory of the process that runs the student's code."""
    session = current_session()
    return session.student_rss_bytes() if session is not None else own_rss_bytes()


def student_module(name: str):
    """A module as imported by the process that runs the student's code."""
    session = current_session()
    if session is not None:
        return session.import_module(name)
    import importlib

    return importlib.import_module(name)


def consume(iterator, count: int) -> int:
    """Advance an iterator by up to ``count`` items where it lives; returns how many it gave."""
    remote = getattr(type(iterator), "__remote_consume__", None)
    if remote is not None:
        return remote(iterator, count)["taken"]
    return sum(1 for _ in itertools.islice(iterator, count))


@contextmanager
def expect_raises(exc_type: type[BaseException], call: str):
    """Like ``pytest.raises``, with a message that names the call."""
    try:
        yield
    except exc_type:
        return
    raise AssertionError(f"{call} should raise {exc_type.__name__}")
