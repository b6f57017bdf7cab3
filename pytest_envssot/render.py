"""Render the value part of one template line as Vault Agent would, for given Vault values.

A deliberately small evaluator over :func:`~pytest_envssot.readers.template.parse_tree`:
text, ``.Data.data.KEY`` (on the secret), ``.`` inside ``with``, ``with``/``if`` with
``else``, and ``printf`` with one ``%q``, ``%s`` or ``%v`` verb (``%q`` is Go's
``strconv.Quote``). Anything else raises :class:`NotModelled` with what it met, and the round
trip skips the variable with that reason rather than guessing what it renders.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pytest_envssot.quoting import go_quote
from pytest_envssot.readers.template import (
    Action,
    Command,
    Comment,
    Dot,
    Field,
    Identifier,
    If,
    Node,
    Pipeline,
    String,
    TemplateSyntaxError,
    Text,
    With,
    parse_tree,
)

_SECRET = object()  # dot at line level: the secret, whose .Data.data holds the values


class NotModelled(Exception):
    """The line uses template features the round trip does not evaluate."""


def compile_value(source: str) -> list[Node]:
    try:
        return parse_tree(source)
    except TemplateSyntaxError as exc:
        raise NotModelled(f"the value does not parse on its own ({exc.message})") from None


def render(nodes: Sequence[Node], values: Mapping[str, str]) -> str:
    """The text ``nodes`` render with ``values`` as ``.Data.data``."""
    out: list[str] = []
    _render(nodes, _SECRET, values, out)
    return "".join(out)


def _render(nodes: Sequence[Node], dot: object, values: Mapping[str, str], out: list[str]) -> None:
    for node in nodes:
        if isinstance(node, Text):
            out.append(node.text)
        elif isinstance(node, Comment):
            continue
        elif isinstance(node, Action):
            if node.pipe.decl:
                raise NotModelled("variables declared in the line")
            out.append(_text(_pipeline(node.pipe, dot, values)))
        elif isinstance(node, (With, If)):
            value = _pipeline(node.pipe, dot, values)
            if _truthy(value):
                _render(node.body, value if isinstance(node, With) else dot, values, out)
            elif node.else_body is not None:
                _render(node.else_body, dot, values, out)
        else:
            raise NotModelled(f"{type(node).__name__.lower()} actions")


def _truthy(value: object) -> bool:
    return value is not None and value != ""


def _text(value: object) -> str:
    if value is None:
        return "<no value>"  # what Go prints for a missing map key
    if not isinstance(value, str):
        raise NotModelled("a non-string value printed")
    return value


def _pipeline(pipe: Pipeline, dot: object, values: Mapping[str, str]) -> object:
    result: object = _NOTHING
    for command in pipe.commands:
        result = _command(command, dot, values, result)
    return result


_NOTHING = object()


def _command(command: Command, dot: object, values: Mapping[str, str], piped: object) -> object:
    head, *args = command.args
    if isinstance(head, Identifier):
        if head.name != "printf":
            raise NotModelled(f"the function {head.name}")
        operands = [_operand(a, dot, values) for a in args]
        if piped is not _NOTHING:
            operands.append(piped)
        if len(operands) != 2 or not isinstance(operands[0], str):
            raise NotModelled("printf with other than one format and one value")
        fmt, value = operands
        if fmt == "%q" and isinstance(value, str):
            return go_quote(value)
        if fmt in ("%s", "%v") and isinstance(value, str):
            return value
        raise NotModelled(f"printf {fmt!r}")
    if args or piped is not _NOTHING:
        raise NotModelled("arguments to a non-function")
    return _operand(head, dot, values)


def _operand(node: object, dot: object, values: Mapping[str, str]) -> object:
    if isinstance(node, String):
        return node.value
    if isinstance(node, Dot):
        if dot is _SECRET:
            raise NotModelled("the whole secret printed")
        return dot
    if isinstance(node, Field):
        if dot is not _SECRET or len(node.names) != 3 or node.names[:2] != ("Data", "data"):
            raise NotModelled(f"the field .{'.'.join(node.names)}")
        return values.get(node.names[2])
    if isinstance(node, Pipeline):
        return _pipeline(node, dot, values)
    raise NotModelled(f"the operand {type(node).__name__.lower()}")
