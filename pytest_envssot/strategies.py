"""Hypothesis strategies for the text Vault may hold for a field (hypothesis is imported here only).

A strategy draws *env text*: what an operator would store in Vault for the variable. It follows
the field's resolved type, narrowed by the type's own constraints (``pattern`` via
``from_regex(fullmatch=True)``, ``min_length``/``max_length``, ``ge``/``le``, ``Literal``,
``Enum``, URL and DSN schemes) and by a declared value domain for the str leaves.

Domains (``[tool.envssot.domains]``, ``default_secret_domain``) are a name from :data:`DOMAINS`
or ``"regex:<pattern>"`` (full match). Without either, a plain ``str`` is drawn over all
strings, mixed with fragments known to break some consumer (``${X}``, ``$(...)``, quotes,
ESC, NBSP, a zero-width joiner inside an emoji) so the default budget finds them.
"""

from __future__ import annotations

import decimal
import enum
import json
import re
import typing
from typing import Any

from hypothesis import strategies as st

from pytest_envssot.domains import DOMAINS, domain_error
from pytest_envssot.types import ResolvedType

# Text known to break at least one consumer; mixed into unconstrained strings.
HAZARDS = (
    "${A}", "${}", "$A", "$(id)", "`id`", '"', "'", "\\", "\\n", " ", "#", " #x", "~",
    "\x1b", "\x00", "\t", "\n", "\u00a0", "\u200d", "\U0001f468\u200d\U0001f469", "é", ";",
)  # fmt: skip
BOOL_TEXT = (
    "true",
    "false",
    "True",
    "False",
    "1",
    "0",
    "yes",
    "no",
    "on",
    "off",
    "t",
    "f",
    "y",
    "n",
)
_URL_SCHEMES = ("http", "https")
_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# The named domains of pytest_envssot.domains.DOMAINS as (alphabet, min, max).
_ALPHABETS = {
    "token_urlsafe": (_ALNUM + "_-", 1, 86),
    "token_hex": ("0123456789abcdef", 2, 128),
    "alnum": (_ALNUM, 1, 64),
    "ascii_printable": ("".join(map(chr, range(0x20, 0x7F))), 1, 64),
}
_UNRESERVED = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~"
_HOST = "abcdefghijklmnopqrstuvwxyz0123456789"


class Unsupported(Exception):
    """No strategy for this type: the round trip is skipped with the reason."""


def _domain_text(domain: str | None, min_size: int, max_size: int | None) -> st.SearchStrategy[str]:
    if domain is None or domain == "any":
        return _any_text(min_size, max_size)
    if domain == "url":
        return _urls(_URL_SCHEMES)
    if domain in _ALPHABETS:  # a plain alphabet draws far faster than from_regex
        alphabet, low, high = _ALPHABETS[domain]
        low, high = max(low, min_size), high if max_size is None else min(high, max_size)
        return st.text(alphabet, min_size=low, max_size=high)
    pattern = domain[6:] if domain.startswith("regex:") else DOMAINS[domain]
    fast = _sequence_text(pattern)
    drawn = fast if fast is not None else st.from_regex(pattern, fullmatch=True)
    if not min_size and max_size is None:
        return drawn
    return drawn.filter(lambda s: min_size <= len(s) and (max_size is None or len(s) <= max_size))


_SPECIAL = set(".^$*+?{}[]|()\\")
_REPEAT = re.compile(r"\{(\d+)(?:(,)(\d*))?\}")


def _sequence_text(pattern: str) -> st.SearchStrategy[str] | None:
    """A full-match pattern made of character classes and literals with counts
    (``[a-z][a-z0-9-]{0,62}``, ``[0-9]{1,4}\\.[0-9]{1,2}``) or of literal alternatives
    (``true|false``), drawn as plain ``st.text`` pieces: the same language as ``from_regex``,
    several times cheaper per draw. None for anything else."""
    words = pattern.split("|")
    if len(words) > 1:
        if all(w and not _SPECIAL & set(w) for w in words):
            return st.sampled_from(words)
        return None
    pieces = _pieces(pattern)
    if pieces is None:
        return None
    parts = [
        st.just(alphabet) if low == high == 1 and len(alphabet) == 1
        else st.text(alphabet, min_size=low, max_size=high)
        for alphabet, low, high in pieces
    ]  # fmt: skip
    return st.tuples(*parts).map("".join)


def _pieces(pattern: str) -> list[tuple[str, int, int | None]] | None:
    """``pattern`` as (alphabet, min, max) pieces, or None when it is not that simple."""
    out: list[tuple[str, int, int | None]] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "[":
            end = i + 1
            while end < n and (pattern[end] != "]" or end == i + 1):
                end += 2 if pattern[end] == "\\" else 1
            if end >= n:
                return None
            alphabet = _class_chars(pattern[i + 1 : end])
            i = end + 1
        elif ch == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            alphabet = "0123456789" if nxt == "d" else None if nxt.isalnum() else nxt
            i += 2
        elif ch in _SPECIAL:
            return None
        else:
            alphabet = ch
            i += 1
        if not alphabet:
            return None
        low, high, i = _count(pattern, i)
        if low < 0:
            return None
        out.append((alphabet, low, high))
    return out


def _count(pattern: str, i: int) -> tuple[int, int | None, int]:
    """The quantifier at ``i`` as (min, max, next index); min -1 when it is not a plain one."""
    rest = pattern[i : i + 1]
    if rest == "?":
        low, high, i = 0, 1, i + 1
    elif rest == "*":
        low, high, i = 0, None, i + 1
    elif rest == "+":
        low, high, i = 1, None, i + 1
    else:
        found = _REPEAT.match(pattern, i)
        if found is None:
            return 1, 1, i
        low = int(found.group(1))
        high = low if not found.group(2) else int(found.group(3)) if found.group(3) else None
        i = found.end()
        if high is not None and high < low:
            return -1, None, i
    if pattern[i : i + 1] in ("?", "+", "*", "{"):
        return -1, None, i  # lazy, possessive or stacked quantifiers: leave it to from_regex
    return low, high, i


def _class_chars(body: str) -> str | None:
    """The characters of a ``[...]`` body; None for negation or class escapes like ``\\w``."""
    if body.startswith("^") or "[:" in body:
        return None
    chars: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            if i + 1 >= len(body):
                return None
            nxt = body[i + 1]
            if nxt == "d":
                chars.extend("0123456789")
            elif nxt.isalnum():
                return None  # \w, \s, \xNN...: leave it to from_regex
            else:
                chars.append(nxt)
            i += 2
        elif i + 2 < len(body) and body[i + 1] == "-":
            if ord(body[i + 2]) < ord(ch) or body[i + 2] == "\\":
                return None
            chars.extend(chr(c) for c in range(ord(ch), ord(body[i + 2]) + 1))
            i += 3
        else:
            chars.append(ch)
            i += 1
    return "".join(dict.fromkeys(chars))


def _any_text(min_size: int, max_size: int | None) -> st.SearchStrategy[str]:
    pieces = st.lists(st.one_of(st.text(max_size=8), st.sampled_from(HAZARDS)), max_size=6)
    mixed = pieces.map("".join)
    if min_size or max_size is not None:
        mixed = mixed.filter(
            lambda s: min_size <= len(s) and (max_size is None or len(s) <= max_size)
        )
        return st.one_of(st.text(min_size=min_size, max_size=max_size), mixed)
    return mixed


def _urls(schemes: tuple[str, ...], host_required: bool = True) -> st.SearchStrategy[str]:
    # Flat pieces joined by _url: a third of the cost per draw of nested builds/lists.
    return st.tuples(
        st.sampled_from(schemes),
        st.text(_UNRESERVED + ":", max_size=12),
        st.text(_HOST, min_size=1, max_size=10),
        st.text(_HOST, max_size=10),
        st.integers(0, 65535),
        st.text(_UNRESERVED + "/", max_size=16),
    ).map(_url)


def _url(parts: tuple[str, str, str, str, int, str]) -> str:
    """scheme://[userinfo@]label[.label][:port][/path]"""
    scheme, userinfo, host, domain, port, path = parts
    return (
        f"{scheme}://{userinfo + '@' if userinfo else ''}{host}{'.' + domain if domain else ''}"
        f"{':' + str(port) if port else ''}{'/' + path if path else ''}"
    )


def text_strategy(resolved: ResolvedType, domain: str | None) -> st.SearchStrategy[str]:
    """Env text for ``resolved``; raises :class:`Unsupported`."""
    return _Builder(domain).text(resolved.annotation, {})


class _Builder:
    def __init__(self, domain: str | None) -> None:
        self.domain = domain

    # top level: env text ----------------------------------------------------------------
    def text(self, tp: Any, meta: dict[str, Any]) -> st.SearchStrategy[str]:
        tp, meta = _unwrap(tp, meta)
        origin = typing.get_origin(tp)
        if _is_union(tp):
            members = [m for m in typing.get_args(tp) if m is not type(None)]
            return st.one_of(*(self.text(m, dict(meta)) for m in members))
        if origin is typing.Literal:
            return st.sampled_from([_literal_text(v) for v in typing.get_args(tp)])
        if tp is bool:
            return st.sampled_from(BOOL_TEXT)
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return st.sampled_from([_literal_text(m.value) for m in tp])
        if tp in (int, float, decimal.Decimal):
            return self.value(tp, meta).map(_number_text)
        if _is_str_like(tp):
            return self._str(meta)
        schemes = _url_schemes(tp)
        if schemes is not None:
            return _urls(schemes) if self.domain in (None, "url", "any") else self._str(meta)
        if origin in (list, set, frozenset, tuple, dict) or tp in (list, set, frozenset, dict):
            return self.value(tp, meta).map(lambda v: json.dumps(v, ensure_ascii=False))
        raise Unsupported(f"no value strategy for {_name(tp)}")

    def _str(self, meta: dict[str, Any]) -> st.SearchStrategy[str]:
        low = int(meta.get("min_length") or 0)
        high = meta.get("max_length")
        pattern = meta.get("pattern")
        if pattern is not None:
            anchored = re.fullmatch(r"\^(.*[^\\])\$", pattern, re.DOTALL)
            fast = _sequence_text(anchored.group(1)) if anchored else None
            drawn = fast if fast is not None else st.from_regex(pattern, fullmatch=False)
            if self.domain not in (None, "any"):
                drawn = _domain_text(self.domain, low, high).filter(
                    lambda s: re.search(pattern, s) is not None
                )
            return drawn.filter(lambda s: low <= len(s) and (high is None or len(s) <= high))
        return _domain_text(self.domain, low, high)

    # inside JSON: Python values ----------------------------------------------------------
    def value(self, tp: Any, meta: dict[str, Any]) -> st.SearchStrategy[Any]:
        tp, meta = _unwrap(tp, meta)
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if _is_union(tp):
            return st.one_of(*(self.value(m, dict(meta)) for m in args))
        if tp is type(None):
            return st.none()
        if origin is typing.Literal:
            return st.sampled_from(args)
        if tp is bool:
            return st.booleans()
        if isinstance(tp, type) and issubclass(tp, enum.Enum):
            return st.sampled_from([m.value for m in tp])
        if tp is int:
            return st.integers(*_bounds(meta, 1))
        if tp in (float, decimal.Decimal):
            low, high = _bounds(meta, 0)
            return st.floats(low, high, allow_nan=False, allow_infinity=False)
        if _is_str_like(tp) or _url_schemes(tp) is not None:
            return self.text(tp, meta)
        if origin in (list, set, frozenset) or tp in (list, set, frozenset):
            item = self.value(args[0], {}) if args else st.text()
            low, high = int(meta.get("min_length") or 0), int(meta.get("max_length") or 5)
            drawn = st.lists(item, min_size=low, max_size=max(low, high))
            return drawn.map(lambda xs: list(dict.fromkeys(xs))) if origin is not list else drawn
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return st.lists(self.value(args[0], {}), max_size=5)
            return st.tuples(*(self.value(a, {}) for a in args)).map(list)
        if origin is dict or tp is dict:
            key = self._str({}) if not args else self.value(args[0], {})
            return st.dictionaries(key, self.value(args[1], {}) if args else st.text(), max_size=4)
        raise Unsupported(f"no value strategy for {_name(tp)}")


def _unwrap(tp: Any, meta: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
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


def _bounds(meta: dict[str, Any], step: int) -> tuple[Any, Any]:
    low = meta.get("ge", None if meta.get("gt") is None else meta["gt"] + step)
    high = meta.get("le", None if meta.get("lt") is None else meta["lt"] - step)
    return low, high


def _is_union(tp: Any) -> bool:
    import types as pytypes

    return typing.get_origin(tp) in (typing.Union, pytypes.UnionType)


def _is_str_like(tp: Any) -> bool:
    from pydantic import SecretStr

    return tp is str or (isinstance(tp, type) and issubclass(tp, (str, SecretStr)))


def _url_schemes(tp: Any) -> tuple[str, ...] | None:
    """The allowed schemes of a pydantic URL/DSN type, or None if ``tp`` is none."""
    constraints = getattr(tp, "_constraints", None)
    if constraints is None or not hasattr(constraints, "allowed_schemes"):
        return None
    return tuple(constraints.allowed_schemes or _URL_SCHEMES)


def _literal_text(value: object) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    return str(value)


def _number_text(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or repr(tp)


__all__: list[str] = ["DOMAINS", "HAZARDS", "Unsupported", "domain_error", "text_strategy"]
