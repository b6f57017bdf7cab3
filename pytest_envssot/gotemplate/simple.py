"""Actions whose parse needs no parser state, read once per distinct action text.

Most actions of a real template are ``{{ end }}``, ``{{ else }}``, ``{{ with .Data.data.K }}``
or ``{{ printf "%q" . }}``: a keyword and a pipeline of plain operands, with no variable,
parenthesis, number or chain after a call. Such an action text becomes a :class:`Simple` once
per file; each occurrence then builds its nodes from that directly, instead of a token per
word run through the parser's state machine (which was most of a 10,000-var render). What
it accepts it builds exactly as the parser does; everything else, and every error, is left
to the parser (``tests/test_reader_template.py`` compares both on generated templates).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from pytest_envssot.gotemplate import tree as gt
from pytest_envssot.gotemplate.lexer import _unquote

# An operand: its node class, start and end relative to the action, and its other fields.
_Arg = tuple[Callable[..., gt.Operand], int, int, tuple[object, ...]]

_OPERANDS = frozenset(("field", "dot", "string", "ident", "bool", "nil"))
_BLOCKS = frozenset(("if", "with", "range"))
# What a later stage of a pipeline may not start with (the parser's "non executable command").
_CONSTANTS = frozenset((gt.Bool, gt.Dot, gt.Nil, gt.String))


class Simple(NamedTuple):
    keyword: str  # "" (a pipeline printed), "if", "with", "range", "else" or "end"
    commands: tuple[tuple[_Arg, ...], ...]  # the pipeline's, for "" and the blocks


def simple_action(tokens: Sequence[tuple[str, int, int, str]]) -> Simple | None:
    """``tokens`` of one action (relative, ending in its rdelim) as a :class:`Simple`, or
    None when the action needs the parser: anything but a keyword and plain operands on
    one line (its nodes all take the line of its ``{{``)."""
    body = tokens[:-1]
    if any("\n" in value for kind, _, _, value in body if kind == "space"):
        return None
    at = _skip_spaces(body, 0)
    if at == len(body):
        return None  # {{ }}: the parser says what is missing
    keyword = body[at][0]
    if keyword in ("else", "end"):
        return Simple(keyword, ()) if _skip_spaces(body, at + 1) == len(body) else None
    if keyword in _BLOCKS:
        if at + 1 == len(body) or body[at + 1][0] != "space":
            return None
        at += 1
    elif keyword in _OPERANDS:
        keyword = ""
    else:
        return None
    commands = _commands(body, _skip_spaces(body, at))
    if commands is None or any(cmd[0][0] in _CONSTANTS for cmd in commands[1:]):
        return None
    return Simple(keyword, commands)


def _skip_spaces(body: Sequence[tuple[str, int, int, str]], at: int) -> int:
    while at < len(body) and body[at][0] == "space":
        at += 1
    return at


def _commands(
    body: Sequence[tuple[str, int, int, str]], at: int
) -> tuple[tuple[_Arg, ...], ...] | None:
    """Operands separated by blanks, commands by ``|``, from ``at`` to the rdelim."""
    commands: list[tuple[_Arg, ...]] = []
    args: list[_Arg] = []
    end = len(body)
    while at < end:
        arg, at = _operand(body, at)
        if arg is None:
            return None
        args.append(arg)
        after = _skip_spaces(body, at)
        if after < end and body[after][0] == "pipe":
            commands.append(tuple(args))
            args = []
            at = _skip_spaces(body, after + 1)
            if at == end:
                return None  # a trailing |
        elif after > at or after == end:
            at = after
        else:
            return None  # `.A"b"`: the parser's "unexpected ... in operand"
    if not args:
        return None  # {{ with }}: "missing value"
    commands.append(tuple(args))
    return tuple(commands)


def _operand(body: Sequence[tuple[str, int, int, str]], at: int) -> tuple[_Arg | None, int]:
    kind, start, end, value = body[at]
    at += 1
    if kind == "field":  # .Data.data.K: the parser's chain of fields, one Field
        names = [value[1:]]
        while at < len(body) and body[at][0] == "field":
            names.append(body[at][3][1:])
            end = body[at][2]
            at += 1
        return (gt.Field, start, end, (tuple(names),)), at
    if at < len(body) and body[at][0] == "field":
        return None, at  # a field off a call or a constant: a Chain or an error
    if kind == "string":
        try:
            return (gt.String, start, end, (value, _unquote(value))), at
        except ValueError:
            return None, at
    if kind == "ident":
        return (gt.Identifier, start, end, (value,)), at
    if kind == "bool":
        return (gt.Bool, start, end, (value == "true",)), at
    if kind == "dot":
        return (gt.Dot, start, end, ()), at
    if kind == "nil":
        return (gt.Nil, start, end, ()), at
    return None, at


def build_pipe(commands: tuple[tuple[_Arg, ...], ...], at: int, line: int) -> gt.Pipeline:
    """The pipeline of an action starting at offset ``at``, all on ``line``."""
    built = []
    for spec in commands:
        args = tuple([make(at + start, line, at + end, *rest) for make, start, end, rest in spec])
        built.append(gt.Command(args[0].pos, line, args[-1].end, args))
    return gt.Pipeline(built[0].pos, line, built[-1].end, (), False, tuple(built))
