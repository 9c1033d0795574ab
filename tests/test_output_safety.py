"""Terminal safety and personal values (#14): what reviewflow prints never acts on a terminal, and an
error about a personal field never repeats its value."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli
from reviewflow.engine.cases import commands as actions
from reviewflow.engine.cases.checks import check_value
from reviewflow.engine.definition.model import Field
from reviewflow.engine.errors import RefusedError
from reviewflow.engine.render.formats import Output, json_text, render
from reviewflow.engine.render.problems import problem_text
from reviewflow.engine.render.terminal import json_safe, printable
from test_runtime_support import OPEN_FIELDS, full_process

NASTY = "a\x1b[2J\x1b]0;title\x07b\x08c\rd\x00e\x7ff\x9bg\u202eh\u2028i"


def test_printable_escapes_every_control_character_but_newline_and_tab() -> None:
    assert printable(NASTY) == r"a\x1b[2J\x1b]0;title\x07b\x08c\x0dd\x00e\x7ff\x9bg\u202eh\u2028i"
    assert printable("line 1\n\tline 2 — “quoted” é ü") == "line 1\n\tline 2 — “quoted” é ü"


def test_crlf_formats_keep_their_line_ends_and_nothing_else() -> None:
    assert printable("BEGIN:VCALENDAR\r\nSUMMARY:a\x1b[2Jb\rc\r\n", crlf=True) == \
        "BEGIN:VCALENDAR\r\nSUMMARY:a\\x1b[2Jb\\x0dc\r\n"


def test_json_keeps_the_exact_value() -> None:
    text = json_text({"note": NASTY})
    assert json.loads(text) == {"note": NASTY}
    assert all(ch not in text for ch in "\x1b\x07\x08\r\x00\x7f\x9b\u202e\u2028")
    assert json_safe('"\x9b"') == '"\\u009b"'


def test_every_text_format_is_made_safe_in_render() -> None:
    rendered = render(Output.CASES, "text", [])
    assert rendered  # the renderer runs; the escaping is on its output:
    from reviewflow.engine.store.types import CaseRow

    row = CaseRow("C-1", "p", "h", "Child\x1b[31mB", date(2024, 1, 1), "aware", False, 1)
    text = render(Output.CASES, "text", [row])
    assert "\x1b" not in text and r"Child\x1b[31mB" in text
    assert json.loads(render(Output.CASES, "json", [row]))["cases"][0]["pseudonym"] == "Child\x1b[31mB"


def test_an_error_repeating_what_was_typed_is_escaped() -> None:
    text = problem_text(RefusedError('unknown role "x\x1b[31m"', "hint \x07", ["record y by z"]))
    assert "\x1b" not in text and "\x07" not in text and r'unknown role "x\x1b[31m"' in text


def test_a_usage_error_repeating_what_was_typed_is_escaped() -> None:
    result = CliRunner().invoke(cli, ["calendar", "add", "2024-01-01", "5", "--format", "te\x07xt"])
    assert result.exit_code == 2 and "\x07" not in result.output


# ----------------------------------------------------------------------------------------- privacy


@pytest.mark.parametrize(("field", "value"), [
    (Field("ethnicity", "Ethnicity", "enum", ("a", "b"), personal=True), "Zed Secretname"),
    (Field("date_of_birth", "Date of birth", "date", personal=True), "Zed Secretname"),
    (Field("languages", "Languages", "list", ("en", "cy"), personal=True), ["en", "Zed Secretname"]),
    (Field("age", "Age", "int", personal=True), 10 ** 20),
])
def test_an_error_about_a_personal_field_names_the_field_and_the_rule_never_the_value(field: Field,
                                                                                     value: object) -> None:
    _, message = check_value(field, value)
    assert message is not None and f'field "{field.id}"' in message
    assert "Zed" not in message and "100000000000000000000" not in message


def test_an_error_about_an_ordinary_field_still_shows_what_was_given() -> None:
    _, message = check_value(Field("harm", "Harm", "enum", ("died", "seriously_harmed")), "dead")
    assert message == 'field "harm" must be one of died, seriously_harmed, not "dead"'


@pytest.mark.parametrize(("pseudonym", "why"), [
    ("Firstname Middlename Lastname-Doublebarrel", "it has 42 characters; at most 40"),
    ("Child\nB", "control character"),
    ("Child\x1b[31mB", "control character"),
    ("Child\u202eB", "control character"),
    (" Child B", "starts or ends with a space"),
    ("", "it is empty"),
])
def test_a_rejected_pseudonym_is_never_repeated(pseudonym: str, why: str) -> None:
    with pytest.raises(RefusedError) as info:
        actions.open_case(full_process(), "C-1", date(2024, 3, 4), "local_authority", OPEN_FIELDS, pseudonym)
    assert why in info.value.message
    assert (pseudonym.strip() or "\x00") not in info.value.message


def test_the_scenario_report_never_repeats_a_personal_value(tmp_path: Path) -> None:
    definition = (Path(__file__).parent / "bad_inputs" / "_shared" / "personal.yaml").read_text(encoding="utf-8")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "personal.yaml").write_text(definition, encoding="utf-8")
    (tmp_path / "p" / "scenarios").mkdir()
    (tmp_path / "p" / "scenarios" / "s.yaml").write_text(
        "scenario: 1\ntitle: t\nprocess: corpus-personal\nopen:\n  at: \"2024-01-10\"\n  by: local_authority\n"
        "  fields: {harm: died, abuse_suspected: true, ethnicity: Zed Secretname}\n"
        "steps:\n  - record: notified_panel\n    at: \"2024-01-11\"\n    by: local_authority\n", encoding="utf-8")
    for output_format in ("text", "json", "junit"):
        result = CliRunner().invoke(cli, ["test", "--processes", str(tmp_path / "p"), "--format", output_format,
                                          str(tmp_path / "p" / "scenarios" / "s.yaml")])
        assert result.exit_code == 1 and "ethnicity" in result.output and "the field is personal" in result.output
        assert "Zed" not in result.output, output_format
