"""`make demo`: a tour of the main job, on a fresh SQLite file or on the PostgreSQL store you name.

Validates every bundled definition, runs every scenario, then runs a sample Leeds case over Christmas
2023 (facts.md WE-01/WE-11) and shows its status, what is due, and one explained deadline. It ends with
learning and improvement: the Leeds 2021-22 cohort recorded through the engine into its own store, its
actions, and the scrutiny report of seed 002 written as HTML and markdown (the demo says where). Each step
prints the command a person would type, then its output.

With REVIEWFLOW_DB=postgresql://… the case tour runs against that database: the store is created or
upgraded first (`db migrate`), the login is granted the Leeds roles the tour acts as (`admin grant`,
which needs the owner's or an administrator's login), and the case gets the next free LEEDS-DEMO-NNN
reference, since a shared store's cases are never deleted. The cohort always goes into a fresh SQLite
file of its own, for the same reason.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "demo-output"
DB = OUTPUT / "demo.db"
REVIEWFLOW = str(Path(sys.executable).parent / "reviewflow")
CASE = "LEEDS-DEMO-001"
COHORT_DB = OUTPUT / "leeds-cohort.db"
REPORT_HTML = OUTPUT / "leeds-scrutiny-2021-22.html"
REPORT_MD = OUTPUT / "leeds-scrutiny-2021-22.md"
PERIOD = ["--from", "2021-05-01", "--to", "2022-12-31"]
ROLES = ("local_authority", "rag", "business_manager", "relevant_agency")  # every --by of the tour


def steps(case: str) -> list[tuple[str, list[str]]]:
    return [(title, [case if arg == CASE else arg for arg in args]) for title, args in STEPS]


STEPS: list[tuple[str, list[str]]] = [
    ("Check every bundled definition (schema, lint, conformance to the national base)", ["validate"]),
    ("Run every scenario: each proves a definition behaves as its procedure says", ["test"]),
    ("The local authority becomes aware of a serious incident on Thursday 21 December 2023", [
        "case", "open", "leeds-rapid-review", CASE, "--at", "2023-12-21", "--by", "local_authority",
        "--pseudonym", "Child B", "--set", "harm=seriously_harmed", "--set", "abuse_or_neglect=true",
        "--set", "agencies=police,health,education"]),
    ("The RAG recommends a notification; the local authority decides (different roles)", [
        "case", "recommend", CASE, "notification_decision", "notify", "--at", "2023-12-22", "--by", "rag",
        "--rationale", "Serious harm; neglect suspected; child resident and harmed in Leeds"]),
    ("", ["case", "decide", CASE, "notification_decision", "notify", "--at", "2023-12-22",
          "--by", "local_authority", "--rationale", "s16C(1)(a) criteria met"]),
    ("Out of turn: the RAG cannot hold the rapid review meeting before the notification", [
        "case", "record", CASE, "rapid_review_meeting_held", "--at", "2023-12-22", "--by", "rag"]),
    ("The notification goes to the Panel on the last permitted day, Tuesday 2 January 2024", [
        "case", "record", CASE, "notified_panel", "--at", "2024-01-02", "--by", "local_authority"]),
    ("", ["case", "record", CASE, "reported_to_partners", "--at", "2024-01-02", "--by", "local_authority"]),
    ("Agencies are asked for information the next day", [
        "case", "record", CASE, "information_requested", "--at", "2024-01-03", "--by", "business_manager"]),
    ("Police return their scoping template", [
        "case", "record", CASE, "scoping_template_returned", "--agency", "police", "--at", "2024-01-08",
        "--by", "relevant_agency"]),
    ("Where the case stands on 10 January 2024", ["case", "show", CASE, "--as-of", "2024-01-10"]),
    ("What is due across every case in the next 14 days", ["due", "--as-of", "2024-01-10", "--within", "14"]),
    ("Why the rapid review is due when it is", [
        "case", "explain", CASE, "rapid_review_due", "--as-of", "2024-01-10"]),
    ("Prove the record untouched (hash chain)", ["case", "verify", CASE]),
]

# Learning and improvement, on the Leeds 2021-22 cohort (its own store: the sample case above is not in it).
COHORT_STEPS: list[tuple[str, list[str]]] = [
    ("Record the Leeds 2021-22 cohort through the engine: 11 synthetic rapid reviews, actions, learning outputs",
     ["import-cohort", "leeds-2021-22"]),
    ("Actions from reviews overseen by the RAG, as they stood on 31 December 2022", [
        "actions", "--as-of", "2022-12-31", "--body", "rag"]),
    ("Learning outputs and their reach", ["learning", "list", *PERIOD]),
    ("The scrutiny report of 8 March 2023 (seed 002), from recorded case data: markdown", [
        "report", "scrutiny", *PERIOD, "--output", str(REPORT_MD)]),
    ("… and a self-contained HTML page with charts (opens offline)", [
        "report", "scrutiny", *PERIOD, "--format", "html", "--output", str(REPORT_HTML)]),
]

EXPECTED_REFUSALS = {5}  # the out-of-turn step is refused on purpose


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([REVIEWFLOW, *args], cwd=ROOT, env=env, text=True, capture_output=True)


def prepare_postgres(env: dict[str, str]) -> tuple[str, str, list[tuple[str, list[str]]]] | None:
    """Migrate the store, grant the login the tour's roles, pick a free case reference.

    Returns (where, the case reference, the granting steps), or None when the store is unusable.
    """
    migrated = run(["db", "migrate"], env)
    print(f"$ reviewflow db migrate\n{(migrated.stdout + migrated.stderr).rstrip()}\n")
    info = run(["db", "info", "--format", "json"], env)
    if migrated.returncode or info.returncode:
        print(info.stderr.rstrip(), file=sys.stderr)
        return None
    where, login = json.loads(info.stdout)["location"], json.loads(info.stdout)["recorded_as"]
    setup = [("The login running the tour may act as each role it uses, in Leeds (the database enforces it)",
              ["admin", "grant", login, role, "--partnership", "leeds"]) for role in ROLES]
    taken = run(["cases", "--format", "json"], env)
    refs = {c["case"] for c in json.loads(taken.stdout)["cases"]} if taken.returncode == 0 else set()
    case = next(f"LEEDS-DEMO-{n:03d}" for n in range(1, 10_000) if f"LEEDS-DEMO-{n:03d}" not in refs)
    return where, case, [(title if i == 0 else "", args) for i, (title, args) in enumerate(setup)]


def fresh_sqlite(db: Path) -> dict[str, str]:
    OUTPUT.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return {**os.environ, "REVIEWFLOW_DB": str(db)}


def run_steps(tour: list[tuple[str, list[str]]], env: dict[str, str], refusals: set[int]) -> bool:
    for index, (title, args) in enumerate(tour):
        if title:
            print(f"── {title}")
        shown = [str(Path(a).relative_to(ROOT)) if a.startswith(str(ROOT)) else a for a in args]
        print(f"$ reviewflow {shlex.join(shown)}", flush=True)
        result = run(args, env)
        output = (result.stdout + result.stderr).rstrip()
        if output:
            print(output)
        print(flush=True)
        if result.returncode != 0 and not (index in refusals and result.returncode == 1):
            print(f"demo step failed with exit code {result.returncode}", file=sys.stderr)
            return False
        if index in refusals and result.returncode != 1:
            print("demo: the out-of-turn event was not refused", file=sys.stderr)
            return False
    return True


def main() -> int:
    location = os.environ.get("REVIEWFLOW_DB", "")
    if location.lower().startswith(("postgresql://", "postgres://")):
        env = dict(os.environ)
        prepared = prepare_postgres(env)
        if prepared is None:
            print("demo: the PostgreSQL store could not be prepared", file=sys.stderr)
            return 1
        where, case, setup = prepared
        tour = steps(case)
        tour = tour[:2] + setup + tour[2:]  # after validate and test, before the case
        refused_on_purpose = {i + len(setup) for i in EXPECTED_REFUSALS}
        print(f"reviewflow demo — case store: {where} (PostgreSQL), case {case}\n")
    else:
        env = fresh_sqlite(DB)
        tour, refused_on_purpose = STEPS, EXPECTED_REFUSALS
        print(f"reviewflow demo — case store: {DB.relative_to(ROOT)} (a fresh SQLite file)\n")
    if not run_steps(tour, env, refused_on_purpose):
        return 1
    print(f"Learning and improvement — cohort store: {COHORT_DB.relative_to(ROOT)} (a fresh SQLite file)\n")
    if not run_steps(COHORT_STEPS, fresh_sqlite(COHORT_DB), set()):
        return 1
    print("The Leeds scrutiny report (seed 002 §3.1-3.3 reproduced from recorded case data) is in:")
    print(f"  {REPORT_HTML.relative_to(ROOT)}   (open it in a browser; it needs no network)")
    print(f"  {REPORT_MD.relative_to(ROOT)}")
    print("Done. Try: .venv/bin/reviewflow show leeds-rapid-review | less")
    return 0


if __name__ == "__main__":
    sys.exit(main())
