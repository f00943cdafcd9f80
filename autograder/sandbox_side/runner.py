"""The sandboxed runner: executes a student's cells and answers calls, over stdin/stdout.

Started by :mod:`autograder.sandbox` inside the sandbox as ``python runner.py``; it
imports only the standard library and its sibling ``wire``. It decides nothing: it
runs what it is sent and reports plain data, and the trusted grader decides scores.
Student code runs in this process, so everything here is assumed to be tampered
with; nothing the trusted side does depends on this file behaving.
"""

from __future__ import annotations

import collections
import importlib
import io
import itertools
import linecache
import os
import shutil
import signal
import sys
import traceback
import types

import wire
from wire import Op

OUTPUT_LIMIT = int(os.environ.get("AUTOGRADER_OUTPUT_LIMIT", "65536"))


class CappedText(io.TextIOBase):
    """A text sink that keeps the first ``limit`` characters and counts the rest."""

    def __init__(self, limit: int):
        self.limit, self.parts, self.kept, self.dropped = limit, [], 0, 0

    def writable(self) -> bool:
        return True

    def write(self, text) -> int:
        text = str(text)
        room = self.limit - self.kept
        self.parts.append(text[:room])
        self.kept += min(room, len(text))
        self.dropped += max(0, len(text) - room)
        return len(text)

    def value(self) -> str:
        note = f"\n... [{self.dropped} more characters of output dropped]\n" if self.dropped else ""
        return "".join(self.parts) + note


class Connection:
    """Requests and replies in both directions over a pair of byte streams (protocol: :mod:`wire`)."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer
        self.handles = wire.HandleTable()

    # -- handles: objects that stay here and are used remotely by id
    def make_handle(self, obj) -> dict:
        if isinstance(obj, RemoteRef) and obj._connection is self:
            return {"$ref": obj._handle}  # the grader's own object, going home
        return self.handles.add(obj)

    def resolve_remote(self, handle: int, kind: str, type_name: str):
        return RemoteRef(self, handle, kind, type_name)

    def encode(self, value):
        return wire.encode(value, self.make_handle)

    def decode(self, data):
        return wire.decode(data, self.resolve_remote, resolve_ref=self.handles.get)

    # -- messages
    def send(self, message: dict) -> None:
        try:
            wire.write_message(self.writer, message)
        except wire.WireError as exc:  # too large to send: say so instead
            wire.write_message(self.writer, wire.grader_failure(f"the reply could not be sent: {exc}"))

    def request(self, message: dict):
        """Ask the trusted side for something (a callback) and wait for its reply."""
        self.send(message)
        return self.wait_for_reply()

    def wait_for_reply(self) -> dict:
        while True:
            message = wire.read_message(self.reader)
            if message.get("op") == Op.REPLY:
                return message
            self.send(self.handle(message))

    def serve(self) -> None:
        while True:
            try:
                message = wire.read_message(self.reader)
            except EOFError:
                return
            if message.get("op") == Op.EXIT:
                return
            self.send(self.handle(message))

    def handle(self, message: dict) -> dict:
        op = message.get("op")
        try:
            if op == Op.RUN_CELL:
                return run_cell(message["source"], message.get("name", "<cell>"))
            if op == Op.IMPORT:
                return captured(lambda: importlib.import_module(str(message["name"])), self.encode)
            if op == Op.LOOKUP:
                name = message["name"]
                if name not in NAMESPACE:
                    return wire.reply(None, missing=True)
                return captured(lambda: NAMESPACE[name], self.encode)
            if op == Op.RELEASE:
                self.handles.release(message["target"])
                return wire.reply(None)
            target = self.handles.get(message.get("target"))
            if op == Op.CALL:
                return self.call(
                    target, self.decode(message.get("args", [])), self.decode(message.get("kwargs", {"$dict": []}))
                )
            if op == Op.GETATTR:
                return captured(lambda: getattr(target, message["name"]), self.encode)
            if op == Op.ITER:
                return captured(lambda: iter(target), self.encode)
            if op == Op.NEXT:
                return captured(lambda: next(target), self.encode)
            if op == Op.CONSUME:
                return captured(lambda: consume(target, int(message["count"])), self.encode)
            return wire.grader_failure(f"unknown operation {op!r}")
        except BaseException as exc:  # noqa: BLE001 (a malformed request: the grader's problem, not the student's)
            return wire.grader_failure(f"the request could not be served: {safe_str(exc)}")

    def call(self, target, args: list, kwargs: dict) -> dict:
        """Call student code; report the result and any argument it changed in place."""
        before = [snapshot(a) for a in args]
        result = captured(lambda: target(*args, **kwargs), self.encode)
        try:
            changed = [
                self.encode(a) if b is not None and differs(a, b) else None for a, b in zip(args, before, strict=True)
            ]
        except BaseException as exc:  # noqa: BLE001
            return wire.grader_failure(f"an argument changed in place could not be sent back: {safe_str(exc)}")
        if any(c is not None for c in changed):
            result["args_after"] = changed
        return result


def snapshot(value):
    """A copy of a mutable argument, to tell afterwards whether student code changed it."""
    if type(value) in (list, dict, set, bytearray):
        return type(value)(value)
    np = wire.imported("numpy")
    if np is not None and isinstance(value, np.ndarray):
        return value.copy()
    return None


def differs(value, before) -> bool:
    np = wire.imported("numpy")
    if np is not None and isinstance(before, np.ndarray):
        return value.shape != before.shape or value.dtype != before.dtype or not np.array_equal(value, before)
    return type(value) is not type(before) or value != before


class RemoteRef:
    """A trusted-side object (an iterator or callable a test passed in), used through callbacks."""

    def __init__(self, connection: Connection, handle: int, kind: str, type_name: str):
        self._connection, self._handle, self._kind, self._type = connection, handle, kind, type_name

    def _ask(self, op: str, **fields):
        answer = self._connection.request({"op": op, "target": self._handle, **fields})
        if answer.get("stop"):
            raise StopIteration
        if not answer.get("ok"):
            error = answer.get("error") or {}
            raise RuntimeError(f"{error.get('ename')}: {error.get('evalue')}")
        return self._connection.decode(answer.get("value"))

    def __iter__(self):
        return self

    def __next__(self):
        return self._ask(Op.NEXT)

    def __call__(self, *args, **kwargs):
        return self._ask(Op.CALL, args=self._connection.encode(list(args)), kwargs=self._connection.encode(kwargs))

    def __repr__(self) -> str:
        return f"<grader's {self._type}>"


def consume(iterator, count: int) -> dict:
    """Advance an iterator by up to ``count`` items here, returning how many it took and the last one."""
    last = collections.deque(zip(itertools.count(1), itertools.islice(iterator, count)), maxlen=1)
    taken, item = last[0] if last else (0, None)
    return {"taken": taken, "last": item}


def describe(exc: BaseException) -> dict:
    """An exception as data: its name, message, builtin base classes and the student's traceback."""
    bases = [c.__name__ for c in type(exc).__mro__ if c.__module__ == "builtins"]
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if not f.filename.endswith(("runner.py", "wire.py"))]
    lines = traceback.format_list(frames)
    return {"ename": type(exc).__name__, "evalue": safe_str(exc)[:4000], "bases": bases, "traceback": lines[-30:]}


def safe_str(obj) -> str:
    try:
        return str(obj)
    except BaseException:  # noqa: BLE001
        return f"<unprintable {type(obj).__name__}>"


class StudentCodeRunning:
    """Marks where student code runs: the grader's interrupt stops it there, and only there.

    The grader sends SIGINT when a call overruns. It can arrive just after the call has
    returned, while this runner is sending the reply or waiting for the next request;
    Python's default handler would then kill the runner and the connection with it.
    """

    depth = 0

    def __enter__(self):
        StudentCodeRunning.depth += 1

    def __exit__(self, *exc_info):
        StudentCodeRunning.depth -= 1


def on_interrupt(signum, frame) -> None:
    if StudentCodeRunning.depth > 0:
        raise KeyboardInterrupt


def captured(action, encode=None) -> dict:
    """Run student code with its prints captured; the reply carries the (encoded) value or the error.

    An exception from the student's code is the student's answer; a value that cannot be
    encoded is not, and is reported as a grader failure that no test can mistake for one.
    """
    out, err = CappedText(OUTPUT_LIMIT), CappedText(OUTPUT_LIMIT)
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        with StudentCodeRunning():
            value = action()
    except StopIteration:
        result = wire.stopped()
    except BaseException as exc:  # noqa: BLE001
        result = wire.failure(describe(exc))
    else:
        try:
            result = wire.reply(encode(value) if encode is not None else value)
        except BaseException as exc:  # noqa: BLE001
            result = wire.grader_failure(f"the value could not be sent: {safe_str(exc)[:300]}")
    finally:
        sys.stdout, sys.stderr = saved
    result["stdout"], result["stderr"] = out.value(), err.value()
    return result


def without_magics(source: str) -> str:
    """Notebook magics (``%matplotlib``, ``!pip``) mean nothing when grading; keep them as comments."""
    return "\n".join("# " + line if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def run_cell(source: str, name: str) -> dict:
    code = without_magics(source)
    # As IPython does: the cell's text under its name, for tracebacks and for tools that read
    # a function's source (inspect.getsource; Triton compiles kernels from it).
    linecache.cache[name] = (len(code), None, code.splitlines(keepends=True), name)

    def execute():
        exec(compile(code, name, "exec"), NAMESPACE)  # noqa: S102 (running student code is the point)

    return captured(execute)


# Like a Jupyter kernel, student code runs in a module registered as __main__ (installed by
# main()), so functions it defines pickle by reference into forked worker processes.
MAIN = types.ModuleType("__main__")
NAMESPACE: dict = MAIN.__dict__
NAMESPACE["__builtins__"] = __builtins__


def take_over_standard_streams():
    """Keep the protocol on private descriptors; point 0, 1 and 2 where student code cannot confuse it."""
    reader = os.fdopen(os.dup(0), "rb", buffering=0)
    writer = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    stray = os.open("/tmp/.stray-output", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(devnull, 0)
    os.dup2(stray, 1)
    os.dup2(stray, 2)
    return reader, writer


def settle_in(files: str = "/submission") -> None:
    """Copy the submission's files into the private home, then, if root, become the sandbox uid."""
    shutil.copytree(files, os.getcwd(), dirs_exist_ok=True)
    uid = os.environ.pop("AUTOGRADER_SANDBOX_UID", "")
    if uid and os.getuid() == 0:
        for folder, dirs, names in os.walk(os.getcwd()):
            for path in [folder, *(os.path.join(folder, n) for n in dirs + names)]:
                os.lchown(path, int(uid), int(uid))
        os.setgroups([])
        os.setgid(int(uid))
        os.setuid(int(uid))


def main() -> None:
    # Past the file-size limit, a write should fail with an error, not kill the runner.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    signal.signal(signal.SIGINT, on_interrupt)
    settle_in()
    sys.modules["__main__"] = MAIN
    sys.path.insert(0, "")  # like a notebook kernel: the submission's own modules are importable
    reader, writer = take_over_standard_streams()
    connection = Connection(reader, writer)
    connection.send(wire.reply(Op.READY))
    connection.serve()
    os._exit(0)


if __name__ == "__main__":
    main()
