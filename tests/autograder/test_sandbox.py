"""The sandbox connection on its own: what crosses it, and what a proxy of student code can do."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from autograder.remote import RemoteObject, Session, StudentException, StudentNamespace, StudentTimeout
from autograder.sandbox import Limits, SandboxProcess
from autograder.sandbox_side import wire

from conftest import require_sandbox

LIMITS = Limits(cell_seconds=5, submission_seconds=60)


# ------------------------------------------------------------------- wire


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        -(2**70),
        1.5,
        float("inf"),
        "text",
        b"\x00bytes",
        [1, 2.5, "x", None],
        (1, (2, 3)),
        {"a": 1, 2: [3], (4, 5): {6}},
        range(3, 30, 4),
        np.arange(12, dtype=np.int16).reshape(3, 4),
        np.float32(2.5),
        np.array([True, False]),
        np.zeros((0, 3), dtype=np.complex64),
    ],
)
def test_plain_values_round_trip_exactly(value):
    back = wire.decode(json.loads(json.dumps(wire.encode(value))))
    assert type(back) is type(value)
    if isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    else:
        assert back == value


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.int64, torch.bool])
def test_tensors_round_trip_with_their_dtype(dtype):
    tensor = (torch.arange(6) % 3).to(dtype).reshape(2, 3)
    back = wire.decode(json.loads(json.dumps(wire.encode(tensor))))
    assert back.dtype == dtype and torch.equal(back, tensor)


@pytest.mark.parametrize(
    "data",
    [
        {"$pickle": "gASV"},
        {"$ndarray": {"dtype": "object", "shape": [1], "data": ""}},
        {"$ndarray": {"dtype": "float64", "shape": [-1], "data": ""}},
        {"$tuple": [1], "$list": [2]},
        {"plain": "dict"},
        {"$handle": 1, "kind": "callable", "type": "f"},
        {"$ref": 1},
    ],
)
def test_decoding_refuses_anything_else(data):
    with pytest.raises(wire.WireError):
        wire.decode(data)


def test_objects_that_are_not_plain_data_become_handles():
    class Sneaky(list):
        def __eq__(self, other):
            return True

    made = []
    encoded = wire.encode([Sneaky(), np.array([object()])], lambda obj: made.append(obj) or {"$handle": 1})
    assert encoded == [{"$handle": 1}, {"$handle": 1}] and len(made) == 2


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
    with pytest.raises(StudentTimeout):
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
