"""The loading pipeline: valid examples, extends resolution, bundles, and every L-code / X501."""

from __future__ import annotations

import hashlib
import shutil
import textwrap
from datetime import date
from pathlib import Path

import pytest
from reviewflow.engine.definition import loader
from reviewflow.engine.definition.loader import (
    CODES,
    Registry,
    clear_caches,
    default_registry,
    load_from_bundle,
    load_path,
    load_process_by_id,
)
from reviewflow.engine.definition.model import Basis, ChairRotation, Weight
from reviewflow.engine.errors import DefinitionError, Location, NotFoundError
from reviewflow.engine.validation import validate_paths

DEFS = Path(__file__).parent / "definitions"
VALID = DEFS / "valid"
FULL = VALID / "full_language.yaml"
LOCAL = VALID / "local_extends.yaml"


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    clear_caches()


@pytest.fixture
def registry() -> Registry:
    return default_registry([VALID])


def _codes(diagnostics: list) -> list[str]:
    return [d.code for d in diagnostics]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def _local(process_id: str, extends: str, body: str = "") -> str:
    return f'reviewflow: 1\nid: {process_id}\ntitle: T\nversion: "1"\nextends: {extends}\n' + textwrap.dedent(body)


def test_the_full_language_example_builds_every_element(registry: Registry) -> None:
    result = load_path(FULL, registry)
    assert [d for d in result.diagnostics if d.is_error] == []
    process = result.process
    assert process is not None and result.base is None
    assert (process.id, process.version, process.language) == ("example-full", "1.0.0", 1)
    assert (process.effective_from, process.effective_to) == (date(2023, 1, 1), date(2030, 12, 31))
    assert process.calendar.closures[0].on == date(2024, 12, 24)
    assert process.calendar.extra_holidays[0].on == date(2029, 6, 1)
    rotation = process.roles["review_group"].chair
    assert isinstance(rotation, ChairRotation)
    assert rotation.among == ("health", "local_authority", "police")
    assert process.roles["review_group"].chair_on(date(2024, 5, 1)) == "local_authority"
    assert process.roles["local_authority"].cite is not None
    assert process.roles["local_authority"].cite.basis is Basis.LAW
    deadlines = process.deadlines
    assert deadlines["notify_panel"].weight is Weight.GUIDANCE and deadlines["notify_panel"].locked
    assert deadlines["notify_panel"].reminders[0].working_days_before == 2
    assert deadlines["request_information"].rule.roll == "forward"
    window = deadlines["meeting_window"].rule
    assert (window.unit, window.n, window.n_to, window.is_window) == ("working_days", 7, 13, True)
    assert deadlines["review_target"].rule.describe() == "6 months after review_decision.decided"
    assert deadlines["review_target"].applies_when is not None
    assert deadlines["review_target"].authority is not None
    assert deadlines["review_target"].authority.pause == ("partners", "scrutineer")
    assert deadlines["pre_publication_copy"].rule.direction == "before"
    gate = process.gates["review_decision"]
    assert [o.id for o in gate.options] == ["review", "none"]
    assert gate.option("review") is not None and gate.option("review").notify == ("national_panel",)
    assert gate.dispute is not None and gate.dispute.decided_by == "scrutineer"
    assert gate.rule == "all"
    task = process.stages["rapid_review"].tasks[0]
    assert (task.id, task.per, task.done_by, task.due is not None) == ("agency_returns", "agencies",
                                                                     "scoping_returned", True)
    assert list(process.stages) == ["aware", "rapid_review", "decision", "review", "published", "closed"]
    assert process.initial_stage.id == "aware"
    when = process.stages["aware"].transitions[0].when
    assert when is not None and when.evaluate({"harm": "died"}, {}) is True
    assert process.file == result.file
    assert process.deadlines["notify_panel"].location == Location(result.file, 193, 3)
    # the keys issue #10 added
    assert process.events["report_copied"].when is not None
    assert process.events["published"].publication == "published"
    assert deadlines["review_target"].ruling and deadlines["backstop"].rule.fixed == date(2030, 12, 31)
    assert gate.recommendation == "required" and gate.reconsider is not None
    assert gate.reconsider.prompted_by == ("panel_letter",)
    review = gate.option("review")
    assert review is not None and review.notified_by == {"national_panel": "report_copied"}
    assert review.sets == {"abuse_suspected": (True,)}
    hold = process.holds["criminal_proceedings"]
    assert (hold.pauses, hold.blocks, hold.by) == (("review_target",), ("published",), ("partners",))
    assert process.text_hash == loader.definition_hash([FULL.read_text(encoding="utf-8")])
    assert result.bundle == {result.file: FULL.read_text(encoding="utf-8")}


def test_local_definition_resolves_against_its_base_by_id(registry: Registry) -> None:
    result = load_path(LOCAL, registry)
    assert [d for d in result.diagnostics if d.is_error] == []
    process, base = result.process, result.base
    assert process is not None and base is not None
    assert (process.id, process.extends, base.id) == ("example-local", "example-full", "example-full")
    assert process.description is None  # identity is never inherited
    assert "partners" not in process.roles and "executive" in process.roles
    assert process.stages["decision"].owner == "executive"
    assert process.gates["review_decision"].decided_by == "executive"
    assert process.deadline_authority.extend == ("executive",)
    assert "notify_panel" not in process.deadlines and "notify_panel" in base.deadlines
    tightened = process.deadlines["request_information"].rule
    assert tightened.n == 1 and tightened.location.file.endswith("local_extends.yaml")
    assert process.deadlines["request_information"].location.file.endswith("local_extends.yaml")
    assert process.deadlines["request_information"].title == "Ask agencies for information"  # inherited
    assert process.deviations[0].approved_on == date(2024, 3, 1)
    assert list(process.sources) == ["SEED-X", "LOCAL-PROC"]
    assert [Path(name).name for name in result.bundle] == ["local_extends.yaml", "full_language.yaml"]


def test_bundle_round_trip_rebuilds_the_same_process_without_files(registry: Registry) -> None:
    result = load_path(LOCAL, registry)
    assert result.process is not None
    clear_caches()
    again = load_from_bundle(result.bundle, result.file)
    assert again.text_hash == result.process.text_hash
    assert again.stages == result.process.stages
    assert again.deadlines == result.process.deadlines
    assert again == result.process
    assert load_from_bundle(dict(result.bundle), result.file) is again  # cached


def test_bundle_hash_ignores_file_names_but_not_texts(registry: Registry) -> None:
    result = load_path(LOCAL, registry)
    assert result.process is not None
    local_text, base_text = result.bundle.values()
    renamed = load_from_bundle({"stored/base.yaml": base_text, "stored/local.yaml": local_text},
                               "stored/local.yaml")
    assert renamed.text_hash == result.process.text_hash
    assert renamed.file == "stored/local.yaml"
    assert renamed.stages["aware"].location.file == "stored/base.yaml"
    edited = load_from_bundle({"b.yaml": base_text, "l.yaml": local_text + "\n# edited\n"}, "l.yaml")
    assert edited.text_hash != result.process.text_hash


def test_bundle_that_does_not_load_raises_definition_error() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_from_bundle({"l.yaml": _local("orphan", "missing-base")}, "l.yaml")
    assert _codes(caught.value.diagnostics) == ["L101"]
    with pytest.raises(NotFoundError):
        load_from_bundle({"l.yaml": "x"}, "other.yaml")


def test_unknown_base_says_did_you_mean(registry: Registry, tmp_path: Path) -> None:
    path = _write(tmp_path / "local.yaml", _local("local-one", "example-ful"))
    result = load_path(path, registry)
    assert result.process is None
    (problem,) = result.diagnostics
    assert (problem.code, problem.slug) == ("L101", "unknown-base")
    assert problem.hint == 'did you mean "example-full"?'
    assert (problem.location.line, problem.location.col) == (5, 10)


def test_two_workspace_files_with_one_id_are_each_an_error_naming_the_other(tmp_path: Path) -> None:
    first = _write(tmp_path / "a" / "first.yaml", FULL.read_text(encoding="utf-8"))
    second = _write(tmp_path / "b" / "second.yaml", FULL.read_text(encoding="utf-8"))
    registry = Registry([tmp_path / "a", tmp_path / "b"])
    assert _codes(registry.diagnostics) == ["L103"]
    assert registry.path_for("example-full") == first  # the first on the search path is used meanwhile
    (dup,) = [d for d in load_path(second, registry).diagnostics if d.code == "L103"]
    assert dup.location.line == 4 and "first.yaml" in dup.message
    (other,) = [d for d in load_path(first, registry).diagnostics if d.code == "L103"]
    assert "second.yaml" in other.message


def test_sibling_folders_only_find_bases_and_never_make_duplicates(tmp_path: Path) -> None:
    # a folder of examples that share ids (like the invalid corpus) is searched only as a fallback
    _write(tmp_path / "one.yaml", _local("same-id", "example-full"))
    two = _write(tmp_path / "two.yaml", _local("same-id", "example-full"))
    report = validate_paths([two], default_registry([VALID]))
    assert "L103" not in _codes(report.files[0].diagnostics)


def test_impossible_dates_are_each_reported_where_written(registry: Registry, tmp_path: Path) -> None:
    path = _write(tmp_path / "dates.yaml", _local("dated", "example-full", """
        effective_from: "2023-02-29"
        deviations:
          - {item: deadlines.x, reason: r, approved_on: "2024-04-31"}
        """))
    result = load_path(path, registry)
    assert result.process is None
    assert [(d.code, d.location.line, d.location.col) for d in result.diagnostics] == [
        ("L104", 7, 17), ("L104", 9, 49)]
    assert '"2023-02-29" is not a real calendar date' in result.diagnostics[0].message


def test_guard_syntax_error_points_inside_the_guard(registry: Registry) -> None:
    path = DEFS / "invalid" / "X501-expression-syntax.yaml"
    result = load_path(path, registry)
    assert result.process is None
    first, second = result.diagnostics
    assert (first.code, first.slug, first.location.line, first.location.col) == ("X501", "expression-syntax", 13, 63)
    assert 'use "=="' in first.message and first.hint is not None
    assert (second.location.line, second.location.col) == (17, 24)  # the '.' of case.harm


def test_a_base_with_errors_is_reported_at_extends(registry: Registry, tmp_path: Path) -> None:
    _write(tmp_path / "base.yaml", FULL.read_text(encoding="utf-8").replace(
        'id: example-full ', 'id: broken-base  ').replace('"2024-12-24"', '"2024-12-32"'))
    local = _write(tmp_path / "local.yaml", _local("on-broken", "broken-base"))
    result = load_path(local, Registry([tmp_path]))
    (problem,) = result.diagnostics
    assert problem.code == "L105" and (problem.location.line, problem.location.col) == (5, 1)
    assert 'base process "broken-base"' in problem.message and "1 error" in problem.message


def test_a_yaml_file_that_is_not_a_definition_gets_one_clear_problem(registry: Registry, tmp_path: Path) -> None:
    path = _write(tmp_path / "scenario.yaml", "process: example-full\nsteps: []\n")
    assert _codes(load_path(path, registry).diagnostics) == ["L106"]


def test_schema_errors_stop_the_file_before_it_is_built(registry: Registry, tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.yaml", _local("bad-key", "example-full", "colour: blue\n"))
    result = load_path(path, registry)
    assert result.process is None and result.diagnostics and result.diagnostics[0].code.startswith("S")


def test_a_patch_that_breaks_the_merged_definition_is_caught(registry: Registry, tmp_path: Path) -> None:
    # removing the title of an inherited stage leaves an incomplete stage in the resolved process
    path = _write(tmp_path / "local.yaml", _local("no-title", "example-full", """
        stages:
          decision: {title: null}
        """))
    result = load_path(path, registry)
    assert result.process is None
    assert all(d.code.startswith("S") for d in result.diagnostics) and result.diagnostics


def test_load_process_by_id(registry: Registry) -> None:
    assert load_process_by_id("example-local", registry).roles["executive"].replaces == "partners"
    with pytest.raises(NotFoundError) as missing:
        load_process_by_id("example-locl", registry)
    assert missing.value.hint == 'did you mean "example-local"?'


def test_load_process_by_id_raises_with_every_diagnostic(tmp_path: Path) -> None:
    _write(tmp_path / "bad.yaml", _local("two-bad-dates", "example-full", """
        effective_from: "2023-02-29"
        effective_to: "2023-02-30"
        """))
    with pytest.raises(DefinitionError) as caught:
        load_process_by_id("two-bad-dates", default_registry([VALID, tmp_path]))
    assert _codes(caught.value.diagnostics) == ["L104", "L104"]


def test_a_shared_base_is_read_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, registry: Registry) -> None:
    reads: list[str] = []
    real = loader.yamlio.load_yaml_file

    def counting(path, display_name=None, **kw):  # type: ignore[no-untyped-def]
        reads.append(Path(path).name)
        return real(path, display_name, **kw)

    monkeypatch.setattr(loader.yamlio, "load_yaml_file", counting)
    locals_ = [_write(tmp_path / f"l{i}.yaml", _local(f"local-{i}", "example-full")) for i in range(5)]
    results = [load_path(p, registry) for p in locals_]
    assert all(r.process is not None for r in results)
    assert reads.count("full_language.yaml") == 1
    assert results[0].base is results[1].base


def test_an_edited_base_is_reloaded(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    shutil.copy(FULL, base)
    local = _write(tmp_path / "local.yaml", _local("edited-local", "example-full"))
    registry = Registry([tmp_path])
    before = load_path(local, registry).process
    base.write_text(FULL.read_text(encoding="utf-8").replace("Notify the National Panel", "Tell the Panel!"),
                    encoding="utf-8")
    after = load_path(local, registry).process
    assert before is not None and after is not None
    assert after.deadlines["notify_panel"].title == "Tell the Panel!"
    assert after.text_hash != before.text_hash


def test_registry_skips_scenarios_and_files_that_are_not_definitions(tmp_path: Path) -> None:
    _write(tmp_path / "p" / "def.yaml", _local("found-me", "example-full"))
    _write(tmp_path / "p" / "scenarios" / "s.yaml", _local("scenario-like", "example-full"))
    _write(tmp_path / "p" / "other.yaml", "id: not-a-process\nname: x\n")
    registry = Registry([tmp_path / "p"])
    assert registry.ids() == ["found-me"]
    assert registry.extends_of("found-me") == "example-full"
    assert registry.path_for("nope") is None


def test_validate_paths_expands_folders_and_sorts_each_files_problems(tmp_path: Path) -> None:
    _write(tmp_path / "good.yaml", _local("good-local", "example-full"))
    _write(tmp_path / "bad.yaml", _local("bad-local", "example-full", """
        effective_to: "2030-02-30"
        effective_from: "2029-02-29"
        """))
    _write(tmp_path / "scenarios" / "ignored.yaml", "not: [a, definition]\n")
    report = validate_paths([tmp_path], default_registry([VALID]))
    by_name = {Path(f.file).name: f for f in report.files}
    assert sorted(by_name) == ["bad.yaml", "good.yaml"]
    bad = by_name["bad.yaml"]
    assert bad.process_id == "bad-local"
    assert [(d.code, d.location.line) for d in bad.diagnostics] == [("L104", 7), ("L104", 8)]
    assert report.error_count >= 2 and not report.ok
    assert not [d for d in by_name["good.yaml"].diagnostics if d.is_error]


def test_every_code_is_listed_once_with_a_summary() -> None:
    assert [c.code for c in CODES] == ["L101", "L102", "L103", "L104", "L105", "L106", "L107", "L108", "L109", "L110", "L111",
                                     "X501"]
    assert all(c.summary and c.slug for c in CODES)


@pytest.mark.parametrize("path", sorted([*(DEFS / "invalid").glob("L1*.yaml"), *(DEFS / "invalid").glob("X501*.yaml")]), ids=lambda p: p.name)
def test_invalid_corpus_file_reports_exactly_its_code(path: Path) -> None:
    expected = path.read_text(encoding="utf-8").splitlines()[0].removeprefix("# expect: ").strip()
    report = validate_paths([path], default_registry([VALID]))
    errors = {d.code for f in report.files for d in f.diagnostics if d.is_error}
    assert errors == {expected}


def test_hash_is_over_the_chain_texts() -> None:
    text = "abc"
    raw = text.encode()
    assert loader.definition_hash([text]) == hashlib.sha256(b"3\n" + raw).hexdigest()


_PARTNERSHIP = """
    reviewflow: 1
    kind: partnership
    id: northshire
    title: Northshire Safeguarding Children Partnership
    version: "1.0.0"
    processes: [northshire-rapid-review]
    themes:
      escalation: {title: Escalation processes}
    reporting:
      suppress_below: 5
      outcome_field: review_type
    """


@pytest.mark.parametrize(("personal", "codes"), [(True, [("X507", 11)]), (False, [])])
def test_a_partnerships_outcome_field_marked_personal_in_a_member_is_x507_at_the_setting(
        tmp_path: Path, personal: bool, codes: list[tuple[str, int]]) -> None:
    """Lint reads one definition at a time, so X507 could not see the outcome field a partnership names."""
    _write(tmp_path / "northshire" / "rapid-review.yaml", _local("northshire-rapid-review", "leeds-rapid-review", f"""
        fields:
          review_type: {{personal: {str(personal).lower()}}}
        """))
    partnership = _write(tmp_path / "northshire" / "partnership.yaml", _PARTNERSHIP)
    report = validate_paths([partnership], default_registry([tmp_path]))
    found = [d for f in report.files for d in f.diagnostics]
    assert [(d.code, d.location.line) for d in found] == codes, found
    if personal:
        assert found[0].message == ('field "review_type" is marked personal in northshire-rapid-review, but the '
                                    "scrutiny and yearly reports count its values (it is this partnership's "
                                    "reporting.outcome_field)")
        assert found[0].location.col == 3
