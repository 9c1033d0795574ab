"""Working-day calendar: the worked examples of facts.md §10, a hand table of bank holidays, the rules."""

from __future__ import annotations

import calendar as month_lengths
from datetime import date, datetime, timedelta

import pytest
from reviewflow.engine.calendar.source import build_table, package_bank_holidays
from reviewflow.engine.calendar.workdays import (
    Calendar,
    Explanation,
    calendar_for,
)
from reviewflow.engine.dates import parse_iso_date
from reviewflow.engine.definition.model import CalendarSpec, Closure
from reviewflow.engine.errors import CalendarError


@pytest.fixture(scope="module")
def ew() -> Calendar:
    return calendar_for()


def d(text: str) -> date:
    return date.fromisoformat(text)


def days(*texts: str) -> list[date]:
    return [d(t) for t in texts]


WEEKEND = "weekend"

# --- facts.md §10 worked examples ---------------------------------------------------------------


def test_we_01_notification_over_christmas_and_new_year(ew: Calendar) -> None:
    explanation = ew.explain_working_days(d("2023-12-21"), 5)
    assert explanation == Explanation(
        start=d("2023-12-21"), n=5, result=d("2024-01-02"),
        counted=days("2023-12-22", "2023-12-27", "2023-12-28", "2023-12-29", "2024-01-02"),
        skipped=[(d("2023-12-23"), WEEKEND), (d("2023-12-24"), WEEKEND),
                 (d("2023-12-25"), "Christmas Day"), (d("2023-12-26"), "Boxing Day"),
                 (d("2023-12-30"), WEEKEND), (d("2023-12-31"), WEEKEND),
                 (d("2024-01-01"), "New Year's Day")],
    )
    assert ew.add_working_days(d("2023-12-21"), 5) == d("2024-01-02")


def test_we_02a_rapid_review_from_notification(ew: Calendar) -> None:
    explanation = ew.explain_working_days(d("2024-01-02"), 15)
    assert explanation.result == d("2024-01-23")
    assert explanation.counted == days(
        "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10", "2024-01-11",
        "2024-01-12", "2024-01-15", "2024-01-16", "2024-01-17", "2024-01-18", "2024-01-19", "2024-01-22",
        "2024-01-23")
    assert explanation.skipped == [(day, WEEKEND) for day in days(
        "2024-01-06", "2024-01-07", "2024-01-13", "2024-01-14", "2024-01-20", "2024-01-21")]


def test_we_02b_rapid_review_from_awareness(ew: Calendar) -> None:
    explanation = ew.explain_working_days(d("2023-12-21"), 15)
    assert explanation.result == d("2024-01-16")
    assert explanation.counted == days(
        "2023-12-22", "2023-12-27", "2023-12-28", "2023-12-29", "2024-01-02", "2024-01-03", "2024-01-04",
        "2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10", "2024-01-11", "2024-01-12", "2024-01-15",
        "2024-01-16")
    assert [day for day, _ in explanation.skipped] == days(
        "2023-12-23", "2023-12-24", "2023-12-25", "2023-12-26", "2023-12-30", "2023-12-31", "2024-01-01",
        "2024-01-06", "2024-01-07", "2024-01-13", "2024-01-14")


def test_we_06_easter_2024(ew: Calendar) -> None:
    explanation = ew.explain_working_days(d("2024-03-27"), 5)
    assert explanation.result == d("2024-04-05")
    assert explanation.counted == days("2024-03-28", "2024-04-02", "2024-04-03", "2024-04-04", "2024-04-05")
    assert explanation.skipped == [(d("2024-03-29"), "Good Friday"), (d("2024-03-30"), WEEKEND),
                                   (d("2024-03-31"), WEEKEND), (d("2024-04-01"), "Easter Monday")]


def test_we_07_christmas_substitute_days_2021(ew: Calendar) -> None:
    explanation = ew.explain_working_days(d("2021-12-22"), 5)
    assert explanation.result == d("2021-12-31")
    # Christmas Eve and New Year's Eve are working days (facts 9.1.1).
    assert explanation.counted == days("2021-12-23", "2021-12-24", "2021-12-29", "2021-12-30", "2021-12-31")
    assert explanation.skipped == [(d("2021-12-25"), WEEKEND), (d("2021-12-26"), WEEKEND),
                                   (d("2021-12-27"), "Christmas Day (substitute day)"),
                                   (d("2021-12-28"), "Boxing Day (substitute day)")]


def test_we_08_weekend_anchor_and_new_year_substitute(ew: Calendar) -> None:
    explanation = ew.explain_working_days(d("2022-12-31"), 5)  # a Saturday: day 0 all the same
    assert explanation.result == d("2023-01-09")
    assert explanation.counted == days("2023-01-03", "2023-01-04", "2023-01-05", "2023-01-06", "2023-01-09")
    assert explanation.skipped == [(d("2023-01-01"), WEEKEND),
                                   (d("2023-01-02"), "New Year's Day (substitute day)"),
                                   (d("2023-01-07"), WEEKEND), (d("2023-01-08"), WEEKEND)]


def test_we_11_leeds_chain(ew: Calendar) -> None:
    notification = d("2024-01-02")
    request = ew.add_working_days(notification, 2)
    assert ew.explain_working_days(notification, 2).counted == days("2024-01-03", "2024-01-04")
    assert request == d("2024-01-04")
    returned = ew.explain_working_days(request, 5)
    assert returned.result == d("2024-01-11")
    assert returned.counted == days("2024-01-05", "2024-01-08", "2024-01-09", "2024-01-10", "2024-01-11")
    assert returned.skipped == [(d("2024-01-06"), WEEKEND), (d("2024-01-07"), WEEKEND)]
    assert ew.window(notification, 7, 13) == (d("2024-01-11"), d("2024-01-19"))
    assert ew.add_working_days(notification, 15) == d("2024-01-23")


def test_we_12_summer_bank_holiday(ew: Calendar) -> None:
    explanation = ew.explain_working_days(d("2024-08-22"), 15)
    assert explanation.result == d("2024-09-13")
    assert explanation.counted[:3] == days("2024-08-23", "2024-08-27", "2024-08-28")
    assert len(explanation.counted) == 15
    assert explanation.skipped == [(d("2024-08-24"), WEEKEND), (d("2024-08-25"), WEEKEND),
                                   (d("2024-08-26"), "Summer bank holiday"),
                                   (d("2024-08-31"), WEEKEND), (d("2024-09-01"), WEEKEND),
                                   (d("2024-09-07"), WEEKEND), (d("2024-09-08"), WEEKEND)]


# --- an oracle independent of `holidays`: facts.md §9.2 typed in by hand -------------------------

HAND_TABLE = """
2018: Mon 1 Jan; Fri 30 Mar; Mon 2 Apr; Mon 7 May; Mon 28 May; Mon 27 Aug; Tue 25 Dec; Wed 26 Dec
2019: Tue 1 Jan; Fri 19 Apr; Mon 22 Apr; Mon 6 May; Mon 27 May; Mon 26 Aug; Wed 25 Dec; Thu 26 Dec
2020: Wed 1 Jan; Fri 10 Apr; Mon 13 Apr; Fri 8 May; Mon 25 May; Mon 31 Aug; Fri 25 Dec; Mon 28 Dec
2021: Fri 1 Jan; Fri 2 Apr; Mon 5 Apr; Mon 3 May; Mon 31 May; Mon 30 Aug; Mon 27 Dec; Tue 28 Dec
2022: Mon 3 Jan; Fri 15 Apr; Mon 18 Apr; Mon 2 May; Thu 2 Jun; Fri 3 Jun; Mon 29 Aug; Mon 19 Sep; Mon 26 Dec; Tue 27 Dec
2023: Mon 2 Jan; Fri 7 Apr; Mon 10 Apr; Mon 1 May; Mon 8 May; Mon 29 May; Mon 28 Aug; Mon 25 Dec; Tue 26 Dec
2024: Mon 1 Jan; Fri 29 Mar; Mon 1 Apr; Mon 6 May; Mon 27 May; Mon 26 Aug; Wed 25 Dec; Thu 26 Dec
2025: Wed 1 Jan; Fri 18 Apr; Mon 21 Apr; Mon 5 May; Mon 26 May; Mon 25 Aug; Thu 25 Dec; Fri 26 Dec
2026: Thu 1 Jan; Fri 3 Apr; Mon 6 Apr; Mon 4 May; Mon 25 May; Mon 31 Aug; Fri 25 Dec; Mon 28 Dec
2027: Fri 1 Jan; Fri 26 Mar; Mon 29 Mar; Mon 3 May; Mon 31 May; Mon 30 Aug; Mon 27 Dec; Tue 28 Dec
"""


def parse_hand_table() -> dict[int, list[date]]:
    table: dict[int, list[date]] = {}
    for line in HAND_TABLE.strip().splitlines():
        year_text, entries = line.split(":")
        year = int(year_text)
        table[year] = []
        for entry in entries.split(";"):
            weekday, day, month = entry.split()
            parsed = datetime.strptime(f"{day} {month} {year}", "%d %b %Y").date()
            assert parsed.strftime("%a") == weekday, f"typo in the hand table: {entry} {year}"
            table[year].append(parsed)
    return table


HAND_HOLIDAYS = parse_hand_table()


def test_calendar_agrees_with_the_hand_table_on_every_day_2018_to_2027(ew: Calendar) -> None:
    bank_holidays = {day for year in HAND_HOLIDAYS.values() for day in year}
    disagreements = []
    day = d("2018-01-01")
    while day <= d("2027-12-31"):
        expected = day.weekday() < 5 and day not in bank_holidays
        if ew.is_working_day(day) != expected:
            disagreements.append(day)
        day += timedelta(days=1)
    assert disagreements == []


@pytest.mark.parametrize("year", sorted(HAND_HOLIDAYS))
def test_holidays_in_year_lists_exactly_the_hand_table(ew: Calendar, year: int) -> None:
    assert [day for day, _ in ew.holidays_in_year(year)] == HAND_HOLIDAYS[year]


@pytest.mark.parametrize(("text", "name"), [
    ("2020-05-08", "Early May bank holiday"),  # moved from Mon 4 May for VE Day 75
    ("2022-06-02", "Spring bank holiday"),  # moved from Mon 30 May
    ("2022-06-03", "Platinum Jubilee of Elizabeth II"),
    ("2022-09-19", "State Funeral of Queen Elizabeth II"),
    ("2023-05-08", "Coronation of Charles III"),
    ("2020-12-28", "Boxing Day (substitute day)"),
    ("2021-12-27", "Christmas Day (substitute day)"),
    ("2021-12-28", "Boxing Day (substitute day)"),
    ("2022-12-27", "Christmas Day (substitute day)"),
    ("2026-12-28", "Boxing Day (substitute day)"),
    ("2027-12-27", "Christmas Day (substitute day)"),
    ("2027-12-28", "Boxing Day (substitute day)"),
    ("2022-01-03", "New Year's Day (substitute day)"),
    ("2023-01-02", "New Year's Day (substitute day)"),
])
def test_one_off_moved_and_substitute_days_are_not_working_days(ew: Calendar, text: str, name: str) -> None:
    assert not ew.is_working_day(d(text))
    assert ew.non_working_reason(d(text)) == name


@pytest.mark.parametrize("text", ["2022-05-30", "2020-05-04", "2023-12-22", "2021-12-24", "2021-12-31"])
def test_traps_that_are_ordinary_working_days(ew: Calendar, text: str) -> None:
    assert ew.is_working_day(d(text))
    assert ew.non_working_reason(d(text)) is None


def test_plain_uk_without_subdiv_would_be_wrong() -> None:
    plain = package_bank_holidays(2022, 2022, subdiv=None)
    england = package_bank_holidays(2022, 2022)
    for day in (d("2022-04-18"), d("2022-08-29")):  # Easter Monday, Summer bank holiday
        assert day not in plain
        assert day in england


def test_weekend_dates_of_holidays_are_not_listed_and_say_weekend(ew: Calendar) -> None:
    # The package lists Sat 25 Dec 2021 "Christmas Day" too; counting it would double-count.
    listed = dict(ew.holidays_in_year(2021))
    assert d("2021-12-25") not in listed
    assert d("2021-12-26") not in listed
    assert listed[d("2021-12-27")] == "Christmas Day (substitute day)"
    assert ew.non_working_reason(d("2021-12-25")) == WEEKEND


# --- the rules ----------------------------------------------------------------------------------


def test_r1_day_zero_never_counts_even_on_a_working_day(ew: Calendar) -> None:
    assert ew.add_working_days(d("2024-01-08"), 1) == d("2024-01-09")
    assert ew.add_working_days(d("2024-01-06"), 1) == d("2024-01-08")  # Saturday anchor
    assert ew.add_working_days(d("2024-01-08"), 0) == d("2024-01-08")


def test_r2_counting_back_from_a_planned_date(ew: Calendar) -> None:
    # D-5: 7 working days before a publication planned for Mon 8 Jan 2024 (not "clear days").
    explanation = ew.explain_working_days(d("2024-01-08"), -7)
    assert explanation.result == d("2023-12-27")
    assert explanation.counted == days("2024-01-05", "2024-01-04", "2024-01-03", "2024-01-02",
                                       "2023-12-29", "2023-12-28", "2023-12-27")
    assert explanation.skipped == [(d("2024-01-07"), WEEKEND), (d("2024-01-06"), WEEKEND),
                                   (d("2024-01-01"), "New Year's Day"), (d("2023-12-31"), WEEKEND),
                                   (d("2023-12-30"), WEEKEND)]
    assert ew.add_working_days(d("2024-01-06"), -1) == d("2024-01-05")  # Saturday: back to Friday


def test_r3_window_is_inclusive_and_must_not_be_empty(ew: Calendar) -> None:
    assert ew.window(d("2024-01-02"), 7, 13) == (d("2024-01-11"), d("2024-01-19"))
    assert ew.window(d("2024-01-02"), 3, 3) == (d("2024-01-05"), d("2024-01-05"))
    with pytest.raises(CalendarError, match="empty"):
        ew.window(d("2024-01-02"), 13, 7)


def test_calendar_days_and_rolling_forward(ew: Calendar) -> None:
    assert ew.add_calendar_days(d("2024-01-01"), 5) == d("2024-01-06")
    assert ew.add_calendar_days(d("2024-01-01"), 5, roll_forward=True) == d("2024-01-08")
    assert ew.add_calendar_days(d("2024-12-24"), 1, roll_forward=True) == d("2024-12-27")
    assert ew.add_calendar_days(d("2024-01-10"), 1, roll_forward=True) == d("2024-01-11")
    assert ew.add_calendar_days(d("2024-03-01"), -1) == d("2024-02-29")


@pytest.mark.parametrize(("start", "months", "expected"), [
    ("2023-08-31", 6, "2024-02-29"),
    ("2023-08-31", 18, "2025-02-28"),
    ("2024-01-31", 1, "2024-02-29"),
    ("2024-03-31", -1, "2024-02-29"),
    ("2024-01-15", 12, "2025-01-15"),
    ("2023-12-30", 6, "2024-06-30"),  # Sunday: a target date is never rolled (D-4)
])
def test_r5_months_clamp_to_the_end_of_the_month(ew: Calendar, start: str, months: int, expected: str) -> None:
    assert ew.add_months(d(start), months) == d(expected)


def test_months_agree_with_a_hand_clamp_for_every_start_day_of_2024(ew: Calendar) -> None:
    day = d("2024-01-01")
    while day.year == 2024:
        for months in (1, 6, 13, -7):
            index = day.month - 1 + months
            year, month = day.year + index // 12, index % 12 + 1
            expected = date(year, month, min(day.day, month_lengths.monthrange(year, month)[1]))
            assert ew.add_months(day, months) == expected
        day += timedelta(days=1)


def test_working_days_between_counts_after_the_first_date_up_to_the_second(ew: Calendar) -> None:
    assert ew.working_days_between(d("2024-01-02"), d("2024-01-23")) == 15
    assert ew.working_days_between(d("2024-01-23"), d("2024-01-02")) == -15
    assert ew.working_days_between(d("2023-12-21"), d("2024-01-02")) == 5
    assert ew.working_days_between(d("2024-01-06"), d("2024-01-07")) == 0
    assert ew.working_days_between(d("2024-01-08"), d("2024-01-08")) == 0


# --- local days, provenance, horizon -------------------------------------------------------------

LOCAL = CalendarSpec(
    closures=(Closure(d("2024-12-24"), "Office closure, Christmas Eve"),
              Closure(d("2024-12-25"), "Office closed"),  # already Christmas Day
              Closure(d("2024-12-28"), "Saturday closure")),
    extra_holidays=(Closure(d("2029-06-01"), "Hypothetical proclaimed holiday"),),
)


def test_closures_and_extra_holidays_are_skipped_and_explained() -> None:
    local = calendar_for(LOCAL)
    explanation = local.explain_working_days(d("2024-12-23"), 1)
    assert explanation.result == d("2024-12-27")
    assert explanation.skipped == [(d("2024-12-24"), "local closure: Office closure, Christmas Eve"),
                                   (d("2024-12-25"), "Christmas Day"), (d("2024-12-26"), "Boxing Day")]
    assert local.non_working_reason(d("2029-06-01")) == "extra holiday: Hypothetical proclaimed holiday"
    assert local.add_working_days(d("2029-05-31"), 1) == d("2029-06-04")
    assert calendar_for().add_working_days(d("2029-05-31"), 1) == d("2029-06-01")
    listed = dict(local.holidays_in_year(2024))
    assert listed[d("2024-12-24")] == "local closure: Office closure, Christmas Eve"
    assert d("2024-12-28") not in listed  # a weekend closure costs no working day


def test_provenance_changes_with_closures_but_not_with_their_order() -> None:
    national, local = calendar_for().provenance, calendar_for(LOCAL).provenance
    assert local.closures_hash != national.closures_hash
    assert local.id != national.id
    assert local.holiday_list_hash == national.holiday_list_hash
    reordered = CalendarSpec(closures=tuple(reversed(LOCAL.closures)), extra_holidays=LOCAL.extra_holidays)
    assert calendar_for(reordered).provenance == local
    renamed = CalendarSpec(closures=(Closure(d("2024-12-24"), "Another name"),))
    assert calendar_for(renamed).provenance.closures_hash != local.closures_hash


def test_provenance_is_stable_and_readable(ew: Calendar) -> None:
    rebuilt = build_table(CalendarSpec(), None).provenance
    assert rebuilt == ew.provenance
    text = str(ew.provenance)
    assert ew.provenance.holidays_version in text
    assert ew.provenance.confirmed_until.isoformat() in text
    assert ew.provenance.id in text
    assert ew.provenance.id.startswith("ew-")


def test_provisional_dates_follow_the_confirmed_horizon_given() -> None:
    horizon = calendar_for(confirmed_until=d("2024-12-31"))
    assert not horizon.is_provisional(d("2024-12-31"))
    assert horizon.is_provisional(d("2025-01-01"))
    assert horizon.provenance.confirmed_until == d("2024-12-31")
    assert horizon.provenance.id != calendar_for(confirmed_until=d("2025-12-31")).provenance.id


def test_default_horizon_comes_from_the_package_not_the_clock(ew: Calendar) -> None:
    horizon = ew.provenance.confirmed_until
    # The newest one-off UK day in the package is at least the 2023 coronation, so at least end-2024.
    assert (horizon.month, horizon.day) == (12, 31)
    assert horizon >= d("2024-12-31")
    assert ew.is_provisional(date(horizon.year + 1, 1, 1))


# --- bad input ------------------------------------------------------------------------------------


def test_unknown_region_is_a_calendar_error_with_a_hint() -> None:
    with pytest.raises(CalendarError, match='unknown calendar "england-wales"') as caught:
        calendar_for(CalendarSpec(region="england-wales"))
    assert caught.value.hint is not None and "england-and-wales" in caught.value.hint


@pytest.mark.parametrize(("call", "message"), [
    (lambda c: c.add_working_days(d("1989-12-29"), 1), "outside the supported calendar range"),
    (lambda c: c.add_working_days(d("2101-01-03"), -1), "outside the supported calendar range"),
    (lambda c: c.add_working_days(d("2100-12-30"), 5), "falls outside"),
    (lambda c: c.add_working_days(d("1990-01-02"), -5), "falls outside"),
    (lambda c: c.add_working_days(d("2024-01-02"), 10_001), "out of range"),
    (lambda c: c.add_working_days(d("2024-01-02"), -10_001), "out of range"),
    (lambda c: c.add_working_days(d("2024-01-02"), 1.5), "whole number"),
    (lambda c: c.add_working_days(d("2024-01-02"), True), "whole number"),
    (lambda c: c.add_working_days(datetime(2024, 1, 2, 18, 0), 1), "calendar date"),
    (lambda c: c.add_months(d("2024-01-02"), 1201), "out of range"),
    (lambda c: c.add_months(d("2100-01-31"), 12), "falls outside"),
    (lambda c: c.add_calendar_days(d("2100-12-31"), 1), "falls outside"),
    (lambda c: c.is_working_day(d("1900-01-01")), "outside the supported calendar range"),
    (lambda c: c.holidays_in_year(1989), "outside the supported calendar range"),
])
def test_out_of_range_input_is_a_calendar_error(ew: Calendar, call: object, message: str) -> None:
    with pytest.raises(CalendarError, match=message) as caught:
        call(ew)  # type: ignore[operator]
    assert caught.value.hint


def test_rolling_forward_past_the_last_supported_day_is_a_calendar_error() -> None:
    closed = calendar_for(CalendarSpec(closures=(Closure(d("2100-12-31"), "Last day"),)))
    with pytest.raises(CalendarError, match="falls outside"):
        closed.add_calendar_days(d("2100-12-30"), 1, roll_forward=True)


def test_a_closure_outside_the_range_is_rejected() -> None:
    with pytest.raises(CalendarError, match='closure "Far future"'):
        calendar_for(CalendarSpec(closures=(Closure(d("2200-01-01"), "Far future"),)))


@pytest.mark.parametrize(("text", "message"), [
    ("2023-02-30", "February 2023 has 28 days"),
    ("2024-02-30", "February 2024 has 29 days"),
    ("2023-13-01", "no month 13"),
    ("0000-01-01", "no year 0000"),
    ("20231221", "YYYY-MM-DD"),
    ("2023-W01-1", "YYYY-MM-DD"),
    ("2023-1-2", "YYYY-MM-DD"),
    (" 2023-01-02", "YYYY-MM-DD"),
    ("2023-01-02T10:00", "YYYY-MM-DD"),
])
def test_dates_are_parsed_strictly(text: str, message: str) -> None:
    with pytest.raises(CalendarError, match=message) as caught:
        parse_iso_date(text)
    assert caught.value.hint == "write dates as YYYY-MM-DD, e.g. 2024-01-02"


def test_a_valid_date_parses() -> None:
    assert parse_iso_date("2024-02-29") == d("2024-02-29")
