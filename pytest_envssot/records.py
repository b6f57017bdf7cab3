"""``@frozen``: an immutable dataclass record that costs one compiled method, not six.

Python 3.11 builds every method a dataclass generates by compiling its source on its own, at
import: a ``@dataclass(frozen=True, slots=True)`` compiles six (``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``), about half a millisecond a class,
and a check imports some eighty of them before it reads a file (~40 ms, a sixth of a small
repository's run). ``@frozen`` lets ``dataclasses`` compile only ``__init__``, and gives the
class equality, hashing, ordering and repr made from closures over its field names, with the
results the generated ones give: equal when the classes are the same and the compared fields
are equal, the hash of the hashed fields' tuple, ``Name(field=value, ...)``.

Immutability is the type checker's to enforce: ``mypy --strict`` (which CI runs over the whole
package) reads ``@frozen`` classes as frozen dataclasses and refuses any assignment to a field,
so values hash by their fields safely. At run time there is no ``__setattr__`` guard: that
guard is two of the six compiled methods, and every constructor would go through
``object.__setattr__`` for it; a plain slot store is faster for the millions of nodes a large
template builds. ``@mutable`` does the same for a plain ``@dataclass`` (equal by fields, so
unhashable, as there).
"""

from __future__ import annotations

import dataclasses
import operator
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
def frozen(
    *, slots: bool = True, order: bool = False, eq: bool = True
) -> Callable[[type[T]], type[T]]: ...


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen(
    cls: type[T] | None = None, /, *, slots: bool = True, order: bool = False, eq: bool = True
) -> type[T] | Callable[[type[T]], type[T]]:
    """For ``@dataclass(frozen=True, slots=True)``; ``@frozen(slots=False)`` for
    ``@dataclass(frozen=True)``; ``order=True`` adds ``<``, ``<=``, ``>``, ``>=`` as there;
    ``eq=False`` keeps identity for ``==`` and ``hash()``."""
    if cls is None:
        return lambda later: _record(later, slots, order, eq, hashable=True)
    return _record(cls, slots, order, eq, hashable=True)


@dataclass_transform(field_specifiers=(dataclasses.field,))
def mutable(cls: type[T], /) -> type[T]:
    """For a plain ``@dataclass``: fields may be assigned; equal by fields, so unhashable."""
    return _record(cls, False, False, True, hashable=False)


def _record(cls: type[T], slots: bool, order: bool, eq: bool, hashable: bool) -> type[T]:
    own = dict(cls.__dict__)  # what the class body defines itself stays, as with dataclass
    made = dataclasses.dataclass(cls, slots=slots, eq=False, repr=False)
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
    methods: list[Callable[..., Any]] = [__repr__]
    if eq:
        methods += [__eq__, __hash__]
    if eq and not hashable and not explicit_hash:
        made.__hash__ = None  # type: ignore[assignment]  # as dataclass does for eq without frozen
        methods.remove(__hash__)
    if order:
        methods += [_ordering(name, op, compared) for name, op in _ORDER]
    for method in methods:
        if method.__name__ in own and (method is not __hash__ or explicit_hash):
            if method.__name__ in dict(_ORDER):
                raise TypeError(f"{made.__name__} defines {method.__name__}: drop order=True")
            continue
        method.__qualname__ = f"{made.__qualname__}.{method.__name__}"
        setattr(made, method.__name__, method)
    return made


_ORDER = (("__lt__", operator.lt), ("__le__", operator.le), ("__gt__", operator.gt), ("__ge__", operator.ge))  # fmt: skip


def _ordering(
    name: str, op: Callable[[Any, Any], Any], compared: Callable[[object], tuple[Any, ...]]
) -> Callable[[object, object], Any]:
    """A comparison of the compared fields' tuples, for two instances of the same class."""

    def compare(self: object, other: object) -> Any:  # bool, or NotImplemented
        if other.__class__ is self.__class__:
            return op(compared(self), compared(other))
        return NotImplemented

    compare.__name__ = name
    return compare
