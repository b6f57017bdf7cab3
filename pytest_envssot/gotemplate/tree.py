"""Go ``text/template`` parse tree: frozen nodes, one class per Go ``parse`` node type.

Nesting is capped at :data:`MAX_NESTING` so that walking the tree recursively is always safe.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, fields
from typing import TypeAlias, TypeVar

# Blocks plus parentheses open at once. Real templates stay under 10; the cap keeps the
# tree shallow enough for recursive walkers (ours, the evaluator's, dataclass repr/eq).
MAX_NESTING = 100


class TemplateSyntaxError(Exception):
    """The template is not valid Go template syntax; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


# =========================================================================== tree

_T = TypeVar("_T")


def _quick_init(cls: type[_T]) -> type[_T]:
    """Give a frozen slots dataclass an ``__init__`` that stores each field through its
    slot's own descriptor. The generated one goes through ``object.__setattr__`` per field,
    about 1 us a node, and a 10,000-var template has 130,000 nodes; this takes a third of
    that. The nodes stay frozen: assigning to a field still raises."""
    names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    scope: dict[str, object] = {f"_set_{n}": getattr(cls, n).__set__ for n in names}
    params = []
    for f in fields(cls):  # type: ignore[arg-type]
        if f.default is MISSING:
            params.append(f.name)
        else:
            scope[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
    body = "".join(f"    _set_{n}(self, {n})\n" for n in names)
    exec(f"def __init__(self, {', '.join(params)}) -> None:\n{body}", scope)
    init = scope["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    setattr(cls, "__init__", init)  # noqa: B010
    return cls


@_quick_init
@dataclass(frozen=True, slots=True)
class Span:
    """Where a node sits: ``pos``/``end`` are offsets into the source, ``line`` is pos's line."""

    pos: int
    line: int
    end: int


@_quick_init
@dataclass(frozen=True, slots=True)
class Dot(Span):
    """``.``"""


@_quick_init
@dataclass(frozen=True, slots=True)
class Nil(Span):
    """``nil``"""


@_quick_init
@dataclass(frozen=True, slots=True)
class Bool(Span):
    """``true`` or ``false``."""

    value: bool


@_quick_init
@dataclass(frozen=True, slots=True)
class Number(Span):
    """An integer, float, imaginary, complex or character constant (``'a'`` is 97)."""

    source: str
    value: int | float | complex


@_quick_init
@dataclass(frozen=True, slots=True)
class String(Span):
    """A quoted or raw string; ``value`` has escapes decoded as Go's strconv.Unquote does."""

    source: str
    value: str


@_quick_init
@dataclass(frozen=True, slots=True)
class Identifier(Span):
    """A function name such as ``printf``, ``env`` or ``secret``."""

    name: str


@_quick_init
@dataclass(frozen=True, slots=True)
class Field(Span):
    """``.Data.data.KEY`` -> names ``("Data", "data", "KEY")``."""

    names: tuple[str, ...]


@_quick_init
@dataclass(frozen=True, slots=True)
class Variable(Span):
    """``$x`` or ``$x.A.B`` (name ``"$x"``, fields ``("A", "B")``); ``$`` is the root."""

    name: str
    fields: tuple[str, ...]


@_quick_init
@dataclass(frozen=True, slots=True)
class Chain(Span):
    """Fields read off another term: ``(secret "p").Data.data.KEY``."""

    node: Operand
    fields: tuple[str, ...]
    fields_line: int  # line of the first ``.field`` (Go reports the chain there)


@_quick_init
@dataclass(frozen=True, slots=True)
class Command(Span):
    """One stage of a pipeline: a function or value followed by its arguments."""

    args: tuple[Operand, ...]


@_quick_init
@dataclass(frozen=True, slots=True)
class Pipeline(Span):
    """``$x := a b | c d``; when ``parenthesized``, pos/end include the parentheses."""

    decl: tuple[Variable, ...]
    is_assign: bool  # ``$x = ...`` rather than ``$x := ...``
    commands: tuple[Command, ...]
    parenthesized: bool = False


Operand: TypeAlias = (
    Dot | Nil | Bool | Number | String | Identifier | Field | Variable | Chain | Pipeline
)


@_quick_init
@dataclass(frozen=True, slots=True)
class Text(Span):
    """Literal output, already trimmed by any adjacent ``{{-`` / ``-}}``."""

    text: str


@_quick_init
@dataclass(frozen=True, slots=True)
class Comment(Span):
    """``{{/* ... */}}``."""

    text: str  # ``/* ... */`` as written


@_quick_init
@dataclass(frozen=True, slots=True)
class Action(Span):
    """``{{ pipeline }}``: prints its value unless the pipeline declares variables."""

    pipe: Pipeline


@_quick_init
@dataclass(frozen=True, slots=True)
class _Branch(Span):
    """What ``if``, ``with`` and ``range`` share: a pipeline, a body and an else body."""

    pipe: Pipeline
    body: tuple[Node, ...]
    else_body: tuple[Node, ...] | None  # ``{{ else if }}`` is an else_body of one If


@_quick_init
@dataclass(frozen=True, slots=True)
class If(_Branch):
    """``{{ if p }}body{{ else }}else_body{{ end }}``"""


@_quick_init
@dataclass(frozen=True, slots=True)
class With(_Branch):
    """``{{ with p }}``: body runs with dot set to p when p is non-empty."""


@_quick_init
@dataclass(frozen=True, slots=True)
class Range(_Branch):
    """``{{ range p }}``: body once per element; else_body when p is empty."""


@_quick_init
@dataclass(frozen=True, slots=True)
class Break(Span):
    """``{{ break }}``."""


@_quick_init
@dataclass(frozen=True, slots=True)
class Continue(Span):
    """``{{ continue }}``."""


@_quick_init
@dataclass(frozen=True, slots=True)
class TemplateCall(Span):
    """``{{ template "name" p }}``"""

    name: str
    pipe: Pipeline | None


@_quick_init
@dataclass(frozen=True, slots=True)
class Define(Span):
    """``{{ define "name" }}body{{ end }}``: renders nothing where it stands."""

    name: str
    body: tuple[Node, ...]


@_quick_init
@dataclass(frozen=True, slots=True)
class Block(Span):
    """``{{ block "name" p }}body{{ end }}``: a define plus ``{{ template "name" p }}``."""

    name: str
    pipe: Pipeline
    body: tuple[Node, ...]


Node: TypeAlias = (
    Text | Comment | Action | If | With | Range | Break | Continue | TemplateCall | Define | Block
)
