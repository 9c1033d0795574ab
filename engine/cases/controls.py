"""Deadline controls (extend, pause, resume, waive), legal holds (start, review, end), corrections and notes.

Each returns a new event after checking it; none edits an earlier event. An extension, pause or
waiver needs a reason and a role in the deadline's authority (or the process's deadline_authority);
the original due date is always kept (see reviewflow.engine.cases.deadlines). Resuming needs the pause authority.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from reviewflow.engine.cases import holds as holdmod
from reviewflow.engine.cases.allowed import allowed_actions
from reviewflow.engine.cases.case import CORRECTED_DATE_KEY, Case
from reviewflow.engine.cases.checks import check_data, check_dates, check_role, refuse, standard_keys
from reviewflow.engine.cases.deadlines import DeadlineInstance
from reviewflow.engine.definition.model import Hold
from reviewflow.engine.errors import NotFoundError, did_you_mean
from reviewflow.engine.events import Event

CLOSED_STATUSES = ("met", "met_late", "waived", "not_applicable")


def _reason(case: Case, reason: str | None, what: str, as_of: date) -> str:
    text = (reason or "").strip()
    if not text:
        raise refuse(case, f"{what} needs a reason", "give --reason TEXT", as_of)
    return text


def _open_instance(case: Case, deadline_id: str, as_of: date, doing: str) -> DeadlineInstance:
    d = case.deadline_def(deadline_id)
    if case.is_closed:
        raise refuse(case, f'the case is closed: stage "{case.stage}" is final', None, as_of)
    inst = case.deadline(deadline_id, as_of)
    if inst is None:
        raise refuse(case, f'deadline "{deadline_id}" has not started: "{d.rule.anchor}" is not recorded',
                     f"it runs {d.rule.describe()}", as_of)
    if inst.status in CLOSED_STATUSES:
        raise refuse(case, f'deadline "{deadline_id}" is {inst.status.replace("_", " ")} and cannot be {doing}',
                     None, as_of)
    return inst


def extend(case: Case, deadline: str, at: date, by: str, as_of: date, reason: str | None,
           to: date | None = None, working_days: int | None = None) -> Event:
    inst = _open_instance(case, deadline, as_of, "extended")
    authority = case.authority(case.process.deadlines[deadline])
    check_role(case.process, by, authority.extend, f'extend "{deadline}"', lambda: _allowed(case, as_of))
    text = _reason(case, reason, "an extension", as_of)
    if inst.status == "paused":
        raise refuse(case, f'deadline "{deadline}" is paused', "resume it before extending it", as_of)
    if (to is None) == (working_days is None):
        raise refuse(case, "an extension gives either a new date or a number of working days", None, as_of)
    data: dict[str, Any] = {"reason": text}
    if to is not None:
        if to <= inst.due:
            raise refuse(case, f"the new date {to.isoformat()} is not after the current due date "
                         f"{inst.due.isoformat()}", "an extension moves the date later", as_of)
        data["to"] = to.isoformat()
    else:
        if working_days is None or working_days < 1:
            raise refuse(case, "an extension adds at least 1 working day", None, as_of)
        data["working_days"] = working_days
    check_dates(case, at, as_of)
    return Event("extended", deadline, at, by, None, None, data)


def pause(case: Case, deadline: str, at: date, by: str, as_of: date, reason: str | None) -> Event:
    inst = _open_instance(case, deadline, as_of, "paused")
    authority = case.authority(case.process.deadlines[deadline])
    check_role(case.process, by, authority.pause, f'pause "{deadline}"', lambda: _allowed(case, as_of))
    text = _reason(case, reason, "a pause", as_of)
    if inst.status == "paused":
        held = _held_by(case, deadline)
        raise refuse(case, f'deadline "{deadline}" is already paused{held}', None, as_of)
    check_dates(case, at, as_of)
    return Event("paused", deadline, at, by, None, None, {"reason": text})


def resume(case: Case, deadline: str, at: date, by: str, as_of: date, reason: str | None) -> Event:
    inst = _open_instance(case, deadline, as_of, "resumed")
    authority = case.authority(case.process.deadlines[deadline])
    check_role(case.process, by, authority.pause, f'resume "{deadline}"', lambda: _allowed(case, as_of))
    text = _reason(case, reason, "a resumption", as_of)
    if inst.status != "paused":
        raise refuse(case, f'deadline "{deadline}" is not paused', None, as_of)
    holding = holdmod.pausing(case.holds, deadline)
    manual = [c for c in case.controls.get(deadline, ()) if c.hold is None]
    if holding and sum(c.kind == "paused" for c in manual) <= sum(c.kind == "resumed" for c in manual):
        raise refuse(case, f'deadline "{deadline}" is paused by the hold {holding[0].kind} ({holding[0].title})',
                     f"it restarts when the hold ends: `case hold-end … {holding[0].kind}`", as_of)
    check_dates(case, at, as_of)
    return Event("resumed", deadline, at, by, None, None, {"reason": text})


def waive(case: Case, deadline: str, at: date, by: str, as_of: date, reason: str | None) -> Event:
    _open_instance(case, deadline, as_of, "waived")
    authority = case.authority(case.process.deadlines[deadline])
    if not authority.waive:
        raise refuse(case, f'deadline "{deadline}" may not be waived by anyone', None, as_of)
    check_role(case.process, by, authority.waive, f'waive "{deadline}"', lambda: _allowed(case, as_of))
    text = _reason(case, reason, "a waiver", as_of)
    check_dates(case, at, as_of)
    return Event("waived", deadline, at, by, None, None, {"reason": text})


def correct(case: Case, seq: int, at: date, by: str, reason: str | None, data: Mapping[str, Any],
            as_of: date | None = None, actor: str | None = None, at_date: date | None = None) -> Event:
    """A correction of an earlier event's data or date: a new event naming the one it supersedes.

    With `at_date`, the fold uses that date for event `seq` from then on (the stored event keeps its
    own): how a year typed wrongly is fixed. Every event must still be in date order afterwards."""
    today = as_of or at
    target = case.event(seq)
    if at_date is None and target.kind not in ("opened", "recorded"):
        raise refuse(case, f"event {seq} ({target.kind} {target.name}) carries no case data to correct",
                     "only opened and recorded events carry data; any event's date can be corrected with "
                     "--at-date", today)
    if target.kind == "corrected":
        raise refuse(case, f"event {seq} is itself a correction", f"correct event "
                     f"{target.data.get('supersedes')} again instead", today)
    ev = case.process.events.get(target.name) if target.kind in ("opened", "recorded") else None
    may = ev.by if ev is not None else tuple(case.process.roles)
    if at_date is not None and target.by not in may:
        may = (*may, target.by)
    check_role(case.process, by, may, f"correct event {seq} ({target.name})", lambda: _allowed(case, today))
    text = _reason(case, reason, "a correction", today)
    if not data and at_date is None:
        raise refuse(case, "a correction must give the corrected data (--set) or date (--at-date)", None, today)
    clean: dict[str, Any] = {}
    if data:
        if target.kind not in ("opened", "recorded"):
            raise refuse(case, f"event {seq} ({target.kind} {target.name}) carries no case data to correct",
                         "correct only its date, with --at-date", today)
        if target.kind == "opened" or ev is None:
            allowed: tuple[str, ...] = tuple(case.process.fields)
        else:
            allowed = (*ev.sets, *ev.may_set, *standard_keys(ev.planned, ev.publication)[0])
        clean = check_data(case.process, data, allowed, (), f"event {seq} ({target.name})")
        why = case.field_refusal(clean)
        if why is not None:
            raise refuse(case, why, "correct it to what the decision says, or reconsider the decision", today)
    extra = {CORRECTED_DATE_KEY: at_date.isoformat()} if at_date is not None else {}
    event = Event("corrected", "correction", at, by, actor, None, {"supersedes": seq, "reason": text, **extra, **clean})
    if at_date is None:
        check_dates(case, at, today)
    else:
        _check_redated(case, event, seq, at_date, today)
    return event


def _check_redated(case: Case, event: Event, seq: int, at_date: date, today: date) -> None:
    """With event `seq` on `at_date`, every event (the correction last) is still in date order."""
    if at_date > today:
        raise refuse(case, f"the corrected date {at_date.isoformat()} is after today ({today.isoformat()})",
                     "give the day the event really happened", today)
    if event.at > today:
        raise refuse(case, f"the date {event.at.isoformat()} is after today ({today.isoformat()})",
                     "record what has happened, on the day it happened", today)
    events = Case.replay(case.process, case.ref, [*case.events, event], case.calendar).events
    for before, after in zip(events, events[1:], strict=False):
        if after.at < before.at:
            raise refuse(case, f"with event {seq} dated {at_date.isoformat()}, the events would be out of "
                         f"order: event {after.seq} ({after.at.isoformat()}) would come before event {before.seq} "
                         f"({before.at.isoformat()})", "give a date between those of its neighbours; the "
                         "correction itself is dated --at, on or after every event", today)


def note(case: Case, at: date, by: str, text: str, as_of: date | None = None,
         notified: str | list[str] | None = None, actor: str | None = None) -> Event:
    """A free-text note; `notified` names recipients now told (it closes their notification items)."""
    today = as_of or at
    check_role(case.process, by, tuple(case.process.roles), "add a note")
    if not (text or "").strip():
        raise refuse(case, "a note needs text", None, today)
    owed = sorted({n.recipient for n in case.notifications if n.status == "open"})
    for recipient in ([notified] if isinstance(notified, str) else notified or []):
        if recipient not in owed:  # a typo would otherwise close nothing, without a word
            guess = did_you_mean(recipient, owed or case.process.roles)
            listed = f"owed now: {', '.join(owed)}" if owed else "no notification is owed in this case now"
            raise refuse(case, f'"{recipient}" is owed no notification in case {case.ref} ({listed})',
                         guess if guess and guess.startswith("did you mean") else "name a recipient owed a "
                         "notification (`reviewflow case show` lists them), or leave out --notified", today)
    check_dates(case, at, today)
    data: dict[str, Any] = {"text": text}
    if notified:
        data["notified"] = notified
    return Event("noted", "note", at, by, actor, None, data)


def _held_by(case: Case, deadline: str) -> str:
    holding = holdmod.pausing(case.holds, deadline)
    return f" (by the hold {holding[0].kind})" if holding else ""


def _hold(case: Case, kind: str, by: str, as_of: date, doing: str) -> Hold:
    hold = case.process.holds.get(kind)
    if hold is None:
        raise NotFoundError(f'unknown hold "{kind}" in process "{case.process.id}"',
                            did_you_mean(kind, case.process.holds) or
                            f"holds: {', '.join(case.process.holds) or 'none defined'}")
    if case.is_closed:
        raise refuse(case, f'the case is closed: stage "{case.stage}" is final', None, as_of)
    check_role(case.process, by, hold.by, f'{doing} the hold "{kind}"', lambda: _allowed(case, as_of))
    return hold


def _review_date(case: Case, review_on: date | None, at: date, as_of: date) -> dict[str, Any]:
    if review_on is None:
        return {}
    if review_on < at:
        raise refuse(case, f"the review date {review_on.isoformat()} is before the hold's date {at.isoformat()}",
                     "a review date is on or after the day it is set", as_of)
    return {"review_on": review_on.isoformat()}


def hold_start(case: Case, kind: str, at: date, by: str, as_of: date, reason: str | None,
               review_on: date | None = None) -> Event:
    """Put the case under a hold: its deadlines stop, its blocked events are refused until it ends."""
    hold = _hold(case, kind, by, as_of, "start")
    if holdmod.active_index(case.holds, kind) is not None:
        raise refuse(case, f'the hold "{kind}" is already active', "review it or end it", as_of)
    text = _reason(case, reason, "a hold", as_of)
    data: dict[str, Any] = {"reason": text, **_review_date(case, review_on, at, as_of)}
    check_dates(case, at, as_of)
    return Event("hold_started", hold.id, at, by, None, None, data)


def hold_review(case: Case, kind: str, at: date, by: str, as_of: date, reason: str | None,
                review_on: date | None = None) -> Event:
    """Record a review of an active hold, with its next review date (or none)."""
    hold = _hold(case, kind, by, as_of, "review")
    if holdmod.active_index(case.holds, kind) is None:
        raise refuse(case, f'the hold "{kind}" is not active', None, as_of)
    text = _reason(case, reason, "a hold review", as_of)
    data: dict[str, Any] = {"reason": text, **_review_date(case, review_on, at, as_of)}
    check_dates(case, at, as_of)
    return Event("hold_reviewed", hold.id, at, by, None, None, data)


def hold_end(case: Case, kind: str, at: date, by: str, as_of: date, reason: str | None) -> Event:
    """End an active hold: its paused deadlines move on by the time held, its blocked events are allowed."""
    hold = _hold(case, kind, by, as_of, "end")
    if holdmod.active_index(case.holds, kind) is None:
        raise refuse(case, f'the hold "{kind}" is not active', None, as_of)
    text = _reason(case, reason, "ending a hold", as_of)
    check_dates(case, at, as_of)
    return Event("hold_ended", hold.id, at, by, None, None, {"reason": text})


def _allowed(case: Case, as_of: date) -> list[str]:
    return [str(a) for a in allowed_actions(case, as_of)]
