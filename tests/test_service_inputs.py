"""CaseService and bad input (#14): filters that name no real thing are errors, `due` never runs past
the last date, and a scenario run's service keeps its case between steps (linear time)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from reviewflow.engine.cases.checks import DatePolicy
from reviewflow.engine.definition.loader import Registry
from reviewflow.engine.errors import NotFoundError, RefusedError
from reviewflow.engine.events import Event
from reviewflow.engine.service import CaseService
from reviewflow.engine.store import open_store
from test_runtime_support import FULL, OPEN_FIELDS

D = date


@pytest.fixture
def service(root: Path, tmp_path: Path) -> Any:
    store = open_store(tmp_path / "cases.db")
    svc = CaseService(store, Registry([root]))
    svc.open("example-full", "C-1", D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child B")
    yield svc
    store.close()


def test_cases_refuses_a_process_that_nothing_has(service: Any) -> None:
    assert [r.ref for r in service.cases("example-full")] == ["C-1"]
    with pytest.raises(NotFoundError) as info:
        service.cases("example-ful")
    assert 'did you mean "example-full"?' in (info.value.hint or "")


def test_cases_accepts_a_known_process_with_no_cases(service: Any, root: Path) -> None:
    text = FULL.read_text(encoding="utf-8").replace("id: example-full", "id: example-other")
    (root / "other.yaml").write_text(text, encoding="utf-8")
    fresh = CaseService(service.store, Registry([root]))
    assert fresh.cases("example-other") == []


def test_due_refuses_a_role_that_no_case_has_and_accepts_one_with_nothing_due(service: Any) -> None:
    assert service.due(D(2024, 3, 4), role="national_panel") == []
    with pytest.raises(NotFoundError) as info:
        service.due(D(2024, 3, 4), role="busines_manager")
    assert 'did you mean "business_manager"?' in (info.value.hint or "")


def test_due_within_never_runs_past_the_last_date(service: Any) -> None:
    assert "notify_panel" in [r.deadline_id for r in service.due(D(9999, 12, 1), within=36600)]


def test_a_note_names_only_a_recipient_owed_a_notification(service: Any) -> None:
    with pytest.raises(RefusedError) as info:
        service.note("C-1", D(2024, 3, 4), "business_manager", "told them", notified=["national_panel"])
    assert '"national_panel" is owed no notification in case C-1' in info.value.message
    service.note("C-1", D(2024, 3, 4), "business_manager", "a note without --notified")


class CountingStore:
    """A store that counts how often a case's whole record is read."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.reads = 0

    def events(self, ref: str, **kw: Any) -> Any:
        self.reads += 1
        return self.store.events(ref, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)


def test_a_service_that_keeps_cases_reads_each_record_once(root: Path) -> None:
    counting = CountingStore(open_store(":memory:"))
    svc = CaseService(counting, Registry([root]), dates=DatePolicy(horizon_days=None), keep_cases=True)
    svc.open("example-full", "C-1", D(2024, 3, 4), "local_authority", OPEN_FIELDS, "Child B")
    svc.record("C-1", "notified_panel", D(2024, 3, 5), "local_authority", D(2024, 3, 5))
    for day in range(6, 26):
        svc.note("C-1", D(2024, 3, day), "business_manager", "n")
        svc.show("C-1", D(2024, 3, day), check_newer=False)
    assert counting.reads == 0  # every step reused the case it had written
    assert svc.show("C-1", D(2024, 3, 25), check_newer=False)["stage"]["id"] == "rapid_review"
    elsewhere = Event("noted", "note", D(2024, 3, 26), "business_manager", None, None, {"text": "from elsewhere"})
    counting.store.append("C-1", [elsewhere], expected_last_seq=22, stage="rapid_review", closed=False, deadlines=[])
    svc.note("C-1", D(2024, 3, 27), "business_manager", "n")  # someone else wrote: read again
    assert counting.reads == 1 and counting.store.case("C-1").last_seq == 24


def test_the_cli_service_reads_the_record_every_time(service: Any) -> None:
    counting = CountingStore(service.store)
    fresh = CaseService(counting, service.registry)
    fresh.show("C-1", D(2024, 3, 4), check_newer=False)
    fresh.show("C-1", D(2024, 3, 4), check_newer=False)
    assert counting.reads == 2
