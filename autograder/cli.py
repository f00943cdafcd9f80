"""The ``autograder`` command: a thin layer over the functions in this package.

    autograder build [ASSIGNMENT ...]          generate the student release and verify it
    autograder grade ASSIGNMENT [--force] [--csv PATH] [--workers N | --scheduler ADDRESS] [limits]
    autograder collect ZIP_OR_DIR ASSIGNMENT   import a learning-management-system download
    autograder report [ASSIGNMENT] [--out DIR]
    autograder feedback ASSIGNMENT
    autograder demo [--workdir DIR]            the whole workflow on a sample class

Every command works on the course in the current folder (or ``--course DIR``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import build as build_module
from . import collect as collect_module
from . import demo as demo_module
from . import feedback as feedback_module
from . import grade as grade_module
from . import report as report_module
from .course import Course, CourseError
from .sandbox import Limits


def run_build(course: Course, args: argparse.Namespace) -> int:
    problems = build_module.build(course, args.assignments or None)
    return 1 if any(problems.values()) else 0


def parse_size(text: str) -> int:
    """'4G', '256M', '64K' or a plain number of bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def limits_from(args: argparse.Namespace) -> Limits:
    defaults = Limits()
    return Limits(
        cell_seconds=args.cell_timeout or defaults.cell_seconds,
        submission_seconds=args.submission_timeout or defaults.submission_seconds,
        cpu_seconds=args.cpu_seconds or defaults.cpu_seconds,
        memory_bytes=parse_size(args.memory) if args.memory else defaults.memory_bytes,
        processes=args.processes or defaults.processes,
        disk_bytes=parse_size(args.disk) if args.disk else defaults.disk_bytes,
        output_bytes=parse_size(args.output) if args.output else defaults.output_bytes,
    )


def run_grade(course: Course, args: argparse.Namespace) -> int:
    if args.unsafe_no_sandbox:
        print("WARNING: grading without a sandbox: student code runs as you, with your files", file=sys.stderr)
    results = grade_module.grade(
        course,
        args.assignment,
        force=args.force,
        workers=args.workers,
        scheduler=args.scheduler,
        limits=limits_from(args),
        sandboxed=not args.unsafe_no_sandbox,
        log=lambda m: print(m, file=sys.stderr),
    )
    print(grade_module.format_table(results))
    if args.csv:
        grade_module.write_csv(results, Path(args.csv))
        print(f"wrote {args.csv}")
    return 0


def run_collect(course: Course, args: argparse.Namespace) -> int:
    imported, unmatched = collect_module.collect(course, Path(args.source), args.assignment)
    print(f"imported {len(imported)} submission(s) into {course.submitted_dir}")
    for name, why in unmatched.items():
        print(f"  not imported: {name}: {why}")
    return 0


def run_report(course: Course, args: argparse.Namespace) -> int:
    assignments = [args.assignment] if args.assignment else course.assignments()
    for assignment in assignments:
        paths = report_module.report(course, assignment, Path(args.out))
        scores = report_module.cell_scores(course, assignment)
        print(
            f"{assignment}: pass rate per test cell\n{report_module.format_pass_rates(report_module.pass_rates(scores))}"
        )
        for kind, path in paths.items():
            print(f"  {kind}: {path}")
    return 0


def run_feedback(course: Course, args: argparse.Namespace) -> int:
    feedback_module.feedback(course, args.assignment)
    return 0


def run_demo(course: Course, args: argparse.Namespace) -> int:
    workdir = Path(args.workdir) if args.workdir else None
    root = demo_module.demo(course, assignment=args.assignment, workdir=workdir)
    print(f"demo course left in {root}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograder", description=__doc__.split("\n")[0])
    p.add_argument("--course", default=".", help="course directory (holds nbgrader_config.py); default: here")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="generate the student release from solutions/ and verify it")
    b.add_argument("assignments", nargs="*", help="assignments to build (default: all)")
    b.set_defaults(run=run_build)

    g = sub.add_parser("grade", help="autograde submitted/<student>/ASSIGNMENT into the gradebook")
    g.add_argument("assignment")
    g.add_argument("--force", action="store_true", help="regrade submissions that were graded before")
    g.add_argument("--csv", help="also write the table to this CSV file")
    g.add_argument("--workers", type=int, default=1, help="grade N submissions at once on this machine")
    g.add_argument("--scheduler", help="address of a Dask scheduler to send the work to (tcp://host:8786)")
    g.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run student code as you, in its own kernel (stock nbgrader); only for code you trust",
    )
    defaults = Limits()
    limits = g.add_argument_group("limits for each submission")
    limits.add_argument(
        "--cell-timeout", type=float, help=f"seconds per cell or call (default {defaults.cell_seconds:g})"
    )
    limits.add_argument(
        "--submission-timeout", type=float, help=f"seconds in all (default {defaults.submission_seconds:g})"
    )
    limits.add_argument("--cpu-seconds", type=int, help=f"CPU seconds per process (default {defaults.cpu_seconds})")
    limits.add_argument("--memory", help="address space per process, e.g. 4G (default 4G)")
    limits.add_argument("--processes", type=int, help=f"processes and threads (default {defaults.processes})")
    limits.add_argument("--disk", help="size of the writable home and /tmp, e.g. 256M (default 256M)")
    limits.add_argument("--output", help="printed output kept per cell, e.g. 64K (default 64K)")
    g.set_defaults(run=run_grade)

    c = sub.add_parser("collect", help="import one-notebook-per-student files (a zip or folder) into submitted/")
    c.add_argument("source", help="a .zip download or a folder of notebooks")
    c.add_argument("assignment")
    c.set_defaults(run=run_collect)

    r = sub.add_parser("report", help="grades CSV, pass rate per test cell, score histogram")
    r.add_argument("assignment", nargs="?", help="default: every assignment")
    r.add_argument("--out", default="reports", help="output folder (default: reports/)")
    r.set_defaults(run=run_report)

    f = sub.add_parser("feedback", help="HTML feedback for each graded student, into feedback/")
    f.add_argument("assignment")
    f.set_defaults(run=run_feedback)

    d = sub.add_parser("demo", help="build, grade a sample class and report, in a scratch course")
    d.add_argument("--assignment", default=demo_module.DEFAULT_ASSIGNMENT)
    d.add_argument("--workdir", help="an empty folder for the scratch course (default: a new temporary one)")
    d.set_defaults(run=run_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(Course(Path(args.course)), args)
    except CourseError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
