"""The on-disk calendar cache: shared across processes, never trusted when damaged."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from reviewflow.engine.calendar import cache as workdays_cache
from reviewflow.engine.calendar.source import build_table, package_fingerprint
from reviewflow.engine.calendar.table import CalendarSpecLike, NationalOnly
from reviewflow.engine.calendar.workdays import calendar_for, forget_calendars
from reviewflow.engine.definition.model import CalendarSpec, Closure

REPO = Path(__file__).resolve().parent.parent

PROBE = """
import sys
from datetime import date
from reviewflow.engine.calendar.workdays import calendar_for
print(calendar_for().add_working_days(date(2023, 12, 21), 5), "holidays" in sys.modules)
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("REVIEWFLOW_CACHE", str(tmp_path))
    forget_calendars()
    yield tmp_path
    forget_calendars()


def run_probe(cache_dir: Path) -> list[str]:
    completed = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True,
                               env={"PATH": "/usr/bin:/bin", "REVIEWFLOW_CACHE": str(cache_dir)}, check=True)
    return completed.stdout.split()


def key_of(spec: CalendarSpecLike | None = None) -> str:
    return workdays_cache.cache_key(spec or NationalOnly(), None, package_fingerprint()[1])


def test_a_warm_cache_spares_a_second_process_the_holidays_import(cache: Path) -> None:
    assert run_probe(cache) == ["2024-01-02", "True"]  # cold: built from the package
    assert list(cache.glob("workdays-*.json"))
    assert run_probe(cache) == ["2024-01-02", "False"]  # warm: read back, package never imported


def test_a_corrupt_cache_file_is_rebuilt(cache: Path) -> None:
    calendar_for()
    path = workdays_cache.cache_path(key_of())
    path.write_text("{ not json", encoding="utf-8")
    forget_calendars()
    assert calendar_for().add_working_days(date(2023, 12, 21), 5) == date(2024, 1, 2)
    assert workdays_cache.load(key_of()) is not None  # rewritten whole


def test_a_tampered_index_is_rejected(cache: Path) -> None:
    calendar_for()
    path = workdays_cache.cache_path(key_of())
    payload = json.loads(path.read_text(encoding="utf-8"))
    payload["working_days"] = payload["working_days"][:-8] + "AAAAAAA="
    path.write_text(json.dumps(payload), encoding="utf-8")
    assert workdays_cache.load(key_of()) is None


def test_a_file_for_another_key_is_not_used(cache: Path) -> None:
    calendar_for()
    other = key_of(CalendarSpec(closures=(Closure(date(2024, 12, 24), "Closed"),)))
    workdays_cache.cache_path(key_of()).rename(workdays_cache.cache_path(other))
    assert workdays_cache.load(other) is None


def test_an_unwritable_cache_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("REVIEWFLOW_CACHE", str(blocker / "cache"))  # a directory can't be made here
    forget_calendars()
    try:
        assert calendar_for().add_working_days(date(2024, 1, 2), 15) == date(2024, 1, 23)
        assert workdays_cache.store(build_table(NationalOnly(), None), key_of()) is False
    finally:
        forget_calendars()


def test_a_table_survives_the_round_trip(cache: Path) -> None:
    spec = CalendarSpec(closures=(Closure(date(2024, 12, 24), "Closed"),))
    built = build_table(spec, date(2026, 12, 31))
    key = workdays_cache.cache_key(spec, date(2026, 12, 31), package_fingerprint()[1])
    assert workdays_cache.store(built, key)
    loaded = workdays_cache.load(key)
    assert loaded is not None
    assert loaded.working_days == built.working_days
    assert loaded.reasons == built.reasons
    assert loaded.provenance == built.provenance
    assert not list(cache.glob(".workdays-*"))  # no temporary files left behind


def test_the_cache_key_changes_with_closures_and_horizon() -> None:
    fingerprint = package_fingerprint()[1]
    plain = workdays_cache.cache_key(NationalOnly(), None, fingerprint)
    assert plain == workdays_cache.cache_key(CalendarSpec(), None, fingerprint)
    assert plain != workdays_cache.cache_key(NationalOnly(), date(2030, 12, 31), fingerprint)
    assert plain != workdays_cache.cache_key(
        CalendarSpec(extra_holidays=(Closure(date(2029, 6, 1), "X"),)), None, fingerprint)
    assert plain != workdays_cache.cache_key(NationalOnly(), None, "0.0:0")


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid"), reason="no POSIX ownership and modes")
def test_a_table_in_a_folder_others_can_write_is_not_read(cache: Path) -> None:
    """Another user who could write the folder could plant a table with other bank holidays."""
    calendar_for()
    assert workdays_cache.load(key_of()) is not None
    cache.chmod(0o777)
    try:
        assert workdays_cache.load(key_of()) is None
        assert workdays_cache.store(workdays_cache.decode(json.loads(
            workdays_cache.cache_path(key_of()).read_text(encoding="utf-8")), key_of()), key_of()) is False
    finally:
        cache.chmod(0o700)


def test_the_table_is_written_private(cache: Path) -> None:
    calendar_for()
    assert workdays_cache.cache_path(key_of()).stat().st_mode & 0o777 == 0o600
