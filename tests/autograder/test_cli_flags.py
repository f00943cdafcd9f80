"""Does the CLI turn flags into exactly the arguments the functions take, with defaults from one place?"""

from __future__ import annotations

import dataclasses

import pytest

from autograder.cli import LIMIT_FLAGS, format_size, limits_from, parse_size, parser
from autograder.sandbox import Limits


@pytest.mark.parametrize(
    ("text", "size"), [("4G", 4 << 30), ("256M", 256 << 20), ("64k", 64 << 10), ("1.5GiB", 3 << 29), ("1000", 1000)]
)
def test_sizes_parse(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-1M", "0"])
def test_bad_sizes_are_usage_errors(text, capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["grade", "a", "--memory", text])
    assert "--memory" in capsys.readouterr().err


def test_sizes_print_back_in_whole_units():
    assert [format_size(n) for n in (4 << 30, 256 << 20, 64 << 10, 1000)] == ["4G", "256M", "64K", "1000"]


def test_no_flags_means_the_limits_defaults():
    assert limits_from(parser().parse_args(["grade", "a"])) == Limits()


def test_each_limit_flag_sets_its_field_and_nothing_else():
    given = {
        "--cell-timeout": ("7.5", 7.5), "--submission-timeout": ("90", 90.0), "--cpu-seconds": ("11", 11),
        "--memory": ("2G", 2 << 30), "--processes": ("9", 9), "--disk": ("16M", 16 << 20), "--output": ("8K", 8 << 10),
    }  # fmt: skip
    assert set(given) == {flag for flag, *_ in LIMIT_FLAGS}
    for flag, (text, value) in given.items():
        limits = limits_from(parser().parse_args(["grade", "a", flag, text]))
        changed = {f.name for f in dataclasses.fields(Limits) if getattr(limits, f.name) != getattr(Limits(), f.name)}
        field = next(field for option, field, *_ in LIMIT_FLAGS if option == flag)
        assert changed == {field} and getattr(limits, field) == value


@pytest.mark.parametrize("flag", ["--cell-timeout", "--submission-timeout", "--cpu-seconds", "--processes"])
def test_zero_is_refused_not_silently_the_default(flag, capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["grade", "a", flag, "0"])
    assert "above zero" in capsys.readouterr().err


def test_help_shows_the_defaults_limits_defines(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["grade", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    defaults = Limits()
    assert f"(default {defaults.cell_seconds:g})" in text and f"(default {format_size(defaults.memory_bytes)})" in text


def test_grade_and_collect_flags_map_to_arguments():
    args = parser().parse_args(
        ["grade", "hw", "--workers", "3", "--force", "--scheduler", "tcp://h:1", "--csv", "g.csv"]
    )
    assert (args.assignment, args.workers, args.force, args.scheduler, args.csv) == (
        "hw",
        3,
        True,
        "tcp://h:1",
        "g.csv",
    )
    args = parser().parse_args(["collect", "dl.zip", "hw", "--pattern", r"(?P<student>\w+)-"])
    assert (args.source, args.assignment, args.pattern) == ("dl.zip", "hw", r"(?P<student>\w+)-")
