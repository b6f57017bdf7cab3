"""Go ``text/template`` parse tree: frozen nodes, one class per Go ``parse`` node type.

Nesting is capped at :data:`MAX_NESTING` so that walking the tree recursively is always safe.
"""

from __future__ import annotations

from typing import TypeAlias

from pytest_envssot.records import frozen

# Blocks plus parentheses open at once. Real templates stay under 10; the cap keeps the
# tree shallow enough for recursive walkers (ours, the evaluator's, dataclass repr/eq).
MAX_NESTING = 100


class TemplateSyntaxError(Exception):
    """The template is not valid Go template syntax; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


class NotModelled(Exception):
    """The template uses something the evaluator (``execute``) does not run; ``line`` 0 when
    unknown. Here rather than in ``execute`` so that rules can catch it without loading the
    evaluator, which a check whose round-trip verdicts are all stored never runs."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


# =========================================================================== tree


@frozen
class Span:
    """Where a node sits: ``pos``/``end`` are offsets into the source, ``line`` is pos's line."""

    pos: int
    line: int
    end: int


@frozen
class Dot(Span):
    """``.``"""


@frozen
class Nil(Span):
    """``nil``"""


@frozen
class Bool(Span):
    """``true`` or ``false``."""

    value: bool


@frozen
class Number(Span):
    """An integer, float, imaginary, complex or character constant (``'a'`` is 97)."""

    source: str
    value: int | float | complex


@frozen
class String(Span):
    """A quoted or raw string; ``value`` has escapes decoded as Go's strconv.Unquote does."""

    source: str
    value: str


@frozen
class Identifier(Span):
    """A function name such as ``printf``, ``env`` or ``secret``."""

    name: str


@frozen
class Field(Span):
    """``.Data.data.KEY`` -> names ``("Data", "data", "KEY")``."""

    names: tuple[str, ...]


@frozen
class Variable(Span):
    """``$x`` or ``$x.A.B`` (name ``"$x"``, fields ``("A", "B")``); ``$`` is the root."""

    name: str
    fields: tuple[str, ...]


@frozen
class Chain(Span):
    """Fields read off another term: ``(secret "p").Data.data.KEY``."""

    node: Operand
    fields: tuple[str, ...]
    fields_line: int  # line of the first ``.field`` (Go reports the chain there)


@frozen
class Command(Span):
    """One stage of a pipeline: a function or value followed by its arguments."""

    args: tuple[Operand, ...]


@frozen
class Pipeline(Span):
    """``$x := a b | c d``; when ``parenthesized``, pos/end include the parentheses."""

    decl: tuple[Variable, ...]
    is_assign: bool  # ``$x = ...`` rather than ``$x := ...``
    commands: tuple[Command, ...]
    parenthesized: bool = False


Operand: TypeAlias = (
    Dot | Nil | Bool | Number | String | Identifier | Field | Variable | Chain | Pipeline
)


@frozen
class Text(Span):
    """Literal output, already trimmed by any adjacent ``{{-`` / ``-}}``."""

    text: str


@frozen
class Comment(Span):
    """``{{/* ... */}}``."""

    text: str  # ``/* ... */`` as written


@frozen
class Action(Span):
    """``{{ pipeline }}``: prints its value unless the pipeline declares variables."""

    pipe: Pipeline


@frozen
class _Branch(Span):
    """What ``if``, ``with`` and ``range`` share: a pipeline, a body and an else body."""

    pipe: Pipeline
    body: tuple[Node, ...]
    else_body: tuple[Node, ...] | None  # ``{{ else if }}`` is an else_body of one If


@frozen
class If(_Branch):
    """``{{ if p }}body{{ else }}else_body{{ end }}``"""


@frozen
class With(_Branch):
    """``{{ with p }}``: body runs with dot set to p when p is non-empty."""


@frozen
class Range(_Branch):
    """``{{ range p }}``: body once per element; else_body when p is empty."""


@frozen
class Break(Span):
    """``{{ break }}``."""


@frozen
class Continue(Span):
    """``{{ continue }}``."""


@frozen
class TemplateCall(Span):
    """``{{ template "name" p }}``"""

    name: str
    pipe: Pipeline | None


@frozen
class Define(Span):
    """``{{ define "name" }}body{{ end }}``: renders nothing where it stands."""

    name: str
    body: tuple[Node, ...]


@frozen
class Block(Span):
    """``{{ block "name" p }}body{{ end }}``: a define plus ``{{ template "name" p }}``."""

    name: str
    pipe: Pipeline
    body: tuple[Node, ...]


Node: TypeAlias = (
    Text | Comment | Action | If | With | Range | Break | Continue | TemplateCall | Define | Block
)
