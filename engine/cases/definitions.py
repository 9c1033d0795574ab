"""The definition a case runs on, by content: in memory, else the compiled cache, else built once.

A case keeps the exact texts of its definition (the store's bundle, by hash). `from_bundle` returns the
process those texts build, reading it from the compiled-definition cache
(`reviewflow.engine.definition.compiled`) when it is there, so a read command imports no YAML, schema
or state-machine library; only a miss runs the loading pipeline (imported then) and saves the result.

`files_bundle` reads a definition's texts as they are on the search path now, without parsing, so
"does a newer version exist?" is a hash comparison (`registry.definition_hash`), never a rebuild.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from reviewflow.engine.cases import machine
from reviewflow.engine.definition import compiled
from reviewflow.engine.definition.model import Process
from reviewflow.engine.definition.registry import Registry, definition_hash, display_name
from reviewflow.engine.errors import DefinitionError, IntegrityError, NotFoundError, did_you_mean

if TYPE_CHECKING:
    from reviewflow.engine.definition.loader import LoadResult
    from reviewflow.engine.store.types import DefinitionRow

_TOP_ID = re.compile(r"""^id:[ \t]*["']?([A-Za-z0-9_.-]+)["']?[ \t]*(?:#.*)?$""", re.MULTILINE)
_memory: dict[str, Process] = {}
_events = {"hits": 0, "misses": 0, "builds": 0}  # counted for tests and benchmarks


def counts() -> dict[str, int]:
    """How often the compiled cache answered (hits), missed, and how many definitions were built."""
    return dict(_events)


def forget() -> None:
    """Drop what this process remembers (tests that switch cache folders use it)."""
    _memory.clear()
    compiled.engine_fingerprint.cache_clear()
    compiled.schema_fingerprint.cache_clear()


def cached(bundle: Mapping[str, str], process_file: str) -> compiled.Compiled | None:
    """What the cache holds for these texts (a process, or a record that they do not build), or None."""
    key = compiled.key(bundle, process_file)
    known = _memory.get(key)
    if known is not None:
        return compiled.Compiled(known)
    found = compiled.load(key)
    _events["hits" if found is not None else "misses"] += 1
    if found is not None and found.process is not None:
        machine.install(found.process, found.tables)
        _memory[key] = found.process
    return found


def remember(bundle: Mapping[str, str], process_file: str, process: Process | None) -> None:
    """Save what building these texts gave (None: they do not build), for later commands."""
    key = compiled.key(bundle, process_file)
    tables = machine.compiled(process).tables() if process is not None else None
    compiled.save(key, compiled.Compiled(process, tables))
    if process is not None:
        _memory[key] = process


def from_bundle(bundle: Mapping[str, str], process_file: str) -> Process:
    """The process these stored texts build; raises DefinitionError / NotFoundError when they do not."""
    found = cached(bundle, process_file)
    if found is not None and found.process is not None:
        return found.process
    from reviewflow.engine.definition.loader import load_from_bundle  # the whole pipeline: a miss only

    _events["builds"] += 1
    process = load_from_bundle(bundle, process_file)  # raises for texts that do not build
    remember(bundle, process_file, process)
    return process


def from_stored(definition_hash: str, row: DefinitionRow) -> Process:
    """The exact definition a case was opened with, rebuilt from the stored texts (`row`, stored under
    `definition_hash`)."""
    found = from_bundle(row.bundle, process_file_of(row.bundle, row.process_id))
    if found.text_hash != definition_hash or found.id != row.process_id:
        # The texts are what every deadline is worked out from: an edited text must never be run.
        raise IntegrityError(f"the stored definition {definition_hash} ({row.process_id}) does not match "
                             "its hash: its text was changed after it was stored",
                             hint="run `reviewflow verify` for every problem; restore the store from a "
                                  "backup (`reviewflow db restore`)")
    return found


def newer(registry: Registry, process_id: str, definition_hash_now: str,
          current: Callable[[], LoadResult]) -> Process | None:
    """The definition of `process_id` on the search path now when its texts differ from those hashed
    `definition_hash_now` and it builds; else None.

    The files' texts are hashed without parsing: the same hash is the answer. A different one is looked up
    in the compiled cache, and only built (`current`: the whole pipeline, raising for a file that does not
    build) and saved when it is not there. "Does not build" is never remembered: whether a file loads also
    depends on the other files of the search path (a duplicate id), not only on its texts."""
    now = files_bundle(registry, process_id)
    if now is not None:
        bundle, name = now
        if definition_hash(list(bundle.values())) == definition_hash_now:
            return None
        found = cached(bundle, name)
        if found is not None and found.process is not None:
            return found.process if found.process.text_hash != definition_hash_now else None
    try:
        result = current()
    except (NotFoundError, DefinitionError):
        return None  # the file is gone or broken: the case still runs on its stored text
    _events["builds"] += 1
    if now is not None and result.process is not None and result.bundle == now[0] and result.file == now[1]:
        remember(now[0], now[1], result.process)
    process = result.process
    return process if process is not None and process.text_hash != definition_hash_now else None


def in_force_hint(registry: Registry, process: Process, at: date, current: Callable[[str], Process | None]) -> str:
    """The definitions in force on `at` that could take the case instead: the dated editions that
    extend nothing (the national bases, a legacy definition), and the same partnership's definitions.
    `current`: a definition as it is in the files now (raising NotFoundError / DefinitionError)."""
    found = []
    for process_id in registry.ids():
        if process_id == process.id:
            continue
        try:
            other = current(process_id)
        except (NotFoundError, DefinitionError):
            continue
        if other is None or other.kind != process.kind or not other.in_force(at):
            continue
        edition = other.extends is None and (other.effective_from or other.effective_to) is not None
        if edition or (other.partnership and other.partnership == process.partnership):
            found.append(other.id)
    if not found:
        return f"no definition on the search path is in force on {at.isoformat()}"
    return f"in force on {at.isoformat()}: {', '.join(sorted(found))}"


def partnership_of(definition_file: Path) -> str:
    """The partnership a definition's cases belong to by default: the folder the file is in."""
    return re.sub(r"[^a-z0-9_.-]+", "-", definition_file.resolve().parent.name.lower()).strip("-.") or "default"


def process_file_of(bundle: Mapping[str, str], process_id: str) -> str:
    """Which stored text is the process itself (the others are the bases it extends)."""
    for name, text in bundle.items():
        match = _TOP_ID.search(text)
        if match and match.group(1) == process_id:
            return name
    raise NotFoundError(f'the stored definition has no file for process "{process_id}"',
                        did_you_mean(process_id, bundle))


def files_bundle(registry: Registry, process_id: str) -> tuple[dict[str, str], str] | None:
    """({display name: text} of the definition's files on the search path now, local file first; its
    name), read without parsing; None when a file is missing or unreadable, or the chain loops."""
    bundle: dict[str, str] = {}
    current: str | None = process_id
    first: str | None = None
    while current is not None:
        path = registry.path_for(current)
        if path is None:
            return None
        text = _read(path)
        name = display_name(path)
        if text is None or name in bundle:
            return None
        bundle[name] = text
        first = first or name
        current = registry.extends_of(current)
    assert first is not None
    return bundle, first


def _read(path: Path) -> str | None:
    """A definition's text as the YAML reader takes it (UTF-8, without a BOM)."""
    try:
        return Path(path).read_bytes().decode("utf-8-sig").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError):
        return None
