"""The guard language: what it accepts, what it means, what it refuses, and its type checks."""

from __future__ import annotations

from datetime import date

import pytest
from reviewflow.engine.definition.guards.check import type_check
from reviewflow.engine.definition.guards.expressions import ExpressionError, parse
from reviewflow.engine.definition.model import Field
from reviewflow.engine.errors import Location

HERE = Location("process.yaml", 7, 20)

CASE = {
    "harm": "died",
    "abuse_suspected": False,
    "agencies": ["police", "health"],
    "age_years": 15,
    "date_of_birth": date(2009, 5, 1),
    "summary": "",
}
COUNTS = {"scoping_returned": 2, "review_decision.decided": 1, "meeting_held": 0}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('harm == "died"', True),
        ("harm == 'died'", True),
        ('harm != "died"', False),
        ('harm == "died" or abuse_suspected', True),
        ('harm == "seriously_harmed" or abuse_suspected', False),
        ("not abuse_suspected", True),
        ("true", True),
        ("false or null", False),
        # precedence: not > and > or, and parentheses override
        ("true or true and false", True),
        ("(true or true) and false", False),
        ("not true and false", False),
        ("not (true and false)", True),
        ("not not true", True),
        ("age_years >= 15 and age_years < 18", True),
        ("age_years > 15", False),
        ("age_years <= -1", False),
        ('"police" in agencies', True),
        ('"education" in agencies', False),
        ('"education" not in agencies', True),
        ('harm in ["died", "seriously_harmed"]', True),
        ('harm not in ["seriously_harmed"]', True),
        ("[1, 2] == [1, 2]", True),
        ("count(scoping_returned) == len(agencies)", True),
        ("count(scoping_returned) > 2", False),
        ("count(never_recorded) == 0", True),
        ("recorded(review_decision.decided)", True),
        ("recorded(meeting_held)", False),
        ("not recorded(never_recorded)", True),
        ('date_of_birth < "2010-01-01"', True),
        ('date_of_birth == "2009-05-01"', True),
        ("len(summary) == 0", True),
    ],
)
def test_guard_evaluates_to(source: str, expected: bool) -> None:
    assert parse(source, HERE).evaluate(CASE, COUNTS) is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('missing == "x"', False),
        ('missing != "x"', False),  # unknown is not "different": a guard on absent data never fires
        ("missing > 3", False),
        ("missing < 3", False),
        ('"police" in missing', False),
        ('"police" not in missing', False),
        ("missing", None),
        ("not missing", True),
        ("missing == null", True),
        ("missing != null", False),
        ("harm != null", True),
        ("len(missing) == 0", True),
        ('age_years < "x"', False),  # mixed types compare false instead of raising
        ("abuse_suspected == 0", False),  # booleans are not numbers
        ("count(x) == 0 and missing", False),
    ],
)
def test_missing_and_mismatched_values_never_crash(source: str, expected: object) -> None:
    assert parse(source, HERE).evaluate(CASE, {}) == expected


def test_parse_records_referenced_fields_and_events() -> None:
    expr = parse('count(scoping_returned) == len(agencies) and harm == "died" or recorded(g.decided)', HERE)
    assert expr.fields == {"agencies", "harm"}
    assert expr.events == {"scoping_returned", "g.decided"}
    assert expr.location == HERE
    assert str(expr) == expr.source


def test_equal_sources_parse_to_equal_expressions() -> None:
    assert parse('harm == "died"', HERE) == parse('harm == "died"', HERE)
    assert hash(parse("a and b", HERE)) == hash(parse("a and b", HERE))


@pytest.mark.parametrize(
    ("source", "column", "words"),
    [
        ("case.harm", 5, "attribute access is not allowed"),
        ("agencies[0]", 9, "subscripts are not allowed"),
        ('open("x")', 1, "calling open() is not allowed"),
        ("lambda: true", 1, "lambda is not allowed"),
        ('__import__("os")', 1, "names starting with '__'"),
        ("age_years ** 2 > 4", 11, "exponent"),
        ("(x := 1)", 4, "assignment expressions"),
        ("a and b; c", 8, "only one expression"),
        ("harm = 1", 6, 'use "=="'),
        ("a && b", 3, 'use "and"'),
        ("a || b", 3, 'use "or"'),
        ("!a", 1, 'use "not"'),
        ("age_years + 1 > 2", 11, "arithmetic"),
        ("a is null", 3, '"is"'),
        ("x if y else z", 3, "conditional expressions"),
        ("[x for x in agencies]", 4, "comprehensions are not allowed"),
        ("[harm]", 2, "list items must be literals"),
        ("{1: 2}", 1, "dict and set literals"),
        ("import os", 1, "imports are not allowed"),
        ("True", 1, 'write "true"'),
        ("None", 1, 'write "null"'),
        ("1.5 > age_years", 1, "whole numbers"),
        ("1 < age_years < 3", 15, "chained comparisons"),
        ('harm == "died', 9, "unterminated string"),
        ("", 1, "empty guard"),
        ("(a or b", 8, 'expected ")"'),
        ("a ==", 5, "expected a value"),
        ("count(1)", 7, "count() takes an event name"),
        ("len(case.agencies)", 9, "attribute access"),
        ("a b", 3, "unexpected 'b'"),
        ("harm == `x`", 9, "backticks"),
    ],
)
def test_guard_outside_the_language_is_refused_with_column(source: str, column: int, words: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(source, HERE)
    assert words in caught.value.message
    assert caught.value.column == column


def test_refusal_hint_says_what_is_allowed() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("getattr(x, 'y')", HERE)
    assert caught.value.hint is not None
    assert "count(event)" in caught.value.hint and "and/or/not" in caught.value.hint


def test_the_earliest_problem_is_reported_first() -> None:
    # the tokenizer sees ":" later than the parser sees `lambda`; the user should hear about lambda
    with pytest.raises(ExpressionError) as caught:
        parse("lambda: 1", HERE)
    assert caught.value.column == 1


FIELDS = {
    "harm": Field("harm", "Harm", "enum", ("died", "seriously_harmed")),
    "abuse_suspected": Field("abuse_suspected", "Abuse", "bool"),
    "agencies": Field("agencies", "Agencies", "list", ("police", "health", "education")),
    "age_years": Field("age_years", "Age", "int"),
    "date_of_birth": Field("date_of_birth", "DOB", "date"),
    "summary": Field("summary", "Summary", "text"),
}
EVENTS = {"became_aware", "scoping_returned", "review_decision.decided"}


def _kinds(source: str) -> list[tuple[str, str]]:
    return [(p.kind, p.message) for p in type_check(parse(source, HERE), FIELDS, EVENTS)]


@pytest.mark.parametrize(
    "source",
    [
        'harm == "died" or abuse_suspected',
        '"police" in agencies',
        '"police" not in agencies and not abuse_suspected',
        "count(scoping_returned) == len(agencies)",
        "recorded(review_decision.decided)",
        'harm in ["died", "seriously_harmed"]',
        "age_years >= 16",
        'date_of_birth < "2010-01-01"',
        "harm == null",
        'summary == "x"',
    ],
)
def test_well_typed_guards_have_no_problems(source: str) -> None:
    assert _kinds(source) == []


def test_enum_value_typo_is_a_mismatch_with_did_you_mean() -> None:
    problems = type_check(parse('harm == "dead"', HERE), FIELDS, EVENTS)
    assert [p.kind for p in problems] == ["type-mismatch"]
    assert '"dead" is not a value of enum field "harm"' in problems[0].message
    assert problems[0].hint == 'did you mean "died"?'
    assert problems[0].column == 9


@pytest.mark.parametrize(
    ("source", "kind", "words"),
    [
        ("harm == 3", "type-mismatch", "cannot compare a string with an integer"),
        ('"polise" in agencies', "type-mismatch", 'not a value of list field "agencies"'),
        ('harm in ["died", "alive"]', "type-mismatch", '"alive" is not a value'),
        ('"x" in harm', "type-mismatch", "must be a list"),
        ("3 in agencies", "type-mismatch", "list members are strings"),
        ('harm > "died"', "type-mismatch", "compares numbers or dates"),
        ('date_of_birth < "soon"', "type-mismatch", "compares numbers or dates"),
        ("len(harm) > 0", "type-mismatch", "len() needs a list field"),
        ("hurm == null", "unknown-field", 'unknown field "hurm"'),
        ("len(agencys) > 0", "unknown-field", 'unknown field "agencys"'),
        ("count(scoping_return) > 0", "unknown-event", 'unknown event "scoping_return"'),
        ("recorded(review_decision.made)", "unknown-event", "unknown event"),
        ("harm", "not-boolean", "the guard is a string"),
        ("count(became_aware)", "not-boolean", "the guard is an integer"),
        ("age_years and abuse_suspected", "not-boolean", 'operand of "and" is an integer'),
        ("not agencies", "not-boolean", 'operand of "not" is a list'),
    ],
)
def test_type_problems(source: str, kind: str, words: str) -> None:
    found = _kinds(source)
    assert any(k == kind and words in m for k, m in found), found


def test_unknown_names_get_did_you_mean_hints() -> None:
    (field_problem,) = type_check(parse("abuse_suspectd", HERE), FIELDS, EVENTS)
    assert field_problem.hint == 'did you mean "abuse_suspected"?'
    (event_problem,) = type_check(parse("count(scoping_retuned) > 0", HERE), FIELDS, EVENTS)
    assert event_problem.hint == 'did you mean "scoping_returned"?'


def test_unknown_field_is_not_also_reported_as_a_type_problem() -> None:
    assert [k for k, _ in _kinds('hurm == "died"')] == ["unknown-field"]
