"""A live sandbox connection: what a proxy of student code can do, and what it cannot make a test believe."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder.remote import (
    GraderError,
    RemoteObject,
    Session,
    StudentException,
    StudentNamespace,
    StudentTimeout,
    WireFailure,
)
from autograder.sandbox import Limits, SandboxProcess

from conftest import require_sandbox

LIMITS = Limits(cell_seconds=30, submission_seconds=120)  # roomy: importing torch on a busy machine is slow


# ------------------------------------------------------------ live sandbox


@pytest.fixture
def session(tmp_path):
    require_sandbox(LIMITS)
    (tmp_path / "helper.py").write_text("def double(x):\n    return 2 * x\n")
    process = SandboxProcess(tmp_path, LIMITS)
    live = Session(process, LIMITS)
    yield live
    live.close()


STUDENT_CODE = """
import numpy as np, torch
from helper import double

class Counter:
    def __init__(self, start):
        self.count = start
    def add(self, n):
        self.count += n
        return self.count

def scale(a, k):
    return a * k

def pick(t):
    return t.sum()

def squares(n):
    for i in range(n):
        yield i * i

def reject(x):
    raise ValueError(f"bad {x}")

def leave():
    raise SystemExit(0)

def append_to(items):
    items.append(99)

def take_two(stream):
    return [next(stream), next(stream)]

answer = {"k": (1, 2)}

def too_deep():
    nested = []
    for _ in range(200_000):
        nested = [nested]
    return nested

def forged_reference():
    import wire  # the runner's own codec, patched to send a handle the grader never gave out
    real = wire.encode
    wire.encode = lambda value, make_handle=None, depth=0: {"$ref": 424242} if value == "forge" else real(value, make_handle, depth)
    return "forge"
"""


def test_proxy_calls_return_plain_data(session):
    assert session.run_cell(STUDENT_CODE, "cell")["ok"]
    student = StudentNamespace(session)
    got = student["scale"](np.arange(3, dtype=np.float32), 2)
    assert isinstance(got, np.ndarray) and got.dtype == np.float32 and got.tolist() == [0, 2, 4]
    total = student["pick"](torch.ones(2, 2, dtype=torch.float64))
    assert isinstance(total, torch.Tensor) and total.item() == 4.0
    assert student["answer"] == {"k": (1, 2)}
    assert student["double"](21) == 42  # the submission's own module is importable


def test_classes_are_instantiated_and_used_through_the_proxy(session):
    session.run_cell(STUDENT_CODE, "cell")
    counter = StudentNamespace(session)["Counter"](10)
    assert isinstance(counter, RemoteObject)
    assert counter.add(5) == 15 and counter.count == 15


def test_generators_iterators_and_callbacks(session):
    session.run_cell(STUDENT_CODE, "cell")
    student = StudentNamespace(session)
    assert list(student["squares"](4)) == [0, 1, 4, 9]
    assert student["squares"](10**6).__remote_consume__(10**6) == {"taken": 10**6, "last": (10**6 - 1) ** 2}
    consumed = []

    def trusted_stream():
        for i in range(5):
            consumed.append(i)
            yield i

    assert student["take_two"](trusted_stream()) == [0, 1] and consumed == [0, 1]


def test_exceptions_arrive_as_builtin_types_and_exits_do_not_escape(session):
    session.run_cell(STUDENT_CODE, "cell")
    student = StudentNamespace(session)
    with pytest.raises(ValueError, match="bad 3"):
        student["reject"](3)
    with pytest.raises(StudentException, match="SystemExit"):
        student["leave"]()
    items = [1]
    student["append_to"](items)
    assert items == [1, 99]  # calls are by reference for lists


def test_builtins_cannot_be_shadowed_by_student_names(session):
    session.run_cell("max = lambda *a: 'forged'\nlen = None", "cell")
    namespace = StudentNamespace(session)
    exec("result = (max([1, 5]), len('ab'))", namespace)
    assert namespace["result"] == (5, 2)


def test_a_runaway_call_is_interrupted_and_the_session_survives(session):
    session.run_cell("def spin():\n    while True:\n        pass\n", "cell")
    with pytest.raises(StudentTimeout), session.deadline(1):
        StudentNamespace(session)["spin"]()
    assert session.dead is None
    assert session.run_cell("x = 1", "after")["ok"]


def test_student_objects_go_back_as_themselves(session):
    """A sandbox function handed to another student function arrives as the real thing (a pool can pickle it)."""
    from autograder.testing import grading_session, student_module

    session.run_cell(
        "import multiprocessing as mp\n"
        "def pool_map(fn, items):\n"
        "    with mp.get_context('spawn').Pool(2) as pool:\n"
        "        return pool.map(fn, items)\n"
        "def same(x):\n"
        "    return x\n",
        "cell",
    )
    with grading_session(session):
        helper = student_module("helper")
        assert isinstance(helper, RemoteObject)
        student = StudentNamespace(session)
        assert student["pool_map"](helper.double, [1, 2, 3]) == [2, 4, 6]
        mine = iter([7, 8])
        assert student["same"](mine) is mine  # and trusted objects come home as themselves


def test_threads_and_a_process_pool_run_inside(session):
    reply = session.run_cell(
        "import multiprocessing as mp, threading\n"
        "from helper import double\n"
        "with mp.get_context('fork').Pool(2) as pool:\n"
        "    doubled = pool.map(double, range(4))\n"
        "box = []\n"
        "workers = [threading.Thread(target=box.append, args=(i,)) for i in range(4)]\n"
        "[w.start() for w in workers]; [w.join() for w in workers]\n",
        "cell",
    )
    assert reply["ok"], reply
    student = StudentNamespace(session)
    assert student["doubled"] == [0, 2, 4, 6] and sorted(student["box"]) == [0, 1, 2, 3]


@pytest.mark.parametrize("name", ["too_deep", "forged_reference"])
def test_a_value_that_cannot_cross_is_a_grader_error_no_test_can_expect(session, name):
    """A test expecting ValueError (or catching Exception) must not be satisfied by junk the wire refuses."""
    session.run_cell(STUDENT_CODE, "<student>")
    function = StudentNamespace(session)[name]
    with pytest.raises(WireFailure, match="could not"):
        try:
            function()
        except Exception:  # what a careless test might write
            pytest.fail("a wire failure was caught as an ordinary exception")
    assert issubclass(WireFailure, GraderError) and not issubclass(GraderError, Exception)
    assert not session.dead, "a value that cannot be sent costs the call, not the sandbox"


def test_timeouts_and_dead_sandboxes_are_grader_errors_too(session):
    session.run_cell("import time\ndef nap():\n    time.sleep(30)\n", "<student>")
    nap = StudentNamespace(session)["nap"]
    with pytest.raises(StudentTimeout):
        with session.deadline(0.5):
            try:
                nap()
            except Exception:
                pytest.fail("a timeout was caught as an ordinary exception")
    assert issubclass(StudentTimeout, GraderError)
