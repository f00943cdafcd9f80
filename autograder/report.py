"""``autograder report``: grades, per-cell pass rates and a score histogram, read from the gradebook."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

# The object-oriented API draws straight to a file: no pyplot, so no backend or window to choose.
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .course import Course, CourseError


@dataclass(frozen=True)
class CellScore:
    student: str
    cell: str
    score: float
    max_score: float


def cell_scores(course: Course, assignment: str) -> list[CellScore]:
    """Every student's score on every graded cell of the assignment, from the gradebook."""
    with course.gradebook() as gb:
        scores = []
        for submission in gb.find_assignment(assignment).submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    scores.append(
                        CellScore(submission.student.id, grade.name, float(grade.score), float(grade.max_score))
                    )
        return scores


def student_totals(scores: list[CellScore]) -> dict[str, tuple[float, float]]:
    totals: dict[str, tuple[float, float]] = {}
    for s in scores:
        got, full = totals.get(s.student, (0.0, 0.0))
        totals[s.student] = (got + s.score, full + s.max_score)
    return dict(sorted(totals.items()))


def pass_rates(scores: list[CellScore]) -> dict[str, float]:
    """The fraction of submissions that earned full points on each cell, in notebook order."""
    passed: dict[str, list[bool]] = {}
    for s in scores:
        passed.setdefault(s.cell, []).append(s.score == s.max_score)
    return {cell: sum(flags) / len(flags) for cell, flags in passed.items()}


def write_grades_csv(totals: dict[str, tuple[float, float]], path: Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "score", "max_score"])
        writer.writerows([student, f"{got:g}", f"{full:g}"] for student, (got, full) in totals.items())


def write_pass_rates_csv(rates: dict[str, float], path: Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["cell", "pass_rate"])
        writer.writerows([cell, f"{rate:.3f}"] for cell, rate in rates.items())


def plot_histogram(totals: dict[str, tuple[float, float]], title: str, path: Path) -> None:
    percents = [100 * got / full if full else 0.0 for got, full in totals.values()]
    fig = Figure(figsize=(6, 3.5))
    ax = fig.subplots()
    ax.hist(percents, bins=range(0, 105, 5), color="#4c72b0", edgecolor="white")
    ax.set_xlabel("score (% of maximum)")
    ax.set_ylabel("students")
    ax.set_title(title)
    ax.set_xlim(0, 100)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def report(course: Course, assignment: str, out_dir: Path) -> dict[str, Path]:
    """Write grades.csv, pass_rates.csv and histogram.png for one assignment; returns their paths."""
    course.check_gradebook()
    scores = cell_scores(course, assignment)
    if not scores:
        raise CourseError(f"the gradebook has no graded submissions of {assignment!r}: run `autograder grade` first")
    out_dir.mkdir(parents=True, exist_ok=True)
    totals = student_totals(scores)
    paths = {
        "grades": out_dir / f"{assignment}_grades.csv",
        "pass_rates": out_dir / f"{assignment}_pass_rates.csv",
        "histogram": out_dir / f"{assignment}_histogram.png",
    }
    write_grades_csv(totals, paths["grades"])
    write_pass_rates_csv(pass_rates(scores), paths["pass_rates"])
    plot_histogram(totals, f"{assignment}: {len(totals)} submissions", paths["histogram"])
    return paths


def format_pass_rates(rates: dict[str, float]) -> str:
    width = max(map(len, rates), default=4)
    return "\n".join(f"{cell:<{width}}  {rate:6.1%}" for cell, rate in rates.items())
