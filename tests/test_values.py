"""`engine.values.frozen_dataclass` behaves as `dataclasses.dataclass(frozen=True)` does."""

from __future__ import annotations

import dataclasses
import pickle
from datetime import date
from types import MappingProxyType
from typing import Any

import pytest
from reviewflow.engine.values import frozen_dataclass


@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: str = "y"
    tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)
    where: str = dataclasses.field(default="here", compare=False)
    hidden: int = dataclasses.field(default=0, repr=False)


REAL = Point


@frozen_dataclass(frozen=True)
class Point:  # type: ignore[no-redef]  # the same class, defined the fast way
    x: int
    y: str = "y"
    tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)
    where: str = dataclasses.field(default="here", compare=False)
    hidden: int = dataclasses.field(default=0, repr=False)


FAST = Point


@pytest.mark.parametrize("args, kwargs", [((1,), {}), ((1, "a"), {"tags": ("t",)}), ((), {"x": 2, "where": "w"}),
                                          ((3, "b", ("u",), "there", 9), {})])
def test_construction_equality_hash_and_repr_agree(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    real, fast = REAL(*args, **kwargs), FAST(*args, **kwargs)
    assert dataclasses.astuple(real) == dataclasses.astuple(fast)
    assert repr(real) == repr(fast)
    assert hash(real) == hash(fast)
    assert fast == FAST(*args, **kwargs)
    assert fast == dataclasses.replace(fast, where="elsewhere")  # not compared, as `compare=False` says
    assert hash(fast) == hash(dataclasses.replace(fast, where="elsewhere"))
    assert fast != dataclasses.replace(fast, x=99)
    assert (fast == real) is False  # another class is never equal
    assert pickle.loads(pickle.dumps(fast)) == fast  # by name: Point is FAST now
    assert dataclasses.is_dataclass(fast) and [f.name for f in dataclasses.fields(fast)] == \
        [f.name for f in dataclasses.fields(real)]


def test_it_is_frozen() -> None:
    fast = FAST(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.x = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        del fast.x


@pytest.mark.parametrize("args, kwargs, message", [
    ((), {}, "missing 1 required positional argument: 'x'"),
    ((1,), {"x": 2}, "got multiple values for argument 'x'"),
    ((1,), {"z": 2}, "got an unexpected keyword argument 'z'"),
    ((1, "a", (), "w", 0, "extra"), {}, "positional arguments"),
])
def test_wrong_arguments_raise_type_error_as_a_dataclass_does(args: tuple[Any, ...], kwargs: dict[str, Any],
                                                             message: str) -> None:
    for cls in (REAL, FAST):
        with pytest.raises(TypeError, match=message):
            cls(*args, **kwargs)


def test_default_factories_give_each_instance_its_own_value() -> None:
    @frozen_dataclass(frozen=True)
    class Holder:
        items: dict[str, int] = dataclasses.field(default_factory=dict)
        view: Any = dataclasses.field(default_factory=lambda: MappingProxyType({}))

    first, second = Holder(), Holder()
    assert first.items is not second.items and first.items == {}


def test_only_frozen_classes_are_offered() -> None:
    with pytest.raises(TypeError):
        frozen_dataclass(frozen=False)


def test_evolve_is_replace_for_a_plain_frozen_dataclass() -> None:
    from reviewflow.engine.values import evolve

    real = REAL(1, "a", ("t",), "w", 3)
    assert evolve(real, y="b", hidden=4) == dataclasses.replace(real, y="b", hidden=4)
    assert evolve(real, y="b") is not real and real.y == "a"
    with pytest.raises(TypeError):
        evolve(real, z=1)


def test_build_is_the_constructor_given_every_field() -> None:
    from reviewflow.engine.cases.gates import Vote
    from reviewflow.engine.cases.notifications import Notification
    from reviewflow.engine.cases.tasks import StageVisit
    from reviewflow.engine.values import build

    day = date(2024, 1, 8)
    cases: list[tuple[type[Any], dict[str, Any]]] = [
        (Vote, {"by": "local_authority", "option": "notify", "at": day, "seq": 3, "actor": None,
                "rationale": "s16C"}),
        (StageVisit, {"stage": "aware", "entered_seq": 1, "entered_at": day, "left_seq": None, "left_at": None}),
        (Notification, {"gate": "g", "option": "o", "recipient": "panel", "note": None, "since": day, "seq": 3,
                        "done_at": None, "discharged_by": "told", "done_by": None, "superseded_at": None}),
    ]
    for cls, fields in cases:
        made, real = build(cls, **fields), cls(**fields)
        assert type(made) is cls and made == real and repr(made) == repr(real)
        assert dataclasses.astuple(made) == dataclasses.astuple(real)
        assert dataclasses.replace(made) == real and pickle.loads(pickle.dumps(made)) == real
        with pytest.raises(dataclasses.FrozenInstanceError):
            made.seq = 9  # still frozen
    partial = build(StageVisit, stage="aware", entered_at=day)
    with pytest.raises(AttributeError):  # nothing is filled in: the docstring's warning, shown
        _ = partial.entered_seq
