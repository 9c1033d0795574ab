"""The compiled validator (`jsonschema_rs`) and `jsonschema` give the same verdict on every document.

`schema.validate_document` trusts the compiled validator's "valid" and asks `jsonschema` only about a
document that does not fit, so the two must never disagree: checked over the whole corpus (bundled and
test definitions, scenarios, the merged documents `extends` produces) and over thousands of mutated
copies of them (keys dropped, added or misspelt, values of the wrong type, bad ids and dates).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reviewflow.engine.definition import schema
from reviewflow.engine.definition.loader import default_registry, load_path
from reviewflow.engine.definition.yamlio import load_yaml_file

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("jsonschema_rs")


def _documents(kind: str) -> list[tuple[str, Any]]:
    found = []
    for folder in (ROOT / "processes", ROOT / "tests" / "definitions"):
        for path in sorted(folder.rglob("*.yaml")):
            if ("scenarios" in path.parts) != (kind == "scenario"):
                continue
            document, _ = load_yaml_file(path)
            if document is not None:
                found.append((str(path.relative_to(ROOT)), document.data))
    return found


def _merged() -> list[tuple[str, Any]]:
    registry = default_registry()
    out = []
    for process_id in registry.ids():
        path = registry.path_for(process_id)
        assert path is not None
        result = load_path(path, registry)
        if result.process is not None and result.process.extends:
            from reviewflow.engine.definition.loader import _fs_pipeline

            resolved = _fs_pipeline(registry).load(str(path)).resolved
            assert resolved is not None
            out.append((f"merged {process_id}", {k: v for k, v in resolved.data.items() if k != "extends"}))
    return out


def _verdicts(name: str, data: Any) -> tuple[bool, bool]:
    fast = schema.fast_validator(name)
    assert fast is not None
    return fast.is_valid(data), not any(True for _ in schema._validator(name).iter_errors(data))


CORPUS = [("process", n, d) for n, d in _documents("process") + _merged()] + \
         [("scenario", n, d) for n, d in _documents("scenario")]


@pytest.mark.parametrize("name, label, data", CORPUS, ids=[c[1] for c in CORPUS])
def test_the_corpus_gets_the_same_verdict(name: str, label: str, data: Any) -> None:
    fast, slow = _verdicts(name, data)
    assert fast == slow, label


_ODD_VALUES: list[Any] = [None, True, 0, -1, 1.5, "", "x", "Bad Id!", "2024-13-45", [], ["a", "a"], {}, {"x": 1}]


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def _mutate(data: Any, rng: random.Random) -> Any:
    data = copy.deepcopy(data)
    path = rng.choice(list(_paths(data))[1:] or [()])
    if not path:
        return data
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    move = rng.randrange(4)
    if move == 0 and isinstance(parent, dict):
        del parent[last]
    elif move == 1 and isinstance(parent, dict):
        parent[str(last) + rng.choice(["_x", "s", ""])[:2] or "y"] = rng.choice(_ODD_VALUES)
    elif move == 2 and isinstance(parent, dict) and isinstance(last, str):
        parent[last.upper() if rng.random() < 0.5 else last[:-1] or "z"] = parent.pop(last)
    else:
        parent[last] = rng.choice(_ODD_VALUES)
    return data


@pytest.mark.parametrize("seed", range(8))
def test_mutated_documents_get_the_same_verdict(seed: int) -> None:
    rng = random.Random(seed)
    disagreements = []
    for _ in range(400):
        name, label, data = rng.choice(CORPUS)
        mutated = _mutate(data, rng)
        for _ in range(rng.randrange(3)):
            mutated = _mutate(mutated, rng)
        fast, slow = _verdicts(name, mutated)
        if fast != slow:
            disagreements.append((label, fast, slow))
    assert disagreements == []
