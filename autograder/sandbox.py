"""A sandbox for one submission: bubblewrap namespaces, resource limits, and a runner to talk to.

The sandboxed process tree sees the system libraries and the Python environment
read-only, a private in-memory copy of the submission's files, an empty /tmp, and
nothing else: no course files, no other students, no gradebook, no home directory.
It has its own PID and network namespaces (no network, not even the host's
loopback), a clean environment, and rlimits on CPU time, memory, processes and file
size. Killing it kills everything it started, however it daemonized.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

RUNNER_DIR = Path(__file__).resolve().parent / "sandbox_side"
INSIDE_RUNNER_DIR = "/opt/grader"
INSIDE_HOME = "/home/student"
INSIDE_FILES = "/submission"
SANDBOX_UID_BASE = 61000  # uids for sandboxes when the grader runs as root: one per worker slot


class SandboxUnavailable(RuntimeError):
    """This machine cannot sandbox student code; the message says why."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission; every field can be overridden from the CLI."""

    cell_seconds: float = 60.0  # wall time for one cell or one call into student code
    submission_seconds: float = 600.0  # wall time for the whole submission
    cpu_seconds: int = 600  # CPU time per process (RLIMIT_CPU)
    memory_bytes: int = 4 << 30  # address space per process (RLIMIT_AS)
    processes: int = 64  # processes and threads of the sandbox uid (RLIMIT_NPROC)
    disk_bytes: int = 256 << 20  # size of each writable tmpfs (home and /tmp)
    output_bytes: int = 64 << 10  # printed output kept per cell


def find_bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap); "
            "refusing to run student code unsandboxed. Pass --unsafe-no-sandbox to grade anyway."
        )
    return path


def readonly_system_binds() -> list[str]:
    """System libraries, the interpreter and the Python environment, read-only."""
    args = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    for etc in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/alternatives"):
        if os.path.exists(etc):
            args += ["--ro-bind", etc, etc]
    for prefix in sorted({sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parent.parent)}):
        args += [*traversable_parents(prefix), "--ro-bind", prefix, prefix]
    return args


def gpu_device_binds() -> list[str]:
    """NVIDIA's device files, where the grading machine has them, so GPU assignments run compiled.

    Only the device nodes the CUDA driver opens (``/dev/nvidia*``, ``/dev/nvidia-caps``); the
    driver's libraries are already under the read-only ``/usr``. Nothing else of the host
    becomes visible, and a machine without a GPU adds nothing.
    """
    args = []
    for path in sorted(Path("/dev").glob("nvidia*")):
        args += ["--dev-bind", str(path), str(path)]
    return args


def traversable_parents(path: str) -> list[str]:
    """Create a mount point's missing parents as 0755: bubblewrap would make them 0700, root-only."""
    args = []
    for parent in reversed(Path(path).parents[:-1]):  # from the top, without "/"
        if str(parent) not in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/tmp", "/home", "/dev"):
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def environment(limits: Limits, uid: int | None) -> dict[str, str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": INSIDE_HOME,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "MPLBACKEND": "Agg",
        "MALLOC_ARENA_MAX": "2",  # glibc reserves 64 MiB of address space per arena otherwise
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "AUTOGRADER_OUTPUT_LIMIT": str(limits.output_bytes),
    }
    if uid is not None:
        env["AUTOGRADER_SANDBOX_UID"] = str(uid)
    return env


def bwrap_command(files: Path, limits: Limits, uid: int | None, info_fd: int) -> list[str]:
    """The full bubblewrap command line for one runner."""
    privileged = os.geteuid() == 0
    namespaces = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not privileged:
        namespaces.insert(0, "--unshare-user")
    # --as-pid-1: the runner is the namespace's init, so SIGINT reaches it, and its death ends the namespace
    args = [
        find_bwrap(),
        *namespaces,
        "--die-with-parent",
        "--new-session",
        "--as-pid-1",
        "--clearenv",
        "--info-fd",
        str(info_fd),
    ]
    # Writable in-memory mounts first: a read-only bind below may live under one of them
    # (a virtual environment under /tmp, say), and must be mounted on top, not hidden.
    args += ["--proc", "/proc", "--dev", "/dev", *gpu_device_binds()]
    # multiprocessing's locks and queues live in /dev/shm
    args += ["--size", str(limits.disk_bytes), "--perms", "1777", "--tmpfs", "/dev/shm"]
    args += ["--size", str(limits.disk_bytes), "--perms", "1777", "--tmpfs", "/tmp"]
    args += [
        *traversable_parents(INSIDE_HOME),
        "--size",
        str(limits.disk_bytes),
        "--perms",
        "0755",
        "--tmpfs",
        INSIDE_HOME,
    ]
    args += readonly_system_binds()
    args += ["--ro-bind", str(files), INSIDE_FILES]
    args += [*traversable_parents(INSIDE_RUNNER_DIR), "--ro-bind", str(RUNNER_DIR), INSIDE_RUNNER_DIR]
    args += ["--chdir", INSIDE_HOME]
    for key, value in environment(limits, uid).items():
        args += ["--setenv", key, value]
    # -E -s: ignore PYTHON* variables and the user site; the runner's folder is on sys.path
    args += [sys.executable, "-E", "-s", f"{INSIDE_RUNNER_DIR}/runner.py"]
    return args


def processes_of(uid: int) -> int:
    """How many processes and threads a uid runs now (RLIMIT_NPROC counts them all)."""
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue
    return count


def apply_rlimits(limits: Limits, process_allowance: int):
    """rlimits for the sandbox, set in the child between fork and exec."""

    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds))
        resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.disk_bytes, limits.disk_bytes))
        resource.setrlimit(resource.RLIMIT_NPROC, (process_allowance, process_allowance))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return preexec


class SandboxProcess:
    """One sandboxed runner process: its pipes, its host pid, and a kill switch for the whole tree."""

    def __init__(self, files: Path, limits: Limits, slot: int = 0):
        self.limits = limits
        privileged = os.geteuid() == 0
        # Root is exempt from RLIMIT_NPROC, so a privileged sandbox drops to a uid of its own;
        # otherwise the limit counts the grader's own processes too and must allow for them.
        self.uid = SANDBOX_UID_BASE + slot if privileged else None
        allowance = limits.processes if privileged else limits.processes + processes_of(os.getuid())
        info_read, info_write = os.pipe()
        try:
            self.process = subprocess.Popen(
                bwrap_command(files, limits, self.uid, info_write),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={},
                pass_fds=(info_write,),
                preexec_fn=apply_rlimits(limits, allowance),
                start_new_session=True,
            )
        finally:
            os.close(info_write)
        with os.fdopen(info_read, "rb") as info:
            raw = info.read()
        self.child_pid = json.loads(raw)["child-pid"] if raw else None

    @property
    def reader(self):
        return self.process.stdout

    @property
    def writer(self):
        return self.process.stdin

    def interrupt(self) -> None:
        """SIGINT to the runner, so a long call in student code can return an error."""
        if self.child_pid and self.process.poll() is None:
            try:
                os.kill(self.child_pid, signal.SIGINT)
            except ProcessLookupError:
                pass

    def rss_bytes(self) -> int:
        """Resident memory of the runner process, read from outside the sandbox."""
        try:
            with open(f"/proc/{self.child_pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, TypeError):
            pass
        return 0

    def kill(self) -> None:
        """Kill the runner, the init of its PID namespace, so everything in the namespace dies; then bubblewrap."""
        if self.child_pid:
            try:
                os.kill(self.child_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
