"""``@frozen`` compares, hashes, orders and shows as ``@dataclass(frozen=True[, slots=True])`` does."""

from __future__ import annotations

import dataclasses
import math
import pickle
from dataclasses import dataclass, field

import pytest

from pytest_envssot.records import frozen, mutable


@frozen
class Point:
    x: int
    y: float = 0.0
    tags: tuple[str, ...] = ()
    note: str = field(default="", compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class PointDC:
    x: int
    y: float = 0.0
    tags: tuple[str, ...] = ()
    note: str = field(default="", compare=False, repr=False)


@frozen
class Point3(Point):
    z: int = 0


@frozen(slots=False)
class Loose:
    name: str
    items: list[int] = field(default_factory=list)


@frozen
class Empty:
    pass


@frozen(slots=False)
class OwnRepr:
    secret: str

    def __repr__(self) -> str:
        return "OwnRepr(***)"


def test_equality_hash_and_repr_match_a_dataclass() -> None:
    a, b = Point(1, 2.5, ("t",), note="a"), Point(1, 2.5, ("t",), note="b")
    dc = PointDC(1, 2.5, ("t",), note="a")
    assert a == b  # note is not compared
    assert hash(a) == hash(b) == hash(dc)
    assert repr(a) == repr(dc).replace("PointDC", "Point") == "Point(x=1, y=2.5, tags=('t',))"
    assert a != Point(2)
    other: object = dc
    assert a != other  # another class is never equal, as with dataclasses
    assert {a, b} == {a}
    nan = math.nan  # the same object: tuples compare it equal to itself, as dataclasses do
    assert Point(1, nan) == Point(1, nan)
    assert PointDC(1, nan) == PointDC(1, nan)


def test_subclasses_compare_their_own_fields_and_never_equal_the_base() -> None:
    assert Point3(1, z=2) == Point3(1, z=2)
    assert Point3(1, z=2) != Point3(1, z=3)
    assert Point3(1) != Point(1)
    assert repr(Point3(1, z=2)) == "Point3(x=1, y=0.0, tags=(), z=2)"


def test_instances_stay_slotted_picklable_and_replaceable() -> None:
    p = Point(1)
    assert not hasattr(p, "__dict__")
    assert pickle.loads(pickle.dumps(p)) == p
    assert dataclasses.replace(p, x=5) == Point(5)
    assert [f.name for f in dataclasses.fields(Point)] == ["x", "y", "tags", "note"]
    loose = Loose("n")
    assert hasattr(loose, "__dict__")
    assert loose == Loose("n", [])
    with pytest.raises(TypeError):  # a list field: unhashable, as the dataclass' hash would be
        hash(loose)


@frozen(order=True)
class Place:
    path: str
    line: int


@dataclass(frozen=True, order=True)
class PlaceDC:
    path: str
    line: int


def test_ordering_matches_a_dataclass_with_order() -> None:
    pairs = [("b", 1), ("a", 9), ("a", 2), ("b", 0)]
    assert [(p.path, p.line) for p in sorted(Place(*x) for x in pairs)] == [
        (p.path, p.line) for p in sorted(PlaceDC(*x) for x in pairs)
    ]
    assert Place("a", 1) <= Place("a", 1) < Place("a", 2)
    assert Place("b", 0) > Place("a", 9) >= Place("a", 9)
    with pytest.raises(TypeError):  # another class does not order, as with dataclasses
        _ = Place("a", 1) < PlaceDC("a", 1)  # type: ignore[operator]


def test_a_class_without_fields_and_a_class_with_its_own_repr() -> None:
    assert Empty() == Empty()
    assert hash(Empty()) == hash(())
    assert repr(Empty()) == "Empty()"
    assert repr(OwnRepr("hunter2")) == "OwnRepr(***)"
    assert OwnRepr("a") == OwnRepr("a")


@mutable
class Builder:
    name: str
    parts: list[str] = field(default_factory=list)


@dataclass
class BuilderDC:
    name: str
    parts: list[str] = field(default_factory=list)


@frozen(eq=False)
class Handle:
    name: str


def test_mutable_records_compare_by_fields_and_are_unhashable_as_dataclasses() -> None:
    b = Builder("a")
    b.parts.append("x")
    b.name = "b"
    assert b == Builder("b", ["x"]) and b != Builder("b")
    assert repr(b) == repr(BuilderDC("b", ["x"])).replace("BuilderDC", "Builder")
    assert Builder.__hash__ is None and BuilderDC.__hash__ is None


def test_frozen_without_eq_keeps_identity() -> None:
    one, two = Handle("h"), Handle("h")
    assert one != two and one == one
    assert len({one, two}) == 2
    assert repr(one) == "Handle(name='h')"


@frozen
class Counted:
    name: str
    seen: list[str] = field(default_factory=list, compare=False)
    hits: int = field(default=0, init=False)
    memo: dict[str, int] = field(default_factory=dict, init=False, compare=False, repr=False)


@frozen(slots=False)
class Checked:
    low: int
    high: int

    def __post_init__(self) -> None:
        if self.low > self.high:
            raise ValueError("low above high")


@pytest.mark.parametrize("record", [Point(1), Loose("n"), Place("a", 1), Handle("h")])
def test_frozen_records_refuse_assignment_and_deletion_at_run_time(record: object) -> None:
    name = dataclasses.fields(record)[0].name  # type: ignore[arg-type]
    before = repr(record)
    with pytest.raises(dataclasses.FrozenInstanceError, match=f"cannot assign to field '{name}'"):
        setattr(record, name, 2)
    with pytest.raises(dataclasses.FrozenInstanceError, match=f"cannot delete field '{name}'"):
        delattr(record, name)
    assert repr(record) == before


def test_copies_of_frozen_records_are_equal_and_still_frozen() -> None:
    import copy

    for record in (Point(1, 2.0, ("t",)), Loose("n", [1]), Point3(1, z=4)):
        for twin in (copy.copy(record), copy.deepcopy(record), pickle.loads(pickle.dumps(record))):
            assert twin == record and type(twin) is type(record)
            with pytest.raises(dataclasses.FrozenInstanceError):
                object.__getattribute__(twin, "__setattr__")("x", 9)


def test_defaults_factories_init_false_fields_and_post_init_as_dataclass() -> None:
    one, two = Counted("a"), Counted("b")
    one.seen.append("x")  # each instance its own list, as default_factory promises
    assert two.seen == [] and one.hits == 0 and one.memo == {}
    assert repr(one) == "Counted(name='a', seen=['x'], hits=0)"
    with pytest.raises(TypeError):
        Counted("a", [], 3)  # type: ignore[call-arg]  # hits is not an __init__ argument
    assert Counted("a", seen=["y"]).seen == ["y"]
    assert Checked(1, 2).high == 2
    with pytest.raises(ValueError, match="low above high"):
        Checked(3, 2)


def test_init_is_compiled_on_the_first_instance_with_dataclass_signature() -> None:
    import inspect

    @frozen
    class Late:
        a: int
        b: str = "x"

    assert Late(b="y", a=1) == Late(1, "y")  # the first instance: keywords work at once
    compiled = Late.__init__
    params = inspect.signature(Late).parameters
    assert list(params) == ["a", "b"] and params["b"].default == "x"
    Late(2)
    assert Late.__init__ is compiled  # compiled once
    with pytest.raises(TypeError):
        Late()  # type: ignore[call-arg]
