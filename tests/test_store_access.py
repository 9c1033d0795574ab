"""On PostgreSQL the database decides who may act and see: two logins, two partnerships, one store.

jane is an officer in Leeds, bob in Kirklees; the admin manages memberships and belongs to neither.
Each test proves a refusal the database itself makes, whatever the client does, through the store and
through raw SQL as the same login.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from reviewflow.engine.errors import NotFoundError, StoreError
from reviewflow.engine.events import Event
from reviewflow.engine.store import AccessRefusedError, DeadlineRow
from reviewflow.engine.store.chain import canonical_json
from reviewflow.engine.store.postgres import PostgresStore
from store_backends import ADMIN, BOB, JANE, Backend, PgServer, postgres_backend

DEF_HASH = "c" * 64


def ev(by: str, name: str = "noted", kind: str = "recorded", **data: object) -> Event:
    return Event(kind=kind, name=name, at=date(2024, 1, 8), by=by, data=data)


@pytest.fixture
def leeds(pg_server: PgServer) -> Iterator[Backend]:
    """A store where jane may act as local_authority and rag in Leeds, bob as local_authority in
    Kirklees, and jane has opened LEEDS-1 with a deadline."""
    found = postgres_backend(pg_server)
    with found.open_as(None) as owner:
        for login, role, partnership in ((JANE, "local_authority", "leeds"), (JANE, "rag", "leeds"),
                                         (BOB, "local_authority", "kirklees")):
            owner.grant(login, role, partnership)
    with found.open_as(JANE) as jane:
        jane.save_definition(DEF_HASH, "leeds-rapid-review", "1", {"leeds.yaml": "id: leeds-rapid-review\n"})
        jane.open_case("LEEDS-1", "leeds-rapid-review", DEF_HASH, "Child B", ev("local_authority", "became_aware",
                                                                                 "opened"),
                       stage="notification", partnership="leeds",
                       deadlines=[DeadlineRow("LEEDS-1", "notify_panel", "Notify the Panel", date(2024, 1, 2), None,
                                              "statutory", "pending", "local_authority", None, None)])
    yield found
    assert found.database is not None
    pg_server.drop(found.database)


def connect(backend: Backend, login: str) -> Any:
    """A raw connection as `login`, as someone bypassing reviewflow would use."""
    assert backend.server is not None and backend.database is not None
    return backend.server.psycopg.connect(backend.server.database_url(backend.database, login), autocommit=True)


def test_a_role_the_login_was_not_granted_is_refused_and_nothing_is_written(leeds: Backend) -> None:
    with leeds.open_as(JANE) as jane:
        with pytest.raises(AccessRefusedError) as info:
            jane.append("LEEDS-1", [ev("lscp_executive")], expected_last_seq=1, stage="x", closed=False, deadlines=[])
        assert info.value.message == f"{JANE} may not act as lscp_executive in partnership leeds"
        assert info.value.hint == f"an administrator can allow it: reviewflow admin grant {JANE} lscp_executive " \
                                  "--partnership leeds"
        # One refused event refuses the whole append, even after a permitted one.
        with pytest.raises(AccessRefusedError):
            jane.append("LEEDS-1", [ev("rag"), ev("police")], expected_last_seq=1, stage="x", closed=False,
                        deadlines=[])
        # A case in a partnership where the login holds no role cannot be opened either.
        with pytest.raises(AccessRefusedError, match="may not act as local_authority in partnership kirklees"):
            jane.open_case("KIRKLEES-9", "leeds-rapid-review", DEF_HASH, None, ev("local_authority"), stage=None,
                           partnership="kirklees")
        assert jane.case("LEEDS-1").last_seq == 1 and jane.case("LEEDS-1").stage == "notification"
        assert [c.ref for c in jane.cases()] == ["LEEDS-1"]
        # What was granted works.
        jane.append("LEEDS-1", [ev("rag")], expected_last_seq=1, stage="y", closed=False, deadlines=[])
        assert jane.verify() == []


def test_another_partnerships_cases_cannot_be_read_or_written(leeds: Backend) -> None:
    with leeds.open_as(BOB) as bob:
        # Invisible, not forbidden: a Kirklees officer does not even learn that LEEDS-1 exists.
        for call in (lambda: bob.case("LEEDS-1"), lambda: bob.events("LEEDS-1"), lambda: bob.verify("LEEDS-1"),
                     lambda: bob.append("LEEDS-1", [ev("local_authority")], expected_last_seq=1, stage=None,
                                        closed=False, deadlines=[])):
            with pytest.raises(NotFoundError, match='unknown case "LEEDS-1"') as info:
                call()
            assert "LEEDS-1" not in (info.value.hint or "")
        assert bob.cases() == [] and bob.due(date(2024, 1, 1)) == [] and bob.verify() == []
    with connect(leeds, BOB) as raw:
        for table in ("cases", "events", "open_deadlines"):
            assert raw.execute(f"SELECT count(*) FROM reviewflow.{table}").fetchone() == (0,), table
    # Row-level security follows the memberships: granted, bob sees the case; revoked, no longer.
    with leeds.open_as(None) as owner:
        owner.grant(BOB, "police", "leeds")
    with leeds.open_as(BOB) as bob:
        assert [c.ref for c in bob.cases()] == ["LEEDS-1"] and len(bob.events("LEEDS-1")) == 1
        assert [d.deadline_id for d in bob.due(date(2024, 1, 1))] == ["notify_panel"]
    with leeds.open_as(None) as owner:
        assert owner.revoke(BOB, "police", "leeds")
    with leeds.open_as(BOB) as bob:
        assert bob.cases() == []


@pytest.mark.parametrize("statement", [
    "UPDATE reviewflow.events SET payload = '{}'",
    "DELETE FROM reviewflow.events",
    "TRUNCATE reviewflow.events",
    "INSERT INTO reviewflow.events (case_ref, partnership, seq, payload, prev_hash, hash, recorded_by) "
    "VALUES ('LEEDS-1', 'leeds', 2, '{}', 'x', 'y', 'rf_test_bob')",
    "UPDATE reviewflow.cases SET stage = 'closed'",
    "DELETE FROM reviewflow.open_deadlines",
    "INSERT INTO reviewflow.memberships VALUES ('rf_test_jane', 'leeds', 'lscp_executive', 'rf_test_jane')",
    "SELECT reviewflow.grant_role('rf_test_jane', 'lscp_executive', 'leeds')",
    "SELECT reviewflow.import_case('X', 'leeds', 'p', 'h', NULL, '2024-01-01', NULL, false, 1, '{}', '{}', "
    "'{}', '{}', '[]', NULL)",
    "CREATE TABLE reviewflow.mine (x int)",
])
def test_an_everyday_login_has_no_write_but_the_functions(leeds: Backend, statement: str) -> None:
    import psycopg

    with connect(leeds, JANE) as raw, pytest.raises(psycopg.errors.InsufficientPrivilege):
        raw.execute(statement)
    with leeds.open_as(JANE) as jane:
        assert jane.verify() == [] and jane.case("LEEDS-1").stage == "notification"


def test_the_recorded_login_cannot_be_forged(leeds: Backend) -> None:
    import psycopg

    with leeds.open_as(JANE) as jane:
        stored = jane.append("LEEDS-1", [ev("rag")], expected_last_seq=1, stage=None, closed=False, deadlines=[])
        assert stored[0].recorded_by == JANE and jane.events("LEEDS-1")[1].recorded_by == JANE
    with connect(leeds, JANE) as raw:
        # The write function takes no recorder: the database uses the authenticated login...
        forged = canonical_json(ev("rag").to_json_dict() | {"recorded_by": BOB})
        with pytest.raises(psycopg.Error, match="shape of an event"):
            raw.execute("SELECT * FROM reviewflow.append_events('LEEDS-1', ARRAY[%s], 2, NULL, false, '[]', NULL)",
                        (forged,))
        # ...which a login cannot change: it may not become bob, and session_user stays jane if it could.
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute(f"SET ROLE {BOB}")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            raw.execute(f"SET SESSION AUTHORIZATION {BOB}")
        row = raw.execute("SELECT stored_recorded_by FROM reviewflow.append_events('LEEDS-1', ARRAY[%s], 2, "
                          "NULL, false, '[]', NULL)", (canonical_json(ev("rag").to_json_dict()),)).fetchone()
        assert row == (JANE,)
    with leeds.open_as(None) as owner:
        assert [s.recorded_by for s in owner.events("LEEDS-1")] == [JANE, JANE, JANE] and owner.verify() == []


@pytest.mark.parametrize("payload", [
    '{"actor":null,"agency":null,"at":"2024-01-08","by":"rag","data":{},"kind":"recorded","name":"x"} ',
    '{"actor":null, "agency":null,"at":"2024-01-08","by":"rag","data":{},"kind":"recorded","name":"x"}',
    '{"agency":null,"actor":null,"at":"2024-01-08","by":"rag","data":{},"kind":"recorded","name":"x"}',
    '{"actor":null,"agency":null,"at":"2024-01-08","by":"rag","by":"rag","data":{},"kind":"recorded","name":"x"}',
    '{"actor":null,"agency":null,"at":"2024-01-08","by":"rag","data":{"n":1e-07},"kind":"recorded","name":"x"}',
    '{"actor":null,"agency":null,"at":"2024-01-08","by":"r\\u0061g","data":{},"kind":"recorded","name":"x"}',
    '{"actor":null,"agency":null,"at":"8 Jan","by":"rag","data":{},"kind":"recorded","name":"x"}',
    '{"actor":null,"agency":null,"at":"2024-01-08","by":"rag","data":[],"kind":"recorded","name":"x"}',
    '["rag"]',
    'not json',
])
def test_a_payload_the_chain_could_not_verify_is_refused(leeds: Backend, payload: str) -> None:
    """Stored, a non-canonical payload would never verify and make the case unreadable for everyone: a
    member calling the function without reviewflow must not be able to do that."""
    import psycopg

    with connect(leeds, JANE) as raw, pytest.raises(psycopg.Error, match="payload"):
        raw.execute("SELECT * FROM reviewflow.append_events('LEEDS-1', ARRAY[%s], 1, NULL, false, '[]', NULL)",
                    (payload,))
    with leeds.open_as(JANE) as jane:
        assert jane.verify() == [] and len(jane.events("LEEDS-1")) == 1


def test_only_an_administrator_manages_memberships(leeds: Backend) -> None:
    with leeds.open_as(JANE) as jane:
        with pytest.raises(AccessRefusedError, match=f"refused login {JANE}") as info:
            jane.grant(JANE, "lscp_executive", "leeds")
        assert "reviewflow_admin" in (info.value.hint or "")
        # An officer sees only its own memberships.
        assert {(m.login, m.partnership) for m in jane.members()} >= {(JANE, "leeds")}
        assert all(m.login == JANE for m in jane.members())
    with leeds.open_as(ADMIN) as admin:
        assert admin.grant(BOB, "rag", "leeds") is True
        assert admin.grant(BOB, "rag", "leeds") is False  # already granted: nothing changes
        assert [(m.login, m.role, m.granted_by) for m in admin.members("leeds") if m.login == BOB] == \
               [(BOB, "rag", ADMIN)]
        assert admin.revoke(BOB, "rag", "leeds") is True and admin.revoke(BOB, "rag", "leeds") is False
        with pytest.raises(NotFoundError, match='no database login "nobody"') as info:
            admin.grant("nobody", "rag", "leeds")
        assert "CREATE ROLE nobody LOGIN" in (info.value.hint or "")
        # The administrator reads memberships, not cases.
        assert admin.cases() == []
    with connect(leeds, ADMIN) as raw:
        log = raw.execute("SELECT action, login, role, done_by FROM reviewflow.membership_log "
                          "WHERE login = %s ORDER BY id", (BOB,)).fetchall()
    assert log[-2:] == [("grant", BOB, "rag", ADMIN), ("revoke", BOB, "rag", ADMIN)]


def test_an_everyday_login_cannot_create_or_upgrade_the_store(pg_server: PgServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewflow.engine.store import postgres_migrate

    database = pg_server.fresh_database(template=False)
    try:
        with pytest.raises(AccessRefusedError, match="no reviewflow store in this database") as info:
            PostgresStore(pg_server.database_url(database, JANE))
        assert "reviewflow db migrate" in (info.value.hint or "")
        with PostgresStore(pg_server.database_url(database)) as owner:
            assert owner.info().applied_now == (1, 2)
            owner.grant(JANE, "rag", "leeds")
        PostgresStore(pg_server.database_url(database, JANE)).close()
        # A newer reviewflow: the store is behind, and only an upgrade by the owner moves it on.
        latest = postgres_migrate.SCHEMA_VERSION
        newer = (*postgres_migrate.MIGRATIONS,
                 (latest + 1, "a comment", ("COMMENT ON TABLE reviewflow.cases IS 'cases'",)))
        monkeypatch.setattr(postgres_migrate, "MIGRATIONS", newer)
        monkeypatch.setattr(postgres_migrate, "SCHEMA_VERSION", latest + 1)
        for login in (JANE, None):
            with pytest.raises(StoreError, match=f"has schema version {latest}; this reviewflow needs "
                                                 f"{latest + 1}") as info:
                PostgresStore(pg_server.database_url(database, login))
            assert "reviewflow db migrate" in (info.value.hint or "")
        with pytest.raises(AccessRefusedError):
            PostgresStore(pg_server.database_url(database, JANE), upgrade=True)
        with PostgresStore(pg_server.database_url(database), upgrade=True) as owner:
            assert owner.info().applied_now == (latest + 1,) and owner.info().schema_version == latest + 1
        PostgresStore(pg_server.database_url(database, JANE)).close()
    finally:
        pg_server.drop(database)


def test_a_login_outside_reviewflow_app_is_told_what_to_ask_for(leeds: Backend) -> None:
    assert leeds.server is not None
    with leeds.server.connect() as conn:
        conn.execute("DROP ROLE IF EXISTS rf_test_stranger")
        conn.execute("CREATE ROLE rf_test_stranger LOGIN PASSWORD 'stranger-pw'")
    from store_backends import with_login

    try:
        with pytest.raises(AccessRefusedError) as info:
            PostgresStore(with_login(leeds.location, "rf_test_stranger", "stranger-pw"))
        assert "GRANT reviewflow_app TO rf_test_stranger" in (info.value.hint or "")
        assert "stranger-pw" not in f"{info.value.message} {info.value.hint}"
    finally:
        with leeds.server.connect() as conn:
            conn.execute("DROP ROLE rf_test_stranger")


@pytest.mark.parametrize("text", ["plain", "£5 – ü", 'quote " and \\ backslash', "tab\tnewline\n\r",
                                  "\x00\x01\x1f\x7f".replace("\x00", ""), "\u2028\u2029 😀 𝄞", "</script>"])
def test_the_database_and_python_hash_the_same_text(leeds: Backend, text: str) -> None:
    """The chain hash computed in SQL (link_hash) agrees with chain.py on awkward strings everywhere."""
    from reviewflow.engine.store.chain import chain_hash

    payload = ev("rag", text, note=text, nested={text: [text, 1.5, None]}).to_json_dict()
    with connect(leeds, JANE) as raw:
        for recorded_by in (JANE, None, text):
            row = raw.execute("SELECT reviewflow.link_hash(%s, %s, %s, %s, %s)",
                              ("0" * 64, f"REF {text}", 7, canonical_json(payload), recorded_by)).fetchone()
            assert row == (chain_hash("0" * 64, f"REF {text}", 7, payload, recorded_by),)
