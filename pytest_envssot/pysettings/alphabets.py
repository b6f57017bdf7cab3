"""Which characters a value drawn for a field may hold, told without importing hypothesis.

:func:`drawn_alphabet` follows :mod:`pytest_envssot.pysettings.strategies` step by step and
answers with the set of characters every text that module's strategy can draw is made of, or
None when it cannot say for sure: a regex left to ``from_regex`` (``\\d``, ``.``: Unicode
classes), a filter that may reject every draw (a ``pattern``, length bounds a domain's regex
may miss), the ``any`` domain, a type with no strategy. The round trip uses it to settle a
verdict without a search when no character of that set can be altered on the way
(:mod:`pytest_envssot.rules._settled`). The alphabets and type helpers both modules need live
here, so the two cannot drift apart.
"""

from __future__ import annotations

import decimal
import enum
import re
import typing
from typing import Any

from pytest_envssot.pysettings.domains import DOMAINS, INFERRED

try:  # Python 3.11+
    import re._constants as _sre  # type: ignore[import-not-found,unused-ignore]
    import re._parser as _sre_parser  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _sre  # type: ignore[no-redef,unused-ignore]
    import sre_parse as _sre_parser  # type: ignore[no-redef,unused-ignore]

sre = _sre
sre_parse = _sre_parser.parse
BEGIN = (_sre.AT_BEGINNING, _sre.AT_BEGINNING_STRING)
END = (_sre.AT_END, _sre.AT_END_STRING)

BOOL_TEXT = (
    "true", "false", "True", "False", "1", "0", "yes", "no", "on", "off", "t", "f", "y", "n",
)  # fmt: skip
URL_SCHEMES = ("http", "https")
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# The named domains of pytest_envssot.pysettings.domains.DOMAINS as (alphabet, min, max).
ALPHABETS = {
    "word": (_ALNUM + "_.,:/@+=%?&~*!-", 1, 128),
    "token_urlsafe": (_ALNUM + "_-", 1, 86),
    "token_hex": ("0123456789abcdef", 2, 128),
    "alnum": (_ALNUM, 1, 64),
    "ascii_printable": ("".join(map(chr, range(0x20, 0x7F))), 1, 64),
}
# "printable": ASCII text plus letters, marks and symbols of other scripts, each one Go's
# strconv.IsPrint accepts (tests check it). A fixed alphabet: no Unicode tables to build.
PRINTABLE_ALPHABET = "".join(map(chr, range(0x20, 0x7F))) + "éüßçñÅøЖщ中文日本語한글αβ€£¥©°±→✓🙂👍"
UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
HOST = "abcdefghijklmnopqrstuvwxyz0123456789"
# Everything _urls in strategies writes: scheme://[userinfo@]host[.domain][:port][/path].
_URL_PARTS = frozenset(UNRESERVED + HOST + ":/@." + "0123456789")
# What json.dumps(ensure_ascii=False) adds around and inside values: brackets, separators,
# the literals true/false/null, numbers, and the escapes of '"', '\\' and control characters.
_JSON_TEXT = frozenset('[]{},: "\\' + "truefalsn" + "0123456789+-.eE" + "bfnrtu" + "abcdef")
_NUMBER_TEXT = frozenset("0123456789+-.e")


class _Unknown(Exception):
    """The strategy for this part is not one whose characters can be told."""


def drawn_alphabet(annotation: Any, domain: str | None) -> frozenset[str] | None:
    """Every character of every text ``strategies.text_strategy`` draws for ``annotation``
    and ``domain``, provided that strategy surely draws (no filter that may reject all, no
    invalid bounds); None when that cannot be told."""
    try:
        return frozenset(_text(annotation, {}, domain))
    except (_Unknown, KeyError, TypeError, ValueError, RecursionError):
        return None


def _text(tp: Any, meta: dict[str, Any], domain: str | None) -> set[str]:
    tp, meta = unwrap(tp, meta)
    origin = typing.get_origin(tp)
    if is_union(tp):
        members = [m for m in typing.get_args(tp) if m is not type(None)]
        return _union(_text(m, dict(meta), domain) for m in _some(members))
    if origin is typing.Literal:
        return _chars_of(literal_text(v) for v in _some(typing.get_args(tp)))
    if tp is bool:
        return _chars_of(BOOL_TEXT)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _chars_of(literal_text(m.value) for m in _some(list(tp)))
    if tp in (int, float, decimal.Decimal):
        _number(tp, meta)
        return set(_NUMBER_TEXT)
    if is_str_like(tp):
        return _str(meta, domain)
    schemes = url_schemes(tp)
    if schemes is not None:
        if domain in (None, "url", "any", *INFERRED):
            return set(_URL_PARTS) | _chars_of(schemes)
        return _str(meta, domain)
    if origin in (list, set, frozenset, tuple, dict) or tp in (list, set, frozenset, dict):
        return set(_JSON_TEXT) | _value(tp, meta, domain)
    raise _Unknown


def _value(tp: Any, meta: dict[str, Any], domain: str | None) -> set[str]:
    """The characters of a JSON value's own text (strings unescaped: an over-estimate)."""
    tp, meta = unwrap(tp, meta)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if is_union(tp):
        return _union(_value(m, dict(meta), domain) for m in args)
    if tp is type(None) or tp is bool:
        return set()
    if origin is typing.Literal:
        return _chars_of(str(a) for a in _some(args))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return _chars_of(str(m.value) for m in _some(list(tp)))
    if tp in (int, float, decimal.Decimal):
        _number(tp, meta)
        return set()
    if is_str_like(tp) or url_schemes(tp) is not None:
        return _text(tp, meta, domain)
    if origin in (list, set, frozenset) or tp in (list, set, frozenset):
        if not args:
            raise _Unknown  # st.text(): any character
        low, high = int(meta.get("min_length") or 0), int(meta.get("max_length") or 5)
        return _value(args[0], {}, domain) if max(low, high) else set()
    if origin is tuple:
        items = args[:1] if len(args) == 2 and args[1] is Ellipsis else args
        return _union(_value(a, {}, domain) for a in items)
    if origin is dict or tp is dict:
        if not args:
            raise _Unknown
        return _value(args[0], {}, domain) | _value(args[1], {}, domain)
    raise _Unknown


def _number(tp: Any, meta: dict[str, Any]) -> None:
    """Numbers are written with digits, sign, point and exponent; bounds must let one be drawn."""
    low = meta.get("ge", None if meta.get("gt") is None else meta["gt"] + (tp is int))
    high = meta.get("le", None if meta.get("lt") is None else meta["lt"] - (tp is int))
    kinds = (int,) if tp is int else (int, float)
    for bound in (low, high):
        if bound is not None and (isinstance(bound, bool) or not isinstance(bound, kinds)):
            raise _Unknown
    if low is not None and high is not None and low > high:
        raise _Unknown


def _str(meta: dict[str, Any], domain: str | None) -> set[str]:
    if meta.get("pattern") is not None:
        raise _Unknown  # from_regex, or a filter that may reject every draw
    low = int(meta.get("min_length") or 0)
    high = meta.get("max_length")
    high = None if high is None else int(high)
    if domain is None or domain == "any":
        raise _Unknown
    if domain == "printable":
        if high is not None and low > high:
            raise _Unknown
        return set(PRINTABLE_ALPHABET)  # the hazards mixed in are the printable ones
    if domain == "url":
        return set(_URL_PARTS) | _chars_of(URL_SCHEMES)
    if domain in ALPHABETS:
        alphabet, least, most = ALPHABETS[domain]
        if max(least, low) > (most if high is None else min(most, high)):
            raise _Unknown
        return set(alphabet)
    pattern = domain[6:] if domain.startswith("regex:") else DOMAINS[domain]
    chars, (shortest, longest) = _regex_alphabet(pattern)
    if low > shortest or (high is not None and longest > high):
        raise _Unknown  # a length filter that may reject what the regex draws
    return chars


def _regex_alphabet(pattern: str) -> tuple[set[str], tuple[int, int]]:
    """The characters of the strings ``strategies._sequence_text(pattern)`` draws, and their
    shortest and longest length; _Unknown when that function leaves it to ``from_regex``."""
    try:
        parsed = sre_parse(pattern)
    except Exception as exc:  # re.error, RecursionError
        raise _Unknown from exc
    if parsed.state.flags & ~re.UNICODE:
        raise _Unknown
    items = list(parsed)
    begin = items[:1] and items[0][0] is _sre.AT and items[0][1] in BEGIN
    end = items[-1:] and items[-1][0] is _sre.AT and items[-1][1] in END
    items = items[1 if begin else 0 : len(items) - (1 if end else 0)]
    chars = _seq(items)
    low, high = parsed.getwidth()
    return chars, (low, high)


def _seq(items: list[tuple[Any, Any]]) -> set[str]:
    chars: set[str] = set()
    for op, av in items:
        chars |= {chr(av)} if op is _sre.LITERAL else _node(op, av)
    return chars


def _node(op: Any, av: Any) -> set[str]:
    if op is _sre.IN:
        return set(_set_chars(av))
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):
        _low, _high, sub = av
        body = list(sub)
        if len(body) == 1 and body[0][0] in (_sre.IN, _sre.LITERAL):
            kind, value = body[0]
            return {chr(value)} if kind is _sre.LITERAL else set(_set_chars(value))
        return _seq(body)
    if op is _sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            raise _Unknown
        return _seq(list(sub))
    if op is _sre.BRANCH:
        return _union(_seq(list(b)) for b in av[1])
    raise _Unknown


def _set_chars(entries: list[tuple[Any, Any]]) -> str:
    """The characters of a ``[...]`` set of literals and ranges, as strategies draws them."""
    chars: list[str] = []
    for op, av in entries:
        if op is _sre.LITERAL:
            chars.append(chr(av))
        elif op is _sre.RANGE:
            chars.extend(chr(c) for c in range(av[0], av[1] + 1))
        else:
            raise _Unknown  # NEGATE, CATEGORY (\\d, \\w: Unicode classes)...
    if not chars:
        raise _Unknown
    return "".join(dict.fromkeys(chars))


def set_chars(entries: list[tuple[Any, Any]]) -> str | None:
    """:func:`_set_chars` for the strategies: None where it cannot tell."""
    try:
        return _set_chars(entries)
    except _Unknown:
        return None


def _some(items: typing.Sequence[Any]) -> typing.Sequence[Any]:
    """``items``, which must not be empty: ``sampled_from([])`` / ``one_of()`` draw nothing."""
    if not items:
        raise _Unknown
    return items


def _chars_of(texts: typing.Iterable[str]) -> set[str]:
    return {c for text in texts for c in text}


def _union(parts: typing.Iterable[set[str]]) -> set[str]:
    out: set[str] = set()
    for part in parts:
        out |= part
    return out


# --------------------------------------------------------------------------- shared type helpers


def unwrap(tp: Any, meta: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """Strip ``Annotated`` layers, collecting constraints from FieldInfo / annotated_types."""
    while typing.get_origin(tp) is typing.Annotated:
        base, *extras = typing.get_args(tp)
        for extra in extras:
            _collect(extra, meta)
        tp = base
    for extra in getattr(tp, "__metadata__", ()):
        _collect(extra, meta)
    return tp, meta


def _collect(extra: Any, meta: dict[str, Any]) -> None:
    for item in [extra, *getattr(extra, "metadata", ())]:
        for key in ("gt", "ge", "lt", "le", "min_length", "max_length", "pattern"):
            value = getattr(item, key, None)
            if value is not None and not callable(value):
                meta[key] = value


def is_union(tp: Any) -> bool:
    import types as pytypes

    return typing.get_origin(tp) in (typing.Union, pytypes.UnionType)


def is_str_like(tp: Any) -> bool:
    from pydantic import SecretStr

    return tp is str or (isinstance(tp, type) and issubclass(tp, (str, SecretStr)))


def url_schemes(tp: Any) -> tuple[str, ...] | None:
    """The allowed schemes of a pydantic URL/DSN type, or None if ``tp`` is none."""
    constraints = getattr(tp, "_constraints", None)
    if constraints is None or not hasattr(constraints, "allowed_schemes"):
        return None
    return tuple(constraints.allowed_schemes or URL_SCHEMES)


def literal_text(value: object) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    return str(value)
