"""`reviewflow cases` prints the same on SQLite and on PostgreSQL: the same rows, columns and JSON keys.

In process with CliRunner on `cli.cli`; every test takes `backend` and so runs on both (tests/store_backends.py).
The same commands build the same store on each, and each backend must print exactly the expected listing, so
the two cannot drift apart (the shared shape is docs/json.md's `reviewflow cases`).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner, Result
from reviewflow.cli import cli
from store_backends import JANE, PARTNERSHIP, Backend

LEEDS, KIRKLEES, ACTION = "LEEDS-2024-001", "KIR-2024-007", "LEEDS-A-01"


def run(backend: Backend, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", backend.location])


def ok(backend: Backend, *args: str) -> str:
    result = run(backend, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


def listed(backend: Backend, *args: str) -> list[dict[str, Any]]:
    shown = json.loads(ok(backend, "cases", *args, "--format", "json"))
    assert set(shown) == {"cases"}
    return shown["cases"]  # type: ignore[no-any-return]


@pytest.fixture
def store(backend: Backend) -> Backend:
    """Two cases of two partnerships' processes (one closed) and an action, recorded by the same commands on
    either backend. On PostgreSQL jane may act only in roles granted to her, so the owner grants what the test
    partnership does not already give her: the two other safeguarding partners, and the RAG in Leeds."""
    if backend.server is not None:
        with backend.admin() as owner:
            for role in ("health", "police"):
                owner.grant(JANE, role, PARTNERSHIP)
            owner.grant(JANE, "rag", "leeds")  # `action add` takes the plan's partnership: its folder
    ok(backend, "case", "open", "leeds-rapid-review", LEEDS, "--at", "2023-12-21", "--by", "local_authority",
       "--pseudonym", "Child B", "--set", "harm=seriously_harmed", "--set", "abuse_or_neglect=true",
       "--partnership", PARTNERSHIP)
    ok(backend, "case", "recommend", LEEDS, "notification_decision", "do_not_notify", "--at", "2023-12-21",
       "--by", "rag", "--rationale", "Threshold not met")
    ok(backend, "case", "decide", LEEDS, "notification_decision", "do_not_notify", "--at", "2023-12-22",
       "--by", "local_authority", "--rationale", "Threshold not met")
    ok(backend, "case", "recommend", LEEDS, "review_without_notification", "no_review", "--at", "2024-01-04",
       "--by", "rag", "--rationale", "Learning taken through supervision")
    for partner in ("local_authority", "health", "police"):
        ok(backend, "case", "decide", LEEDS, "review_without_notification", "no_review", "--at", "2024-01-05",
           "--by", partner, "--rationale", "Agreed")
    ok(backend, "case", "open", "kirklees-cspr", KIRKLEES, "--at", "2024-01-08", "--by", "local_authority",
       "--pseudonym", "Child K", "--set", "harm=died", "--set", "abuse_or_neglect=true", "--partnership", PARTNERSHIP)
    # An action is a record in the same tables but not a case about a child: `cases` leaves it out on both.
    ok(backend, "action", "add", "leeds-action-plan", ACTION, "--at", "2024-01-09", "--by", "rag",
       "--finding", "Escalation not used", "--owner-agency", "police", "--owner-role", "Head of Safeguarding",
       "--due", "2024-03-29", "--success-criteria", "Audit of ten cases", "--from-case", LEEDS)
    return backend


def test_cases_lists_the_same_rows_and_keys_on_both_backends(store: Backend) -> None:
    rows = listed(store)
    assert [(r["case"], r["pseudonym"], r["process"], r["partnership"], r["opened"], r["stage"], r["closed"],
             r["events"]) for r in rows] == [
        (KIRKLEES, "Child K", "kirklees-cspr", PARTNERSHIP, "2024-01-08", "aware", False, 1),
        (LEEDS, "Child B", "leeds-rapid-review", PARTNERSHIP, "2023-12-21", "closed_not_notified", True, 7)]
    assert all(list(r) == ["case", "pseudonym", "process", "partnership", "definition_hash", "opened", "stage",
                           "closed", "events"]
               and len(r["definition_hash"]) == 64 for r in rows)
    assert [r["case"] for r in listed(store, "--open")] == [KIRKLEES]
    assert [r["case"] for r in listed(store, "--process", "leeds-rapid-review")] == [LEEDS]
    assert ok(store, "cases").splitlines() == [
        "CASE            PSEUDONYM  PROCESS             PARTNERSHIP  OPENED      EVENTS  STATE   STAGE",
        "KIR-2024-007    Child K    kirklees-cspr       test         2024-01-08  1       open    aware",
        "LEEDS-2024-001  Child B    leeds-rapid-review  test         2023-12-21  7       closed  closed_not_notified",
        "2 cases",
    ]


def test_a_mistyped_process_is_refused_alike_on_both_backends(store: Backend) -> None:
    result = run(store, "cases", "--process", "leeds-rapid-reveiw")
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines() == ['error: no definition and no case has the process id "leeds-rapid-reveiw"',
                                          'hint: did you mean "leeds-rapid-review"?']
