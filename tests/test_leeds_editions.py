"""The two Leeds rapid review editions: leeds-rapid-review-2018 (on wt2018-national, to 14 December 2023) and
leeds-rapid-review (on wt2023-national, from 15 December 2023). They meet with no gap and no overlap, both
belong to the Leeds partnership (so reports count both), and they carry the same local procedure: the
2018 file differs from the 2023 one only where the edition differs (the base role the LSCP Executive
replaces, who chaired the RAG, the Independent Chair), as the 2018 file's notes list. A step added to one
file and not the other fails here."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import yaml
from reviewflow.engine.definition.loader import default_registry, load_path
from reviewflow.engine.definition.model import Process
from reviewflow.engine.paths import processes_dir

LEEDS = processes_dir() / "leeds"
SAME_SECTIONS = ("reviewflow", "partnership", "fields", "events", "stages", "deadlines", "gates")


def raw(name: str) -> dict[str, Any]:
    data = yaml.safe_load((LEEDS / name).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def process(process_id: str) -> Process:
    registry = default_registry()
    path = registry.path_for(process_id)
    assert path is not None
    loaded = load_path(path, registry).process
    assert loaded is not None
    return loaded


def test_the_two_editions_meet_with_no_gap_and_no_overlap() -> None:
    old, new = process("leeds-rapid-review-2018"), process("leeds-rapid-review")
    assert (old.extends, new.extends) == ("wt2018-national", "wt2023-national")
    assert old.effective_to is not None and new.effective_from is not None
    assert old.effective_to + timedelta(days=1) == new.effective_from
    assert not old.in_force(new.effective_from) and not new.in_force(old.effective_to)
    assert old.effective_from == process("wt2018-national").effective_from  # inherited: 29 June 2018


def test_both_editions_belong_to_the_leeds_partnership() -> None:
    members = process("leeds").member_processes
    assert "leeds-rapid-review" in members and "leeds-rapid-review-2018" in members
    assert process("leeds-rapid-review-2018").partnership == process("leeds-rapid-review").partnership


def test_the_local_procedure_is_the_same_in_both_editions() -> None:
    old, new = raw("leeds-rapid-review-2018.yaml"), raw("leeds-rapid-review.yaml")
    for section in SAME_SECTIONS:
        assert old[section] == new[section], f"{section} differs between the two Leeds editions"
    assert old["sources"].keys() == new["sources"].keys()


def test_the_roles_differ_only_where_the_edition_does() -> None:
    old, new = raw("leeds-rapid-review-2018.yaml")["roles"], raw("leeds-rapid-review.yaml")["roles"]
    assert set(old) - set(new) == {"independent_chair"} and set(new) <= set(old)
    differing = {rid for rid in new if old[rid] != new[rid]}
    assert differing == {"lscp_executive", "rag"}
    assert (old["lscp_executive"]["replaces"], new["lscp_executive"]["replaces"]) == (
        "safeguarding_partners", "delegated_safeguarding_partners")
    for key in ("title", "kind", "members", "cite"):
        assert old["lscp_executive"][key] == new["lscp_executive"][key]
    # OQ-19: the Independent Chair chaired the RAG in 2021-22 (LEEDS-LFR21); the rotation is today's
    assert old["rag"]["chair"] == "independent_chair" and "rotates" in new["rag"]["chair"]
    for key in ("title", "kind", "members"):
        assert old["rag"][key] == new["rag"][key]


def test_the_resolved_editions_have_the_same_steps_and_timings() -> None:
    old, new = process("leeds-rapid-review-2018"), process("leeds-rapid-review")
    for section in ("events", "stages", "deadlines", "gates", "holds", "fields"):
        assert list(getattr(old, section)) == list(getattr(new, section)), section
    for deadline_id, deadline in new.deadlines.items():
        assert old.deadlines[deadline_id].rule.describe() == deadline.rule.describe(), deadline_id
        assert old.deadlines[deadline_id].weight == deadline.weight, deadline_id
    assert "safeguarding_partners" not in old.roles and "delegated_safeguarding_partners" not in new.roles
    for gate_id in ("review_without_notification", "cspr_decision"):
        assert old.gates[gate_id].decided_by == new.gates[gate_id].decided_by == "lscp_executive"
