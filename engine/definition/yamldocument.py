"""What a strict YAML load returns: the data and where each value was written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewflow.engine.errors import Location


@dataclass(frozen=True)
class Document:
    """A loaded YAML file: plain data plus where each value (and each mapping key) was written."""

    file: str
    text: str
    data: Any
    _values: dict[tuple[str | int, ...], Location] = field(default_factory=dict, repr=False, compare=False)
    _keys: dict[tuple[str | int, ...], Location] = field(default_factory=dict, repr=False, compare=False)

    def location(self, pointer: Sequence[str | int]) -> Location:
        """Where the value at `pointer` starts; for a missing path, its nearest existing ancestor."""
        path = tuple(pointer)
        while path:
            found = self._values.get(path)
            if found is not None:
                return found
            path = path[:-1]
        return self._values.get((), Location(self.file, 1, 1))

    def key_location(self, pointer: Sequence[str | int]) -> Location:
        """Where the key of the last mapping entry in `pointer` is written; else `location()`."""
        found = self._keys.get(tuple(pointer))
        return found if found is not None else self.location(pointer)


def mark_location(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)
