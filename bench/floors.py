"""What `due` cannot do faster than, on a scale store: the parts of its work issue #14 requires, each timed
alone in this process (wall time, min / median / max over the rounds), for bench/scale.py.

`due` prints every open deadline row, and first checks each listed case against its last ledger entry
(docs/integrity.md): the ledger's texts for the case's row and each of its deadline rows, seven
sha256 a case for the Leeds cases here. Timed alone:
- reading the open-deadline rows with sqlite3, nothing else;
- the check as SQLite makes it for `due` (`sqlite_statecheck.DOUBTFUL` over every case);
- the same statement with the sha256 replaced by a function that returns its text (the texts alone);
- sha256 over those same texts in a plain Python loop, no SQL (the hashing alone).
The first plus the cheaper of the last two is a floor under `due` before a line is printed.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

from paired import spread
from reviewflow.engine.store import sqlite_statecheck as statecheck


def _timed(conn: sqlite3.Connection, sql: str) -> float:
    start = time.perf_counter()
    cursor = conn.execute(sql)
    while cursor.fetchmany(2_000):
        pass
    return time.perf_counter() - start


def _hashing(texts: list[str]) -> float:
    start = time.perf_counter()
    for text in texts:
        hashlib.sha256(text.encode("utf-8")).hexdigest()
    return time.perf_counter() - start


def measure(db: Path, size: int, rounds: int) -> list[list[str]]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        statecheck.register(conn)
        conn.create_function("bench_text_alone", 1, lambda text: text, deterministic=True)
        check = f"SELECT c.ref, {statecheck.DOUBTFUL} FROM cases c {statecheck.LAST_ENTRY} ORDER BY c.ref"
        texts_only = check.replace(statecheck.SHA256, "bench_text_alone")
        # The texts the check hashes: each deadline row's, each case's, and each case's ledger entry (about
        # as long as the case's), as the statement builds them.
        texts = [str(r[0]) for r in conn.execute(f"SELECT {statecheck.DEADLINE_JSON} FROM open_deadlines d")]
        texts += [str(r[0]) for r in conn.execute(f"SELECT {statecheck.CASE_JSON} FROM cases c")] * 2
        measures = {
            "the open-deadline rows alone, read with sqlite3": lambda: _timed(conn, "SELECT * FROM open_deadlines"),
            "the ledger check in SQLite, as due makes it": lambda: _timed(conn, check),
            "the check's texts alone (sha256 replaced by the identity)": lambda: _timed(conn, texts_only),
            f"the check's {len(texts):,} sha256 alone, in a Python loop": lambda: _hashing(texts),
        }
        rows = []
        for label, work in measures.items():
            times = [work() for _ in range(rounds)]
            rows.append([label, f"{size:,}", spread(times)])
        return rows
    finally:
        conn.close()
