"""The read check of `ledger.read_problem` done by SQLite itself, a batch of cases at a time: which of
them *might* not be in the state their last ledger entry recorded.

`due` and `cases` check every case they print against its last ledger entry (docs/integrity.md). In
Python that costs a state text, six sha256 and a dozen objects per case: most of `due`'s time at scale.
Here the database builds the same texts (`ledger.state_text`, `ledger.entry_text`) from the stored
columns with `json_object` and compares them with the entry, one statement per batch; only sha256 comes
from Python (`reviewflow_sha256`, registered on each connection by `register`). About a fifth of the
time.

The database's answer is a filter, never the verdict: a case it passes is one whose stored columns give
*exactly* the texts the ledger recorded; every other case goes to `ledger.read_problem`, which decides
and names the problem. That is sound because equal texts mean equal values:
- `json_object` writes each text column as a JSON string that decodes to the stored text itself, and
  NULL as null; the entry was written from the rows `read_problem` reads back, where a date stored as
  its ISO text reads back as that date. A blob makes `json_object` fail, and the batch goes to Python.
- the columns are those the store created (`schema_is_ours`): TEXT columns cannot hold numbers, whose
  SQLite text could differ from Python's; `closed` counts only as the integers 0 and 1, and the
  sequence numbers only as integers.
Where SQLite writes a text differently from Python's JSON encoder (an escape Python does not use), the
case is only sent to Python: slower, never wrong.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence

SHA256 = "reviewflow_sha256"

# The declared type of every column the texts are built from, as sqlite_schema creates them.
_COLUMNS = {
    "cases": {"ref": "TEXT", "process_id": "TEXT", "definition_hash": "TEXT", "pseudonym": "TEXT",
              "opened_at": "TEXT", "stage": "TEXT", "closed": "INTEGER", "last_seq": "INTEGER",
              "partnership": "TEXT", "projected_on": "TEXT"},
    "open_deadlines": {"case_ref": "TEXT", "deadline_id": "TEXT", "title": "TEXT", "due": "TEXT",
                       "window_start": "TEXT", "weight": "TEXT", "status": "TEXT", "owner": "TEXT",
                       "escalate_to": "TEXT", "citation": "TEXT"},
    "ledger": {"position": "INTEGER", "case_ref": "TEXT", "seq": "INTEGER", "event_hash": "TEXT",
               "state": "TEXT", "prev_hash": "TEXT", "hash": "TEXT"},
}


def _sha256(text: object) -> str | None:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if isinstance(text, str) else None


def register(conn: sqlite3.Connection) -> None:
    """Make `reviewflow_sha256(text)` available to this connection's statements."""
    conn.create_function(SHA256, 1, _sha256, deterministic=True)


def schema_is_ours(conn: sqlite3.Connection) -> bool:
    """Whether every column the texts are built from has the type the store declared (an altered table
    could hold numbers where text belongs)."""
    for table, expected in _COLUMNS.items():
        declared = {str(r[1]): str(r[2]).upper() for r in conn.execute(f"PRAGMA table_info({table})")}
        if any(declared.get(name) != kind for name, kind in expected.items()):
            return False
    return True


CASE_JSON = ("json_object('closed', json(CASE c.closed WHEN 1 THEN 'true' WHEN 0 THEN 'false' END), "
              "'definition_hash', c.definition_hash, 'last_seq', c.last_seq, 'opened_at', c.opened_at, "
              "'partnership', c.partnership, 'process_id', c.process_id, 'projected_on', c.projected_on, "
              "'pseudonym', c.pseudonym, 'ref', c.ref, 'stage', c.stage)")
DEADLINE_JSON = ("json_object('citation', d.citation, 'deadline_id', d.deadline_id, 'due', d.due, "
                  "'escalate_to', d.escalate_to, 'owner', d.owner, 'status', d.status, 'title', d.title, "
                  "'weight', d.weight, 'window_start', d.window_start)")
# One member per open-deadline row, in deadline id order (SQLite hands the subquery's rows to
# group_concat in its ORDER BY order; were it ever not to, the texts would differ and Python decide).
_DEADLINES = (f"coalesce((SELECT group_concat(member, ',') FROM (SELECT json_quote(d.deadline_id) || ':\"' || "
              f"{SHA256}({DEADLINE_JSON}) || '\"' AS member FROM open_deadlines d "
              "WHERE d.case_ref = c.ref ORDER BY d.deadline_id)), '')")
_STATE = f"'{{\"case\":\"' || {SHA256}({CASE_JSON}) || '\",\"deadlines\":{{' || {_DEADLINES} || '}}}}'"
_ENTRY = ("'{\"case\":' || json_quote(l.case_ref) || ',\"event\":' || json_quote(l.event_hash) "
          "|| ',\"position\":' || l.position || ',\"prev\":' || json_quote(l.prev_hash) "
          "|| ',\"seq\":' || l.seq || ',\"state\":' || l.state || '}'")


# 1 for a case (`c`) whose stored state the database cannot prove: joined with its last entry (`l`).
LAST_ENTRY = "LEFT JOIN ledger l ON l.position = (SELECT MAX(m.position) FROM ledger m WHERE m.case_ref = c.ref)"
DOUBTFUL = ("NOT coalesce(typeof(c.closed) = 'integer' AND typeof(c.last_seq) = 'integer' "
            "AND typeof(l.seq) = 'integer' AND typeof(l.position) = 'integer' AND l.seq = c.last_seq "
            f"AND l.hash = {SHA256}({_ENTRY}) AND l.state = {_STATE}, 0)")


def unproven(conn: sqlite3.Connection, refs: Sequence[str]) -> set[str]:
    """Those of `refs` whose stored state the database cannot show to be the one their case's last
    ledger entry recorded (with that entry's hash intact): for `ledger.read_problem` to judge. All of
    them when the tables are not the store's own or hold what `json_object` refuses (a blob)."""
    if not schema_is_ours(conn):
        return set(refs)
    found: set[str] = set()
    try:
        for start in range(0, len(refs), 500):
            chunk = refs[start:start + 500]
            found.update(str(r[0]) for r in conn.execute(
                f"SELECT c.ref FROM cases c {LAST_ENTRY} WHERE c.ref IN ({', '.join('?' * len(chunk))}) "
                f"AND {DOUBTFUL}", chunk))
    except sqlite3.OperationalError:
        return set(refs)
    return found


def cases_with_deadlines(conn: sqlite3.Connection, deadline_filter: str, params: Sequence[object],
                         check: bool) -> tuple[dict[str, str], list[str]]:
    """Every case that has an open-deadline row `d` matching `deadline_filter`, in one pass over the
    cases in their index's order (the ledger and deadline rows each case's texts read lie together):
    each case's definition hash and, with `check`, the cases the database cannot prove (as `unproven`)."""
    exists = f"EXISTS (SELECT 1 FROM open_deadlines d WHERE d.case_ref = c.ref AND {deadline_filter})"
    doubtful = "0" if not check else DOUBTFUL if schema_is_ours(conn) else "1"
    try:
        return _pass(conn, f"SELECT c.ref, c.definition_hash, {doubtful} FROM cases c {LAST_ENTRY} "
                           f"WHERE {exists} ORDER BY c.ref", params)
    except sqlite3.OperationalError:
        return _pass(conn, f"SELECT c.ref, c.definition_hash, {int(check)} FROM cases c WHERE {exists} "
                           "ORDER BY c.ref", params)


def _pass(conn: sqlite3.Connection, sql: str, params: Sequence[object]) -> tuple[dict[str, str], list[str]]:
    hashes: dict[str, str] = {}
    known: dict[str, str] = {}  # one string per definition hash, however many cases share it
    doubtful: list[str] = []
    cursor = conn.execute(sql, params)
    while rows := cursor.fetchmany(1_000):
        for ref, definition_hash, doubt in rows:
            hashes[ref] = known.setdefault(definition_hash, definition_hash)
            if doubt:
                doubtful.append(ref)
    return hashes, doubtful
