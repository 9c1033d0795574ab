"""The data behind a working-day calendar: the sorted index of working days and the reasons for the rest.

Split from `reviewflow.engine.calendar.workdays` so the disk cache can load a table without importing `holidays`, and the
builder (`reviewflow.engine.calendar.source`) can produce one without knowing about the arithmetic.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from dataclasses import dataclass
else:  # the same frozen dataclasses, defined without compiling generated methods (engine.values)
    from reviewflow.engine.values import frozen_dataclass as dataclass

REGION = "england-and-wales"
FIRST_SUPPORTED = date(1990, 1, 1)
LAST_SUPPORTED = date(2100, 12, 31)
FIRST_ORDINAL = FIRST_SUPPORTED.toordinal()
LAST_ORDINAL = LAST_SUPPORTED.toordinal()

CLOSURE_PREFIX = "local closure: "
EXTRA_HOLIDAY_PREFIX = "extra holiday: "


class DatedName(Protocol):
    """A closure or extra holiday (`reviewflow.engine.definition.model.Closure`)."""

    @property
    def on(self) -> date: ...

    @property
    def name(self) -> str: ...


class CalendarSpecLike(Protocol):
    """What the calendar reads from `reviewflow.engine.definition.model.CalendarSpec`; a protocol so this layer needs no model."""

    @property
    def region(self) -> str: ...

    @property
    def closures(self) -> Sequence[DatedName]: ...

    @property
    def extra_holidays(self) -> Sequence[DatedName]: ...


@dataclass(frozen=True)
class NationalOnly:
    """The plain England & Wales calendar: no local closures, no extra holidays."""

    region: str = REGION
    closures: tuple[DatedName, ...] = ()
    extra_holidays: tuple[DatedName, ...] = ()


def is_weekend_ordinal(ordinal: int) -> bool:
    # date(1, 1, 1) has ordinal 1 and is a Monday, so (ordinal - 1) % 7 is date.weekday().
    return (ordinal - 1) % 7 >= 5


def short_hash(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def local_days_payload(spec: CalendarSpecLike) -> dict[str, list[list[str]]]:
    """The definition's own days in a canonical form (order of the YAML does not matter)."""
    return {
        "closures": sorted([c.on.isoformat(), c.name] for c in spec.closures),
        "extra_holidays": sorted([c.on.isoformat(), c.name] for c in spec.extra_holidays),
    }


@dataclass(frozen=True)
class Provenance:
    """Which data a calendar was built from, so a computed date can be traced and reproduced."""

    holidays_version: str
    holiday_list_hash: str  # sha256 prefix of the E&W weekday bank holidays the package produced
    closures_hash: str  # sha256 prefix of the definition's closures and extra holidays
    confirmed_until: date  # dates after this are provisional (future proclamations are unknown)
    id: str

    @classmethod
    def create(cls, holidays_version: str, holiday_list_hash: str, closures_hash: str,
               confirmed_until: date) -> Provenance:
        digest = short_hash([REGION, holidays_version, holiday_list_hash, closures_hash,
                             confirmed_until.isoformat()])
        return cls(holidays_version, holiday_list_hash, closures_hash, confirmed_until, f"ew-{digest[:10]}")

    def to_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "region": REGION,
            "holidays_version": self.holidays_version,
            "holiday_list_hash": self.holiday_list_hash,
            "closures_hash": self.closures_hash,
            "confirmed_until": self.confirmed_until.isoformat(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, str]) -> Provenance:
        return cls(
            holidays_version=str(data["holidays_version"]),
            holiday_list_hash=str(data["holiday_list_hash"]),
            closures_hash=str(data["closures_hash"]),
            confirmed_until=date.fromisoformat(str(data["confirmed_until"])),
            id=str(data["id"]),
        )

    def __str__(self) -> str:
        return (f"England & Wales bank holidays from python-holidays {self.holidays_version} "
                f"(list {self.holiday_list_hash}, local days {self.closures_hash}), "
                f"confirmed until {self.confirmed_until.isoformat()} [calendar {self.id}]")


@dataclass(frozen=True)
class CalendarTable:
    """Every working day in the supported range, and a reason for each weekday that is not one."""

    working_days: array[int]  # sorted ordinals (date.toordinal()) of working days
    reasons: dict[int, str]  # ordinal of a non-working weekday -> bank holiday name or local reason
    provenance: Provenance


def index_working_days(reasons: dict[int, str]) -> array[int]:
    return array("i", [o for o in range(FIRST_ORDINAL, LAST_ORDINAL + 1)
                       if not is_weekend_ordinal(o) and o not in reasons])
