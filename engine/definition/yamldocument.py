"""What a strict YAML load returns: the data and where each value was written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewflow.engine.errors import Location

# Where a value was written: a Location, or (line, column) in the document's own file, which the strict
# reader records for every node (a few thousand a file) and `location()` makes a Location of when asked.
Position = Location | tuple[int, int]


@dataclass(frozen=True)
class Document:
    """A loaded YAML file: plain data plus where each value (and each mapping key) was written."""

    file: str
    text: str
    data: Any
    _values: dict[tuple[str | int, ...], Position] = field(default_factory=dict, repr=False, compare=False)
    _keys: dict[tuple[str | int, ...], Position] = field(default_factory=dict, repr=False, compare=False)

    def location(self, pointer: Sequence[str | int]) -> Location:
        """Where the value at `pointer` starts; for a missing path, its nearest existing ancestor."""
        path = tuple(pointer)
        while path:
            found = self._values.get(path)
            if found is not None:
                return self._located(found)
            path = path[:-1]
        found = self._values.get(())
        return Location(self.file, 1, 1) if found is None else self._located(found)

    def key_location(self, pointer: Sequence[str | int]) -> Location:
        """Where the key of the last mapping entry in `pointer` is written; else `location()`."""
        found = self._keys.get(tuple(pointer))
        return self._located(found) if found is not None else self.location(pointer)

    def _located(self, position: Position) -> Location:
        return Location(self.file, *position) if isinstance(position, tuple) else position


def mark_location(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)
