"""Bounded input (#14): numbers, files, guards, YAML structure and the errors that locate them.

The end-to-end cases are in tests/bad_inputs/ (tests/test_bad_inputs.py); these pin each mechanism.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from reviewflow.engine import limits
from reviewflow.engine.definition.guards.expressions import ExpressionError
from reviewflow.engine.definition.guards.parser import parse_tree
from reviewflow.engine.definition.loader import definition_files, yaml_kind
from reviewflow.engine.definition.yamlio import load_yaml_file, load_yaml_text
from reviewflow.engine.errors import did_you_mean

LOADERS = [True, False] if getattr(yaml, "__with_libyaml__", False) else [True]


@pytest.fixture(params=LOADERS, ids=lambda pure: "SafeLoader" if pure else "CSafeLoader")
def pure(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


def codes_at(text: str, pure: bool) -> list[tuple[str, int, int]]:
    _, diags = load_yaml_text(text, "t.yaml", pure_python=pure)
    return [(d.code, d.location.line, d.location.col) for d in diags]


# ---------------------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(("text", "value"), [("12", 12), ("-3", -3), ("+7", 7), ("0", 0),
                                             ("999999999999999", 999_999_999_999_999)])
def test_whole_number_reads_plain_numbers(text: str, value: int) -> None:
    assert limits.whole_number(text) == value


@pytest.mark.parametrize("text", ["1.5", "five", "", "1e3", "9" * 16, "9" * 5000, "-" + "1" * 16])
def test_whole_number_refuses_the_rest_without_calling_int(text: str) -> None:
    assert limits.whole_number(text) is None


def test_too_many_digits_counts_digits_only() -> None:
    assert limits.too_many_digits("9" * 16) and not limits.too_many_digits("-" + "9" * 15)
    assert limits.digit_count("1.0e+99999") == 7


@pytest.mark.parametrize(("text", "col"), [
    ("n: " + "9" * 16 + "\n", 4),
    ("n: -" + "9" * 5000 + "\n", 4),
    ("n: [1, " + "9" * 20 + "]\n", 8),
    ("n: 1.0e+99999\n", 4),
    ("n: " + "1" * 5000 + ".5\n", 4),
    ("n: 0x" + "f" * 4000 + "\n", 4),  # was a ValueError printing the number it reads as
])
def test_a_number_too_large_is_y120_at_the_number(text: str, col: int, pure: bool) -> None:
    assert codes_at(text, pure) == [("Y120", 1, col)]


def test_a_number_too_large_keeps_its_text_so_later_stages_still_see_a_value(pure: bool) -> None:
    doc, diags = load_yaml_text("n: " + "9" * 20 + "\n", "t", pure_python=pure)
    assert doc is not None and doc.data == {"n": "9" * 20} and [d.code for d in diags] == ["Y120"]


# ------------------------------------------------------------------------------------------ files


def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "p.yaml"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="named pipe"):
        limits.read_regular_file(fifo)  # no writer: a blocking open would hang here
    doc, diags = load_yaml_file(fifo, "p.yaml")
    assert doc is None and [(d.code, str(d.location)) for d in diags] == [("Y119", "p.yaml")]
    assert "named pipe (FIFO), not a regular file" in diags[0].message
    assert yaml_kind(fifo) is None  # pre-commit's classification peeks without blocking


def test_a_folder_and_a_device_are_refused(tmp_path: Path) -> None:
    with pytest.raises(OSError, match="a folder"):
        limits.read_regular_file(tmp_path)
    if Path("/dev/null").exists():
        with pytest.raises(OSError, match="a device"):
            limits.read_regular_file("/dev/null")


def test_a_regular_file_is_read_up_to_one_byte_past_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"x" * 100)
    assert limits.read_regular_file(path, 10) == b"x" * 11
    assert limits.read_regular_file(path) == b"x" * 100


def test_a_named_pipe_among_definitions_is_listed_so_that_loading_reports_it(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("x: 1\n", encoding="utf-8")
    os.mkfifo(tmp_path / "b.yaml")
    (tmp_path / "c.yaml").mkdir()
    assert [p.name for p in definition_files(tmp_path)] == ["a.yaml", "b.yaml"]


# --------------------------------------------------------------------------------- YAML structure


@pytest.mark.parametrize(("text", "where"), [
    ('title: "not closed\nversion: "1.0"\n', (1, 8)),  # the runaway quote ends at the next quote
    ("title: 'not closed\n", (1, 8)),
    ("a:\n  b: [x, y\n  c: 1\n", (2, 6)),  # an unclosed [ is reported where it opens
    ("a:\n  b: {x: 1, y: 2\nc: 1\n", (2, 6)),
    ("a: {b: [x}\n", (1, 8)),  # [ closed with }
])
def test_an_unclosed_quote_or_bracket_is_reported_where_it_opens(text: str, where: tuple[int, int],
                                                                 pure: bool) -> None:
    found = codes_at(text, pure)
    assert found and found[0] == ("Y111", *where), found


def test_a_missing_comma_in_a_one_line_list_is_still_reported_where_it_is(pure: bool) -> None:
    assert codes_at('a: [x, "y" z]\n', pure) == [("Y111", 1, 12)]


def test_aliases_are_reported_at_the_alias(pure: bool) -> None:
    many = "x: &x 1\nl: [" + ", ".join(["*x"] * 101) + "]\n"
    found = codes_at(many, pure)
    assert found == [("Y109", 2, 5 + 4 * 100)]  # the 101st alias
    bomb = "a: &a [" + ",".join(["x"] * 50) + "]\n" + "".join(
        f"{n}: &{n} [" + ",".join([f"*{p}"] * 50) + "]\n" for p, n in zip("abc", "bcd", strict=True))
    _, diags = load_yaml_text(bomb, "t", pure_python=pure)
    assert [(d.code, d.location.line) for d in diags] == [("Y109", 3)] and "*b alone stands for 2,551" in diags[0].message


def test_nesting_is_counted_on_events_at_the_level_that_goes_too_deep(pure: bool) -> None:
    block = "a:\n" + "".join(" " * i + "- \n" for i in range(1, 700)) + " " * 700 + "- v\n"
    assert codes_at(block, pure) == [("Y118", 66, 66)]  # libyaml's own limit (1000) never reached
    mapping = "".join("  " * i + f"k{i}:\n" for i in range(100)) + "  " * 100 + "v\n"
    assert codes_at(mapping, pure) == [("Y118", 66, 131)]


def test_ordinary_files_are_not_slowed_by_the_event_pass(pure: bool) -> None:
    doc, diags = load_yaml_text("a: &a [1, 2]\nb: *a\nnote: '**bold**'\n", "t", pure_python=pure)
    assert diags == [] and doc is not None and doc.data["b"] == [1, 2]


# ---------------------------------------------------------------------------------------- guards


@pytest.mark.parametrize(("guard", "words", "col"), [
    ("(" * 40 + "x" + ")" * 40, "more than 32 deep", 33),
    ("not " * 40 + "x", "more than 32 deep", 129),
    ("x in [" + ", ".join(['"a"'] * 101) + "]", "at most 100 items", 6 + 5 * 100 + 1),
    (" and ".join(["x"] * 250), "more than 400 names, values and operators", 1201),
    ("x > " + "1" * 16, "a number with 16 digits", 5),
    ("x == " + '"' + "y" * 3000 + '"', "at most 2,000", 1),
])
def test_guard_bounds_are_refused_at_their_column(guard: str, words: str, col: int) -> None:
    with pytest.raises(ExpressionError) as info:
        parse_tree(guard)
    assert words in info.value.message and info.value.column == col


def test_guards_within_the_bounds_parse() -> None:
    parse_tree("(" * 32 + "x" + ")" * 32)
    parse_tree("x in [" + ", ".join(['"a"'] * 100) + "]")
    parse_tree(" and ".join(["x"] * 200))


def test_did_you_mean_skips_the_search_for_a_name_nobody_misspells() -> None:
    assert did_you_mean("R" * 100_000, ["P-1"]) == "allowed: P-1"
    assert did_you_mean("P-2", ["P-1"]) == 'did you mean "P-1"?'


def test_the_lint_knows_every_field_the_reports_count() -> None:
    from reviewflow.engine.lint.expressions import REPORTED_FIELDS
    from reviewflow.engine.reports.model import BREAKDOWN_FIELDS, DEFAULT_OUTCOME_FIELD

    assert set(REPORTED_FIELDS) == {*BREAKDOWN_FIELDS, "themes", DEFAULT_OUTCOME_FIELD}
