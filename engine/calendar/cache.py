"""Disk cache of calendar tables, shared by every process on the machine.

Building a table imports `holidays` and generates 111 years of bank holidays (~0.2 s); reading one
back is a ~150 KB JSON file (~2 ms). The file name is a digest of everything the table is built from
(cache format, `holidays` version and file stamp, the definition's closures and extra holidays, the
confirmed horizon asked for), so a new package or a changed closure simply misses. The file repeats
that key and is checked on load; an unreadable, corrupt or mismatched file is ignored and the table is
rebuilt in memory. Writes go to a temporary file renamed into place (atomic on POSIX and Windows), and
a read-only or missing cache directory only costs speed.

Location: $REVIEWFLOW_CACHE, else $XDG_CACHE_HOME/reviewflow, else ~/.cache/reviewflow.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sys
from array import array
from datetime import date
from pathlib import Path
from typing import Any

from reviewflow.engine import cachefiles
from reviewflow.engine.calendar.table import (
    CalendarSpecLike,
    CalendarTable,
    Provenance,
    local_days_payload,
    short_hash,
)
from reviewflow.engine.paths import cache_dir

CACHE_FORMAT = 1


def cache_key(spec: CalendarSpecLike, confirmed_until: date | None, package_fingerprint: str) -> str:
    return short_hash({
        "format": CACHE_FORMAT,
        "holidays": package_fingerprint,
        "region": spec.region,
        "local_days": local_days_payload(spec),
        "confirmed_until": confirmed_until.isoformat() if confirmed_until else None,
    })


def cache_path(key: str) -> Path:
    return cache_dir() / f"workdays-{key}.json"


def _little_endian(values: array[int]) -> bytes:
    if sys.byteorder == "little":
        return values.tobytes()
    swapped = array("i", values)
    swapped.byteswap()
    return swapped.tobytes()


def _from_little_endian(raw: bytes) -> array[int]:
    values = array("i")
    values.frombytes(raw)
    if sys.byteorder != "little":
        values.byteswap()
    return values


def encode(table: CalendarTable, key: str) -> dict[str, Any]:
    raw = _little_endian(table.working_days)
    return {
        "format": CACHE_FORMAT,
        "key": key,
        "provenance": table.provenance.to_dict(),
        "reasons": sorted([o, r] for o, r in table.reasons.items()),
        "working_days": base64.b64encode(raw).decode("ascii"),
        "working_days_sha256": hashlib.sha256(raw).hexdigest(),
    }


def decode(payload: dict[str, Any], key: str) -> CalendarTable:
    """The table a cache file holds; ValueError when the file is not exactly what `key` promises."""
    if payload.get("format") != CACHE_FORMAT or payload.get("key") != key:
        raise ValueError("stale or foreign cache file")
    raw = base64.b64decode(payload["working_days"], validate=True)
    if not raw or hashlib.sha256(raw).hexdigest() != payload["working_days_sha256"]:
        raise ValueError("working-day index does not match its checksum")
    working_days = _from_little_endian(raw)
    reasons = {int(o): str(r) for o, r in payload["reasons"]}
    return CalendarTable(working_days, reasons, Provenance.from_dict(payload["provenance"]))


def load(key: str) -> CalendarTable | None:
    """The table cached for `key`, or None (missing, damaged, or in a folder that cannot be trusted)."""
    raw = cachefiles.read(cache_dir(), cache_path(key).name)
    if raw is None:
        return None
    try:
        return decode(json.loads(raw), key)
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        return None


def store(table: CalendarTable, key: str) -> bool:
    """Write the table for later processes (atomically, 0600, in a trusted folder); False (never an
    error) when the cache is not writable."""
    text = json.dumps(encode(table, key), separators=(",", ":"))
    return cachefiles.write(cache_dir(), cache_path(key).name, text.encode("utf-8"))
