"""The values a Vault Agent template handles, and how Go's ``fmt`` prints them.

Vault's client decodes JSON with ``UseNumber``, so a secret's data holds strings,
``json.Number`` (a string type whose text is the literal as written), booleans, nil,
``map[string]interface{}`` and ``[]interface{}``; template literals add ``int``. This module
models those Go values and the ``fmt`` verbs templates use: ``%s %v %q %d`` (no flags,
width or precision), ``%%``, plus ``print``/``println`` spacing and the ``%!d(string=x)``,
``%!s(MISSING)`` and ``%!(EXTRA ...)`` texts Go writes instead of failing. Anything else
raises :class:`Unsupported`: we say so rather than guess what Go would print.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_envssot.quoting import go_quote


class Unsupported(Exception):
    """A value or verb whose Go formatting is not modelled here."""


class JsonNumber(str):
    """Go's ``json.Number``: a number from the secret's JSON, kept as the text it was written as."""

    __slots__ = ()


def type_name(value: object) -> str:
    """Go's ``%T`` of a value as fmt writes it in ``%!verb(type=value)``."""
    if isinstance(value, JsonNumber):
        return "json.Number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    raise Unsupported(f"formatting a {type(value).__name__} value")


def truth(value: object) -> bool:
    """Go template truth: false, 0, nil, and empty strings, maps and slices are false."""
    if value is None:
        return False
    if isinstance(value, (str, bool, int, dict, list, tuple)):
        return bool(value)
    return True  # a non-nil pointer, such as a secret


def format_value(verb: str, value: object) -> str:
    """``fmt.Sprintf("%" + verb, value)`` for the values above."""
    if value is None:
        return "<nil>" if verb == "v" else f"%!{verb}(<nil>)"
    if isinstance(value, dict):
        items = sorted(value.items())  # fmt sorts map keys
        body = " ".join(f"{format_value(verb, k)}:{_element(verb, v)}" for k, v in items)
        return f"map[{body}]"
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(_element(verb, v) for v in value) + "]"
    if isinstance(value, str):  # string and json.Number (whose String() fmt calls)
        if verb in ("s", "v"):
            return str(value)
        if verb == "q":
            return go_quote(str(value))
    elif isinstance(value, bool):
        if verb == "v":
            return "true" if value else "false"
    elif isinstance(value, int):
        if verb in ("v", "d"):
            return str(value)
        if verb == "q":
            raise Unsupported("%q of an integer (a quoted rune)")
    else:
        raise Unsupported(f"formatting a {type(value).__name__} value")
    return f"%!{verb}({type_name(value)}={format_value('v', value)})"


def _element(verb: str, value: object) -> str:
    """Elements inside a map or slice: a nil interface prints ``<nil>`` whatever the verb."""
    return "<nil>" if value is None else format_value(verb, value)


_VERBS = frozenset("svqd")


def sprintf(fmt: str, args: Sequence[object]) -> str:
    """``fmt.Sprintf(fmt, args...)`` for verbs without flags, width or precision."""
    if fmt == "%q" and len(args) == 1 and isinstance(args[0], str):
        return go_quote(str(args[0]))  # the one call every Vault template line makes
    out: list[str] = []
    i, n, used = 0, len(fmt), 0
    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        if j + 1 >= n:
            out.append("%!(NOVERB)")
            break
        verb = fmt[j + 1]
        i = j + 2
        if verb == "%":
            out.append("%")
        elif verb not in _VERBS:
            raise Unsupported(f"the printf verb or flag {'%' + verb!r}")
        elif used >= len(args):
            out.append(f"%!{verb}(MISSING)")
        else:
            out.append(format_value(verb, args[used]))
            used += 1
    if used < len(args):
        extra = ", ".join(
            "<nil>" if a is None else f"{type_name(a)}={format_value('v', a)}" for a in args[used:]
        )
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def sprint(args: Sequence[object]) -> str:
    """``fmt.Sprint``: a space between operands when neither is a string."""
    out: list[str] = []
    for k, arg in enumerate(args):
        if k and not isinstance(arg, str) and not isinstance(args[k - 1], str):
            out.append(" ")
        out.append(format_value("v", arg))
    return "".join(out)


def sprintln(args: Sequence[object]) -> str:
    return " ".join(format_value("v", a) for a in args) + "\n"
