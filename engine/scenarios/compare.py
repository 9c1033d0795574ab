"""Comparing one expectation of a scenario with the case summary `CaseService.show` returned.

Nothing here computes a date: expected values come from the scenario file, actual ones from the summary.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from reviewflow.engine.dates import iso_date_or_none
from reviewflow.engine.scenarios.model import Check

# --- printing values -----------------------------------------------------------------------------


def format_value(value: Any) -> str:
    """Dates with their weekday (`Tue 2024-01-23`), lists sorted, None as `none`."""
    if isinstance(value, date):
        return f"{value:%a} {value.isoformat()}"
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, date) for v in value):
        return f"{format_value(value[0])} to {format_value(value[1])}"
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(str(v) for v in sorted(value, key=str)) + "]" if value else "[] (none)"
    return repr(value) if isinstance(value, str) and value != value.strip() else str(value)


def _date_gap(expected: date, actual: date) -> str:
    days = (actual - expected).days
    unit = "day" if abs(days) == 1 else "days"
    return f"actual is {abs(days)} calendar {unit} {'later' if days > 0 else 'earlier'} than expected"


def _as_date(value: Any) -> date | None:
    return iso_date_or_none(value)


# --- reading a `show` summary --------------------------------------------------------------------


PLAIN_ACTIONS = ("record", "recommend", "decide")


def allowed_names(summary: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    """(plain names, "VERB NAME" strings) of what may be done now.

    Plain names are the events that may be recorded and the gates that may be recommended or
    decided; every action with a name (extend, pause, resume, waive included) is also in the second set.
    """
    plain: set[str] = set()
    verbs: set[str] = set()
    for item in summary.get("allowed") or []:
        if isinstance(item, str):
            verb, _, name = item.partition(" ")
            if not name:
                verb, name = "record", verb
        else:
            verb, name = str(item.get("action") or ""), str(item.get("name") or "")
        if not name:
            continue
        verbs.add(f"{verb} {name}")
        if verb in PLAIN_ACTIONS:
            plain.add(name)
    return plain, verbs


def open_tasks(summary: Mapping[str, Any]) -> list[str]:
    """Open tasks as TASK/AGENCY strings."""
    out: list[str] = []
    for task in summary.get("tasks") or []:
        if isinstance(task, str):
            out.append(task)
            continue
        if str(task.get("status") or "") in CLOSED_TASK_STATUSES:
            continue
        out.append(task_key(task))
    return out


CLOSED_TASK_STATUSES = frozenset({"done", "done_late", "missing"})


def task_key(task: Mapping[str, Any]) -> str:
    task_id = task.get("task") or task.get("id") or "?"
    agency = task.get("agency") or task.get("member")
    return f"{task_id}/{agency}" if agency else str(task_id)


def _task(summary: Mapping[str, Any], key: str) -> Mapping[str, Any] | None:
    for item in summary.get("tasks") or []:
        if isinstance(item, Mapping) and task_key(item) == key:
            return item
    return None


def _deadline(summary: Mapping[str, Any], deadline_id: str) -> Mapping[str, Any] | None:
    for item in summary.get("deadlines") or []:
        if item.get("id") == deadline_id:
            return item
    return None


# --- comparing -----------------------------------------------------------------------------------


def compare(check: Check, summary: Mapping[str, Any]) -> tuple[bool, Any, str | None]:
    """(passed, actual value, extra detail) for one check against one `show` summary."""
    key = check.key
    if key == "stage":
        stage = summary.get("stage")
        actual = stage.get("id") if isinstance(stage, Mapping) else stage
        return actual == check.expected, actual, None
    if key in ("closed", "outcome"):
        actual = summary.get(key)
        return actual == check.expected, actual, None
    if key == "allowed":
        plain, _verbs = allowed_names(summary)
        want = set(check.expected)
        return plain == want, sorted(plain), _set_diff(want, plain)
    if key in ("allowed_contains", "not_allowed"):
        plain, verbs = allowed_names(summary)
        want = set(check.expected)
        present = {w for w in want if w in (verbs if " " in w else plain)}
        if key == "allowed_contains":
            ok = present == want
            return ok, sorted(present), None if ok else f"not allowed now: {', '.join(sorted(want - present))}"
        ok = not present
        return ok, sorted(present), None if ok else f"allowed but should not be: {', '.join(sorted(present))}"
    if key == "tasks_open":
        tasks = open_tasks(summary)
        return set(tasks) == set(check.expected), sorted(tasks), _set_diff(set(check.expected), set(tasks))
    if key == "field":
        values = summary.get("fields") or {}
        actual = values.get(check.attribute) if isinstance(values, Mapping) else None
        expected = check.expected
        if isinstance(expected, list) and isinstance(actual, list | tuple):
            return sorted(map(str, expected)) == sorted(map(str, actual)), list(actual), None
        return actual == expected, actual, None
    if key == "deadline":
        return _compare_deadline(check, summary)
    if key == "task":
        return _compare_task(check, summary)
    if key == "notifications_open":
        owed = sorted(f"{n['gate']}/{n['recipient']}" for n in summary.get("notifications") or []
                      if n.get("status") == "open")
        want = set(check.expected)
        return set(owed) == want, owed, _set_diff(want, set(owed))
    if key == "gate":
        return _compare_gate(check, summary)
    if key == "hold":
        return _compare_hold(check, summary)
    if key == "publication":
        return _compare_publication(check, summary)
    raise ValueError(f"unknown check {key}")


def _set_diff(want: set[str], have: set[str]) -> str | None:
    lines = []
    if want - have:
        lines.append(f"missing:    {', '.join(sorted(want - have))}")
    if have - want:
        lines.append(f"unexpected: {', '.join(sorted(have - want))}")
    return "\n".join(lines) or None


def _compare_deadline(check: Check, summary: Mapping[str, Any]) -> tuple[bool, Any, str | None]:
    assert check.deadline is not None
    item = _deadline(summary, check.deadline)
    attribute = check.attribute
    if attribute == "listed":
        return (item is not None) == check.expected, item is not None, None
    if item is None:
        listed = ", ".join(str(d.get("id")) for d in summary.get("deadlines") or []) or "none"
        return False, "not listed", f"deadlines listed on that date: {listed}"
    if attribute in ("due", "original_due"):
        actual = _as_date(item.get(attribute))
        detail = None
        if actual is not None and check.expected is not None and actual != check.expected:
            detail = _date_gap(check.expected, actual)
        return actual == check.expected, actual, detail
    if attribute == "window":
        window = item.get("window")
        actual_window = (_as_date(window.get("from")), _as_date(window.get("to"))) if window else None
        return actual_window == check.expected, actual_window, None
    actual = item.get(attribute or "")
    return actual == check.expected, actual, None


def _compare_task(check: Check, summary: Mapping[str, Any]) -> tuple[bool, Any, str | None]:
    assert check.deadline is not None  # the TASK/AGENCY key
    item = _task(summary, check.deadline)
    if item is None:
        listed = ", ".join(task_key(t) for t in summary.get("tasks") or []) or "none"
        return False, "not listed", f"tasks listed on that date: {listed}"
    if check.attribute in ("due", "done_at"):
        actual = _as_date(item.get(check.attribute))
        detail = None
        if actual is not None and check.expected is not None and actual != check.expected:
            detail = _date_gap(check.expected, actual)
        return actual == check.expected, actual, detail
    actual = item.get(check.attribute or "")
    return actual == check.expected, actual, None


def _dated(check: Check, actual: Any) -> tuple[bool, Any, str | None]:
    value = _as_date(actual)
    detail = None
    if value is not None and check.expected is not None and value != check.expected:
        detail = _date_gap(check.expected, value)
    return value == check.expected, value, detail


def _compare_gate(check: Check, summary: Mapping[str, Any]) -> tuple[bool, Any, str | None]:
    gate = next((g for g in summary.get("gates") or [] if g.get("id") == check.deadline), None)
    if gate is None:
        return False, "not listed", None
    attribute = check.attribute
    if attribute == "reconsidered":
        actual: Any = len(gate.get("history") or [])
    elif attribute == "history":
        actual = [r.get("outcome") for r in gate.get("history") or []]
    elif attribute == "recommendation":
        actual = (gate.get("recommendation") or {}).get("option")
    else:
        actual = gate.get(attribute or "")
    return actual == check.expected, actual, None


def _compare_hold(check: Check, summary: Mapping[str, Any]) -> tuple[bool, Any, str | None]:
    spans = [h for h in summary.get("holds") or [] if h.get("kind") == check.deadline]
    if check.attribute == "listed":
        return bool(spans) == check.expected, bool(spans), None
    if not spans:
        return False, "not listed", "the hold was never started on this case"
    span = spans[-1]
    if check.attribute in ("review_on", "ended"):
        return _dated(check, span.get(check.attribute))
    actual = span.get(check.attribute or "")
    return actual == check.expected, actual, None


def _compare_publication(check: Check, summary: Mapping[str, Any]) -> tuple[bool, Any, str | None]:
    record = summary.get("publication") or {}
    items = record.get("items") or []
    last = items[-1] if items else {}
    attribute = check.attribute
    if attribute == "planned_date":
        return _dated(check, record.get("planned_date"))
    if attribute in ("online_from", "taken_down"):
        return _dated(check, last.get(attribute))
    if attribute == "published":
        published = [i.get("what") for i in items]
        return published == list(check.expected), published, None
    disclosures = len(record.get("disclosures") or [])
    return disclosures == check.expected, disclosures, None
