"""Plain data across the sandbox boundary: JSON with a few tagged types, never pickle.

Shared by the trusted grader and the sandboxed runner (which imports it as a top-level
module, so it depends on nothing but the standard library and, lazily, NumPy and PyTorch).

A value is encoded as JSON where JSON can say it exactly, and otherwise as an object
with one tag key:

    {"$tuple": [...]}  {"$list": [...]} (only when needed)  {"$dict": [[key, value], ...]}
    {"$set": [...]}  {"$float": "nan" | "inf" | "-inf"}  {"$bytes": base64}  {"$range": [a, b, c]}
    {"$ndarray": {"dtype", "shape", "data"}}  {"$npscalar": {"dtype", "data"}}
    {"$tensor": {"dtype", "shape", "data"}}
    {"$handle": id, "kind": "callable" | "iterator" | "object", "type": name}
    {"$ref": id}   (an object the *receiving* side handed out earlier, sent back to it)

Anything else becomes a *handle*: a reference that the other side can call or iterate
through the connection, but never reads. Decoding accepts only these forms and builds
every value with trusted constructors, so a decoded value has no behaviour the sender chose.

The protocol on top of the codec is stated at the end of this module, once for both ends:
the operation names (:class:`Op`), the reply builders, the handle table and the size limit.
"""

from __future__ import annotations

import base64
import itertools
import json
import math
import struct
import sys

# dtypes that cross the boundary; object and void dtypes never do
ARRAY_DTYPES = {
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "complex64", "complex128",
}  # fmt: skip
TENSOR_DTYPES = {
    "torch.bool": "bool", "torch.int8": "int8", "torch.int16": "int16", "torch.int32": "int32",
    "torch.int64": "int64", "torch.uint8": "uint8", "torch.float16": "float16",
    "torch.float32": "float32", "torch.float64": "float64", "torch.bfloat16": "bfloat16",
}  # fmt: skip
MAX_DEPTH = 64
MAX_MESSAGE_BYTES = 512 * 1024 * 1024  # one message, either direction
HEADER = struct.Struct(">Q")


class WireError(ValueError):
    """A message that is not valid plain data (too deep, unknown tag, bad dtype, ...)."""


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text) -> bytes:
    if not isinstance(text, str):
        raise WireError("expected base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def imported(name: str):
    """The module ``name`` if it is already fully imported, else None (values of its types cannot exist yet).

    A grading process runs several submissions' tests in threads, and one may be importing
    PyTorch (seconds) while another encodes a value: until that import finishes, the module
    sits in ``sys.modules`` without its attributes (``torch.Tensor``), so it counts as absent.
    """
    module = sys.modules.get(name)
    if module is None or getattr(getattr(module, "__spec__", None), "_initializing", False):
        return None
    return module


def _numpy():
    return imported("numpy")


def _torch():
    return imported("torch")


def encode(value, make_handle=None, depth: int = 0):
    """Encode a value as JSON-able data; unencodable values become handles (or raise)."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int) and not _is_numpy_scalar(value):
        return int(value)
    if isinstance(value, float) and not _is_numpy_scalar(value):
        value = float(value)
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return {"$bytes": _b64(bytes(value))}
    if kind is list:
        if _all_json_scalars(value):  # the common case, a long list of numbers, in one C-speed check
            return value
        return [encode(v, make_handle, depth + 1) for v in value]
    if kind is tuple:
        return {"$tuple": [encode(v, make_handle, depth + 1) for v in value]}
    if kind is dict:
        return {
            "$dict": [[encode(k, make_handle, depth + 1), encode(v, make_handle, depth + 1)] for k, v in value.items()]
        }
    if kind is set or kind is frozenset:
        return {"$set": [encode(v, make_handle, depth + 1) for v in value]}
    if kind is range:
        return {"$range": [value.start, value.stop, value.step]}
    np = _numpy()
    if np is not None and isinstance(value, np.ndarray) and value.dtype.name in ARRAY_DTYPES:
        array = np.ascontiguousarray(value)
        return {"$ndarray": {"dtype": array.dtype.name, "shape": list(array.shape), "data": _b64(array.tobytes())}}
    if np is not None and isinstance(value, np.generic) and value.dtype.name in ARRAY_DTYPES:
        return {"$npscalar": {"dtype": value.dtype.name, "data": _b64(value.tobytes())}}
    torch = _torch()
    if torch is not None and isinstance(value, torch.Tensor) and str(value.dtype) in TENSOR_DTYPES:
        tensor = value.detach().to("cpu").contiguous()
        name = TENSOR_DTYPES[str(value.dtype)]
        raw = tensor.view(torch.int16) if name == "bfloat16" else tensor
        return {"$tensor": {"dtype": name, "shape": list(tensor.shape), "data": _b64(raw.numpy().tobytes())}}
    if make_handle is None:
        raise WireError(f"cannot send a {kind.__name__} as plain data")
    return make_handle(value)


JSON_SCALARS = frozenset({int, str, bool, type(None)})


def _all_json_scalars(values: list) -> bool:
    """True when every item is an exact int, str, bool, None or finite float (JSON says those exactly)."""
    types = set(map(type, values))
    if float in types:
        types.discard(float)
        if not all(map(math.isfinite, (v for v in values if type(v) is float))):
            return False
    return types <= JSON_SCALARS


def _is_numpy_scalar(value) -> bool:
    np = _numpy()
    return np is not None and isinstance(value, np.generic)


def decode(data, resolve_handle=None, depth: int = 0, resolve_ref=None):
    """Decode data made by :func:`encode`, accepting nothing else."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if data is None or type(data) in (bool, int, float, str):
        return data
    if type(data) is list:
        if _all_json_scalars(data):
            return data
        return [decode(v, resolve_handle, depth + 1, resolve_ref) for v in data]
    if type(data) is not dict or len(data) == 0:
        raise WireError(f"unexpected {type(data).__name__} in message")
    if "$ref" in data:
        if resolve_ref is None or set(data) != {"$ref"}:
            raise WireError("unexpected reference")
        return resolve_ref(int(data["$ref"]))
    if "$handle" in data:
        if resolve_handle is None or set(data) != {"$handle", "kind", "type"}:
            raise WireError("unexpected handle")
        return resolve_handle(int(data["$handle"]), str(data["kind"]), str(data["type"]))
    if len(data) != 1:
        raise WireError(f"unknown tagged value {sorted(data)[:3]}")
    ((tag, body),) = data.items()
    items = lambda: [decode(v, resolve_handle, depth + 1, resolve_ref) for v in _as_list(body)]  # noqa: E731
    if tag == "$tuple":
        return tuple(items())
    if tag == "$list":
        return items()
    if tag == "$set":
        return set(items())
    if tag == "$dict":
        pairs = [decode(p, resolve_handle, depth + 1, resolve_ref) for p in _as_list(body)]
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise WireError("bad dict entry")
        return {_hashable(k): v for k, v in pairs}
    if tag == "$float":
        if body not in ("nan", "inf", "-inf"):
            raise WireError("bad float")
        return float(body)
    if tag == "$bytes":
        return _unb64(body)
    if tag == "$range":
        start, stop, step = _as_list(body)
        if not all(type(x) is int for x in (start, stop, step)):
            raise WireError("bad range")
        return range(start, stop, step)
    if tag in ("$ndarray", "$npscalar", "$tensor"):
        return _decode_array(tag, body)
    raise WireError(f"unknown tag {tag!r}")


def _as_list(body) -> list:
    if type(body) is not list:
        raise WireError("expected a list")
    return body


def _hashable(key):
    if isinstance(key, list):
        raise WireError("unhashable dict key")
    return key


def _decode_array(tag: str, body):
    import numpy as np

    if type(body) is not dict:
        raise WireError("bad array")
    dtype = body.get("dtype")
    raw = _unb64(body.get("data"))
    if tag == "$npscalar":
        if dtype not in ARRAY_DTYPES or set(body) != {"dtype", "data"}:
            raise WireError("bad scalar")
        return np.frombuffer(raw, dtype=dtype, count=1)[0]
    shape = body.get("shape")
    if (
        set(body) != {"dtype", "shape", "data"}
        or type(shape) is not list
        or not all(type(s) is int and s >= 0 for s in shape)
    ):
        raise WireError("bad array header")
    if tag == "$ndarray":
        if dtype not in ARRAY_DTYPES:
            raise WireError(f"dtype {dtype!r} cannot cross the boundary")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    import torch

    if dtype not in TENSOR_DTYPES.values():
        raise WireError(f"tensor dtype {dtype!r} cannot cross the boundary")
    if dtype == "bfloat16":
        return torch.from_numpy(np.frombuffer(raw, dtype=np.int16).reshape(shape).copy()).view(torch.bfloat16)
    return torch.from_numpy(np.frombuffer(raw, dtype=dtype).reshape(shape).copy())


# ---------------------------------------------------------------- framing


def write_message(stream, message: dict) -> None:
    """Send one message: an 8-byte big-endian length, then UTF-8 JSON."""
    body = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(body) > MAX_MESSAGE_BYTES:
        raise WireError(f"a message of {len(body)} bytes exceeds the {MAX_MESSAGE_BYTES}-byte limit")
    stream.write(HEADER.pack(len(body)) + body)
    stream.flush()


def read_exactly(stream, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_message(stream, max_bytes: int = MAX_MESSAGE_BYTES) -> dict:
    """Receive one message, refusing anything larger than ``max_bytes``."""
    (size,) = HEADER.unpack(read_exactly(stream, HEADER.size))
    if size > max_bytes:
        raise WireError(f"message of {size} bytes exceeds the {max_bytes}-byte limit")
    message = json.loads(read_exactly(stream, size))
    if type(message) is not dict:
        raise WireError("a message must be a JSON object")
    return message


# ---------------------------------------------------------------- protocol
#
# The grader sends requests (Op.RUN_CELL ... Op.EXIT); the runner answers each with one
# reply. While a request is open the runner may itself ask the grader (Op.NEXT or Op.CALL
# on an object the grader passed in) and waits for that reply first. A reply is
#   {"op": "reply", "ok": true, "value": <encoded>}               a value
#   {"op": "reply", "ok": true, "stop": true, "value": null}      an iterator ended
#   {"op": "reply", "ok": false, "error": {ename, evalue, bases, traceback}}   code raised
#   {"op": "reply", "ok": false, "grader_error": "<why>"}         the request itself failed:
#       a value that cannot be sent, an unknown handle or operation. Never the student's
#       exception: the grader turns it into an error no test can catch by type.


class Op:
    """Operation names, for requests in both directions."""

    READY = "ready"  # the runner's first reply's value
    RUN_CELL = "run_cell"
    LOOKUP = "lookup"
    IMPORT = "import"
    CALL = "call"
    GETATTR = "getattr"
    ITER = "iter"
    NEXT = "next"
    CONSUME = "consume"
    RELEASE = "release"
    EXIT = "exit"
    REPLY = "reply"


def reply(value, **extra) -> dict:
    """A successful answer carrying an already-encoded value."""
    return {"op": Op.REPLY, "ok": True, "value": value, **extra}


def stopped() -> dict:
    """The answer of an iterator that has no more items."""
    return {"op": Op.REPLY, "ok": True, "stop": True, "value": None}


def failure(error: dict) -> dict:
    """The code that was asked for raised: ``error`` describes the exception as data."""
    return {"op": Op.REPLY, "ok": False, "error": error}


def grader_failure(why: str) -> dict:
    """The request itself could not be served (nothing the requested code decided)."""
    return {"op": Op.REPLY, "ok": False, "grader_error": str(why)[:1000]}


class UnknownHandle(WireError):
    """A request named an object this side never handed out (or released)."""


class HandleTable:
    """Objects this side keeps and the other side uses by number."""

    def __init__(self):
        self.objects: dict[int, object] = {}
        self._ids = itertools.count(1)

    def add(self, obj) -> dict:
        handle = next(self._ids)
        self.objects[handle] = obj
        if hasattr(obj, "__next__"):
            kind = "iterator"
        elif callable(obj):
            kind = "callable"
        else:
            kind = "object"
        return {"$handle": handle, "kind": kind, "type": type(obj).__name__}

    def get(self, handle) -> object:
        try:
            return self.objects[int(handle)]
        except (KeyError, TypeError, ValueError):
            raise UnknownHandle(f"no object with handle {handle!r}") from None

    def release(self, handle) -> None:
        self.objects.pop(int(handle), None)
