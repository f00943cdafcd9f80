"""The wire codec and protocol on their own (no sandbox): what crosses the boundary, and how."""

from __future__ import annotations

import importlib.machinery
import io
import json
import sys
import types

import numpy as np
import pytest
import torch

from autograder.sandbox_side import wire


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


def test_a_module_another_thread_is_still_importing_counts_as_absent(monkeypatch):
    """A grading process imports PyTorch in one test's thread while another thread encodes a value."""
    half_imported = types.ModuleType("torch")  # in sys.modules, but no torch.Tensor yet
    half_imported.__spec__ = importlib.machinery.ModuleSpec("torch", None)
    half_imported.__spec__._initializing = True  # what importlib sets while the module's code runs
    monkeypatch.setitem(sys.modules, "torch", half_imported)
    assert wire.encode(object(), lambda obj: {"$handle": 7}) == {"$handle": 7}


def test_replies_are_built_one_way_for_both_ends():
    assert wire.reply(3) == {"op": "reply", "ok": True, "value": 3}
    assert wire.stopped()["stop"] is True
    assert wire.failure({"ename": "ValueError"})["ok"] is False
    assert (
        "grader_error" in wire.grader_failure("x" * 5000)
        and len(wire.grader_failure("x" * 5000)["grader_error"]) == 1000
    )


def test_handle_table_hands_out_kinds_and_refuses_unknown_handles():
    table = wire.HandleTable()
    first = table.add(iter([1]))
    second = table.add(len)
    assert (first["kind"], second["kind"]) == ("iterator", "callable") and first["$handle"] != second["$handle"]
    assert table.get(second["$handle"]) is len
    table.release(second["$handle"])
    with pytest.raises(wire.UnknownHandle):
        table.get(second["$handle"])
    with pytest.raises(wire.UnknownHandle):
        table.get("not a number")


def test_messages_over_the_size_limit_are_refused_at_both_ends(monkeypatch):
    monkeypatch.setattr(wire, "MAX_MESSAGE_BYTES", 100)
    with pytest.raises(wire.WireError, match="exceeds"):
        wire.write_message(io.BytesIO(), {"op": "reply", "value": "x" * 200})
    framed = io.BytesIO()
    body = json.dumps({"op": "reply", "value": "x" * 200}).encode()
    framed.write(wire.HEADER.pack(len(body)) + body)
    framed.seek(0)
    with pytest.raises(wire.WireError, match="exceeds"):
        wire.read_message(framed, max_bytes=100)


def test_nesting_deeper_than_the_limit_is_refused_when_encoding():
    nested = []
    for _ in range(wire.MAX_DEPTH + 5):
        nested = [nested, 1.5j]
    with pytest.raises(wire.WireError, match="nested"):
        wire.encode(nested, lambda obj: {"$handle": 1, "kind": "object", "type": "complex"})
