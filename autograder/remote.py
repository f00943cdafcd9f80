"""The trusted side of the sandbox connection: calls into student code that return plain data.

A :class:`Session` drives one sandboxed runner. Tests reach student code through
:class:`StudentNamespace`: looking up a name the test did not define fetches the
student's value, as plain data, or as a :class:`RemoteObject` for functions, classes,
instances and generators, whose calls go back into the sandbox. Every answer is
decoded by :mod:`wire` into fresh NumPy/PyTorch/builtin values, so nothing the
student wrote runs here; exceptions come back as builtin exception types.
"""

from __future__ import annotations

import builtins
import itertools
import json
import os
import select
import time

import numpy as np

from .sandbox import Limits, SandboxProcess
from .sandbox_side import wire

MAX_REPLY_BYTES = 512 * 1024 * 1024
INTERRUPT_GRACE_SECONDS = 2.0
START_SECONDS = 30.0

# Exceptions that student code may raise and tests may catch by type; anything else arrives
# as StudentException (BaseException subclasses such as SystemExit included).
CATCHABLE = {
    cls.__name__: cls
    for cls in (
        ArithmeticError, AssertionError, AttributeError, EOFError, FloatingPointError, IndexError, KeyError,
        LookupError, MemoryError, NameError, NotImplementedError, OverflowError, RecursionError, RuntimeError,
        TypeError, UnicodeError, ValueError, ZeroDivisionError, OSError, TimeoutError,
    )
}  # fmt: skip


class SandboxFailure(Exception):
    """The sandbox stopped answering (it died, timed out, or broke the protocol)."""


class StudentTimeout(SandboxFailure):
    """Student code ran past its wall-time limit and was stopped."""


class StudentException(Exception):
    """Student code raised an exception that tests cannot catch by type."""


def student_exception(error: dict) -> Exception:
    name, message = str(error.get("ename", "Exception")), str(error.get("evalue", ""))
    for base in error.get("bases", []):
        if base in CATCHABLE:
            exc = CATCHABLE[base](message)
            break
    else:
        exc = StudentException(f"{name}: {message}" if message else name)
    exc.student_traceback = [str(line) for line in error.get("traceback", [])][-30:]
    exc.student_type = name
    return exc


class FrameReader:
    """Reads length-prefixed messages from a pipe, giving up at a deadline."""

    def __init__(self, fd: int):
        self.fd, self.buffer = fd, b""

    def _fill(self, size: int, deadline: float) -> None:
        while len(self.buffer) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                raise TimeoutError
            chunk = os.read(self.fd, max(size - len(self.buffer), 1 << 16))
            if not chunk:
                raise EOFError
            self.buffer += chunk

    def read(self, deadline: float) -> dict:
        self._fill(wire.HEADER.size, deadline)
        (size,) = wire.HEADER.unpack(self.buffer[: wire.HEADER.size])
        if size > MAX_REPLY_BYTES:
            raise wire.WireError(f"a reply of {size} bytes exceeds the limit")
        self._fill(wire.HEADER.size + size, deadline)
        body = self.buffer[wire.HEADER.size : wire.HEADER.size + size]
        self.buffer = self.buffer[wire.HEADER.size + size :]
        message = json.loads(body)
        if type(message) is not dict:
            raise wire.WireError("a message must be a JSON object")
        return message


class Session:
    """One sandboxed runner and the trusted objects it may call back into."""

    def __init__(self, process: SandboxProcess, limits: Limits):
        self.process, self.limits = process, limits
        self.frames = FrameReader(process.reader.fileno())
        self.trusted_objects: dict[int, object] = {}
        self.ids = itertools.count(1)
        self.dead: str | None = None
        self.printed: list[str] = []  # student output during calls, shown in the test cell
        self.submission_deadline = time.monotonic() + limits.submission_seconds
        self.call_deadline: float | None = None
        self.callback_error: Exception | None = None
        first = self._wait(time.monotonic() + START_SECONDS)
        if first.get("value") != "ready":
            raise SandboxFailure("the sandbox did not start")

    # -- plumbing
    def _send(self, message: dict) -> None:
        try:
            wire.write_message(self.process.writer, message)
        except (BrokenPipeError, OSError) as exc:
            self._die("the sandbox closed its connection")
            raise SandboxFailure(self.dead) from exc

    def _die(self, why: str) -> None:
        if self.dead is None:
            self.dead = why
        self.process.kill()

    def _deadline(self) -> float:
        cell = time.monotonic() + self.limits.cell_seconds
        return min(cell, self.submission_deadline, self.call_deadline or cell)

    def _wait(self, deadline: float) -> dict:
        """Wait for the reply to our request, serving the runner's callbacks meanwhile."""
        while True:
            try:
                message = self.frames.read(deadline)
            except TimeoutError:
                raise StudentTimeout("timed out") from None
            except EOFError:
                self._die("student code ended the sandbox process (an exit, a crash, or the memory limit)")
                raise SandboxFailure(self.dead) from None
            except (wire.WireError, ValueError) as exc:
                self._die(f"the sandbox broke the protocol ({exc})")
                raise SandboxFailure(self.dead) from None
            if message.get("op") == "reply":
                return message
            self._send(self._callback(message))

    def request(self, message: dict) -> dict:
        """Send a request and return its reply; stop student code that overruns or is interrupted."""
        if self.dead:
            raise SandboxFailure(self.dead)
        self._send(message)
        try:
            return self._wait(self._deadline())
        except StudentTimeout:
            self._interrupt_or_kill()
            limit = self.limits.cell_seconds
            raise StudentTimeout(f"student code ran longer than the {limit:g} s limit and was stopped") from None
        except BaseException:
            # A trusted test gave up waiting (its own time bound, or Ctrl-C): stop the call too.
            self._interrupt_or_kill()
            raise

    def _interrupt_or_kill(self) -> None:
        if self.dead:
            return
        self.process.interrupt()
        try:
            self._wait(time.monotonic() + INTERRUPT_GRACE_SECONDS)
        except (StudentTimeout, SandboxFailure):
            self._die("student code did not stop when interrupted, so the sandbox was killed")

    def _answer(self, reply: dict):
        for stream in ("stdout", "stderr"):
            if reply.get(stream):
                self.printed.append(str(reply[stream]))
        if reply.get("stop"):
            raise StopIteration
        if not reply.get("ok"):
            raise student_exception(reply.get("error") or {})
        return self.decode(reply.get("value"))

    # -- codec with handles on both sides
    def _trusted_handle(self, obj) -> dict:
        if isinstance(obj, RemoteObject) and obj._session is self:
            return {"$ref": obj._handle}  # a student object, going back to the sandbox it lives in
        handle = next(self.ids)
        self.trusted_objects[handle] = obj
        kind = "iterator" if hasattr(obj, "__next__") else ("callable" if callable(obj) else "object")
        return {"$handle": handle, "kind": kind, "type": type(obj).__name__}

    def encode(self, value):
        return wire.encode(value, self._trusted_handle)

    def decode(self, data):
        return wire.decode(
            data,
            lambda handle, kind, type_name: RemoteObject(self, handle, kind, type_name),
            resolve_ref=self.trusted_objects.__getitem__,
        )

    def _callback(self, message: dict) -> dict:
        """Serve the runner's request on one of our objects (an iterator or callable a test passed)."""
        target = self.trusted_objects.get(int(message.get("target", -1)))
        try:
            if message.get("op") == "next":
                value = next(target)
            elif message.get("op") == "call":
                value = target(
                    *self.decode(message.get("args", [])), **self.decode(message.get("kwargs", {"$dict": []}))
                )
            else:
                raise ValueError(f"unknown callback {message.get('op')!r}")
            return {"op": "reply", "ok": True, "value": self.encode(value)}
        except StopIteration:
            return {"op": "reply", "ok": True, "stop": True, "value": None}
        except Exception as exc:  # the trusted object failed (an AssertionError from a guard, say)
            self.callback_error = exc
            return {"op": "reply", "ok": False, "error": {"ename": type(exc).__name__, "evalue": str(exc)}}

    # -- operations
    def run_cell(self, source: str, name: str) -> dict:
        return self.request({"op": "run_cell", "source": source, "name": name})

    def lookup(self, name: str):
        reply = self.request({"op": "lookup", "name": name})
        if reply.get("missing"):
            raise KeyError(name)
        return self._answer(reply)

    def import_module(self, name: str):
        """A module imported inside the sandbox (an assignment's helper module, say), as a proxy."""
        return self._answer(self.request({"op": "import", "name": name}))

    def call(self, handle: int, args: tuple, kwargs: dict):
        message = {"op": "call", "target": handle, "args": self.encode(list(args)), "kwargs": self.encode(kwargs)}
        return self._exchange(message, args)

    def operate(self, op: str, handle: int, **fields):
        return self._exchange({"op": op, "target": handle, **fields})

    def _exchange(self, message: dict, args: tuple = ()):
        """One request about a student object: its answer, with changed arguments written back."""
        self.callback_error = None
        try:
            reply = self.request(message)
            for original, after in zip(args, reply.get("args_after") or [], strict=False):
                if after is not None:
                    update_in_place(original, self.decode(after))
            return self._answer(reply)
        except StopIteration:
            raise
        except Exception:
            if self.callback_error is not None:  # a test's own guard fired inside a callback: report that
                raise self.callback_error from None
            raise

    def close(self) -> None:
        if not self.dead:
            try:
                wire.write_message(self.process.writer, {"op": "exit"})
            except OSError:
                pass
        self.process.kill()


def update_in_place(original, changed) -> None:
    """Give a test's argument the changes student code made to its copy (calls are by reference)."""
    if type(original) is list and type(changed) is list:
        original[:] = changed
    elif type(original) in (dict, set) and type(changed) is type(original):
        original.clear()
        original.update(changed)
    elif type(original) is bytearray and isinstance(changed, bytes | bytearray):
        original[:] = changed
    elif isinstance(original, np.ndarray) and isinstance(changed, np.ndarray) and original.flags.writeable:
        if original.shape == changed.shape:
            np.copyto(original, changed, casting="unsafe")


class RemoteObject:
    """A student object that stays in the sandbox: calling, iterating or reading it asks the sandbox."""

    __slots__ = ("_session", "_handle", "_kind", "_type")

    def __init__(self, session: Session, handle: int, kind: str, type_name: str):
        self._session, self._handle, self._kind, self._type = session, handle, kind, type_name

    def __call__(self, *args, **kwargs):
        return self._session.call(self._handle, args, kwargs)

    def __iter__(self):
        return self if self._kind == "iterator" else self._session.operate("iter", self._handle)

    def __next__(self):
        return self._session.operate("next", self._handle)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._session.operate("getattr", self._handle, name=name)

    def __remote_consume__(self, count: int) -> dict:
        """Advance this iterator by ``count`` items inside the sandbox: {"taken": n, "last": item}."""
        return self._session.operate("consume", self._handle, count=count)

    def __repr__(self) -> str:
        return f"<student {self._type}>"


class StudentNamespace(dict):
    """Globals for trusted test code: the test's own names and builtins first, then the student's."""

    def __init__(self, session: Session, **trusted):
        super().__init__(trusted)
        self.session = session
        self.fetched: dict[str, object] = {}

    def __missing__(self, name: str):
        # Builtins must win over student names: a student's `max` must never compute a test's expectation.
        if name in builtins.__dict__ or name.startswith("__"):
            raise KeyError(name)
        if name not in self.fetched:
            self.fetched[name] = self.session.lookup(name)
        return self.fetched[name]

    def forget_student_names(self) -> None:
        """Student cells may redefine names between test cells."""
        self.fetched.clear()
