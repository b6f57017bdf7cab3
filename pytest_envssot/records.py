"""``@frozen``: an immutable dataclass record that costs one compiled method, not six.

Python 3.11 builds every method a dataclass generates by compiling its source on its own, at
import: a ``@dataclass(frozen=True, slots=True)`` compiles six (``__init__``, ``__repr__``,
``__eq__``, ``__hash__``, ``__setattr__``, ``__delattr__``), about half a millisecond a class,
and a check imports some ninety of them before it reads a file (~40 ms, a sixth of a small
repository's run). A record lets ``dataclasses`` collect the fields and make the slots but
generate nothing; it compiles only ``__init__`` itself and shares the rest: equality, hashing,
ordering and repr made from closures over the field names (the results the generated ones
give: equal when the classes are the same and the compared fields are equal, the hash of the
hashed fields' tuple, ``Name(field=value, ...)``), and one ``__setattr__``/``__delattr__`` for
every frozen record that refuses as a frozen dataclass does (``FrozenInstanceError``).

A frozen record's ``__init__`` stores each field through its slot's own descriptor (or
``object.__setattr__`` without slots), past the refusing ``__setattr__``: immutable at run
time and faster to build than a frozen dataclass (the generated one calls
``object.__setattr__`` per field, ~1 us a node, and a 10,000-var template has 130,000 nodes).
``@mutable`` does the same for a plain ``@dataclass`` (equal by fields, so unhashable).
``mypy --strict`` reads both as the dataclasses they stand for.
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
    made = dataclasses.dataclass(cls, init=False, repr=False, eq=False, slots=slots)
    fields = dataclasses.fields(cast(Any, made))
    compared = _values(tuple(f.name for f in fields if f.compare))
    hashed = _values(tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash)))
    shown = tuple(f.name for f in fields if f.repr)
    frozen = hashable  # frozen records hash by their fields; mutable ones cannot

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
    if "__init__" not in own:
        methods.append(_init(made, fields, slots, frozen))
    if frozen:
        methods += [__setattr__, __delattr__]
        if slots:
            methods += [__getstate__, __setstate__]
    for method in methods:
        if method.__name__ in own and (method is not __hash__ or explicit_hash):
            if method.__name__ in dict(_ORDER):
                raise TypeError(f"{made.__name__} defines {method.__name__}: drop order=True")
            if method.__name__ in ("__setattr__", "__delattr__"):
                raise TypeError(f"{made.__name__} defines {method.__name__} in a frozen record")
            continue
        if method.__qualname__.startswith("_record."):  # made for this class: name it so
            method.__qualname__ = f"{made.__qualname__}.{method.__name__}"
        setattr(made, method.__name__, method)
    return made


def _init(
    cls: type[Any], fields: tuple[dataclasses.Field[Any], ...], slots: bool, frozen: bool
) -> Callable[..., None]:
    """A stand-in ``__init__`` that compiles the real one on the class's first instance.

    A check defines ~90 records and makes instances of about two thirds of them (template
    nodes for constructs a repository does not use, fix plans, error records...): the rest
    never pay for compiling. The real one then replaces this on the class."""
    for f in fields:
        if f.kw_only:
            raise TypeError(f"{cls.__name__}.{f.name}: keyword-only fields are not supported")

    def __init__(self: object, *args: Any, **kwargs: Any) -> None:
        real = _compiled_init(cls, fields, slots, frozen)
        type.__setattr__(cls, "__init__", real)
        real(self, *args, **kwargs)

    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _compiled_init(
    cls: type[Any], fields: tuple[dataclasses.Field[Any], ...], slots: bool, frozen: bool
) -> Callable[..., None]:
    """The one compiled method: ``__init__`` with dataclass's signature and defaults.

    A frozen record stores past its refusing ``__setattr__``: through each slot's descriptor
    (``cls.name.__set__``), or ``object.__setattr__`` without slots."""
    scope: dict[str, Any] = {"_MISSING": dataclasses.MISSING, "_setattr": object.__setattr__}
    params: list[str] = []
    body: list[str] = []
    for f in fields:
        if f.default is not dataclasses.MISSING:
            scope[f"_dflt_{f.name}"] = f.default
            value = f"_dflt_{f.name}"
            if f.init:
                params.append(f"{f.name}={value}")
                value = f.name
        elif f.default_factory is not dataclasses.MISSING:
            scope[f"_factory_{f.name}"] = f.default_factory
            if f.init:  # dataclass's sentinel: a factory runs only when no value is given
                params.append(f"{f.name}=_MISSING")
                value = f"_factory_{f.name}() if {f.name} is _MISSING else {f.name}"
            else:
                value = f"_factory_{f.name}()"
        elif f.init:
            params.append(f.name)
            value = f.name
        else:
            continue  # init=False without a default: left unset, as dataclass leaves it
        if not frozen:
            body.append(f"self.{f.name} = {value}")
        elif slots:
            scope[f"_set_{f.name}"] = getattr(cls, f.name).__set__
            body.append(f"_set_{f.name}(self, {value})")
        else:
            body.append(f"_setattr(self, {f.name!r}, {value})")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    lines = "".join(f"    {line}\n" for line in body or ["pass"])
    exec(f"def __init__(self, {', '.join(params)}) -> None:\n{lines}", scope)
    init: Callable[..., None] = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def __setattr__(self: object, name: str, value: object) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


def __delattr__(self: object, name: str) -> None:
    raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")


def __getstate__(self: object) -> list[Any]:
    """copy and pickle of a slotted frozen record (the default would go through setattr)."""
    return [getattr(self, f.name) for f in dataclasses.fields(cast(Any, self))]


def __setstate__(self: object, state: list[Any]) -> None:
    for f, value in zip(dataclasses.fields(cast(Any, self)), state, strict=True):
        object.__setattr__(self, f.name, value)


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
