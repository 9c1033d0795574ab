"""The bad-input corpus (tests/bad_inputs/, issue #14): every case through the real CLI.

Each `tests/bad_inputs/<class>/<case>.yaml` describes one bad input declaratively (the format is in
tests/bad_inputs/README.md): the files to create, the command line, the exit code and message
fragments expected, and fragments that must never appear (a personal value). Every case, whatever it
says, also fails on a traceback, "unexpected error" (exit 3), a hang past its timeout, and any raw
control character in what was printed (a terminal would act on it).

Cases run in-process (click's CliRunner, with an alarm as the timeout) unless they set `subprocess`
(the installed CLI in a child process, killed at the timeout: for inputs that could block, such as a
named pipe) or `tty` (a child process whose output is a pseudo-terminal: what a person would see,
escape sequences included, which click strips from anything that is not a terminal).
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from reviewflow.cli import cli
from reviewflow.engine.calendar.workdays import forget_calendars
from reviewflow.engine.definition.loader import clear_caches

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "bad_inputs"
CASES = sorted(p for p in CORPUS.glob("*/*.yaml") if not p.parent.name.startswith("_"))
KEYS = {"about", "class", "files", "fifos", "setup", "run", "exit", "expect", "forbid", "env", "subprocess",
        "tty", "timeout"}
CLASSES = {"yaml", "schema", "guard", "scenario", "files", "cli-number", "cli-date", "cli-text", "dates",
           "filter", "privacy", "terminal", "store-fault", "tamper"}
ALWAYS_FORBIDDEN = ("Traceback", "unexpected error", "please report this")
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what `printable` escapes; newline and tab are kept
REPEAT = re.compile(r"\{\{repeat (\d+) (.*?)\}\}", re.S)
DEFAULT_TIMEOUT = 20


class Hang(BaseException):
    """The in-process run took longer than its timeout (a BaseException: click must not catch it)."""


@dataclass
class Outcome:
    code: int | None  # None: killed at the timeout
    output: str  # stdout and stderr together
    seconds: float


def expand(text: str) -> str:
    """`{{repeat N TEXT}}` is TEXT written N times: how a case holds a 5,000-digit number or 300 `(`.
    `{i}` in TEXT is the number of the copy, from 0 (20,000 different keys: `{{repeat 20000 k{i}: v\n}}`)."""
    return REPEAT.sub(lambda m: "".join(m.group(2).replace("{i}", str(i)) for i in range(int(m.group(1)))), text)


def file_text(spec: Any) -> str:
    """A file of a case: text, or {copy: repository path, replace: [[old, new], …], append: text}."""
    if isinstance(spec, str):
        return expand(spec)
    text = (ROOT / spec["copy"]).read_text(encoding="utf-8")
    for old, new in spec.get("replace", []):
        assert text.count(old) == 1, f"{old!r} is not in {spec['copy']} exactly once"
        text = text.replace(old, expand(new))
    return text + expand(spec.get("append", ""))


def load(path: Path) -> dict[str, Any]:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(case, dict), f"{path}: a case is a mapping"
    assert set(case) <= KEYS, f"{path}: unknown keys {sorted(set(case) - KEYS)}"
    assert {"about", "class", "run", "exit"} <= set(case), f"{path}: about, class, run and exit are required"
    assert case["class"] in CLASSES and case["class"] == path.parent.name, f"{path}: class is its folder's name"
    return case


# --- running the CLI ----------------------------------------------------------------------------


def in_process(args: list[str], work: Path, env: Mapping[str, str], timeout: float) -> Outcome:
    def alarm(_signum: int, _frame: Any) -> None:
        raise Hang

    clear_caches()
    forget_calendars()
    previous = os.getcwd()
    old_handler = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    started = time.monotonic()
    try:
        os.chdir(work)
        result = CliRunner().invoke(cli, args, env=dict(env), catch_exceptions=True)
        return Outcome(result.exit_code, result.stdout + result.stderr, time.monotonic() - started)
    except Hang:
        return Outcome(None, "", time.monotonic() - started)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        os.chdir(previous)


def child(args: list[str], work: Path, env: Mapping[str, str], timeout: float, tty: bool) -> Outcome:
    command = [sys.executable, "-m", "reviewflow", *args]
    full_env = {**os.environ, **env}
    started = time.monotonic()
    if not tty:
        try:
            done = subprocess.run(command, cwd=work, env=full_env, capture_output=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return Outcome(None, "", timeout)
        output = (done.stdout + done.stderr).decode("utf-8", "replace")
        return Outcome(done.returncode, output, time.monotonic() - started)
    master, replica = os.openpty()
    process = subprocess.Popen(command, cwd=work, env=full_env, stdin=subprocess.DEVNULL, stdout=replica,
                               stderr=replica, close_fds=True)
    os.close(replica)
    chunks: list[bytes] = []
    try:
        while time.monotonic() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            elif process.poll() is not None:
                break
        else:
            process.kill()
            process.wait()
            return Outcome(None, b"".join(chunks).decode("utf-8", "replace"), timeout)
        code = process.wait(timeout=timeout)
    finally:
        os.close(master)
    # A terminal turns each newline into CR LF: undo that, so only what the program wrote is checked.
    return Outcome(code, b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n"),
                   time.monotonic() - started)


def run_cli(case: Mapping[str, Any], args: list[str], work: Path, env: Mapping[str, str]) -> Outcome:
    timeout = float(case.get("timeout", DEFAULT_TIMEOUT))
    if case.get("subprocess") or case.get("tty"):
        return child(args, work, env, timeout, bool(case.get("tty")))
    return in_process(args, work, env, timeout)


# --- setting a case up --------------------------------------------------------------------------


def step_run(case: Mapping[str, Any], spec: Any, work: Path, env: Mapping[str, str]) -> None:
    """A command that must exit as given (0 unless `{run: [...], exit: N}`)."""
    args, wanted = (spec, 0) if isinstance(spec, list) else (spec["run"], spec.get("exit", 0))
    outcome = in_process([expand(str(a)) for a in args], work, env, DEFAULT_TIMEOUT)
    assert outcome.code == wanted, f"setup {args} exited {outcome.code}, not {wanted}:\n{outcome.output}"


# A setup step is a command line (a list) or a mapping whose one key names its kind. Cases of the store
# classes (store-fault, tamper) add kinds here, e.g. `sql:` to change a store file behind the CLI's back.
STEP_KINDS: dict[str, Callable[[Mapping[str, Any], Any, Path, Mapping[str, str]], None]] = {"run": step_run}


def prepare(case: Mapping[str, Any], work: Path, env: Mapping[str, str]) -> None:
    for relative, spec in (case.get("files") or {}).items():
        path = work / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file_text(spec), encoding="utf-8")
    for relative in case.get("fifos") or []:
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(work / relative)
    for step in case.get("setup") or []:
        kind = "run" if isinstance(step, list) else next(iter(step))
        STEP_KINDS[kind](case, step, work, env)


# --- the test -----------------------------------------------------------------------------------


def test_the_corpus_has_a_case_for_every_input_class() -> None:
    present = {load(p)["class"] for p in CASES}
    missing = CLASSES - present - {"store-fault", "tamper"}  # the store's classes come with its integrity work
    assert not missing, f"no case in tests/bad_inputs/ for {sorted(missing)}"


def test_every_case_file_is_well_formed() -> None:
    for path in CASES:
        case = load(path)
        assert isinstance(case["run"], list) and isinstance(case["exit"], int), path


def failures(case: Mapping[str, Any], outcome: Outcome) -> Iterator[str]:
    if outcome.code is None:
        yield f"hung: no answer within {case.get('timeout', DEFAULT_TIMEOUT)} s"
        return
    if outcome.code != case["exit"]:
        verdict = "accepted (silently)" if outcome.code == 0 else f"exited {outcome.code}"
        yield f"{verdict}, not exit {case['exit']}"
    for fragment in ALWAYS_FORBIDDEN:
        if fragment in outcome.output:
            yield f"printed {fragment!r}"
    raw = sorted(set(RAW_CONTROL.findall(outcome.output.replace("\r\n", "\n"))))  # CR LF: iCalendar, CSV
    if raw:
        yield f"printed raw control characters {raw!r}: a terminal would act on them"
    for fragment in case.get("expect") or []:
        if expand(fragment) not in outcome.output:
            yield f"did not print {fragment!r}"
    for fragment in case.get("forbid") or []:
        if expand(fragment) in outcome.output:
            yield f"printed {fragment!r}, which it must never print"


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_bad_input(path: Path, tmp_path: Path) -> None:
    case = load(path)
    work = tmp_path / "work"
    work.mkdir()
    env = {"REVIEWFLOW_DB": str(work / "reviewflow.db"), "COLUMNS": "100",
           **{k: str(v) for k, v in (case.get("env") or {}).items()}}
    prepare(case, work, env)
    outcome = run_cli(case, [expand(str(a)) for a in case["run"]], work, env)
    problems = list(failures(case, outcome))
    shown = outcome.output if len(outcome.output) < 3000 else outcome.output[:3000] + "…"
    assert not problems, (f"{path.relative_to(ROOT)}: {case['about']}\n  " + "\n  ".join(problems)
                          + f"\n--- output ({outcome.seconds:.1f} s) ---\n{shown}")
