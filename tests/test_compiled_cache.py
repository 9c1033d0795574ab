"""The compiled-definition cache: built once, then read back; never stale, foreign or trusted blindly."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest
from reviewflow.engine.cases import definitions, machine
from reviewflow.engine.definition import compiled
from reviewflow.engine.definition.loader import default_registry, load_path
from reviewflow.engine.paths import processes_dir


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("REVIEWFLOW_CACHE", str(folder))
    definitions.forget()
    yield folder / "compiled"
    definitions.forget()


def _bundle() -> tuple[dict[str, str], str]:
    registry = default_registry()
    path = registry.path_for("leeds-rapid-review")
    assert path is not None
    result = load_path(path, registry)
    return result.bundle, result.file


def _fresh_process() -> None:
    """What a new command starts with: nothing in memory."""
    definitions.forget()


def test_a_definition_is_built_once_then_read_back(cache: Path) -> None:
    bundle, name = _bundle()
    before = definitions.counts()
    first = definitions.from_bundle(bundle, name)
    assert definitions.counts()["builds"] == before["builds"] + 1
    [saved] = list(cache.iterdir())
    assert saved.stat().st_mode & 0o777 == 0o600 and cache.stat().st_mode & 0o777 == 0o700
    _fresh_process()
    second = definitions.from_bundle(bundle, name)
    after = definitions.counts()
    assert after["builds"] == before["builds"] + 1 and after["hits"] == before["hits"] + 1
    assert second == first and second is not first
    assert machine.compiled(second).edges("aware", "became_aware") == machine.compiled(first).edges(
        "aware", "became_aware")


def test_any_change_to_what_builds_it_is_a_miss(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bundle, name = _bundle()
    key = compiled.key(bundle, name)
    edited = {n: (t + "\n# a comment\n" if n == name else t) for n, t in bundle.items()}
    assert compiled.key(edited, name) != key  # a text
    assert compiled.key({("x/" + n): t for n, t in bundle.items()}, "x/" + name) != key  # a file's name
    with monkeypatch.context() as patch:
        patch.setattr(compiled, "schema_fingerprint", lambda: "another schema")
        assert compiled.key(bundle, name) != key  # the schema
    with monkeypatch.context() as patch:
        patch.setattr(compiled, "engine_fingerprint", lambda: "another engine")
        assert compiled.key(bundle, name) != key  # the engine's code
    assert compiled.key(bundle, name) == key


@pytest.mark.parametrize("damage", ["garbage", "truncated", "body", "foreign", "global"])
def test_a_damaged_or_foreign_file_is_ignored_and_rebuilt(cache: Path, damage: str) -> None:
    bundle, name = _bundle()
    definitions.from_bundle(bundle, name)
    key = compiled.key(bundle, name)
    path = cache / f"{key}.pickle"
    raw = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a compiled definition")
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "body":  # one byte of the body changed: the checksum no longer matches
        path.write_bytes(raw[:-10] + bytes([raw[-10] ^ 1]) + raw[-9:])
    elif damage == "foreign":  # another definition's entry under this name
        compiled.save("0" * 64, compiled.Compiled(None))
        path.write_bytes((cache / f"{'0' * 64}.pickle").read_bytes())
    else:  # a pickle that would call os.system: the unpickler refuses the global, nothing runs
        body = pickle.dumps({"format": compiled.FORMAT, "key": key, "process": os.system, "tables": None})
        import hashlib

        path.write_bytes(compiled._MAGIC + f"{key}\n{hashlib.sha256(body).hexdigest()}\n\n".encode() + body)
    assert compiled.load(key) is None
    _fresh_process()
    builds = definitions.counts()["builds"]
    assert definitions.from_bundle(bundle, name).id == "leeds-rapid-review"
    assert definitions.counts()["builds"] == builds + 1  # rebuilt, and saved again
    assert compiled.load(key) is not None


def test_a_folder_others_can_write_is_not_trusted(cache: Path) -> None:
    bundle, name = _bundle()
    definitions.from_bundle(bundle, name)
    key = compiled.key(bundle, name)
    assert compiled.load(key) is not None
    cache.chmod(0o777)
    try:
        assert compiled.load(key) is None
        assert compiled.save(key, compiled.Compiled(None)) is False
    finally:
        cache.chmod(0o700)


def test_a_cache_that_cannot_be_written_only_costs_speed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("REVIEWFLOW_CACHE", str(blocked))
    definitions.forget()
    bundle, name = _bundle()
    assert definitions.from_bundle(bundle, name).id == "leeds-rapid-review"
    definitions.forget()


def test_the_bundled_files_and_the_cache_agree_on_the_hash(cache: Path) -> None:
    registry = default_registry()
    found = definitions.files_bundle(registry, "leeds-rapid-review")
    assert found is not None
    bundle, name = found
    assert name == "bundled:leeds/leeds-rapid-review.yaml"
    assert bundle == _bundle()[0]
    assert list(bundle) == [name, "bundled:national/wt2023.yaml"]
    assert processes_dir().is_dir()
