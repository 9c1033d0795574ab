"""Report computation over plain facts: the counting rule and small-number suppression, without a store."""

from __future__ import annotations

from datetime import date

from reviewflow.engine.reports.compute import breakdown, compute, outcome_class
from reviewflow.engine.reports.model import CaseFact, Dimension, ReportInput, Settings


def fact(ref: str, counted: str | None, age: str | None = "under_1", outcome: str | None = "local_cspr",
         themes: tuple[str, ...] = ()) -> CaseFact:
    return CaseFact(ref, None, "p", date.fromisoformat(counted) if counted else None, {"age_band": age}, themes,
                    outcome)


def data(*cases: CaseFact, threshold: int = 5) -> ReportInput:
    return ReportInput("scrutiny", "Review processes", None, None, date(2022, 1, 1), date(2022, 12, 31),
                       date(2022, 12, 31), Settings(suppress_below=threshold),
                       (Dimension("age_band", "Age band", ("under_1", "age_1_to_4")),), cases)


def shown(b, t: int = 5) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.cell.shown(t) for r in b.rows]


def test_a_case_counts_when_its_counted_event_falls_in_the_period_both_ends_included() -> None:
    report = compute(data(fact("a", "2022-01-01"), fact("b", "2022-12-31"), fact("c", "2021-12-31"),
                          fact("d", "2023-01-01"), fact("e", None), threshold=1))
    assert report.rapid_reviews.value == 2
    assert "inclusive" in report.counting_rule and "2022-01-01" in report.counting_rule


def test_one_hidden_cell_against_a_shown_total_hides_the_smallest_other_one_too() -> None:
    b = breakdown("x", "X", [("a", "a", 2), ("b", "b", 9), ("c", "c", 7)], 5)
    assert shown(b) == ["<5", "9", "suppressed"] and b.total.shown(5) == "18"
    assert shown(breakdown("x", "X", [("a", "a", 2), ("b", "b", 3), ("c", "c", 7)], 5)) == ["<5", "<5", "7"]
    assert shown(breakdown("x", "X", [("a", "a", 6), ("b", "b", 0), ("c", "c", 7)], 5)) == ["6", "0", "7"]
    # a zero is the smallest other cell: hiding it keeps 2 from being read off 9 + 0 = 11 - 2
    assert shown(breakdown("x", "X", [("a", "a", 2), ("b", "b", 0), ("c", "c", 9)], 5)) == ["<5", "suppressed", "9"]


def test_a_total_below_the_threshold_hides_every_non_zero_cell() -> None:
    b = breakdown("x", "X", [("a", "a", 1), ("b", "b", 0), ("c", "c", 2)], 5)
    assert b.total.shown(5) == "<5" and shown(b) == ["<5", "0", "<5"]


def test_threshold_one_suppresses_nothing_and_says_so() -> None:
    report = compute(data(fact("a", "2022-03-01"), threshold=1))
    assert report.suppression_rule.startswith("No count is suppressed")
    assert [r.cell.shown(1) for r in report.breakdowns[0].rows] == ["1", "0"]


def test_missing_values_are_counted_as_not_recorded() -> None:
    report = compute(data(fact("a", "2022-03-01"), fact("b", "2022-03-02", age=None), threshold=1))
    assert [(r.id, r.cell.value) for r in report.breakdowns[0].rows] == [
        ("under_1", 1), ("age_1_to_4", 0), ("not_recorded", 1)]


def test_outcome_classes_follow_the_settings() -> None:
    cspr, none = ("local_cspr",), ("no_further_review",)
    assert [outcome_class(fact("a", None, outcome=o), cspr, none) for o in
            ("local_cspr", "no_further_review", "national_review", "audit", None)] == [
        "cspr", "no_review", "national_review", "local_review", "pending"]
