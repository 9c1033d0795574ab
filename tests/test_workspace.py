"""A partnership's own definitions on the search path: order, shadowing, scenarios, scaffolding, copies.

These run the library in-process; tests/test_workspace_installed.py runs the same story from an installed
wheel in a temporary git repository.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from reviewflow.engine.definition import searchpath
from reviewflow.engine.definition.loader import Registry, bundled_name, yaml_kind
from reviewflow.engine.definition.searchpath import Origin
from reviewflow.engine.errors import EngineError
from reviewflow.engine.paths import processes_dir
from reviewflow.engine.scenarios.suite import discover, run_paths
from reviewflow.engine.validation import validate_paths
from reviewflow.engine.workspace.copy import copy_bundled
from reviewflow.engine.workspace.scaffold import scaffold

LEEDS = processes_dir() / "leeds" / "leeds-rapid-review.yaml"


def local_definition(process_id: str, extra: str = "") -> str:
    return (f"reviewflow: 1\nid: {process_id}\ntitle: Devon rapid review\n"
            f"partnership: Devon Children and Families Partnership\nversion: \"1.0.0\"\n"
            f"extends: wt2023-national\n{extra}")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- the search path -------------------------------------------------------------------------------


def test_the_search_path_is_options_then_environment_then_local_processes_then_bundled(tmp_path: Path) -> None:
    a, b, c = (tmp_path / name for name in ("a", "b", "c"))
    for folder in (a, b, c, tmp_path / "processes"):
        folder.mkdir()
    found = searchpath.resolve([a], {"REVIEWFLOW_PATH": f"{b}{os.pathsep}{c}"}, tmp_path)
    assert [(r.path.resolve(), r.origin) for r in found.roots] == [
        (a.resolve(), Origin.OPTION), (b.resolve(), Origin.ENVIRONMENT), (c.resolve(), Origin.ENVIRONMENT),
        ((tmp_path / "processes").resolve(), Origin.WORKSPACE), (processes_dir().resolve(), Origin.BUNDLED)]
    assert found.has_workspace


def test_without_a_workspace_only_the_bundled_definitions_are_searched(tmp_path: Path) -> None:
    found = searchpath.resolve([], {}, tmp_path)
    assert [r.origin for r in found.roots] == [Origin.BUNDLED] and not found.has_workspace


def test_a_folder_named_on_the_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(EngineError) as caught:
        searchpath.resolve([], {"REVIEWFLOW_PATH": str(tmp_path / "typo")}, tmp_path)
    assert "REVIEWFLOW_PATH names" in caught.value.message and "does not exist" in caught.value.message
    with pytest.raises(EngineError, match="--processes names"):
        searchpath.resolve([tmp_path / "nope"], {}, tmp_path)


def test_the_same_folder_twice_is_searched_once(tmp_path: Path) -> None:
    (tmp_path / "processes").mkdir()
    found = searchpath.resolve([tmp_path / "processes"], {}, tmp_path)
    assert [r.origin for r in found.roots] == [Origin.OPTION, Origin.BUNDLED]


# --- shadowing, not collision -----------------------------------------------------------------------


def test_a_workspace_definition_with_a_bundled_id_replaces_it_with_one_warning(tmp_path: Path) -> None:
    copy = write(tmp_path / "processes" / "leeds.yaml", LEEDS.read_text(encoding="utf-8"))
    search = searchpath.resolve([], {}, tmp_path)
    registry = Registry.for_search_path(search)
    assert registry.path_for("leeds-rapid-review") == copy
    assert registry.diagnostics == []
    report = validate_paths([tmp_path / "processes"], registry)
    diagnostics = [d for f in report.files for d in f.diagnostics]
    assert [d.code for d in diagnostics] == ["L107"]
    assert "replaces the bundled definition bundled:leeds/leeds-rapid-review.yaml" in diagnostics[0].message
    assert report.error_count == 0


def test_two_workspace_files_with_one_id_stay_an_error(tmp_path: Path) -> None:
    text = local_definition("devon-rapid-review")
    write(tmp_path / "one" / "devon.yaml", text)
    write(tmp_path / "two" / "devon.yaml", text)
    search = searchpath.resolve([tmp_path / "one", tmp_path / "two"], {}, tmp_path)
    report = validate_paths([tmp_path / "one", tmp_path / "two"], Registry.for_search_path(search))
    assert sorted(d.code for f in report.files for d in f.diagnostics if d.is_error) == ["L103", "L103"]


def test_bundled_files_are_named_bundled_not_by_a_site_packages_path() -> None:
    assert bundled_name(LEEDS) == "bundled:leeds/leeds-rapid-review.yaml"


# --- errors start at the cause ------------------------------------------------------------------------


def test_problems_a_local_slip_causes_inside_the_base_are_one_line_after_the_cause(tmp_path: Path) -> None:
    local = write(tmp_path / "devon.yaml", local_definition("devon-rapid-review", "roles:\n  local_authority: null\n"))
    collapsed = validate_paths([local]).files[0].diagnostics
    assert [d.code for d in collapsed] == ["C401", "L108"]
    assert all(d.location.file.endswith("devon.yaml") for d in collapsed)
    assert collapsed[1].message.startswith("7 further problems inside the base (bundled:national/wt2023.yaml)")
    assert collapsed[1].location.line == 6  # the `extends:` line
    every = validate_paths([local], all_problems=True).files[0].diagnostics
    assert len(every) == 8 and sum(d.code == "R101" for d in every) == 7


# --- conformance sees the calendar -----------------------------------------------------------------------


CHRISTMAS_CLOSURE = """\
calendar:
  closures:
    - {date: "2024-12-23", name: "Christmas closure"}
    - {date: "2024-12-24", name: "Christmas closure"}
    - {date: "2024-12-27", name: "Christmas closure"}
    - {date: "2024-12-30", name: "Christmas closure"}
    - {date: "2024-12-31", name: "Christmas closure"}
"""


def test_a_local_closure_may_not_give_more_time_for_the_locked_notification(tmp_path: Path) -> None:
    local = write(tmp_path / "devon.yaml", local_definition("devon-rapid-review", CHRISTMAS_CLOSURE))
    errors = [d for d in validate_paths([local]).files[0].diagnostics if d.is_error]
    notify = [d for d in errors if d.code == "C407" and "notify_panel" in d.message]
    assert len(notify) == 1, errors
    # Aware Sun 22 Dec 2024: Mon 23 (1), Tue 24 (2), Fri 27 (3), Mon 30 (4), Tue 31 Dec (5) on the national
    # calendar; with the closures: Thu 2 Jan (1), Fri 3 (2), Mon 6 (3), Tue 7 (4), Wed 8 Jan 2025 (5).
    assert notify[0].message.endswith("when became_aware is on 2024-12-22 it falls due 2025-01-08 instead of "
                                      "2024-12-31")
    assert notify[0].location.line == 9 and notify[0].location.file.endswith("devon.yaml")  # the first closure


def test_a_closure_with_a_recorded_deviation_is_an_always_shown_warning(tmp_path: Path) -> None:
    deviation = ('deviations:\n  - item: deadlines.notify_panel\n    reason: "Agreed with the Panel"\n'
                 '    approved_by: Partnership executive\n    approved_on: "2024-11-01"\n')
    local = write(tmp_path / "devon.yaml", local_definition("devon-rapid-review", CHRISTMAS_CLOSURE + deviation))
    found = [d for d in validate_paths([local]).files[0].diagnostics if d.code == "C407"]
    assert found and all(not d.is_error for d in found if "notify_panel" in d.message)


def test_one_away_day_on_a_weekday_is_found_too_and_no_closure_is_clean(tmp_path: Path) -> None:
    text = local_definition("devon-rapid-review", 'calendar:\n  closures:\n    - {date: "2025-08-27", name: "Away day"}\n')
    found = [d.code for d in validate_paths([write(tmp_path / "d.yaml", text)]).files[0].diagnostics]
    assert "C407" in found
    clean = validate_paths([write(tmp_path / "e.yaml", local_definition("e-rr"))]).files[0].diagnostics
    assert "C407" not in [d.code for d in clean]


# --- scenarios: what the user wrote ------------------------------------------------------------------------


def test_with_a_workspace_only_its_scenarios_run_unless_bundled_ones_are_asked_for(tmp_path: Path) -> None:
    scaffold("devon", "wt2023-national", tmp_path, searchpath.resolve([], {}, tmp_path))
    search = searchpath.resolve([], {}, tmp_path)
    mine, _ = discover([], search)
    assert [p.name for p in mine] == ["starter.yaml"]
    everything, _ = discover([], search, include_bundled=True)
    assert len(everything) > 10
    bundled, _ = discover([], searchpath.resolve([], {}, tmp_path / "processes"))
    assert len(bundled) == len(everything) - 1


def test_each_scenario_names_the_definition_file_it_ran_against(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    scaffold("devon", "wt2023-national", tmp_path, searchpath.resolve([], {}, tmp_path))
    run = run_paths([], searchpath.resolve([], {}, tmp_path))
    assert run.ok and [r.definition for r in run.results] == ["processes/devon/devon.yaml"]


def test_a_workspace_scenario_on_a_bundled_definition_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    scaffold("devon", "wt2023-national", tmp_path, searchpath.resolve([], {}, tmp_path))
    leeds_scenario = processes_dir() / "leeds" / "scenarios" / "rag-chain.yaml"
    write(tmp_path / "processes" / "checks" / "scenarios" / "leeds.yaml", leeds_scenario.read_text(encoding="utf-8"))
    run = run_paths([], searchpath.resolve([], {}, tmp_path))
    [leeds] = [r for r in run.results if r.file.endswith("leeds.yaml")]
    assert leeds.definition == "bundled:leeds/leeds-rapid-review.yaml"
    assert [d.code for d in leeds.diagnostics] == ["T716"]


def test_a_copied_bundled_definition_runs_its_copied_scenarios_and_an_edit_that_moves_a_date_fails_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    written = copy_bundled("leeds-rapid-review", tmp_path)
    names = sorted(p.path.relative_to(tmp_path).as_posix() for p in written)
    assert "processes/leeds/leeds-rapid-review.yaml" in names and "schemas/process.schema.json" in names
    assert sum("/scenarios/" in n for n in names) == 8  # the bundled Leeds scenarios
    search = searchpath.resolve([], {}, tmp_path)
    run = run_paths([], search)
    assert run.ok and {r.definition for r in run.results} == {"processes/leeds/leeds-rapid-review.yaml"}
    copy = tmp_path / "processes" / "leeds" / "leeds-rapid-review.yaml"
    text = copy.read_text(encoding="utf-8")
    old = "  rapid_review_due:\n"
    copy.write_text(text.replace(old, old + "    due: {working_days: 10, after: notified_panel}\n", 1), encoding="utf-8")
    again = run_paths([], search)
    assert again.failed >= 1
    failures = [f for r in again.results for f in r.failures]
    assert any("rapid_review_due" in str(f.to_dict()) for f in failures)


def test_copy_never_overwrites(tmp_path: Path) -> None:
    copy_bundled("kirklees-cspr", tmp_path)
    with pytest.raises(EngineError, match="already exists; nothing was copied"):
        copy_bundled("kirklees-cspr", tmp_path)


# --- reviewflow new ------------------------------------------------------------------------------------------


def test_new_makes_a_workspace_that_validates_and_tests_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("# Ours\n", encoding="utf-8")
    planned = scaffold("devon", "wt2023-national", tmp_path, searchpath.resolve([], {}, tmp_path))
    written = {p.path.relative_to(tmp_path).as_posix(): p.written for p in planned}
    assert written == {
        "processes/devon/devon.yaml": True, "processes/devon/scenarios/starter.yaml": True,
        "schemas/process.schema.json": True, "schemas/scenario.schema.json": True,
        "README.md": False, "requirements.txt": True, ".gitignore": True, ".pre-commit-config.yaml": True,
        ".github/workflows/reviewflow.yml": True}
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "# Ours\n"
    search = searchpath.resolve([], {}, tmp_path)
    report = validate_paths([tmp_path / "processes"], Registry.for_search_path(search))
    assert report.error_count == 0 and report.warning_count == 0
    assert run_paths([], search).ok


def test_new_writes_modelines_relative_to_the_vendored_schemas(tmp_path: Path) -> None:
    scaffold("devon", "wt2023-national", tmp_path, searchpath.resolve([], {}, tmp_path))
    for path in (tmp_path / "processes" / "devon" / "devon.yaml",
                 tmp_path / "processes" / "devon" / "scenarios" / "starter.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        target = first.split("$schema=")[1]
        assert not Path(target).is_absolute() and (path.parent / target).resolve().is_file()
        assert "site-packages" not in first and ".venv" not in first


def test_new_refuses_an_id_that_exists_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(EngineError, match="already exists"):
        scaffold("leeds-rapid-review", "wt2023-national", tmp_path, searchpath.resolve([], {}, tmp_path))
    assert not (tmp_path / "processes").exists()


# --- what pre-commit hands over ---------------------------------------------------------------------------------


def test_yaml_kind_tells_definitions_and_scenarios_from_other_yaml(tmp_path: Path) -> None:
    assert yaml_kind(write(tmp_path / "x.yaml", "reviewflow: 1\nid: x\n")) == "definition"
    assert yaml_kind(write(tmp_path / "processes" / "broken.yaml", "id: [\n")) == "definition"
    assert yaml_kind(write(tmp_path / "a" / "scenarios" / "s.yaml", "title: t\n")) == "scenario"
    assert yaml_kind(write(tmp_path / "s.yaml", "scenario: 1\n")) == "scenario"
    assert yaml_kind(write(tmp_path / ".pre-commit-config.yaml", "repos: []\n")) is None
    assert yaml_kind(write(tmp_path / ".github" / "workflows" / "ci.yml", "on: push\n")) is None


def test_dates_in_this_file_are_real() -> None:
    assert date(2024, 12, 22).weekday() == 6  # Sunday, as the closure test's comment says


# --- what validate rejects, nothing runs on ---------------------------------------------------------------


LOOSENED = "deadlines:\n  notify_panel:\n    due: {working_days: 9, after: became_aware}\n"


def test_no_case_opens_on_a_definition_that_validate_rejects(tmp_path: Path) -> None:
    from reviewflow.engine.errors import DefinitionError
    from reviewflow.engine.service import CaseService
    from reviewflow.engine.store import open_store

    write(tmp_path / "processes" / "devon.yaml", local_definition("devon-rapid-review", LOOSENED))
    service = CaseService(open_store(":memory:"), Registry.for_search_path(searchpath.resolve([], {}, tmp_path)))
    with pytest.raises(DefinitionError) as caught:
        service.open("devon-rapid-review", "DEV-1", date(2024, 3, 4), "local_authority",
                     {"harm": "seriously_harmed", "abuse_or_neglect": True}, "Child A")
    assert sorted(d.code for d in caught.value.diagnostics) == ["C403", "C404"]
    assert service.cases() == []


def test_a_scenario_on_a_definition_that_validate_rejects_is_invalid_not_passed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    scaffold("devon", "wt2023-national", tmp_path, searchpath.resolve([], {}, tmp_path))
    definition = tmp_path / "processes" / "devon" / "devon.yaml"
    definition.write_text(definition.read_text(encoding="utf-8") + "\n" + LOOSENED, encoding="utf-8")
    run = run_paths([], searchpath.resolve([], {}, tmp_path))
    [result] = run.results
    assert not run.ok and result.invalid
    assert [d.code for d in result.diagnostics] == ["T711"]
    assert "is invalid" in result.diagnostics[0].message and "C404 locked deadlines.notify_panel" in result.diagnostics[0].message


def test_new_writes_a_gitignore_that_keeps_case_stores_out(tmp_path: Path) -> None:
    scaffold("devon", "wt2023-national", tmp_path, searchpath.resolve([], {}, tmp_path))
    ignored = (tmp_path / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "*.db" in ignored and "*.db-wal" in ignored and "scenario-results.xml" in ignored
