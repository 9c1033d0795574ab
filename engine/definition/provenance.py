"""Which document wrote each path of a resolved definition: a tree of paths, so forgetting is cheap.

`extends` records an origin for every path it writes and forgets every path below one it replaces.
Kept as a flat {path: document} dict, each forget had to scan every recorded path (quadratic in the
size of the definition: half of the time a case command spent building its definition). Here each
path is a node of a tree, so recording, forgetting a whole subtree and finding the nearest recorded
ancestor all cost the length of the path, and copying a base's origins is linear.

`Origins` is a read-only `Mapping[path, document]` for readers (`Resolved.origins`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Generic, TypeVar

PathKey = tuple[str | int, ...]
T = TypeVar("T")

_DOC, _KIDS = 0, 1  # a node is [value or _UNSET, {step: node}]
_UNSET: Any = object()


class Origins(Mapping[PathKey, T], Generic[T]):
    """{path: value} where setting or forgetting a path costs its length, not the number of paths."""

    __slots__ = ("_root", "_size")

    def __init__(self) -> None:
        self._root: list[Any] = [_UNSET, {}]
        self._size = 0

    # -- writing -----------------------------------------------------------------------------------

    def set(self, path: PathKey, value: T) -> None:
        node = self._root
        for step in path:
            kids = node[_KIDS]
            child = kids.get(step)
            if child is None:
                child = kids[step] = [_UNSET, {}]
            node = child
        if node[_DOC] is _UNSET:
            self._size += 1
        node[_DOC] = value

    def forget(self, path: PathKey) -> None:
        """Drop `path` and every path below it."""
        if not path:
            self._root, self._size = [_UNSET, {}], 0
            return
        parent = self._node(path[:-1])
        if parent is None:
            return
        removed = parent[_KIDS].pop(path[-1], None)
        if removed is not None:
            self._size -= _count(removed)

    def copy(self) -> Origins[T]:
        out: Origins[T] = Origins()
        out._root, out._size = _copy(self._root), self._size
        return out

    # -- reading -----------------------------------------------------------------------------------

    def nearest(self, path: PathKey) -> T | None:
        """The value at `path`, else at its nearest recorded ancestor; None when there is none.

        The empty path is nobody's ancestor here (as in the flat dict this replaces)."""
        node = self._root
        found = _UNSET
        for step in path:
            node = node[_KIDS].get(step)
            if node is None:
                break
            if node[_DOC] is not _UNSET:
                found = node[_DOC]
        return None if found is _UNSET else found

    def _node(self, path: PathKey) -> list[Any] | None:
        node: list[Any] | None = self._root
        for step in path:
            assert node is not None
            node = node[_KIDS].get(step)
            if node is None:
                return None
        return node

    def __getitem__(self, path: PathKey) -> T:
        node = self._node(tuple(path))
        if node is None or node[_DOC] is _UNSET:
            raise KeyError(path)
        value: T = node[_DOC]
        return value

    def __iter__(self) -> Iterator[PathKey]:
        return (path for path, _ in self.pairs())

    def pairs(self) -> Iterator[tuple[PathKey, T]]:
        """(path, value) of every recorded path, parents before children (one walk, no lookups)."""
        stack: list[tuple[PathKey, list[Any]]] = [((), self._root)]
        while stack:
            path, node = stack.pop()
            if node[_DOC] is not _UNSET:
                yield path, node[_DOC]
            stack.extend(((*path, step), kid) for step, kid in reversed(node[_KIDS].items()))

    def __len__(self) -> int:
        return self._size


def _count(node: list[Any]) -> int:
    total, stack = 0, [node]
    while stack:
        current = stack.pop()
        total += current[_DOC] is not _UNSET
        stack.extend(current[_KIDS].values())
    return total


def _copy(node: list[Any]) -> list[Any]:
    return [node[_DOC], {step: _copy(kid) for step, kid in node[_KIDS].items()}]


def copy_data(value: Any) -> Any:
    """A deep copy of plain YAML data (dicts, lists, scalars): what `copy.deepcopy` does, without its memo."""
    if isinstance(value, dict):
        return {k: copy_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_data(v) for v in value]
    return value


