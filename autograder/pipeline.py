"""Grading many submissions: sandboxed runs in parallel workers, gradebook writes in one place.

A :class:`SubmissionJob` carries everything a worker needs as bytes (the source
assignment and one student's files), so the same job runs in this process, in a
local process pool (``--workers N``), or on a Dask cluster (``--scheduler ADDRESS``).
Workers return executed notebooks; the coordinating process records each one through
nbgrader (:mod:`autograder.gradebook`) as it arrives, while the other workers go on,
so only the coordinator ever writes the gradebook.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .course import HIDDEN_TESTS_MODULE
from .sandbox import Limits
from .trusted import execute_submission

MAX_FILE_BYTES = 64 << 20
MAX_FILES = 1000


@dataclass(frozen=True)
class SubmissionJob:
    student: str
    assignment: str
    source: dict[str, bytes]  # solutions/<assignment>/, relative path -> content
    submission: dict[str, bytes]  # submitted/<student>/<assignment>/, relative path -> content
    limits: Limits


@dataclass
class SubmissionRun:
    student: str
    notebooks: dict[str, str] = field(default_factory=dict)  # notebook name -> executed notebook JSON
    problems: dict[str, str] = field(default_factory=dict)  # notebook name -> why it did not run
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def read_folder(folder: Path) -> dict[str, bytes]:
    """Regular files under a folder (no links), by relative path, within size and count limits."""
    files: dict[str, bytes] = {}
    if not folder.is_dir():
        return files
    for path in sorted(folder.rglob("*")):
        if len(files) >= MAX_FILES:
            break
        if path.is_symlink() or not path.is_file() or "__pycache__" in path.parts or ".ipynb_checkpoints" in path.parts:
            continue
        if path.stat().st_size <= MAX_FILE_BYTES:
            files[path.relative_to(folder).as_posix()] = path.read_bytes()
    return files


def write_folder(files: dict[str, bytes], folder: Path, skip=lambda name: False) -> Path:
    for name, content in files.items():
        if skip(name) or name.startswith("/") or ".." in Path(name).parts:
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return folder


_materialized: dict[str, Path] = {}


def materialize_source(job: SubmissionJob) -> Path:
    """The source assignment as a folder in this worker, written once per distinct content."""
    digest = hashlib.sha256()
    for name in sorted(job.source):
        digest.update(name.encode() + b"\0" + job.source[name] + b"\0")
    key = digest.hexdigest()
    if key not in _materialized:
        root = Path(tempfile.mkdtemp(prefix="autograder-source-")) / job.assignment
        _materialized[key] = write_folder(job.source, root)
    return _materialized[key]


def run_job(job: SubmissionJob, slot: int | None = None) -> SubmissionRun:
    """Run one submission's notebooks in a sandbox (in whichever process this is called)."""
    start = time.perf_counter()
    run = SubmissionRun(job.student)
    source_dir = materialize_source(job)
    files = Path(tempfile.mkdtemp(prefix="autograder-files-"))
    try:
        # As nbgrader does: the student's files, then the instructor's helper files over them.
        not_for_sandbox = lambda n: n.endswith(".ipynb") or Path(n).name == HIDDEN_TESTS_MODULE  # noqa: E731
        write_folder(job.submission, files, skip=not_for_sandbox)
        write_folder(job.source, files, skip=not_for_sandbox)
        for source_notebook in sorted(source_dir.glob("*.ipynb")):
            name = source_notebook.stem
            raw = job.submission.get(source_notebook.name)
            if raw is None:
                continue  # nbgrader scores a missing notebook as zero by itself
            try:
                submitted = nbformat.reads(raw.decode("utf-8"), as_version=4)
            except Exception as exc:  # any unreadable notebook: nbgrader reports it when it tries too
                run.problems[name] = f"{type(exc).__name__}: {exc}"[:300]
                continue
            executed = execute_submission(source_notebook, submitted, files, job.limits, slot=worker_slot(slot))
            for note in executed.metadata.get("autograder", {}).get("sandbox_notes", []):
                run.notes.append(f"{name}: {note}")
            run.notebooks[name] = nbformat.writes(executed)
    finally:
        shutil.rmtree(files, ignore_errors=True)
    run.seconds = time.perf_counter() - start
    return run


# ----------------------------------------------------------------- workers

_slot: int = 0


def worker_slot(explicit: int | None) -> int:
    return _slot if explicit is None else explicit


def _claim_slot(counter) -> None:
    """Process-pool initializer: a distinct slot (and so sandbox uid) for each worker process."""
    global _slot
    with counter.get_lock():
        _slot = counter.value
        counter.value += 1


def run_jobs(jobs: list[SubmissionJob], *, workers: int = 1, scheduler: str | None = None) -> Iterator[SubmissionRun]:
    """Run jobs here, in a local process pool, or on a Dask cluster; yields runs as they finish."""
    if scheduler:
        yield from _run_on_dask(jobs, scheduler)
    elif workers <= 1:
        for job in jobs:
            yield run_job(job)
    else:
        context = multiprocessing.get_context("fork")
        counter = context.Value("i", 0)
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_claim_slot, initargs=(counter,)) as pool:
            futures = [pool.submit(run_job, job) for job in jobs]
            for future in as_completed(futures):
                yield future.result()


def _run_on_dask(jobs: list[SubmissionJob], address: str) -> Iterator[SubmissionRun]:
    from dask.distributed import Client
    from dask.distributed import as_completed as dask_completed

    with Client(address) as client:
        futures = [client.submit(run_job, job, slot=i % 512, pure=False) for i, job in enumerate(jobs)]
        for future in dask_completed(futures):
            yield future.result()
