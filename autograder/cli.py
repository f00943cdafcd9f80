"""The ``autograder`` command: a thin layer over the functions in this package.

    autograder build [ASSIGNMENT ...]          generate the student release and verify it
    autograder grade ASSIGNMENT [--force] [--csv PATH] [--workers N | --scheduler ADDRESS] [limits]
    autograder collect ZIP_OR_DIR ASSIGNMENT   import a learning-management-system download
    autograder report [ASSIGNMENT] [--out DIR]
    autograder feedback ASSIGNMENT
    autograder demo [--workdir DIR] [--db-url URL]   the whole workflow on a sample class

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
    problems = build_module.build(course, args.assignments or None, verify=not args.no_verify)
    return 1 if any(problems.values()) else 0


SIZE_UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def bytes_in(text: str) -> int:
    """'4G', '256M', '64K' or a plain number of bytes; ValueError for anything else."""
    clean = text.strip().upper().removesuffix("B").removesuffix("I")
    if clean and clean[-1] in SIZE_UNITS:
        return int(float(clean[:-1]) * SIZE_UNITS[clean[-1]])
    return int(clean)


def format_size(size: int) -> str:
    """The inverse of :func:`bytes_in` for whole units: 4294967296 -> '4G'."""
    for unit, factor in sorted(SIZE_UNITS.items(), key=lambda item: -item[1]):
        if size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def positive(convert, what: str):
    """An argparse type: ``convert(text)``, which must be above zero (0 is not "the default")."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {what}: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be above zero, got {text!r}")
        return value

    return parse


parse_size = positive(bytes_in, "a size (examples: 4G, 256M, 64K)")
seconds = positive(float, "a number of seconds")
count = positive(int, "a whole number")


# Each limit flag: (option, Limits field, argparse type, how the default is shown, help).
LIMIT_FLAGS = [
    ("--cell-timeout", "cell_seconds", seconds, "{:g}", "seconds per cell or call"),
    ("--submission-timeout", "submission_seconds", seconds, "{:g}", "seconds for the whole submission"),
    ("--cpu-seconds", "cpu_seconds", count, "{}", "CPU seconds per process"),
    ("--memory", "memory_bytes", parse_size, "size", "address space per process"),
    ("--processes", "processes", count, "{}", "processes and threads"),
    ("--disk", "disk_bytes", parse_size, "size", "size of each of the writable home and /tmp"),
    ("--output", "output_bytes", parse_size, "size", "printed output kept per cell"),
]


def limits_from(args: argparse.Namespace) -> Limits:
    """The limits the flags name; every flag left out keeps :class:`Limits`' own default."""
    chosen = {field: getattr(args, field) for _, field, _, _, _ in LIMIT_FLAGS if getattr(args, field) is not None}
    return Limits(**chosen)


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
    imported, unmatched = collect_module.collect(course, Path(args.source), args.assignment, pattern=args.pattern)
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
    root = demo_module.demo(course, assignment=args.assignment, workdir=workdir, db_url=args.db_url)
    print(f"demo course left in {root}")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograder", description=__doc__.split("\n")[0])
    p.add_argument("--course", default=".", help="course directory (holds nbgrader_config.py); default: here")
    sub = p.add_subparsers(dest="command", required=True)

    b = sub.add_parser("build", help="generate the student release from solutions/ and verify it")
    b.add_argument("assignments", nargs="*", help="assignments to build (default: all)")
    b.add_argument(
        "--no-verify",
        action="store_true",
        help="only generate the release, without grading the reference and the stub (for a release verified before)",
    )
    b.set_defaults(run=run_build)

    g = sub.add_parser("grade", help="autograde submitted/<student>/ASSIGNMENT into the gradebook")
    g.add_argument("assignment")
    g.add_argument("--force", action="store_true", help="regrade submissions that were graded before")
    g.add_argument("--csv", help="also write the table to this CSV file")
    g.add_argument("--workers", type=count, default=1, help="grade N submissions at once on this machine")
    g.add_argument("--scheduler", help="address of a Dask scheduler to send the work to (tcp://host:8786)")
    g.add_argument(
        "--unsafe-no-sandbox",
        action="store_true",
        help="run student code as you, in its own kernel (stock nbgrader); only for code you trust",
    )
    defaults = Limits()
    limits = g.add_argument_group("limits for each submission")
    for flag, field, kind, shown, what in LIMIT_FLAGS:
        default = getattr(defaults, field)
        default_text = format_size(default) if shown == "size" else shown.format(default)
        limits.add_argument(flag, dest=field, type=kind, metavar="N", help=f"{what} (default {default_text})")
    g.set_defaults(run=run_grade)

    c = sub.add_parser("collect", help="import one-notebook-per-student files (a zip or folder) into submitted/")
    c.add_argument("source", help="a .zip download or a folder of notebooks")
    c.add_argument("assignment")
    c.add_argument(
        "--pattern",
        help="regular expression with a (?P<student>...) group that finds the student id in a file name "
        "(default: a roster id in the name, or the name's first token)",
    )
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
    d.add_argument(
        "--db-url",
        help="gradebook for the sample class, any SQLAlchemy URL (postgresql://user:password@host/database); "
        "default: a new SQLite file in the scratch course, never the course's own gradebook",
    )
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
