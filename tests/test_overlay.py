"""`extends`: merge-patch semantics, role replacement, provenance, chains and cycles."""

from __future__ import annotations

import textwrap
from pathlib import Path

from reviewflow.engine.definition.loader import Registry, clear_caches, load_path
from reviewflow.engine.definition.overlay import Resolved, resolve, role_references
from reviewflow.engine.definition.yamlio import Document, load_yaml_text
from reviewflow.engine.errors import Location


def _doc(text: str, file: str) -> Document:
    doc, problems = load_yaml_text(textwrap.dedent(text).lstrip("\n"), file)
    assert doc is not None and not problems, problems
    return doc


BASE = """
reviewflow: 1
id: base
title: Base
version: "1"
description: Only the base says this.
notes: [a base note]
roles:
  partners: {title: Partners, kind: body}
  police: {title: Police, kind: partner}
deadlines:
  notify:
    title: Notify
    due: {working_days: 5, after: aware}
    met_by: [notified]
    weight: statutory
    cite: {source: WT, section: "4", basis: LAW}
  review:
    title: Review
    window: {working_days: [7, 13], after: notified}
    met_by: [met]
calendar:
  closures:
    - {date: "2024-12-24", name: Eve}
    - {date: "2024-12-27", name: Extra}
deviations:
  - {item: deadlines.x, reason: base only}
"""


def _base() -> Resolved:
    return resolve(_doc(BASE, "base.yaml"), None)


def test_mappings_merge_by_key_and_untouched_keys_survive() -> None:
    local = _doc("""
        reviewflow: 1
        id: local
        title: Local
        version: "2"
        extends: base
        deadlines:
          notify:
            title: Notify the Panel
        """, "local.yaml")
    data = resolve(local, _base()).data
    assert data["deadlines"]["notify"]["title"] == "Notify the Panel"
    assert data["deadlines"]["notify"]["met_by"] == ["notified"]
    assert data["deadlines"]["notify"]["weight"] == "statutory"
    assert data["deadlines"]["review"]["title"] == "Review"
    assert list(data["roles"]) == ["partners", "police"]


def test_null_deletes_and_nulls_inside_new_mappings_are_dropped() -> None:
    local = _doc("""
        reviewflow: 1
        id: local
        title: Local
        version: "2"
        extends: base
        deadlines:
          review: null
          notify: {weight: null}
          extra: {title: Extra, escalate_to: null}
        """, "local.yaml")
    resolved = resolve(local, _base())
    deadlines = resolved.data["deadlines"]
    assert "review" not in deadlines
    assert "weight" not in deadlines["notify"]
    assert deadlines["extra"] == {"title": "Extra"}
    assert ("deadlines", "review") not in resolved.origins


def test_each_null_that_deletes_a_base_value_remembers_where_it_was_written() -> None:
    local = _doc("""
        reviewflow: 1
        id: local
        title: Local
        version: "2"
        extends: base
        roles:
          police: null
        deadlines:
          review: null
          notify: {weight: null}
          extra: {title: Extra, escalate_to: null}
          ghost: null
        """, "local.yaml")
    removed = resolve(local, _base()).removed
    assert removed == {("roles", "police"): Location("local.yaml", 7, 3),
                       ("deadlines", "review"): Location("local.yaml", 9, 3),
                       ("deadlines", "notify", "weight"): Location("local.yaml", 10, 12)}
    # `extra.escalate_to` and `ghost` deleted nothing of the base; a standalone file removes nothing
    assert resolve(_doc(BASE, "base.yaml"), None).removed == {}


def test_lists_are_replaced_whole() -> None:
    local = _doc("""
        reviewflow: 1
        id: local
        title: Local
        version: "2"
        extends: base
        calendar:
          closures: [{date: "2025-01-02", name: Local day}]
        deadlines:
          notify: {met_by: [notified, notified_again]}
        """, "local.yaml")
    data = resolve(local, _base()).data
    assert data["calendar"]["closures"] == [{"date": "2025-01-02", "name": "Local day"}]
    assert data["deadlines"]["notify"]["met_by"] == ["notified", "notified_again"]


def test_identity_keys_and_deviations_come_from_the_local_file_only() -> None:
    local = _doc("""
        reviewflow: 1
        id: local
        title: Local
        version: "2"
        extends: base
        """, "local.yaml")
    data = resolve(local, _base()).data
    assert (data["id"], data["title"], data["version"], data["extends"]) == ("local", "Local", "2", "base")
    assert "description" not in data and "notes" not in data and "deviations" not in data


def test_a_rule_or_citation_is_replaced_whole_and_due_replaces_window() -> None:
    local = _doc("""
        reviewflow: 1
        id: local
        title: Local
        version: "2"
        extends: base
        deadlines:
          notify:
            due: {calendar_days: 3, after: aware}
            cite: {source: LOCAL}
          review:
            due: {working_days: 10, after: notified}
        """, "local.yaml")
    deadlines = resolve(local, _base()).data["deadlines"]
    assert deadlines["notify"]["due"] == {"calendar_days": 3, "after": "aware"}
    assert deadlines["notify"]["cite"] == {"source": "LOCAL"}
    assert "window" not in deadlines["review"]
    assert deadlines["review"]["due"] == {"working_days": 10, "after": "notified"}


REFERENCES = """
reviewflow: 1
id: refs
title: Every kind of role reference
version: "1"
deadline_authority: {extend: [partners], pause: [partners, police], waive: [partners]}
roles:
  partners: {title: Partners, kind: body, members: [police]}
  police: {title: Police, kind: partner}
  group: {title: Group, kind: body, members: [partners, police], chair: partners}
  rota: {title: Rota, kind: body, chair: {rotates: [police, partners], every_months: 12, starting: "2024-01-01"}}
events:
  aware: {title: Aware, by: [partners, police]}
stages:
  start: {title: Start, owner: partners, initial: true}
deadlines:
  notify:
    title: Notify
    due: {working_days: 5, after: aware}
    met_by: [aware]
    escalate_to: partners
    authority: {extend: [partners], pause: [], waive: [partners]}
gates:
  decide:
    title: Decide
    at: start
    recommended_by: partners
    decided_by: partners
    dispute: {decided_by: partners}
    options:
      act: {title: Act, to: start, notify: [partners, police]}
"""


def test_role_replaces_rewrites_every_kind_of_reference_and_removes_the_base_role() -> None:
    base = resolve(_doc(REFERENCES, "refs.yaml"), None)
    before = [path for path, name in role_references(base.data) if name == "partners"]
    assert len(before) == 15  # every reference kind of the language appears above
    local = _doc("""
        reviewflow: 1
        id: local
        title: Local
        version: "2"
        extends: refs
        roles:
          executive: {title: Executive, kind: body, replaces: partners}
        """, "local.yaml")
    resolved = resolve(local, base)
    data = resolved.data
    assert "partners" not in data["roles"]
    assert not [path for path, name in role_references(data) if name == "partners"]
    assert data["deadline_authority"] == {"extend": ["executive"], "pause": ["executive", "police"],
                                          "waive": ["executive"]}
    assert data["roles"]["group"]["chair"] == "executive"
    assert data["roles"]["rota"]["chair"]["rotates"] == ["police", "executive"]
    assert data["events"]["aware"]["by"] == ["executive", "police"]
    assert data["stages"]["start"]["owner"] == "executive"
    assert data["deadlines"]["notify"]["escalate_to"] == "executive"
    assert data["deadlines"]["notify"]["authority"]["waive"] == ["executive"]
    gate = data["gates"]["decide"]
    assert (gate["recommended_by"], gate["decided_by"], gate["dispute"]["decided_by"]) == ("executive",) * 3
    assert gate["options"]["act"]["notify"] == ["executive", "police"]
    for path in before:
        assert resolved.origin(path).file == "refs.yaml"  # the reference was written in the base
    assert ("roles", "partners") not in resolved.origins


def test_provenance_points_at_the_file_and_line_that_wrote_each_value() -> None:
    local_text = """
        reviewflow: 1
        id: local
        title: Local
        version: "2"
        extends: base
        deadlines:
          notify:
            title: Notify the Panel
        """
    resolved = resolve(_doc(local_text, "local.yaml"), _base())
    assert resolved.locate(["deadlines", "notify", "title"]) == Location("local.yaml", 8, 12)
    assert resolved.locate(["deadlines", "notify", "met_by"]) == Location("base.yaml", 14, 13)
    # the element key is reported where the local file patches it: that is where its author looks
    assert resolved.key_locate(["deadlines", "notify"]) == Location("local.yaml", 7, 3)
    assert resolved.locate(["deadlines", "notify", "met_by", 0]).file == "base.yaml"
    assert resolved.locate(["id"]) == Location("local.yaml", 2, 5)
    merged = resolved.as_document()
    assert merged.location(["deadlines", "review", "window"]).file == "base.yaml"
    assert merged.key_location(["deadlines", "notify", "title"]) == Location("local.yaml", 8, 5)


def test_chain_of_three_applies_in_order_and_remembers_every_file() -> None:
    middle = _doc("""
        reviewflow: 1
        id: middle
        title: Middle
        version: "1"
        extends: base
        roles:
          executive: {title: Executive, kind: body, replaces: partners}
        deadlines:
          notify: {title: Middle title, escalate_to: partners}
        """, "middle.yaml")
    top = _doc("""
        reviewflow: 1
        id: top
        title: Top
        version: "1"
        extends: middle
        deadlines:
          notify: {met_by: [told]}
        """, "top.yaml")
    resolved = resolve(top, resolve(middle, _base()))
    notify = resolved.data["deadlines"]["notify"]
    assert (notify["title"], notify["met_by"], notify["weight"]) == ("Middle title", ["told"], "statutory")
    assert notify["escalate_to"] == "executive"
    assert [d.file for d in resolved.chain] == ["top.yaml", "middle.yaml", "base.yaml"]
    assert resolved.origin(["deadlines", "notify", "met_by"]).file == "top.yaml"
    assert resolved.origin(["deadlines", "notify", "title"]).file == "middle.yaml"
    assert resolved.origin(["deadlines", "notify", "due"]).file == "base.yaml"
    assert resolved.origin(["roles", "executive"]).file == "middle.yaml"


def _write(root: Path, name: str, process_id: str, extends: str) -> Path:
    path = root / name
    path.write_text(textwrap.dedent(f"""\
        reviewflow: 1
        id: {process_id}
        title: {process_id}
        version: "1"
        extends: {extends}
        """), encoding="utf-8")
    return path


def test_extends_cycle_is_reported_at_each_files_extends(tmp_path: Path) -> None:
    clear_caches()
    a = _write(tmp_path, "a.yaml", "loop-a", "loop-b")
    _write(tmp_path, "b.yaml", "loop-b", "loop-c")
    _write(tmp_path, "c.yaml", "loop-c", "loop-a")
    result = load_path(a, Registry([tmp_path]))
    assert result.process is None
    (cycle,) = [d for d in result.diagnostics if d.code == "L102"]
    assert cycle.message == "extends cycle: loop-a → loop-b → loop-c → loop-a"
    assert (cycle.location.file.endswith("a.yaml"), cycle.location.line, cycle.location.col) == (True, 5, 10)


def test_a_definition_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    clear_caches()
    me = _write(tmp_path, "me.yaml", "me", "me")
    result = load_path(me, Registry([tmp_path]))
    assert [d.code for d in result.diagnostics] == ["L102"]
    assert "me → me" in result.diagnostics[0].message
