"""`reviewflow db …` and `admin …`: migrate, info, export/import between the backends, memberships.

In process with CliRunner on `cli.cli`. Tests taking `backend` run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner, Result
from reviewflow.cli import cli
from store_backends import BOB, JANE, Backend, PgServer, postgres_backend

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import demo  # noqa: E402

# The demo tour's case steps: the "bundled demo store" is what they leave behind.
DEMO_CASE_STEPS = [args for _, args in demo.STEPS if args[0] in ("case", "due")]


def run(db: str, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, [*args, "--db", db], input=input)


def ok(db: str, *args: str, input: str | None = None) -> Result:
    result = run(db, *args, input=input)
    assert result.exit_code == 0, result.output
    return result


def problem(db: str, *args: str, input: str | None = None) -> Result:
    result = run(db, *args, input=input)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and "\nhint: " in result.stderr, result.stderr
    assert "Traceback" not in result.output
    return result


def demo_store(path: Path) -> str:
    db = str(path)
    for args in DEMO_CASE_STEPS:
        result = run(db, *args)
        assert result.exit_code in (0, 1), result.output  # one step is refused on purpose
    ok(db, "case", "verify")
    return db


def export(db: str, path: Path) -> list[dict[str, Any]]:
    ok(db, "db", "export", "--output", str(path))
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_export_import_round_trips_the_demo_store_with_identical_hashes(backend: Backend, tmp_path: Path) -> None:
    """SQLite → the backend → SQLite again: every line but the header is the same, hashes included."""
    source = demo_store(tmp_path / "demo.db")
    first = export(source, tmp_path / "first.jsonl")
    assert stat.S_IMODE(os.stat(tmp_path / "first.jsonl").st_mode) == 0o600  # personal data: private
    assert [line.get("type") for line in first[1:]][:2] == ["definition", "case"]
    assert sum(line.get("type") == "event" for line in first) == 7

    imported = ok(backend.admin_location, "db", "import", str(tmp_path / "first.jsonl"))
    assert "imported 1 cases, 7 events and 1 definitions" in imported.stdout
    assert "every chain verifies" in imported.stdout
    middle = export(backend.admin_location, tmp_path / "middle.jsonl")
    back = str(tmp_path / "back.db")
    ok(back, "db", "import", str(tmp_path / "middle.jsonl"))
    last = export(back, tmp_path / "last.jsonl")

    assert middle[0]["source"] == backend.name and first[0]["source"] == last[0]["source"] == "sqlite"
    assert first[1:] == middle[1:] == last[1:]
    # The case still works where it landed: shown, verified, and it takes the next event.
    for db in (backend.admin_location, back):
        assert "and the ledger verify" in ok(db, "case", "verify").stdout
        assert "Stage:" in ok(db, "case", "show", demo.CASE).stdout
    history = json.loads(ok(back, "case", "history", demo.CASE, "--format", "json").stdout)
    assert [e["hash"] for e in history["events"]] == [line["hash"] for line in first if line.get("type") == "event"]


def test_export_through_standard_output_and_import_from_standard_input(tmp_path: Path) -> None:
    source = demo_store(tmp_path / "demo.db")
    text = ok(source, "db", "export").stdout
    copy = str(tmp_path / "copy.db")
    assert "imported 1 cases" in ok(copy, "db", "import", "-", input=text).stdout
    assert ok(copy, "db", "export").stdout.splitlines()[1:] == text.splitlines()[1:]


@pytest.mark.parametrize("damage", ["cut short", "hash edited", "payload edited", "recorder edited",
                                    "event dropped", "not json", "not an export", "unknown line", "counts wrong"])
def test_a_damaged_export_is_refused_and_nothing_is_imported(tmp_path: Path, damage: str) -> None:
    source = demo_store(tmp_path / "demo.db")
    lines = (tmp_path / "e.jsonl", export(source, tmp_path / "e.jsonl"))[1]
    events = [i for i, line in enumerate(lines) if line.get("type") == "event"]
    if damage == "cut short":
        lines = lines[:-1]
    elif damage == "hash edited":
        lines[events[3]]["hash"] = "f" * 64
    elif damage == "payload edited":
        lines[events[2]]["event"]["by"] = "national_panel"
    elif damage == "recorder edited":
        lines[events[2]]["recorded_by"] = "somebody-else"
    elif damage == "event dropped":
        del lines[events[4]]
        lines[-1]["events"] -= 1
    elif damage == "unknown line":
        lines.insert(2, {"type": "surprise"})
    elif damage == "counts wrong":
        lines[-1]["cases"] = 2
    elif damage == "not an export":
        lines[0] = {"hello": "world"}
    text = "\n".join(json.dumps(line) for line in lines) + "\n"
    if damage == "not json":
        text = text.replace('"type": "case"', '"type": case')
    (tmp_path / "damaged.jsonl").write_text(text, encoding="utf-8")
    target = str(tmp_path / "target.db")
    result = problem(target, "db", "import", str(tmp_path / "damaged.jsonl"))
    assert "nothing was imported" in result.stderr or "does not verify" in result.stderr, result.stderr
    assert json.loads(ok(target, "cases", "--format", "json").stdout)["cases"] == []


def test_import_refuses_cases_the_store_already_holds(tmp_path: Path) -> None:
    source = demo_store(tmp_path / "demo.db")
    export(source, tmp_path / "e.jsonl")
    result = problem(source, "db", "import", str(tmp_path / "e.jsonl"))
    assert f'case "{demo.CASE}" is already in this store; nothing was imported' in result.stderr


def test_a_store_from_before_partnerships_needs_one_to_enter_postgres(pg_server: PgServer, tmp_path: Path) -> None:
    source = demo_store(tmp_path / "demo.db")
    lines = export(source, tmp_path / "e.jsonl")
    for line in lines:
        if line.get("type") == "case":
            line["partnership"] = None
    (tmp_path / "old.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    target = postgres_backend(pg_server)
    try:
        result = problem(target.admin_location, "db", "import", str(tmp_path / "old.jsonl"))
        assert "has no partnership" in result.stderr and "--partnership" in result.stderr
        ok(target.admin_location, "db", "import", str(tmp_path / "old.jsonl"), "--partnership", "leeds")
        assert json.loads(ok(target.admin_location, "cases", "--format", "json").stdout)["cases"][0]["case"] == demo.CASE
    finally:
        assert target.database is not None
        pg_server.drop(target.database)


def test_importing_into_postgres_takes_an_administrator(pg_server: PgServer, tmp_path: Path) -> None:
    export(demo_store(tmp_path / "demo.db"), tmp_path / "e.jsonl")
    target = postgres_backend(pg_server)
    try:
        result = problem(target.location, "db", "import", str(tmp_path / "e.jsonl"))  # as jane
        assert "refused login rf_test_jane" in result.stderr and "administrator" in result.stderr
    finally:
        assert target.database is not None
        pg_server.drop(target.database)


def test_db_migrate_and_info(backend: Backend, tmp_path: Path) -> None:
    first = ok(backend.admin_location, "db", "migrate").stdout
    assert "schema version" in first
    again = ok(backend.admin_location, "db", "migrate").stdout
    assert "already up to date" in again
    info = json.loads(ok(backend.location, "db", "info", "--format", "json").stdout)
    assert set(info) == {"backend", "location", "schema_version", "code_schema_version", "recorded_as",
                         "roles_enforced"}
    assert all(f"| `{key}` |" in (ROOT / "docs" / "json.md").read_text(encoding="utf-8") for key in info)
    assert info["backend"] == backend.name and info["schema_version"] == info["code_schema_version"]
    assert info["roles_enforced"] is (backend.name == "postgresql")
    if backend.name == "postgresql":
        assert info["recorded_as"] == JANE and ":***@" in info["location"]
    text = ok(backend.location, "db", "info").stdout
    assert "recorded as:" in text and "roles enforced:" in text


def test_db_info_refuses_a_missing_sqlite_file(tmp_path: Path) -> None:
    result = problem(str(tmp_path / "nope.db"), "db", "info")
    assert "there is no event store" in result.stderr and not (tmp_path / "nope.db").exists()


def test_admin_commands_on_sqlite_say_there_are_no_memberships(tmp_path: Path) -> None:
    db = demo_store(tmp_path / "demo.db")
    for args in (("admin", "grant", "jane", "rag", "--partnership", "leeds"), ("admin", "members")):
        result = problem(db, *args)
        assert "an SQLite store has no memberships" in result.stderr and "PostgreSQL" in result.stderr


def test_admin_grant_revoke_and_members(pg_server: PgServer) -> None:
    target = postgres_backend(pg_server)
    owner = target.admin_location
    try:
        assert ok(owner, "admin", "grant", BOB, "rag", "--partnership", "leeds").stdout.strip() == \
            f"{BOB} may act as rag in partnership leeds"
        assert "(already could)" in ok(owner, "admin", "grant", BOB, "rag", "--partnership", "leeds").stdout
        members = json.loads(ok(owner, "admin", "members", "--partnership", "leeds", "--format", "json").stdout)
        assert members == {"members": [{"partnership": "leeds", "login": BOB, "role": "rag",
                                        "granted_by": "postgres"}]}
        assert BOB in ok(owner, "admin", "members").stdout
        # jane is no administrator: refused, with what to ask for.
        refused = problem(target.location, "admin", "grant", JANE, "lscp_executive", "--partnership", "leeds")
        assert "reviewflow_admin" in refused.stderr
        assert "no database login" in problem(owner, "admin", "grant", "nobody", "rag", "--partnership",
                                              "leeds").stderr
        assert '"Leeds" is not a partnership key' in problem(owner, "admin", "grant", BOB, "rag", "--partnership",
                                                            "Leeds").stderr
        assert '"rag; drop" is not a role id' in problem(owner, "admin", "grant", BOB, "rag; drop",
                                                        "--partnership", "leeds").stderr
        assert "no longer" in ok(owner, "admin", "revoke", BOB, "rag", "--partnership", "leeds").stdout
        assert "no memberships in partnership leeds" in ok(owner, "admin", "members", "--partnership", "leeds").stdout
    finally:
        assert target.database is not None
        pg_server.drop(target.database)


def test_a_case_command_refused_by_the_database_says_what_to_ask_for(pg_server: PgServer) -> None:
    """jane may act as local_authority in Leeds only: the RAG's recommendation is hers to ask for."""
    target = postgres_backend(pg_server)
    try:
        ok(target.admin_location, "admin", "grant", JANE, "local_authority", "--partnership", "leeds")
        ok(target.location, *demo.STEPS[2][1])  # case open, by local_authority
        refused = problem(target.location, *demo.STEPS[3][1])  # case recommend, by rag
        assert refused.stderr.splitlines() == [
            f"error: {JANE} may not act as rag in partnership leeds",
            f"hint: an administrator can allow it: reviewflow admin grant {JANE} rag --partnership leeds"]
        history = json.loads(ok(target.location, "case", "history", demo.CASE, "--format", "json").stdout)
        assert [(e["by"], e["recorded_by"]) for e in history["events"]] == [("local_authority", JANE)]
        # bob, of no Leeds role, does not see the case at all.
        bob = target.location.replace(JANE, BOB).replace(pg_server.passwords[JANE], pg_server.passwords[BOB])
        assert f'unknown case "{demo.CASE}"' in problem(bob, "case", "show", demo.CASE).stderr
        assert json.loads(ok(bob, "cases", "--format", "json").stdout)["cases"] == []
        # --partnership names another partnership than the definition's folder.
        ok(target.admin_location, "admin", "grant", JANE, "local_authority", "--partnership", "north-yorkshire")
        opened = [a if a != demo.CASE else "NY-1" for a in demo.STEPS[2][1]]
        ok(target.location, *opened, "--partnership", "north-yorkshire")
        rows = json.loads(ok(target.location, "cases", "--format", "json").stdout)["cases"]
        assert sorted(r["case"] for r in rows) == [demo.CASE, "NY-1"]
    finally:
        assert target.database is not None
        pg_server.drop(target.database)


@pytest.mark.slow
def test_the_demo_runs_against_postgres(pg_server: PgServer) -> None:
    """`REVIEWFLOW_DB=postgresql://… make demo` on a database that already holds LEEDS-DEMO-001 (a shared
    store's cases are never deleted): it runs the whole tour on the next free reference."""
    database = pg_server.fresh_database(template=False)
    try:
        owner = pg_server.database_url(database)
        ok(owner, "admin", "grant", "postgres", "local_authority", "--partnership", "leeds")
        ok(owner, *demo.STEPS[2][1])
        env = {**os.environ, "REVIEWFLOW_DB": owner}
        result = subprocess.run([sys.executable, str(ROOT / "scripts" / "demo.py")], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr
        assert "(PostgreSQL), case LEEDS-DEMO-002" in result.stdout and "postgres:***@" in result.stdout
        # The ledger counts every write to the store: opening LEEDS-DEMO-001 above was the first.
        assert "1 case, 7 events, 1 definition, 8 ledger entries: every chain, definition, projection and the ledger verify" in result.stdout
        assert "$ reviewflow admin grant postgres rag --partnership leeds" in result.stdout
        assert "Traceback" not in result.stdout + result.stderr
        password = urlsplit(pg_server.url).password
        assert password and password not in result.stdout + result.stderr
    finally:
        pg_server.drop(database)


def test_export_file_is_never_overwritten(tmp_path: Path) -> None:
    source = demo_store(tmp_path / "demo.db")
    (tmp_path / "taken.jsonl").write_text("mine\n", encoding="utf-8")
    result = problem(source, "db", "export", "--output", str(tmp_path / "taken.jsonl"))
    assert "exists already" in result.stderr and (tmp_path / "taken.jsonl").read_text() == "mine\n"
