"""``@frozen``: a frozen, slotted dataclass whose ``==``, ``hash()`` and ``repr()`` are shared.

Python 3.11 builds every method a dataclass generates by compiling its source on its own, at
import; a frozen, slotted dataclass compiles six (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__``, ``__delattr__``), about half a millisecond a class, and a check
imports some eighty of them before reading a file. ``@frozen`` lets ``dataclasses`` generate
the three that must be fast or exact (the constructor and the frozen guards) and gives the
class equality, hashing and repr made from closures over its field names, with the results
the generated ones give: equal when the classes are the same and the compared fields are
equal, the hash of the hashed fields' tuple, ``Name(field=value, ...)``.
"""

from __future__ import annotations

import dataclasses
import reprlib
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, cast, overload

from typing_extensions import dataclass_transform  # typing's own from Python 3.11

T = TypeVar("T")
_ABSENT = object()


def _values(names: tuple[str, ...]) -> Callable[[object], tuple[Any, ...]]:
    """The tuple of ``names``' values, as the generated methods compare and hash it."""
    if not names:
        return lambda _obj: ()
    if len(names) == 1:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)  # a tuple already (C code, no Python frame per field)


@overload
def frozen(cls: type[T], /) -> type[T]: ...


@overload
def frozen(*, slots: bool = True) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(
    cls: type[T] | None = None, /, *, slots: bool = True
) -> type[T] | Callable[[type[T]], type[T]]:
    """``@dataclass(frozen=True, slots=True)`` with shared ``__eq__``/``__hash__``/``__repr__``;
    ``@frozen(slots=False)`` for ``@dataclass(frozen=True)``."""
    if cls is None:
        return lambda later: _frozen(later, slots)
    return _frozen(cls, slots)


def _frozen(cls: type[T], slots: bool) -> type[T]:
    own = dict(cls.__dict__)  # what the class body defines itself stays, as with dataclass
    made = dataclasses.dataclass(cls, frozen=True, slots=slots, eq=False, repr=False)
    fields = dataclasses.fields(cast(Any, made))
    compared = _values(tuple(f.name for f in fields if f.compare))
    hashed = _values(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    shown = tuple(f.name for f in fields if f.repr)

    def __eq__(self: object, other: object) -> bool:
        if other.__class__ is self.__class__:
            return compared(self) == compared(other)
        return NotImplemented

    def __hash__(self: object) -> int:
        return hash(hashed(self))

    @reprlib.recursive_repr()
    def __repr__(self: object) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({inner})"

    # dataclass keeps a body's own __eq__/__repr__, and its own __hash__ (a __hash__ = None
    # that Python put there because the body defines __eq__ is not one).
    own_hash = own.get("__hash__", _ABSENT)
    explicit_hash = not (own_hash is _ABSENT or (own_hash is None and "__eq__" in own))
    for method in (__eq__, __hash__, __repr__):
        if method.__name__ in own and (method is not __hash__ or explicit_hash):
            continue
        method.__qualname__ = f"{made.__qualname__}.{method.__name__}"
        setattr(made, method.__name__, method)
    return made
