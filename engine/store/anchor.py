"""Anchors: checkpoints of the ledger's head kept outside the store, so that a history rewritten and
rehashed consistently inside it (which the ledger alone cannot show: it holds no secret) is caught.

An anchor file is JSON lines, one checkpoint per line, oldest first::

    {"reviewflow_anchor": 1, "backend": "sqlite", "store": "cases.db", "position": 41, "hash": "…",
     "cases": 7, "events": 52, "digest": "sha256:…", "mac": "hmac-sha256:…"}

`position` and `hash` are the ledger's head when the checkpoint was written. Checking a store against
the file asks the store for the hash of the entry at each checkpoint's position: a different hash means
the history up to it was rewritten (or the file belongs to another store); no entry at all means the
ledger was cut short, losing or removing the writes after it. `digest` (sha256 over the other fields)
catches a line damaged by accident, not a forged one: anyone can recompute it. `mac` (HMAC-SHA256 with
the key in REVIEWFLOW_KEY, which never enters the store) is there only when a key was given; a
checkpoint with a valid `mac` was written by someone holding the key, so the file may be kept where an
attacker can reach it. docs/integrity.md says what each mode detects.

Plain Python; the commands read and write the file, and the store is asked only through `Store`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reviewflow.engine.errors import StoreError
from reviewflow.engine.store.chain import canonical_json
from reviewflow.engine.store.protocol import Store
from reviewflow.engine.store.types import ChainProblem, LedgerHead

FORMAT = 1
KEY_ENV = "REVIEWFLOW_KEY"
MIN_KEY_LENGTH = 16
_CONTENT = ("reviewflow_anchor", "backend", "store", "position", "hash", "cases", "events")


@dataclass(frozen=True)
class Checkpoint:
    line: int  # in the anchor file, from 1
    position: int
    hash: str
    content: dict[str, Any]  # the fields the digest and the mac cover
    digest: str | None
    mac: str | None


@dataclass(frozen=True)
class AnchorCheck:
    """What checking an anchor file found: problems (kind "anchor") and notes that are not problems."""

    checkpoints: int
    problems: tuple[ChainProblem, ...]
    notes: tuple[str, ...]
    last_position: int  # of the last checkpoint, 0 when the file held none


def key_from(text: str | None) -> bytes | None:
    """The HMAC key from REVIEWFLOW_KEY's value; None without one. A short key is refused, not weakened."""
    if text is None or text == "":
        return None
    if len(text) < MIN_KEY_LENGTH:
        raise StoreError(f"{KEY_ENV} is {len(text)} characters long; an anchor key needs at least {MIN_KEY_LENGTH}",
                         hint="use a long random secret (e.g. `openssl rand -hex 32`) kept outside the store "
                              "and its backups")
    return text.encode("utf-8")


def _mac(content: dict[str, Any], key: bytes) -> str:
    return "hmac-sha256:" + hmac.new(key, canonical_json(content).encode("utf-8"), hashlib.sha256).hexdigest()


def _digest(content: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def checkpoint_line(head: LedgerHead, backend: str, location: str, cases: int, events: int,
                    key: bytes | None) -> str:
    """One checkpoint of the ledger's head as a line of the anchor file (without the newline)."""
    content: dict[str, Any] = {"reviewflow_anchor": FORMAT, "backend": backend, "store": location,
                               "position": head.position, "hash": head.hash, "cases": cases, "events": events}
    line = dict(content, digest=_digest(content))
    if key is not None:
        line["mac"] = _mac(content, key)
    return canonical_json(line)


def read_checkpoints(lines: Iterable[str], name: str) -> list[Checkpoint]:
    """The checkpoints of an anchor file; a line that is not one is a StoreError naming it."""
    found: list[Checkpoint] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            item = json.loads(text)
            if not isinstance(item, dict) or item.get("reviewflow_anchor") != FORMAT:
                raise ValueError("not a reviewflow anchor checkpoint")
            content = {k: item[k] for k in _CONTENT}
            position, digest = int(content["position"]), str(content["hash"])
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"line {number} of {name} is not an anchor checkpoint ({exc})",
                             hint="an anchor file holds only the lines `reviewflow verify --anchor` writes") from exc
        found.append(Checkpoint(number, position, digest, content,
                                None if item.get("digest") is None else str(item["digest"]),
                                None if item.get("mac") is None else str(item["mac"])))
    return found


def check_anchor(checkpoints: list[Checkpoint], store: Store, key: bytes | None, name: str) -> AnchorCheck:
    """Every checkpoint against the store's ledger (and, with a key, against its mac)."""
    problems: list[ChainProblem] = []
    notes: list[str] = []
    head = store.ledger_head()
    previous = 0
    unsigned_seen = signed_unchecked = False
    for point in checkpoints:
        where = f"{name} line {point.line} (ledger position {point.position})"
        if point.digest != _digest(point.content):
            problems.append(ChainProblem("", 0, f"{where}: the checkpoint does not match its digest (the line was "
                                         "edited or damaged)", "anchor"))
            continue
        if key is not None:
            if point.mac is None:
                unsigned_seen = True
            elif not hmac.compare_digest(point.mac, _mac(point.content, key)):
                problems.append(ChainProblem("", 0, f"{where}: the checkpoint's signature does not match "
                                             f"{KEY_ENV} (it was forged or edited, or signed with another key)",
                                             "anchor"))
                continue
        elif point.mac is not None:
            signed_unchecked = True
        if point.position < previous:
            problems.append(ChainProblem("", 0, f"{where}: checkpoints go back from position {previous} (lines "
                                         "were reordered or edited)", "anchor"))
        previous = max(previous, point.position)
        if point.position == 0:
            continue
        stored = store.ledger_hash_at(point.position)
        if stored is None:
            problems.append(ChainProblem("", 0, f"{where}: the ledger ends at position {head.position}, before "
                                         "this checkpoint: writes recorded up to it were removed or lost "
                                         "(restore the store from a backup)", "anchor"))
        elif stored != point.hash:
            problems.append(ChainProblem("", 0, f"{where}: the ledger entry at this position is not the one "
                                         "anchored: the history up to it was rewritten (or the anchor belongs "
                                         "to another store)", "anchor"))
    if unsigned_seen:
        # Not a problem: an unsigned checkpoint can only add a constraint, never lift one (it is still
        # checked against the ledger); it may predate the key.
        notes.append(f"some checkpoints of {name} are not signed: they were checked, but anyone who could "
                     "write the file could have added them")
    if signed_unchecked:
        notes.append(f"the checkpoints of {name} are signed; set {KEY_ENV} to check their signatures")
    return AnchorCheck(len(checkpoints), tuple(problems), tuple(notes), previous)
