"""Structural validation: plain-English diagnostics at the right line:col, and a schema that other
JSON Schema clients (check-jsonschema, editors) accept."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from reviewflow.engine.definition.schema import CODES, describe, load_schema, validate_document
from reviewflow.engine.definition.yamlio import load_yaml_file, load_yaml_text
from reviewflow.engine.errors import Diagnostic
from reviewflow.engine.paths import processes_dir, schema_path

ROOT = Path(__file__).resolve().parent.parent
VALID = sorted((ROOT / "tests/definitions/valid").glob("*.yaml"))
INVALID_S = sorted((ROOT / "tests/definitions/invalid").glob("S*.yaml"))
FULL = (ROOT / "tests/definitions/valid/full_language.yaml").read_text(encoding="utf-8")
LOCAL = (ROOT / "tests/definitions/valid/local_extends.yaml").read_text(encoding="utf-8")
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def validate(text: str) -> list[Diagnostic]:
    doc, diags = load_yaml_text(text, "d.yaml")
    assert diags == [] and doc is not None
    return validate_document(doc)


def mutate(text: str, old: str, new: str) -> str:
    assert text.count(old) >= 1, old
    return text.replace(old, new, 1)


def line_col(text: str, needle: str, nth: int = 1) -> tuple[int, int]:
    """1-based position of the nth occurrence of `needle` in `text`."""
    index = -1
    for _ in range(nth):
        index = text.index(needle, index + 1)
    before = text[:index]
    return before.count("\n") + 1, index - before.rfind("\n")


def only(diags: list[Diagnostic]) -> Diagnostic:
    assert len(diags) == 1, [f"{d.location} {d.code} {d.message}" for d in diags]
    return diags[0]


def test_codes_are_unique_and_s1xx() -> None:
    codes = [c.code for c in CODES]
    assert len(set(codes)) == len(codes) and all(c.startswith("S1") for c in codes)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    from jsonschema import Draft202012Validator

    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "https://reviewflow.dev/schemas/process/v1.json"
    assert schema["title"]


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_examples_produce_no_diagnostics(path: Path) -> None:
    doc, diags = load_yaml_file(path)
    assert diags == [] and doc is not None
    assert validate_document(doc) == []


def test_unknown_key_points_at_the_key_with_did_you_mean() -> None:
    text = mutate(FULL, "    escalate_to: business_manager", "    escalate_too: business_manager")
    d = only(validate(text))
    assert (d.code, d.slug) == ("S101", "unknown-key")
    assert (d.location.line, d.location.col) == line_col(text, "escalate_too")
    assert d.message == 'unknown key "escalate_too" in deadline "notify_panel"'
    assert d.hint == 'did you mean "escalate_to"?'


def test_misspelt_required_key_is_reported_once_as_unknown() -> None:
    d = only(validate(mutate(FULL, "    title: Police\n", "    titel: Police\n")))
    assert d.code == "S101" and d.hint == 'did you mean "title"?'


def test_unknown_key_without_a_near_match_lists_the_allowed_keys() -> None:
    d = only(validate(mutate(FULL, "    title: Police\n", "    title: Police\n    colour: blue\n")))
    assert d.code == "S101" and d.hint is not None and d.hint.startswith("allowed: chair, cite, description")


def test_missing_key_points_at_the_element_and_says_what_the_key_is() -> None:
    text = mutate(FULL, "    title: Report published\n    by: [partners]\n", "    title: Report published\n")
    d = only(validate(text))
    assert (d.code, d.slug) == ("S102", "missing-key")
    assert d.message == 'event "published" is missing the key "by"'
    line, _ = line_col(text, "  published:\n    title: Report")
    assert (d.location.line, d.location.col) == (line, 3)
    assert d.hint is not None and "roles that may record this event" in d.hint


def test_wrong_type_says_what_was_expected_and_what_was_found() -> None:
    text = mutate(FULL, "{working_days: 5, after: information_requested}", "{working_days: five, after: information_requested}")
    d = only(validate(text))
    assert (d.code, d.slug) == ("S103", "wrong-type")
    assert d.message == '"working_days" of "due" of task "agency_returns" of stage "rapid_review" must be a whole ' \
                        'number, not the text "five"'
    assert (d.location.line, d.location.col) == line_col(text, "five")


def test_bad_enum_suggests_the_nearest_allowed_value() -> None:
    text = mutate(FULL, "    weight: local\n", "    weight: locale\n")
    d = only(validate(text))
    assert (d.code, d.hint) == ("S104", 'did you mean "local"?')
    assert (d.location.line, d.location.col) == line_col(text, "locale")


def test_bad_enum_without_a_near_match_lists_the_allowed_values() -> None:
    d = only(validate(mutate(FULL, "    rule: all ", "    rule: everyone ")))
    assert d.code == "S104" and d.hint == "allowed: all, majority, single"


def test_unsupported_language_version() -> None:
    d = only(validate(mutate(FULL, "reviewflow: 1", "reviewflow: 2")))
    assert d.code == "S104" and "version 1" in (d.hint or "")


def test_bad_element_id_points_at_the_id_and_explains_the_rule() -> None:
    text = mutate(FULL, "  scrutineer:\n", "  Independent-Scrutineer:\n")
    diags = validate(text)
    bad = [d for d in diags if d.code == "S105"]
    assert len(bad) == 1
    assert bad[0].message == 'role id "Independent-Scrutineer" is not in the required form'
    assert (bad[0].location.line, bad[0].location.col) == line_col(text, "Independent-Scrutineer")
    assert "lower-case letters" in (bad[0].hint or "") and "e.g." in (bad[0].hint or "")


def test_bad_process_id_and_date() -> None:
    diags = validate(mutate(mutate(FULL, "id: example-full", "id: Example_Full"),
                            'effective_to: "2030-12-31"', 'effective_to: "31/12/2030"'))
    assert [d.code for d in diags] == ["S105", "S105"]
    assert "hyphens" in (diags[0].hint or "") and "YYYY-MM-DD" in (diags[1].hint or "")


def test_deadline_with_both_due_and_window_is_a_shape_error() -> None:
    text = mutate(FULL, "    window: {working_days: [7, 13], after: notified_panel}\n",
                  "    window: {working_days: [7, 13], after: notified_panel}\n    due: {working_days: 5, after: x}\n")
    d = only(validate(text))
    assert (d.code, d.slug) == ("S106", "bad-shape")
    assert d.message == "a deadline has either due or window, not both"
    assert (d.location.line, d.location.col) == line_col(text, "meeting_window:")


def test_deadline_with_neither_due_nor_window() -> None:
    d = only(validate(mutate(FULL, "    due: {months: 6, after: review_decision.decided}\n", "")))
    assert d.code == "S106" and "due rule or a window" in d.message


@pytest.mark.parametrize(("old", "new", "words"), [
    ("{calendar_days: 2, after: notified_panel, roll: forward}", "{calendar_days: 2, working_days: 1, after: notified_panel}",
     "exactly one unit"),
    ("{working_days: 7, before: publication_planned}", "{working_days: 7, before: publication_planned, after: published}",
     "exactly one of after"),
    ("{working_days: 5, after: information_requested}", "{working_days: 5, after: information_requested, roll: forward}",
     "roll is only for calendar_days"),
    ("{working_days: [7, 13], after: notified_panel}", "{working_days: [7, 13], calendar_days: [1, 2], after: notified_panel}",
     "a window counts exactly one unit"),
])
def test_due_and_window_rules_are_explained_plainly(old: str, new: str, words: str) -> None:
    d = only(validate(mutate(FULL, old, new)))
    assert d.code == "S106" and words in d.message


@pytest.mark.parametrize(("old", "new", "typo", "meant"), [
    ("{working_days: 5, after: information_requested}", "{working_day: 5, after: information_requested}",
     "working_day", "working_days"),  # a due rule "without a unit" only because its unit is misspelt
    ("{working_days: 7, before: publication_planned}", "{working_days: 7, befor: publication_planned}",
     "befor", "before"),
    ("{working_days: [7, 13], after: notified_panel}", "{workingdays: [7, 13], after: notified_panel}",
     "workingdays", "working_days"),
    ("    due: {months: 6, after: review_decision.decided}\n", "    dew: {months: 6, after: review_decision.decided}\n",
     "dew", "due"),
])
def test_a_misspelt_key_is_one_diagnostic_not_also_a_shape_error(old: str, new: str, typo: str, meant: str) -> None:
    text = mutate(FULL, old, new)
    d = only(validate(text))
    assert (d.code, d.hint) == ("S101", f'did you mean "{meant}"?')
    assert (d.location.line, d.location.col) == line_col(text, typo + ":")


def test_a_misspelt_key_does_not_hide_a_shape_error_the_spelling_would_not_fix() -> None:
    text = mutate(FULL, "{working_days: 5, after: information_requested}",
                  "{working_days: 5, months: 1, aftr: information_requested}")
    assert sorted(d.code for d in validate(text)) == ["S101", "S106"]


def test_window_needs_two_bounds() -> None:
    d = only(validate(mutate(FULL, "[7, 13]", "[7]")))
    assert d.code == "S107" and "at least 2 items" in d.message


def test_duplicate_list_item_points_at_the_repeat() -> None:
    text = mutate(FULL, "    by: [business_manager, partners]", "    by: [business_manager, partners, business_manager]")
    d = only(validate(text))
    assert d.code == "S108"
    line, col = line_col(text, "partners, business_manager]")
    assert (d.location.line, d.location.col) == (line, col + len("partners, "))


def test_all_problems_are_reported_not_just_the_first() -> None:
    text = mutate(mutate(mutate(FULL, "    kind: external", "    kind: externl"),
                         "    type: int", "    type: integer"), "    initial: true", "    initial: 'true'")
    assert [d.code for d in validate(text)] == ["S104", "S104", "S103"]


def test_null_element_is_allowed_only_with_extends() -> None:
    assert validate(LOCAL) == []
    d = only(validate(mutate(FULL, "  agency:\n    title: Relevant agency\n    kind: agency\n", "  agency: null\n")))
    assert d.code == "S103" and "extends" in (d.hint or "")


def test_local_definition_may_omit_what_the_base_provides() -> None:
    text = mutate(LOCAL, "  notify_panel: null ", "  notify_panel: {weight: statutory}\n  extra: {title: New step} ")
    assert validate(text) == []


def test_local_definition_still_rejects_unknown_keys_and_bad_values() -> None:
    text = mutate(mutate(LOCAL, "    replaces: partners", "    replace: partners"), "roll: forward", "roll: backward")
    assert [(d.code, d.hint) for d in validate(text)] == [
        ("S101", 'did you mean "replaces"?'), ("S104", "allowed: forward, none")]


def test_misspelt_extends_is_one_diagnostic_not_a_cascade() -> None:
    d = only(validate(mutate(LOCAL, "extends: example-full", "extend: example-full")))
    assert d.code == "S101" and d.hint == 'did you mean "extends"?'


def test_base_definition_requires_core_sections() -> None:
    text = "reviewflow: 1\nid: tiny\ntitle: Tiny\nversion: '1'\n"
    assert [(d.code, d.message) for d in validate(text)] == [
        ("S102", f'the definition is missing the key "{key}"') for key in ("roles", "events", "stages")]


def test_enum_field_needs_values() -> None:
    d = only(validate(mutate(FULL, "    values: [died, seriously_harmed]\n", "")))
    assert d.code == "S106" and "values" in d.message


def test_describe_names_places_for_people() -> None:
    assert describe(()) == "the definition"
    assert describe(("roles", "police")) == 'role "police"'
    assert describe(("gates", "g", "options", "o", "to")) == '"to" of option "o" of gate "g"'
    assert describe(("stages", "s", "on", 0)) == 'transition 1 of stage "s"'
    assert describe(("deviations", 1)) == "deviation 2"
    assert describe(("notes", 0)) == 'item 1 of "notes"'


def test_importing_the_engine_schema_module_does_not_import_jsonschema() -> None:
    code = "import sys, reviewflow.engine.definition.schema; sys.exit('jsonschema' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


@pytest.mark.parametrize("path", INVALID_S, ids=lambda p: p.name)
def test_invalid_corpus_file_reports_its_expected_code(path: Path) -> None:
    expected = path.read_text(encoding="utf-8").split("\n", 1)[0].removeprefix("# expect: ").strip()
    doc, diags = load_yaml_file(path)
    assert diags == [] and doc is not None
    assert {d.code for d in validate_document(doc)} == {expected}


def _check_jsonschema(files: list[Path]) -> subprocess.CompletedProcess[str]:
    if not CHECK_JSONSCHEMA.exists():
        pytest.skip("check-jsonschema is not installed")
    return subprocess.run([str(CHECK_JSONSCHEMA), "--schemafile", str(schema_path()), *map(str, files)],
                          capture_output=True, text=True, cwd=ROOT)


def test_check_jsonschema_accepts_the_valid_examples() -> None:
    result = _check_jsonschema(VALID)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_jsonschema_rejects_a_structurally_invalid_file() -> None:
    result = _check_jsonschema([ROOT / "tests/definitions/invalid/S101-unknown-key.yaml"])
    assert result.returncode == 1 and "titel" in result.stdout


def test_check_jsonschema_accepts_the_bundled_processes() -> None:
    files = sorted(p for p in processes_dir().rglob("*.yaml") if "scenarios" not in p.parts)
    if not files:
        pytest.skip("no bundled process definitions yet")
    result = _check_jsonschema(files)
    assert result.returncode == 0, result.stdout + result.stderr
