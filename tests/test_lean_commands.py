"""What the case commands staff type all day cost, as mechanisms (speed itself is in bench/):
`case show` imports no heavy library once its definition is compiled, every command checks its case's
chain once, a write works out "allowed now" only to refuse, and `due` / `cases` stream their rows."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from reviewflow.cli import cli
from reviewflow.engine.cases import allowed
from reviewflow.engine.render import streams
from reviewflow.engine.render.formats import Output, render, render_stream
from reviewflow.engine.service import CountedRows, DueList
from reviewflow.engine.store import open_store
from reviewflow.engine.store.readchain import chain_checks
from reviewflow.engine.store.types import DeadlineRow

REF = "LEEDS-2024-001"
OPEN = ["case", "open", "leeds-rapid-review", REF, "--at", "2023-12-21", "--by", "local_authority",
        "--pseudonym", "Child B", "--set", "harm=seriously_harmed", "--set", "abuse_or_neglect=true",
        "--set", "agencies=police,health,education"]
HEAVY = ("yaml", "jsonschema", "jsonschema_rs", "transitions", "pendulum", "holidays", "icalendar", "psycopg",
         "concurrent", "logging")  # the last two: only `verify` runs a thread (the file check beside its pass)


def _ok(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "cases.db"
    _ok(*OPEN, "--db", str(path))
    return path


SHOW = """
import sys
from reviewflow.cli import main
try:
    main(["case", "show", sys.argv[1], "--db", sys.argv[2]])
except SystemExit as exit:
    assert not exit.code, exit.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in sys.argv[3].split(","))
print("MODULES", ",".join(heavy), file=sys.stderr)
"""


def test_case_show_imports_no_heavy_library_once_its_definition_is_compiled(db: Path) -> None:
    def modules() -> str:
        done = subprocess.run([sys.executable, "-c", SHOW, REF, str(db), ",".join(HEAVY)], capture_output=True,
                              text=True, check=True)
        return done.stderr.rsplit("MODULES ", 1)[1].strip()

    modules()  # the first show after opening may build the definition (and save it compiled)
    assert modules() == ""


def test_every_case_command_checks_its_chain_once(db: Path) -> None:
    for command in (["case", "show", REF], ["case", "history", REF], ["case", "explain", REF, "notify_panel"],
                    ["case", "recommend", REF, "notification_decision", "notify", "--at", "2023-12-21",
                     "--by", "rag", "--rationale", "serious harm"]):
        before = chain_checks()
        _ok(*command, "--db", str(db))
        assert chain_checks() - before == 1, command


def test_allowed_now_is_worked_out_only_to_refuse_and_then_once(db: Path) -> None:
    before = allowed.computed()
    _ok("case", "recommend", REF, "notification_decision", "notify", "--at", "2023-12-21", "--by", "rag",
        "--rationale", "serious harm", "--db", str(db))
    assert allowed.computed() == before  # a write that goes through never lists what else is allowed
    refused = CliRunner().invoke(cli, ["case", "record", REF, "rapid_review_meeting_held", "--at", "2023-12-22",
                                       "--by", "nobody", "--db", str(db)])
    assert refused.exit_code == 1 and "allowed now:" in refused.stderr
    assert allowed.computed() == before + 1


def _rows(count: int) -> list[DeadlineRow]:
    start = date(2024, 1, 1)
    return [DeadlineRow(f"C-{i:06d}", "notify_panel", "Notify the Panel", start + timedelta(days=i % 40),
                        None, "statutory", ("pending", "overdue", "due_soon")[i % 3], "local_authority", None,
                        None) for i in range(count)]


@pytest.mark.parametrize("count", [0, 3, streams.BUFFER - 1])
@pytest.mark.parametrize("output_format", ["text", "json"])
def test_a_short_streamed_list_is_exactly_the_list(count: int, output_format: str) -> None:
    rows = _rows(count)
    listed = DueList(date(2024, 1, 10), None, None, tuple(rows))
    streamed = DueList(date(2024, 1, 10), None, None, CountedRows(iter(rows)))
    assert "".join(render_stream(Output.DUE, output_format, streamed)) == render(Output.DUE, output_format, listed)
    assert streamed.overdue == listed.overdue


def test_a_long_list_is_written_as_it_is_read() -> None:
    made = []

    def rows() -> object:
        for row in _rows(streams.BUFFER * 3):
            made.append(row)
            yield row

    due = DueList(date(2024, 1, 10), None, None, CountedRows(rows()))
    pieces = render_stream(Output.DUE, "text", due)
    first = [next(pieces) for _ in range(3)]
    assert first[0].startswith("As of 2024-01-10 Wed:") and len(made) <= streams.BUFFER + 1
    text = "".join([*first, *pieces])
    assert text.endswith(f"{streams.BUFFER * 3} deadlines: {streams.BUFFER} overdue, {streams.BUFFER} due soon.\n")
    assert due.overdue == streams.BUFFER


def test_long_json_is_byte_for_byte_what_json_dumps_writes() -> None:
    rows = _rows(streams.BUFFER + 10)
    listed = render(Output.DUE, "json", DueList(date(2024, 1, 10), 7, "x", tuple(rows)))
    streamed = "".join(render_stream(Output.DUE, "json", DueList(date(2024, 1, 10), 7, "x", CountedRows(iter(rows)))))
    assert streamed == listed
    assert json.loads(streamed)["summary"]["total"] == streams.BUFFER + 10


def test_the_store_streams_due_rows_in_one_snapshot_and_reads_inside_it(db: Path) -> None:
    with open_store(str(db), create=False) as store:
        rows = store.iter_due(date(2024, 1, 1))
        first, definition_hash = next(rows)  # one row read: the rest are still in the cursor
        assert first.case_ref == REF and definition_hash == store.case(REF).definition_hash  # a read inside
        assert [r.deadline_id for r, _ in rows] and store.cases()[0].ref == REF
        assert [r.ref for r in store.iter_cases()] == [REF]


def test_due_and_cases_print_from_the_stream(db: Path) -> None:
    text = _ok("due", "--as-of", "2024-01-03", "--db", str(db))
    assert "notify_panel" in text and "overdue" in text
    assert json.loads(_ok("cases", "--format", "json", "--db", str(db)))["cases"][0]["case"] == REF


def test_every_command_module_is_in_the_lazy_table() -> None:
    """cli.COMMAND_MODULES names, for each top-level command, the module that registers it."""
    import importlib

    import click
    from reviewflow import cli as cli_module

    modules = {m for names in cli_module.COMMAND_MODULES.values() for m in names} | {"case_write"}
    registered: dict[str, set[str]] = {}
    for module in modules:
        group = click.Group("probe")
        importlib.import_module(f"reviewflow.commands.{module}").register(group)
        for name in group.commands:
            registered.setdefault(name, set()).add(module)
    assert set(registered) == set(cli_module.COMMAND_MODULES)
    for name, modules_of in registered.items():
        assert set(cli_module.COMMAND_MODULES[name]) <= modules_of, name


SHOW_MODULES = """
import sys
from reviewflow.cli import main
try:
    main(["case", "show", sys.argv[1], "--db", sys.argv[2]])
except SystemExit as exit:
    assert not exit.code, exit.code
print("MODULES", ",".join(sorted(m for m in sys.modules if m.startswith("reviewflow.commands."))), file=sys.stderr)
"""


def test_case_show_loads_only_its_own_commands(db: Path) -> None:
    done = subprocess.run([sys.executable, "-c", SHOW_MODULES, REF, str(db)], capture_output=True, text=True,
                          check=True)
    loaded = done.stderr.rsplit("MODULES ", 1)[1].strip().split(",")
    assert "reviewflow.commands.case_read" in loaded and "reviewflow.commands.case_write" not in loaded
    assert not {"reviewflow.commands.definitions", "reviewflow.commands.oversight"} & set(loaded)
