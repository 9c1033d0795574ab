"""`reviewflow calendar …`: readable answers, a stable JSON shape, one-line errors with hints."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from reviewflow.cli import cli

REPO = Path(__file__).resolve().parent.parent
REVIEWFLOW = Path(sys.executable).parent / "reviewflow"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["calendar", *args])


def run_json(*args: str) -> dict[str, object]:
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    payload: dict[str, object] = json.loads(result.stdout)
    return payload


def test_add_explain_lists_counted_and_skipped_days() -> None:
    result = run("add", "2023-12-21", "5", "--explain")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "2024-01-02 (Tue) is 5 working days after 2023-12-21 (Thu)."
    assert "     1. Fri 2023-12-22" in lines
    assert "     5. Tue 2024-01-02" in lines
    assert "        Mon 2023-12-25  Christmas Day" in lines
    assert "        Tue 2023-12-26  Boxing Day" in lines
    assert "        Mon 2024-01-01  New Year's Day" in lines
    assert "        Sat 2023-12-23  weekend" in lines
    assert lines[-1].startswith("Calendar: England & Wales bank holidays from python-holidays")
    assert "Provisional" not in result.stdout


def test_add_prints_one_plain_sentence() -> None:
    result = run("add", "2024-01-02", "15")
    assert (result.exit_code, result.stdout) == (0, "2024-01-23 (Tue) is 15 working days after 2024-01-02 (Tue).\n")


def test_negative_n_counts_back() -> None:
    result = run("add", "2024-01-02", "-5")
    assert (result.exit_code, result.stdout) == (0, "2023-12-21 (Thu) is 5 working days before 2024-01-02 (Tue).\n")
    explained = run("add", "2024-01-08", "-7", "--explain")
    assert explained.stdout.startswith("2023-12-27 (Wed) is 7 working days before 2024-01-08 (Mon).")
    assert "Counting back starts with the previous working day." in explained.stdout


def test_add_json_shape() -> None:
    payload = run_json("add", "2023-12-21", "5", "--explain")
    assert list(payload) == ["start", "start_weekday", "n", "unit", "direction", "result", "result_weekday",
                             "result_is_working_day", "result_non_working_reason", "rolled_forward_from",
                             "provisional", "calendar", "explanation"]
    assert payload["result"] == "2024-01-02"
    assert (payload["unit"], payload["direction"], payload["provisional"]) == ("working_days", "after", False)
    calendar = payload["calendar"]
    assert isinstance(calendar, dict)
    assert set(calendar) == {"id", "region", "holidays_version", "holiday_list_hash", "closures_hash",
                             "confirmed_until", "process"}
    explanation = payload["explanation"]
    assert isinstance(explanation, dict)
    assert explanation["counted"][0] == {"number": 1, "date": "2023-12-22", "weekday": "Fri"}
    assert {"date": "2023-12-25", "weekday": "Mon", "reason": "Christmas Day"} in explanation["skipped"]
    assert run_json("add", "2023-12-21", "5")["explanation"] is None


def test_calendar_days_roll_forward_and_say_why() -> None:
    result = run("add", "2024-01-01", "5", "--calendar-days", "--roll-forward")
    assert result.stdout == ("2024-01-08 (Mon) is 5 calendar days after 2024-01-01 (Mon), rolled forward from "
                             "2024-01-06 (Sat), which is not a working day (weekend).\n")
    plain = run("add", "2024-01-01", "5", "--calendar-days")
    assert plain.stdout.splitlines()[1] == "Note: 2024-01-06 (Sat) is not a working day (weekend)."
    payload = run_json("add", "2024-01-01", "5", "--calendar-days", "--roll-forward")
    assert (payload["result"], payload["rolled_forward_from"]) == ("2024-01-08", "2024-01-06")


def test_months_clamp_to_the_end_of_the_month() -> None:
    result = run("add", "2023-08-31", "6", "--months")
    assert result.stdout.startswith("2024-02-29 (Thu) is 6 months after 2023-08-31 (Thu)")
    assert run_json("add", "2023-08-31", "6", "--months")["unit"] == "months"


def test_between() -> None:
    result = run("between", "2024-01-02", "2024-01-23")
    assert result.stdout == ("There are 15 working days after 2024-01-02 (Tue) up to and including "
                             "2024-01-23 (Tue).\n")
    assert run_json("between", "2024-01-23", "2024-01-02")["working_days"] == -15


def test_holidays_lists_weekday_bank_holidays_with_gov_uk_names() -> None:
    result = run("holidays", "2022")
    lines = result.stdout.splitlines()
    assert lines[0] == "Weekday bank holidays in England & Wales in 2022: 10"
    assert lines[1:11] == [
        "  Mon 2022-01-03  New Year's Day (substitute day)", "  Fri 2022-04-15  Good Friday",
        "  Mon 2022-04-18  Easter Monday", "  Mon 2022-05-02  Early May bank holiday",
        "  Thu 2022-06-02  Spring bank holiday", "  Fri 2022-06-03  Platinum Jubilee of Elizabeth II",
        "  Mon 2022-08-29  Summer bank holiday", "  Mon 2022-09-19  State Funeral of Queen Elizabeth II",
        "  Mon 2022-12-26  Boxing Day", "  Tue 2022-12-27  Christmas Day (substitute day)"]
    payload = run_json("holidays", "2021")
    assert payload["holidays"][-1] == {"date": "2021-12-28", "weekday": "Tue",  # type: ignore[index]
                                       "name": "Boxing Day (substitute day)"}


def test_is_working_day_says_why_not() -> None:
    assert run("is-working-day", "2023-12-26").stdout == "2023-12-26 (Tue) is not a working day: Boxing Day.\n"
    assert run("is-working-day", "2022-05-30").stdout == "2022-05-30 (Mon) is a working day.\n"
    payload = run_json("is-working-day", "2023-05-08")
    assert (payload["working_day"], payload["reason"]) == (False, "Coronation of Charles III")


def test_provisional_dates_are_flagged() -> None:
    result = run("add", "2099-06-01", "3")
    assert result.exit_code == 0
    assert "Provisional: 2099-06-04 is after" in result.stdout
    assert run_json("is-working-day", "2099-06-01")["provisional"] is True


@pytest.mark.parametrize(("args", "message"), [
    (("add", "2023-02-30", "5"), "error: DATE 2023-02-30 is not a real date: February 2023 has 28 days"),
    (("add", "2023/12/21", "5"), "is not a date in the form YYYY-MM-DD"),
    (("add", "2023-12-21", "five"), "error: N must be a whole number, got 'five'"),
    (("add", "2023-12-21", "1.5"), "error: N must be a whole number, got '1.5'"),
    (("add", "2023-12-21", "10001"), "error: 10001 working days is out of range"),
    (("add", "2023-12-21", "1201", "--months"), "error: 1201 months is out of range"),
    (("add", "1989-12-29", "1"), "error: 1989-12-29 is outside the supported calendar range"),
    (("add", "2100-12-30", "5"), "falls outside the supported calendar range"),
    (("between", "2024-01-02", "2024-02-31"), "error: second DATE 2024-02-31 is not a real date"),
    (("holidays", "20x4"), "error: YEAR must be a whole number"),
    (("holidays", "2101"), "error: year 2101 is outside the supported calendar range"),
    (("is-working-day", "yesterday"), "error: DATE 'yesterday' is not a date in the form YYYY-MM-DD"),
])
def test_bad_input_is_one_line_and_a_hint_with_exit_1(args: tuple[str, ...], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and message in lines[0] and lines[1].startswith("hint: ")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [("add", "2024-01-02", "5", "--roll-forward"),
                                  ("add", "2024-01-02", "5", "--months", "--calendar-days"),
                                  ("add", "2024-01-02")])
def test_malformed_options_are_usage_errors(args: tuple[str, ...]) -> None:
    assert run(*args).exit_code == 2


VALID = REPO / "tests" / "definitions" / "valid"


def test_process_option_uses_the_definitions_closures() -> None:
    # example-full (tests/definitions/valid) closes the office on Christmas Eve 2024
    where = ["--processes", str(VALID), "--process", "example-full"]
    result = run("add", "2024-12-23", "1", "--explain", *where)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("2024-12-27 (Fri) is 1 working day after 2024-12-23 (Mon).")
    assert "Tue 2024-12-24  local closure: Office closure, Christmas Eve" in result.stdout
    assert "Calendar of process example-full:" in result.stdout
    calendar = run_json("is-working-day", "2024-12-24", *where)["calendar"]
    assert isinstance(calendar, dict) and calendar["process"] == "example-full"
    assert run("is-working-day", "2024-12-24").stdout == "2024-12-24 (Tue) is a working day.\n"


def test_unknown_process_is_exit_1_with_a_hint() -> None:
    result = run("holidays", "2024", "--processes", str(VALID), "--process", "exmaple-full")
    assert result.exit_code == 1
    assert result.stderr == 'error: no process has the id "exmaple-full"\nhint: did you mean "example-full"?\n'


def test_every_command_has_help_with_an_example() -> None:
    for command in ("add", "between", "holidays", "is-working-day"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert f"reviewflow calendar {command} " in result.stdout


# --- real processes ------------------------------------------------------------------------------


def real(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REVIEWFLOW), *args], cwd=REPO, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "REVIEWFLOW_CACHE": str(cache)})


def test_the_installed_command_explains_a_deadline(cache_dir: Path) -> None:
    completed = real("calendar", "add", "2023-12-21", "5", "--explain", cache=cache_dir)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("2024-01-02 (Tue) is 5 working days after 2023-12-21 (Thu).")
    assert "Boxing Day" in completed.stdout


def test_the_installed_command_rejects_an_impossible_date_without_a_traceback(cache_dir: Path) -> None:
    completed = real("calendar", "add", "2023-02-30", "-5", cache=cache_dir)
    assert completed.returncode == 1
    assert completed.stdout == ""
    assert completed.stderr.startswith("error: DATE 2023-02-30 is not a real date")
    assert "Traceback" not in completed.stderr


IMPORTS_PROBE = """
import sys
import cli
try:
    cli.main(sys.argv[1:])
except SystemExit:
    pass
heavy = sorted({name.split(".")[0] for name in sys.modules} & {"holidays", "pendulum", "jsonschema"})
print("IMPORTED", ",".join(heavy) or "-", file=sys.stderr)
"""


@pytest.mark.parametrize(("args", "expected"), [
    (["--help"], "-"),
    (["calendar", "add", "2023-12-21", "5", "--explain"], "-"),  # warm cache: no holidays import
    (["calendar", "add", "2023-08-31", "6", "--months"], "pendulum"),
])
def test_imports_stay_lazy(cache_dir: Path, args: list[str], expected: str) -> None:
    env = {"PATH": "/usr/bin:/bin", "REVIEWFLOW_CACHE": str(cache_dir)}
    subprocess.run([sys.executable, "-c", IMPORTS_PROBE, "calendar", "is-working-day", "2024-01-02"],
                   cwd=REPO, env=env, check=True, capture_output=True)  # warms the cache
    completed = subprocess.run([sys.executable, "-c", IMPORTS_PROBE, *args], cwd=REPO, env=env,
                               capture_output=True, text=True, check=True)
    assert completed.stderr.splitlines()[-1] == f"IMPORTED {expected}"
