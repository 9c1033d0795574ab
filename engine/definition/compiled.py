"""Compiled definitions on disk, keyed by content: build a definition once, load it in ~2 ms after.

Building a definition (strict YAML, three schema checks, `extends`, the model, the state machine) takes
~100 ms and imports yaml, jsonschema and transitions; every case command needs the definition its case
was opened with. So the built form (the `Process` and its machine's tables) is saved in the user's
cache and read back by later commands, which then import none of those libraries.

**Key.** A file is named by a sha256 over everything that decides what building produces: the exact
texts and names of the definition's files (the stored bundle, or the files on the search path), which
file is the process, the JSON Schema's text, this cache's format, the Python version and a
fingerprint of the engine code that builds definitions (name, size and modification time of every
module under `engine/definition/`, plus `engine/errors.py`, `engine/dates.py` and the machine module).
A changed text, schema or engine simply misses; nothing is ever invalidated by hand. The file repeats
its key and a sha256 of its body, both checked on load.

**Trust.** The body is a pickle, read by an unpickler that can construct only the model's own frozen
dataclasses and enums (`definition.model`, the guard tree, `Location`) and `datetime.date`: no other
global, so a crafted file cannot run code through `find_class`. Files live in `compiled/` under
`$REVIEWFLOW_CACHE`, else `$XDG_CACHE_HOME/reviewflow`, else `~/.cache/reviewflow` (as the calendar
cache), a folder created 0700 and read only while it is owned by this user and writable by nobody
else; files are written 0600 to a temporary name and renamed into place (atomic). A missing,
unreadable, corrupt, foreign or mismatched file is ignored and the definition is built again; a
read-only cache only costs speed. Building failed is remembered too (an entry whose process is None),
so a broken workspace file is not rebuilt by every `case show` asking whether it is newer.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import sys
from collections.abc import Mapping
from dataclasses import dataclass, is_dataclass
from enum import Enum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from reviewflow.engine import cachefiles, paths
from reviewflow.engine.definition import model

FORMAT = 1
_MAGIC = b"reviewflow-compiled\n"
_ENGINE = Path(__file__).resolve().parent.parent  # engine/


@dataclass(frozen=True)
class Compiled:
    """A built definition and its machine's tables (None, None: these texts do not build)."""

    process: model.Process | None
    tables: Any = None


# -- the key ------------------------------------------------------------------------------------------

@cache
def engine_fingerprint() -> str:
    """Name, size and mtime of every module whose code shapes a compiled definition (stat only)."""
    digest = hashlib.sha256(f"{FORMAT} {sys.version_info[:2]}".encode())
    files = sorted((_ENGINE / "definition").rglob("*.py"))
    files += [_ENGINE / "errors.py", _ENGINE / "dates.py", _ENGINE / "cases" / "machine.py"]
    for file in files:
        try:
            stat = file.stat()
        except OSError:
            continue
        digest.update(f"{file.relative_to(_ENGINE).as_posix()} {stat.st_size} {stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@cache
def schema_fingerprint() -> str:
    try:
        return hashlib.sha256(Path(paths.schema_path("process")).read_bytes()).hexdigest()
    except OSError:
        return "missing"


def key(bundle: Mapping[str, str], process_file: str) -> str:
    """The cache key of building `process_file` from exactly these texts (see the module docstring)."""
    digest = hashlib.sha256(json.dumps([FORMAT, engine_fingerprint(), schema_fingerprint(), process_file],
                                       ensure_ascii=False).encode())
    for name in sorted(bundle):
        raw = bundle[name].encode("utf-8")
        digest.update(f"\n{len(name)}:{name}\n{len(raw)}\n".encode())
        digest.update(raw)
    return digest.hexdigest()


# -- the files ----------------------------------------------------------------------------------------

def folder() -> Path:
    return cachefiles.folder("compiled")


def load(cache_key: str) -> Compiled | None:
    """The entry saved under `cache_key`, or None when there is none that can be trusted."""
    raw = cachefiles.read(folder(), f"{cache_key}.pickle")
    if raw is None:
        return None
    try:
        body = _checked_body(raw, cache_key)
        found = _Unpickler(io.BytesIO(body)).load()
    except Exception:  # noqa: BLE001 - any unreadable or corrupt file is a miss, never an error
        return None
    if not isinstance(found, dict) or found.get("key") != cache_key or found.get("format") != FORMAT:
        return None
    process = found.get("process")
    if process is not None and not isinstance(process, model.Process):
        return None
    return Compiled(process, found.get("tables"))


def _checked_body(raw: bytes, cache_key: str) -> bytes:
    head, sep, rest = raw.partition(b"\n\n")
    lines = head.split(b"\n")
    if not sep or raw[:len(_MAGIC)] != _MAGIC or len(lines) != 3 or lines[1].decode() != cache_key:
        raise ValueError("not a compiled definition for this key")
    if hashlib.sha256(rest).hexdigest() != lines[2].decode():
        raise ValueError("body does not match its checksum")
    return rest


def save(cache_key: str, compiled: Compiled) -> bool:
    """Write the entry for later commands; False (never an error) when the cache cannot be written."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(
        {"format": FORMAT, "key": cache_key, "process": compiled.process, "tables": compiled.tables})
    body = buffer.getvalue()
    data = _MAGIC + f"{cache_key}\n{hashlib.sha256(body).hexdigest()}\n\n".encode() + body
    return cachefiles.write(folder(), f"{cache_key}.pickle", data)


# -- the restricted pickle ----------------------------------------------------------------------------

_MODEL_MODULES = ("reviewflow.engine.definition.model", "reviewflow.engine.definition.guards.parser",
                  "reviewflow.engine.definition.guards.expressions")


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if type(obj) is MappingProxyType:  # the model's read-only mappings
            return model.frozen_map, (dict(obj),)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    """Constructs nothing but the model's dataclasses and enums, `Location` and `date`."""

    def find_class(self, module: str, name: str) -> Any:
        if module in _MODEL_MODULES:
            found = getattr(sys.modules.get(module) or __import__(module, fromlist=[name]), name, None)
            allowed = found is model.frozen_map or (
                isinstance(found, type) and (is_dataclass(found) or issubclass(found, Enum))
                and found.__module__ == module)
            if allowed:
                return found
        if (module, name) == ("reviewflow.engine.errors", "Location"):
            from reviewflow.engine.errors import Location

            return Location
        if (module, name) == ("datetime", "date"):
            from datetime import date

            return date
        raise pickle.UnpicklingError(f"{module}.{name} is not part of a compiled definition")
