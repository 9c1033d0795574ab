"""Frozen dataclasses whose methods are shared closures instead of generated source: cheap to define.

`@dataclass(frozen=True)` writes six methods per class as Python source and compiles each with `exec`
(about 2 ms a class on a busy machine); the model defines 25 classes, so importing it cost about twice
a bare interpreter's start-up, on every command. `frozen_dataclass(frozen=True)` gives the same class
(`dataclasses.fields`, `replace`, `is_dataclass`, pickling all work as before) and the same behaviour:
keyword or positional construction with defaults and default factories, `FrozenInstanceError` on
assignment, equality and hashing over the fields that `compare`, a `repr` of the fields that `repr`;
only the methods are generic functions made once per class, without compiling anything.

Type checkers are shown the real `dataclasses.dataclass` (see `definition.model`), so they check
construction and frozenness exactly as before; `tests/test_values.py` holds the two to each other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
_MISSING = dataclasses.MISSING


def frozen_dataclass(*, frozen: bool = True) -> Callable[[type[T]], type[T]]:
    """`dataclass(frozen=True)`, defined without generated code (frozen is the only form offered)."""
    if not frozen:
        raise TypeError("frozen_dataclass makes frozen classes only")
    return _make


def _make(cls: type[T]) -> type[T]:
    cls = dataclasses.dataclass(init=False, repr=False, eq=False)(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    names = tuple(f.name for f in fields)
    defaults = {f.name: f.default for f in fields if f.default is not _MISSING}
    factories = {f.name: f.default_factory for f in fields if f.default_factory is not _MISSING}
    compared = tuple(f.name for f in fields if f.compare)
    hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
    shown = tuple(f.name for f in fields if f.repr)
    qualname = cls.__qualname__

    template = {name: defaults.get(name, _MISSING) for name in names}  # in field order, as dataclass sets them
    count = len(names)

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        values = template.copy()
        if args:
            if len(args) > count:
                raise TypeError(f"{qualname}.__init__() takes {count + 1} positional arguments "
                                f"but {len(args) + 1} were given")
            for name, given in zip(names, args, strict=False):
                if name in kwargs:
                    raise TypeError(f"{qualname}.__init__() got multiple values for argument '{name}'")
                values[name] = given
        values.update(kwargs)
        if len(values) != count:  # a keyword that is not a field
            unknown = next(k for k in kwargs if k not in template)
            raise TypeError(f"{qualname}.__init__() got an unexpected keyword argument '{unknown}'")
        for name, value in values.items():
            if value is _MISSING:
                if name not in factories:
                    raise TypeError(f"{qualname}.__init__() missing 1 required positional argument: '{name}'")
                values[name] = factories[name]()
        object.__getattribute__(self, "__dict__").update(values)

    def __setattr__(self: Any, name: str, value: Any) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot assign to field '{name}'")

    def __delattr__(self: Any, name: str) -> None:
        raise dataclasses.FrozenInstanceError(f"cannot delete field '{name}'")

    def __eq__(self: Any, other: object) -> bool:
        if other.__class__ is self.__class__:
            return tuple(getattr(self, n) for n in compared) == tuple(getattr(other, n) for n in compared)
        return NotImplemented

    def __hash__(self: Any) -> int:
        return hash(tuple(getattr(self, n) for n in hashed))

    def __repr__(self: Any) -> str:
        shown_fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in shown)
        return f"{self.__class__.__qualname__}({shown_fields})"

    for method in (__init__, __setattr__, __delattr__, __eq__, __hash__, __repr__):
        method.__qualname__ = f"{qualname}.{method.__name__}"
        setattr(cls, method.__name__, method)
    return cls


def evolve(obj: T, **changes: Any) -> T:
    """`dataclasses.replace` for a plain frozen dataclass (no `__post_init__`, init-only or slotted
    fields), without re-running `__init__`: about five times faster, for the fold's per-event values."""
    unknown = changes.keys() - obj.__dict__.keys()
    if unknown:
        raise TypeError(f"{type(obj).__qualname__} has no field {sorted(unknown)[0]!r}")
    made: T = object.__new__(type(obj))
    fields = object.__getattribute__(made, "__dict__")
    fields.update(obj.__dict__)
    fields.update(changes)
    return made


def build(cls: type[T], **fields: Any) -> T:
    """`cls(**fields)` for a plain frozen dataclass (no `__post_init__`, init-only or slotted fields), given
    every field by name: the keywords become the instance's fields at once, instead of one frozen
    assignment each (about half the cost, for the values a fold makes per event). Nothing is filled in
    or checked: the caller names every field (tests/test_values.py holds it to the constructor)."""
    made: T = _new(cls)
    _set(made, "__dict__", fields)
    return made


_new = object.__new__
_set = object.__setattr__
