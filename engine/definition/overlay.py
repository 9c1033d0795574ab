"""`extends`: lay a local definition over its (already resolved) base, keeping where each value came from.

The local document is a JSON Merge Patch (RFC 7386) on its base: mappings merge by key, lists replace
whole, `null` deletes. One deliberate exception: a deadline rule (`due` / `window`), a `cite` and a
`chair` are single values to an author, so a patch replaces them whole instead of merging their keys. Identity keys and `deviations` describe the file itself, so they are taken from
the local file only and never inherited. Then role `replaces` is applied: a local role that stands for a
base role takes over every reference to it, and the base role disappears.

Provenance: every path in the resolved data remembers which Document wrote it, so a problem found in
the resolved process points at the file and line where the value was actually written (`locate`).
A path the local document deletes with `null` remembers where that `null` was written (`removed`), so a
finding about an item that is gone can point at the line that removed it.
Finding and loading the base (by id, through a registry) is the loader's job; this module is pure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewflow.engine.definition.provenance import Origins, PathKey, copy_data
from reviewflow.engine.definition.yamldocument import Document, Position
from reviewflow.engine.errors import Location

# Keys that describe the file itself: a local definition never inherits them from its base.
# `effective_from` / `effective_to` are inherited: a local definition runs only while its base's edition is in
# force, unless it names narrower dates of its own (lint C408 refuses wider ones).
IDENTITY_KEYS = ("id", "title", "version", "partnership", "description", "extends", "notes")
LOCAL_ONLY_KEYS = (*IDENTITY_KEYS, "deviations")


@dataclass(frozen=True)
class Resolved:
    """A definition with its `extends` chain applied; `chain` is the local document first, then its bases."""

    data: dict[str, Any]
    chain: tuple[Document, ...]
    origins: Origins[Document]
    # Paths of the base the local document deleted with `null`: where it wrote each such key.
    removed: dict[PathKey, Location] = field(default_factory=dict)

    @property
    def document(self) -> Document:
        return self.chain[0]

    @property
    def file(self) -> str:
        return self.chain[0].file

    def origin(self, path: Sequence[str | int]) -> Document:
        """The document that wrote the value at `path` (or its nearest recorded ancestor)."""
        if not path:
            return self.chain[0]  # the root is the local file's, whoever wrote its keys
        found = self.origins.nearest(tuple(path))
        return found if found is not None else self.chain[0]

    def locate(self, path: Sequence[str | int]) -> Location:
        """Where the value at `path` of the resolved data was written."""
        return self.origin(path).location(list(path))

    def key_locate(self, path: Sequence[str | int]) -> Location:
        """Where the key of the mapping entry at `path` was written (falls back to the value).

        The most derived file that writes the key wins: an element a local definition patches is
        reported in the local file, where the person editing it will look."""
        if not path or isinstance(path[-1], int):
            return self.locate(path)
        for doc in self.chain:
            if _has_path(doc.data, path):
                return doc.key_location(list(path))
        return self.origin(path).key_location(list(path))


    def as_document(self) -> Document:
        """The resolved data as a Document whose positions point where each value was written,
        so schema checks of the merged result report real file:line:col."""
        pairs = list(self.origins.pairs())
        values: dict[PathKey, Position] = {path: doc.location(path) for path, doc in pairs}
        keys: dict[PathKey, Position] = {path: doc.key_location(path) for path, doc in pairs
                                         if path and isinstance(path[-1], str)}
        local = self.chain[0]
        return Document(local.file, local.text, self.data, values, keys)


def resolve(document: Document, base: Resolved | None) -> Resolved:
    """Apply `document` over `base` (None: the document stands alone) and then the role replacements."""
    removed: dict[PathKey, Location] = {}
    if base is None:
        origins: Origins[Document] = Origins()
        data = _claim(document.data if isinstance(document.data, dict) else {}, (), document, origins)
        chain: tuple[Document, ...] = (document,)
    else:
        origins = base.origins.copy()
        data = copy_data(base.data)
        local = document.data if isinstance(document.data, dict) else {}
        for key in LOCAL_ONLY_KEYS:
            data.pop(key, None)
            _forget((key,), origins)
        patch = {k: v for k, v in local.items() if k not in LOCAL_ONLY_KEYS}
        data = merge_patch(data, patch, (), document, origins, removed)
        for key in LOCAL_ONLY_KEYS:
            if local.get(key) is not None:
                data[key] = _claim(local[key], (key,), document, origins)
        chain = (document, *base.chain)
    _apply_replaces(data, origins)
    return Resolved(data, chain, origins, removed)


def merge_patch(target: Any, patch: Any, path: PathKey, doc: Document,
                origins: Origins[Document], removed: dict[PathKey, Location] | None = None) -> Any:
    """RFC 7386 MergePatch(target, patch), recording `doc` as the origin of everything it writes
    and, in `removed`, where it wrote each `null` that deleted a value of `target`."""
    if not isinstance(patch, dict) or _atomic(path):
        return _claim(patch, path, doc, origins)
    if not isinstance(target, dict):
        # A mapping replacing a scalar or list (or a new key): nothing of the old value survives.
        origins.forget(path)
        origins.set(path, doc)
        target = {}
    result = dict(target)
    for key, value in patch.items():
        child = (*path, key)
        if value is None:
            if key in result and removed is not None:
                removed[child] = doc.key_location(list(child))
            result.pop(key, None)
            _forget(child, origins)
        else:
            result[key] = merge_patch(result.get(key), value, child, doc, origins, removed)
    # A deadline has either a `due` or a `window`: writing one in a patch replaces the other.
    if len(path) == 2 and path[0] == "deadlines":
        for written, other in (("due", "window"), ("window", "due")):
            if patch.get(written) is not None and other not in patch and other in result:
                del result[other]
                _forget((*path, other), origins)
    return result


# Values that are mappings in YAML but one thing to an author: a patch replaces them whole, because
# merging `{calendar_days: 1}` into `{working_days: 5}` key by key would give a rule with two units.
_ATOMIC_KEYS = ("due", "window", "cite", "chair")


def _atomic(path: PathKey) -> bool:
    return len(path) > 1 and path[-1] in _ATOMIC_KEYS


def _claim(value: Any, path: PathKey, doc: Document, origins: Origins[Document]) -> Any:
    """`value` replaces whatever was at `path`: it and all below it come from `doc` (nulls in mappings dropped)."""
    origins.forget(path)
    origins.set(path, doc)
    if isinstance(value, dict):
        return {k: _claim(v, (*path, k), doc, origins) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_claim(v, (*path, i), doc, origins) for i, v in enumerate(value)]
    return value


def _forget(path: PathKey, origins: Origins[Document]) -> None:
    origins.forget(path)


# ---------------------------------------------------------------------------------------------
# Role references

_AUTHORITY_KINDS = ("extend", "pause", "waive")


def role_references(data: Mapping[str, Any]) -> Iterator[tuple[PathKey, str]]:
    """Every place in a definition that names a role: (path to the string, role id)."""

    def one(path: PathKey, value: Any) -> Iterator[tuple[PathKey, str]]:
        if isinstance(value, str):
            yield path, value

    def many(path: PathKey, value: Any) -> Iterator[tuple[PathKey, str]]:
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from one((*path, i), item)

    def authority(path: PathKey, value: Any) -> Iterator[tuple[PathKey, str]]:
        if isinstance(value, dict):
            for kind in _AUTHORITY_KINDS:
                yield from many((*path, kind), value.get(kind))

    for rid, role in _entries(data, "roles"):
        yield from many(("roles", rid, "members"), role.get("members"))
        chair = role.get("chair")
        yield from one(("roles", rid, "chair"), chair)
        if isinstance(chair, dict):
            yield from many(("roles", rid, "chair", "rotates"), chair.get("rotates"))
    for eid, event in _entries(data, "events"):
        yield from many(("events", eid, "by"), event.get("by"))
    for sid, stage in _entries(data, "stages"):
        yield from one(("stages", sid, "owner"), stage.get("owner"))
    for did, deadline in _entries(data, "deadlines"):
        yield from one(("deadlines", did, "escalate_to"), deadline.get("escalate_to"))
        yield from authority(("deadlines", did, "authority"), deadline.get("authority"))
    for gid, gate in _entries(data, "gates"):
        for key in ("recommended_by", "decided_by"):
            yield from one(("gates", gid, key), gate.get(key))
        dispute = gate.get("dispute")
        if isinstance(dispute, dict):
            yield from one(("gates", gid, "dispute", "decided_by"), dispute.get("decided_by"))
        reconsider = gate.get("reconsider")
        if isinstance(reconsider, dict):
            yield from many(("gates", gid, "reconsider", "by"), reconsider.get("by"))
        for oid, option in _entries(gate, "options"):
            yield from many(("gates", gid, "options", oid, "notify"), option.get("notify"))
    for hid, hold in _entries(data, "holds"):
        yield from many(("holds", hid, "by"), hold.get("by"))
    yield from authority(("deadline_authority",), data.get("deadline_authority"))
    yield from one(("overseen_by",), data.get("overseen_by"))


def _entries(data: Mapping[str, Any], section: str) -> Iterator[tuple[str, dict[str, Any]]]:
    items = data.get(section)
    if isinstance(items, dict):
        for key, value in items.items():
            if isinstance(value, dict):
                yield key, value


def _apply_replaces(data: dict[str, Any], origins: Origins[Document]) -> None:
    roles = data.get("roles")
    if not isinstance(roles, dict):
        return
    renames = {role["replaces"]: rid for rid, role in _entries(data, "roles")
               if isinstance(role.get("replaces"), str) and role["replaces"] != rid}
    if not renames:
        return
    # Collect first, then write: rewriting while walking would change what the walk sees.
    for path, name in list(role_references(data)):
        if name in renames:
            _set(data, path, renames[name])
    for _, gate in _entries(data, "gates"):  # notified_by is keyed by recipient role
        for _, option in _entries(gate, "options"):
            by = option.get("notified_by")
            if isinstance(by, dict):
                option["notified_by"] = {renames.get(k, k): v for k, v in by.items()}
    for replaced in renames:
        if replaced in roles:
            del roles[replaced]
            _forget(("roles", replaced), origins)


def _set(data: Any, path: PathKey, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _has_path(data: Any, path: Sequence[str | int]) -> bool:
    for step in path:
        present = (isinstance(step, str) and isinstance(data, dict) and step in data) or (
            isinstance(step, int) and isinstance(data, list) and 0 <= step < len(data))
        if not present:
            return False
        data = data[step]
    return True
