"""Build a calendar table from the `holidays` package (England & Wales) and a definition's local days.

This module and `engine.workdays_reference` are the only homes of `holidays`, always imported inside a
function so that a process that finds its calendar in the disk cache never pays for the import.

Two package pitfalls are handled here (facts.md 9.1.6 and 9.1.7):
- plain `holidays.UK()` drops Easter Monday and the Summer bank holiday, so `subdiv="ENG"` is always
  passed (Wales has the same bank holidays);
- the package also lists the actual weekend date of a holiday beside its "(observed)" weekday
  substitute; only weekdays are kept, and substitutes are named "(substitute day)" as gov.uk does.
"""

from __future__ import annotations

from datetime import date

from reviewflow.engine.calendar.package import package_fingerprint
from reviewflow.engine.calendar.table import (
    CLOSURE_PREFIX,
    EXTRA_HOLIDAY_PREFIX,
    FIRST_SUPPORTED,
    LAST_SUPPORTED,
    CalendarSpecLike,
    CalendarTable,
    Provenance,
    index_working_days,
    is_weekend_ordinal,
    local_days_payload,
    short_hash,
)

# The package's names differ from gov.uk's for a few days; business users know the gov.uk ones.
GOV_UK_NAMES = {
    "May Day": "Early May bank holiday",
    "Spring Bank Holiday": "Spring bank holiday",
    "Late Summer Bank Holiday": "Summer bank holiday",
}
PACKAGE_SUBSTITUTE_SUFFIX = " (observed)"
SUBSTITUTE_SUFFIX = " (substitute day)"


def gov_uk_name(package_name: str) -> str:
    """'Christmas Day (observed)' -> 'Christmas Day (substitute day)', 'May Day' -> 'Early May bank holiday'."""
    names = []
    for part in package_name.split("; "):  # the package joins two holidays on one date with "; "
        substitute = part.endswith(PACKAGE_SUBSTITUTE_SUFFIX)
        base = part.removesuffix(PACKAGE_SUBSTITUTE_SUFFIX)
        names.append(GOV_UK_NAMES.get(base, base) + (SUBSTITUTE_SUFFIX if substitute else ""))
    return "; ".join(names)


def package_bank_holidays(first_year: int, last_year: int, subdiv: str | None = "ENG") -> dict[date, str]:
    """Every date the package lists for the UK (weekends included), with the package's own names.

    `subdiv=None` exists only so a test can show the plain-UK pitfall; the engine always uses "ENG".
    """
    import holidays

    listed = holidays.country_holidays("GB", subdiv=subdiv, years=range(first_year, last_year + 1),
                                       language="en_GB")
    return dict(listed.items())


def default_confirmed_until() -> date:
    """End of the year after the newest one-off holiday the package's UK rules know about.

    The package has no release date in its metadata, and the engine must not read the clock. One-off
    days (jubilees, a funeral, a coronation, Scotland's 2026 World Cup day) are added to the package in
    the year they are proclaimed, so the newest one is a floor for when the package was released;
    gov.uk publishes bank holidays about a year ahead, so dates up to the end of the following year are
    treated as confirmed and later ones as provisional (rule-generated, may still change).
    """
    import holidays

    # The one-off tables are set on the instance (StaticHolidays), one per subdivision.
    rules = holidays.country_holidays("GB", subdiv="ENG")
    newest = max((year for name, table in vars(rules).items()
                  if name.startswith("special_") and isinstance(table, dict)
                  for year in table if isinstance(year, int)), default=0)
    return date(max(newest, FIRST_SUPPORTED.year) + 1, 12, 31)


def build_table(spec: CalendarSpecLike, confirmed_until: date | None) -> CalendarTable:
    """The full table for the supported range: slow (~0.2 s), so callers cache the result."""
    version, _ = package_fingerprint()
    listed = package_bank_holidays(FIRST_SUPPORTED.year, LAST_SUPPORTED.year)
    bank_holidays = {d.toordinal(): gov_uk_name(name) for d, name in listed.items()
                     if not is_weekend_ordinal(d.toordinal())}
    reasons: dict[int, str] = {}
    for closure in spec.closures:
        reasons[closure.on.toordinal()] = CLOSURE_PREFIX + closure.name
    for extra in spec.extra_holidays:  # a proclaimed bank holiday outranks a closure on the same day
        reasons[extra.on.toordinal()] = EXTRA_HOLIDAY_PREFIX + extra.name
    reasons = {o: r for o, r in reasons.items() if not is_weekend_ordinal(o)}
    reasons.update(bank_holidays)
    provenance = Provenance.create(
        holidays_version=version,
        holiday_list_hash=short_hash(sorted([o, name] for o, name in bank_holidays.items())),
        closures_hash=short_hash(local_days_payload(spec)),
        confirmed_until=confirmed_until or default_confirmed_until(),
    )
    return CalendarTable(index_working_days(reasons), reasons, provenance)
