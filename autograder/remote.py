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
import json
import os
import select
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .sandbox import Limits, SandboxProcess, SandboxUnavailable, find_bwrap
from .sandbox_side import wire
from .sandbox_side.wire import Op

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


class GraderError(BaseException):
    """The grader could not complete a request to the student's process.

    Never the student's own exception, and no test can expect it: it derives from
    BaseException only, so neither ``except ValueError`` nor ``except Exception`` in a test
    catches it. It fails the test cell, and its message says what went wrong.
    """


class SandboxFailure(GraderError):
    """The sandbox stopped answering (it died, timed out, or broke the protocol)."""


class StudentTimeout(SandboxFailure):
    """Student code ran past its wall-time limit and was stopped."""


class WireFailure(GraderError):
    """A value or request could not cross the sandbox boundary (too deep, too large, malformed)."""


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
        if size > wire.MAX_MESSAGE_BYTES:
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

    def __init__(self, process: SandboxProcess, limits: Limits, submission_deadline: float | None = None):
        self.process, self.limits = process, limits
        self.frames = FrameReader(process.reader.fileno())
        self.trusted = wire.HandleTable()  # objects of ours that student code may call back
        self.dead: str | None = None
        self.printed: list[str] = []  # student output during calls, shown in the test cell
        self.submission_deadline = submission_deadline or time.monotonic() + limits.submission_seconds
        self.call_deadline: float | None = None
        self.callback_error: Exception | None = None
        first = self._wait(time.monotonic() + START_SECONDS)
        if first.get("value") != Op.READY:
            raise SandboxFailure("the sandbox did not start")

    # -- what test helpers (autograder.testing) ask of the session
    @contextmanager
    def deadline(self, seconds: float):
        """Calls into student code inside this block must finish within ``seconds`` in all."""
        previous = self.call_deadline
        self.call_deadline = time.monotonic() + seconds
        try:
            yield
        finally:
            self.call_deadline = previous

    def student_rss_bytes(self) -> int:
        """Resident memory of the process that runs student code."""
        return self.process.rss_bytes()

    # -- plumbing
    def _send(self, message: dict) -> None:
        try:
            wire.write_message(self.process.writer, message)
        except wire.WireError as exc:
            raise WireFailure(f"a request to student code could not be sent: {exc}") from None
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
            if message.get("op") == Op.REPLY:
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
        if "grader_error" in reply:
            raise WireFailure(f"the grader could not complete a call into student code: {reply['grader_error']}")
        if reply.get("stop"):
            raise StopIteration
        if not reply.get("ok"):
            raise student_exception(reply.get("error") or {})
        return self.decode(reply.get("value"))

    # -- codec with handles on both sides
    def _trusted_handle(self, obj) -> dict:
        if isinstance(obj, RemoteObject) and obj._session is self:
            return {"$ref": obj._handle}  # a student object, going back to the sandbox it lives in
        return self.trusted.add(obj)

    def encode(self, value):
        try:
            return wire.encode(value, self._trusted_handle)
        except wire.WireError as exc:
            raise WireFailure(f"a test's argument could not be sent to student code: {exc}") from None

    def decode(self, data):
        """Plain data from the sandbox; anything malformed is the grader's failure, never the student's error."""
        try:
            return wire.decode(
                data,
                lambda handle, kind, type_name: RemoteObject(self, handle, kind, type_name),
                resolve_ref=self.trusted.get,
            )
        except Exception as exc:
            raise WireFailure(f"a value from student code could not be received: {exc}") from None

    def _callback(self, message: dict) -> dict:
        """Serve the runner's request on one of our objects (an iterator or callable a test passed)."""
        try:
            target = self.trusted.get(message.get("target"))
            if message.get("op") == Op.NEXT:
                value = next(target)
            elif message.get("op") == Op.CALL:
                value = target(
                    *self.decode(message.get("args", [])), **self.decode(message.get("kwargs", {"$dict": []}))
                )
            else:
                raise ValueError(f"unknown callback {message.get('op')!r}")
            return wire.reply(self.encode(value))
        except StopIteration:
            return wire.stopped()
        except (Exception, GraderError) as exc:  # the trusted object failed (an AssertionError from a guard, say)
            self.callback_error = exc
            return wire.failure({"ename": type(exc).__name__, "evalue": str(exc)})

    # -- operations
    def run_cell(self, source: str, name: str) -> dict:
        return self.request({"op": Op.RUN_CELL, "source": source, "name": name})

    def lookup(self, name: str):
        reply = self.request({"op": Op.LOOKUP, "name": name})
        if reply.get("missing"):
            raise KeyError(name)
        return self._answer(reply)

    def import_module(self, name: str):
        """A module imported inside the sandbox (an assignment's helper module, say), as a proxy."""
        return self._answer(self.request({"op": Op.IMPORT, "name": name}))

    def call(self, handle: int, args: tuple, kwargs: dict):
        message = {"op": Op.CALL, "target": handle, "args": self.encode(list(args)), "kwargs": self.encode(kwargs)}
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
        except (Exception, GraderError):
            if self.callback_error is not None:  # a test's own guard fired inside a callback: report that
                raise self.callback_error from None
            raise

    def close(self) -> None:
        if not self.dead:
            try:
                wire.write_message(self.process.writer, {"op": Op.EXIT})
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
        return self if self._kind == "iterator" else self._session.operate(Op.ITER, self._handle)

    def __next__(self):
        return self._session.operate(Op.NEXT, self._handle)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._session.operate(Op.GETATTR, self._handle, name=name)

    def __remote_consume__(self, count: int) -> dict:
        """Advance this iterator by ``count`` items inside the sandbox: {"taken": n, "last": item}."""
        return self._session.operate(Op.CONSUME, self._handle, count=count)

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

    def use(self, session: Session) -> None:
        """Look student names up in this session from now on (a restarted sandbox, say)."""
        if session is not self.session:
            self.session = session
            self.forget_student_names()


def ensure_sandbox_works(limits: Limits) -> None:
    """Start one empty sandbox and greet its runner, or raise SandboxUnavailable saying why not."""
    find_bwrap()
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as empty:
        try:
            process = SandboxProcess(Path(empty), limits)
        except OSError as exc:
            raise SandboxUnavailable(f"bubblewrap could not be started: {exc}") from exc
        try:
            Session(process, limits).close()
        except (Exception, GraderError) as exc:
            process.kill()
            raise SandboxUnavailable(
                "bubblewrap could not create a sandbox on this machine (are user namespaces disabled?): "
                f"{exc}. Pass --unsafe-no-sandbox to grade without one."
            ) from exc
