"""CaseService over a real store: a case stays on the definition it was opened with."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from reviewflow.engine.definition.loader import Registry, clear_caches
from reviewflow.engine.errors import RefusedError
from reviewflow.engine.service import CaseService
from reviewflow.engine.store import ConcurrencyError, open_store
from test_runtime_support import FULL, OPEN_FIELDS

D = date


@pytest.fixture
def setup(tmp_path: Path):
    root = tmp_path / "processes"
    root.mkdir()
    (root / "example.yaml").write_text(FULL.read_text(encoding="utf-8"), encoding="utf-8")
    store = open_store(tmp_path / "cases.db")
    yield CaseService(store, Registry([root])), root, store
    store.close()


def test_open_record_show(setup):
    service, _, store = setup
    service.open("example-full", "C-1", D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child B")
    service.record("C-1", "notified_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 5))
    shown = service.show("C-1", D(2024, 3, 5))
    assert shown["stage"]["id"] == "rapid_review" and shown["pseudonym"] == "Child B"
    assert shown["definition"]["newer"] is None
    assert store.case("C-1").stage == "rapid_review" and store.case("C-1").last_seq == 2
    due = {r.deadline_id: r for r in service.due(D(2024, 3, 5))}
    assert due["request_information"].due == D(2024, 3, 7) and "notify_panel" not in due  # met: not open
    assert [h["seq"] for h in service.history("C-1")] == [1, 2]
    assert service.verify("C-1") == []
    assert service.explain("C-1", "meeting_window", D(2024, 3, 5))["window"] == {"from": "2024-03-14",
                                                                                   "to": "2024-03-22"}
    assert [c.ref for c in service.cases("example-full", open_only=True)] == ["C-1"]


def test_refusals_reach_the_caller_and_store_nothing(setup):
    service, _, store = setup
    service.open("example-full", "C-1", D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child B")
    with pytest.raises(RefusedError) as info:
        service.record("C-1", "meeting_held", D(2024, 3, 5), "business_manager", D(2024, 3, 5))
    assert "record notified_panel by local_authority" in info.value.allowed
    assert store.case("C-1").last_seq == 1


def test_a_case_stays_on_its_definition_and_show_says_a_newer_one_exists(setup):
    service, root, _ = setup
    service.open("example-full", "C-1", D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child B")
    text = (root / "example.yaml").read_text(encoding="utf-8")
    changed = text.replace('version: "1.0.0"', 'version: "1.1.0"').replace(
        "due: {working_days: 5, after: became_aware}", "due: {working_days: 3, after: became_aware}")
    assert changed != text
    (root / "example.yaml").write_text(changed, encoding="utf-8")
    clear_caches()
    fresh = CaseService(service.store, Registry([root]))
    shown = fresh.show("C-1", D(2024, 3, 4))
    assert shown["version"] == "1.0.0" and shown["definition"]["newer"]["version"] == "1.1.0"
    assert shown["deadlines"][0]["due"] == "2024-03-11"  # still 5 working days
    fresh.record("C-1", "notified_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 5))
    assert fresh.show("C-1", D(2024, 3, 5))["version"] == "1.0.0"
    fresh.open("example-full", "C-2", D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child C")
    assert fresh.show("C-2", D(2024, 3, 4))["deadlines"][0]["due"] == "2024-03-07"


def test_a_command_is_retried_when_another_writer_appended_first(setup, monkeypatch):
    service, _, store = setup
    service.open("example-full", "C-1", D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child B")
    real = store.append
    calls = {"n": 0}

    def racing(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 1:  # someone else adds a note between our read and our write
            real("C-1", [service_note()], expected_last_seq=1, stage="aware", closed=False, deadlines=())
            raise ConcurrencyError("changed")
        return real(*args, **kw)

    def service_note():
        from reviewflow.engine.events import Event

        return Event("noted", "note", D(2024, 3, 4), "business_manager", data={"text": "meanwhile"})

    monkeypatch.setattr(store, "append", racing)
    service.record("C-1", "notified_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 5))
    assert [e["kind"] for e in service.history("C-1")] == ["opened", "noted", "recorded"]
