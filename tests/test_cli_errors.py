"""The one error path of the CLI (cli.ReviewflowGroup.invoke → commands.errors): what each kind of failure
prints and the exit code it gives.

Where the process itself matters (a signal, a closed pipe, Python's own output at exit) the real installed
`reviewflow` script runs in a subprocess. A failure inside a command is injected there through a
`sitecustomize` module on PYTHONPATH, which replaces one engine function before the command calls it.
"""

from __future__ import annotations

import ast
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from reviewflow.cli import cli

ROOT = Path(__file__).resolve().parent.parent
REVIEWFLOW = Path(sys.executable).parent / "reviewflow"
REF = "LEEDS-2024-001"
OPEN = ["case", "open", "leeds-rapid-review", REF, "--at", "2023-12-21", "--by", "local_authority",
        "--pseudonym", "Child B", "--set", "harm=seriously_harmed", "--set", "abuse_or_neglect=true"]
A_DAY = ["calendar", "is-working-day", "2024-01-02"]  # failures are injected where it builds its calendar

INJECTOR = '''\
import os
import sys
import time

import reviewflow.engine.calendar.workdays as workdays


def stuck(*args, **kwargs):
    print("ready", file=sys.stderr, flush=True)
    time.sleep(60)


def broken(*args, **kwargs):
    raise RuntimeError("boom")


workdays.calendar_for = {"sleep": stuck, "crash": broken}[os.environ["REVIEWFLOW_INJECT"]]
'''


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def environment(extra: dict[str, str] | None) -> dict[str, str]:
    """As a user's shell has it. Python's unbuffered mode (PYTHONUNBUFFERED) drops the rest of a write that a
    closing reader cut short, without an error, so with it a closed pipe cannot be seen at all."""
    return {**{k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}, **(extra or {})}


def script(*args: str, env: dict[str, str] | None = None, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen([str(REVIEWFLOW), *args], env=environment(env), text=True, **kwargs)  # type: ignore[call-overload]


def run_script(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REVIEWFLOW), *args], env=environment(env), capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def inject(tmp_path: Path) -> dict[str, str]:
    """Environment that makes the real script's `calendar is-working-day` sleep or crash (REVIEWFLOW_INJECT)."""
    (tmp_path / "sitecustomize.py").write_text(INJECTOR, encoding="utf-8")
    return {"PYTHONPATH": str(tmp_path)}


# -- engine errors: exit 1 ------------------------------------------------------------------------


def test_an_engine_error_is_error_and_hint_on_stderr_exit_1(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    result = run_script("case", "show", REF, "--db", str(missing))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (f"error: there is no event store at {missing}\n"
                             "hint: pass --db PATH|URL or set REVIEWFLOW_DB; `reviewflow case open` creates a new store\n")


def test_a_definition_error_prints_its_located_diagnostics() -> None:
    result = invoke("show", "tests/definitions/invalid/S101-unknown-key.yaml")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        'tests/definitions/invalid/S101-unknown-key.yaml:15:5: error S101 unknown-key: unknown key "titel" in role '
        '"business_manager"',
        '  hint: did you mean "title"?',
        "error: the definition is invalid",
        "hint: run `reviewflow validate` on it for details",
    ]


def test_a_refusal_lists_what_is_allowed_now(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.db")
    assert invoke(*OPEN, "--db", db).exit_code == 0
    result = invoke("case", "record", REF, "rapid_review_meeting_held", "--at", "2023-12-22", "--by", "rag",
                    "--db", db)
    assert result.exit_code == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: ") and 'not allowed in stage "aware"' in lines[0]
    assert lines[1] == ("hint: do one of the things allowed now (listed below); "
                        "`reviewflow case show REF` has the detail")
    assert lines[2] == "allowed now:"
    assert "  recommend notification_decision notify|do_not_notify  (by rag)" in lines[3:]


def test_an_unknown_process_is_reported_not_raised() -> None:
    result = invoke("diagram", "leeds-rapid-reveiw")
    assert result.exit_code == 1 and result.exception is not None and isinstance(result.exception, SystemExit)
    assert result.stderr == ('error: no process has the id "leeds-rapid-reveiw"\n'
                             'hint: did you mean "leeds-rapid-review"?\n')


# -- usage: exit 2 --------------------------------------------------------------------------------


@pytest.mark.parametrize("args,says", [(["nonsense"], "No such command"), (["due"], "Missing option '--as-of'"),
                                       (["show", "leeds-rapid-review", "--format", "xml"], "Invalid value")])
def test_usage_errors_exit_2(args: list[str], says: str) -> None:
    result = run_script(*args)
    assert result.returncode == 2
    assert says in result.stderr and "Traceback" not in result.stderr


# -- Ctrl-C: exit 130 -----------------------------------------------------------------------------


def _as_at_a_terminal() -> None:
    """Ctrl-C as a terminal delivers it: a test run started in the background by a shell (`make test &`,
    nohup, some CI runners) ignores SIGINT, and a child started from it would inherit that and ignore it
    too, as Unix programs rightly do."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_in_a_running_command_is_one_line_and_exit_130(inject: dict[str, str]) -> None:
    with script(*A_DAY, env={**inject, "REVIEWFLOW_INJECT": "sleep"}, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, preexec_fn=_as_at_a_terminal) as process:
        assert process.stderr is not None
        assert process.stderr.readline() == "ready\n"  # the command is running, past every import
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert stderr == "interrupted\n"
    assert stdout == ""


def test_a_keyboard_interrupt_in_process_exits_130(monkeypatch: pytest.MonkeyPatch) -> None:
    import reviewflow.engine.calendar.workdays as workdays

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(workdays, "calendar_for", interrupted)
    result = invoke(*A_DAY)
    assert result.exit_code == 130
    assert result.stderr == "interrupted\n"


# -- a closed pipe: quiet -------------------------------------------------------------------------


def _into_head(*args: str) -> tuple[int, str, str]:
    """`reviewflow ARGS | head -1`: (reviewflow's exit code, what head printed, reviewflow's stderr)."""
    with script(*args, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as writer:
        with subprocess.Popen(["head", "-1"], stdin=writer.stdout, stdout=subprocess.PIPE, text=True) as head:
            assert writer.stdout is not None and writer.stderr is not None
            writer.stdout.close()  # head alone holds the read end: reviewflow sees the pipe close when head exits
            shown, _ = head.communicate(timeout=120)
        stderr = writer.stderr.read()
        return writer.wait(timeout=120), shown, stderr


def test_processes_into_head_is_quiet() -> None:
    _, shown, stderr = _into_head("processes")
    assert shown.split() == ["ID", "TITLE", "BASE", "VERSION", "ORIGIN", "FILE"]
    assert stderr == ""


def test_a_long_output_into_head_is_quiet_and_exits_1() -> None:
    # ~190 kB: more than a pipe holds, so reviewflow is still writing when head has gone.
    code, shown, stderr = _into_head("calendar", "add", "2001-01-01", "5000", "--explain")
    assert shown.endswith(" is 5000 working days after 2001-01-01 (Mon).\n")
    assert stderr == ""
    assert code == 1


def test_case_history_into_a_closed_pipe_is_quiet(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.db")
    assert invoke(*OPEN, "--db", db).exit_code == 0
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        result = subprocess.run([str(REVIEWFLOW), "case", "history", REF, "--db", db], stdout=write_end,
                                stderr=subprocess.PIPE, text=True, timeout=120, env=environment(None))
    finally:
        os.close(write_end)
    assert result.stderr == ""
    assert result.returncode == 1


def test_case_history_into_head_is_quiet(tmp_path: Path) -> None:
    db = str(tmp_path / "cases.db")
    assert invoke(*OPEN, "--db", db).exit_code == 0
    _, shown, stderr = _into_head("case", "history", REF, "--db", db)
    assert shown == f"History of case {REF}: 1 event\n"
    assert stderr == ""


# -- a bug: exit 3, a traceback only with --debug -------------------------------------------------

UNEXPECTED = ["error: unexpected error (RuntimeError: boom); please report this"]


def test_an_unexpected_error_says_report_it_and_exits_3(inject: dict[str, str]) -> None:
    result = run_script(*A_DAY, env={**inject, "REVIEWFLOW_INJECT": "crash"})
    assert result.returncode == 3
    assert result.stderr.splitlines() == [*UNEXPECTED, "run again with --debug for the traceback"]
    assert result.stdout == ""


def test_debug_shows_the_traceback(inject: dict[str, str]) -> None:
    result = run_script("--debug", *A_DAY, env={**inject, "REVIEWFLOW_INJECT": "crash"})
    assert result.returncode == 3
    lines = result.stderr.splitlines()
    assert lines[0] == UNEXPECTED[0]
    assert lines[1] == "Traceback (most recent call last):"
    assert lines[-1] == "RuntimeError: boom"
    assert "run again with --debug" not in result.stderr


def test_an_unexpected_error_in_process_needs_debug_for_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import reviewflow.engine.calendar.workdays as workdays

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(workdays, "calendar_for", broken)
    quiet = invoke(*A_DAY)
    assert quiet.exit_code == 3 and "Traceback" not in quiet.stderr
    assert quiet.stderr.splitlines() == [*UNEXPECTED, "run again with --debug for the traceback"]
    loud = invoke("--debug", *A_DAY)
    assert loud.exit_code == 3 and "Traceback (most recent call last):" in loud.stderr
    assert loud.stderr.rstrip().endswith("RuntimeError: boom")


# -- one path -------------------------------------------------------------------------------------


def test_no_command_module_catches_exceptions_itself() -> None:
    """The error path is written once (commands/errors.py, called from cli.py): no ad-hoc handlers."""
    offenders = []
    for path in sorted((ROOT / "commands").glob("*.py")):
        if path.name == "errors.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        offenders += [f"{path.name}:{node.lineno}" for node in ast.walk(tree) if isinstance(node, ast.ExceptHandler)]
    assert not offenders, f"handle failures in commands/errors.py, not in {offenders}"
