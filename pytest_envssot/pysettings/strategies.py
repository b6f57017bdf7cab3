"""Hypothesis strategies for the text Vault may hold for a field (hypothesis is imported here only).

A strategy draws *env text*: what an operator would store in Vault for the variable. It follows
the field's resolved type, narrowed by the type's own constraints (``pattern`` via
``from_regex(fullmatch=True)``, ``min_length``/``max_length``, ``ge``/``le``, ``Literal``,
``Enum``, URL and DSN schemes) and by a declared value domain for the str leaves.

Domains (``[tool.envssot.domains]``, ``default_secret_domain``) are a name from :data:`DOMAINS`
or ``"regex:<pattern>"`` (full match). Undeclared, the rule passes the domain the variable
realistically holds (:func:`~pytest_envssot.pysettings.domains.realistic_domain`): ``word`` or
``printable``, the latter mixed with the printable fragments known to break some consumer
(``${X}``, ``$(...)``, quotes, a backslash, `` #``). Only a declared ``any`` draws every string,
control characters and NUL included. A type's own constraints (``pattern``, URL schemes) win
over an inferred domain.
"""

from __future__ import annotations

import decimal
import enum
import json
import re
import typing
from typing import Any

from hypothesis import strategies as st

from pytest_envssot.pysettings.alphabets import ALPHABETS as _ALPHABETS
from pytest_envssot.pysettings.alphabets import BEGIN as _BEGIN
from pytest_envssot.pysettings.alphabets import BOOL_TEXT, PRINTABLE_ALPHABET
from pytest_envssot.pysettings.alphabets import END as _END
from pytest_envssot.pysettings.alphabets import HOST as _HOST
from pytest_envssot.pysettings.alphabets import UNRESERVED as _UNRESERVED
from pytest_envssot.pysettings.alphabets import URL_SCHEMES as _URL_SCHEMES
from pytest_envssot.pysettings.alphabets import is_str_like as _is_str_like
from pytest_envssot.pysettings.alphabets import is_union as _is_union
from pytest_envssot.pysettings.alphabets import literal_text as _literal_text
from pytest_envssot.pysettings.alphabets import set_chars as _set_chars
from pytest_envssot.pysettings.alphabets import sre as _sre
from pytest_envssot.pysettings.alphabets import sre_parse as _sre_parse
from pytest_envssot.pysettings.alphabets import unwrap as _unwrap
from pytest_envssot.pysettings.alphabets import url_schemes as _url_schemes
from pytest_envssot.pysettings.annotations import ResolvedType
from pytest_envssot.pysettings.domains import DOMAINS, INFERRED, domain_error
from pytest_envssot.pysettings.hazards import COMPOSITION_HAZARDS, HAZARDS


class Unsupported(Exception):
    """No strategy for this type: the round trip is skipped with the reason."""


def _domain_text(domain: str | None, min_size: int, max_size: int | None) -> st.SearchStrategy[str]:
    if domain is None or domain == "any":
        return _any_text(min_size, max_size)
    if domain == "printable":
        return _printable_text(min_size, max_size)
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


def _sequence_text(pattern: str, anchored: bool = False) -> st.SearchStrategy[str] | None:
    """The strings fully matching ``pattern``, built from plain ``st.text`` / ``st.lists``
    pieces: the same language as ``st.from_regex(pattern, fullmatch=True)``, several times
    cheaper per draw. Only literals, ``[...]`` sets of literals and ranges, groups,
    alternation and counted repeats; None for anything else (``\\d``, ``.``, negated sets,
    flags, look-arounds, back-references), which is left to ``from_regex``.

    ``anchored``: ``pattern`` is used with ``re.search`` and must start with ``^`` and end
    with ``$`` to be a full match (a trailing newline ``$`` would allow, pydantic's regex
    engine does not: it is not drawn).
    """
    try:
        parsed = _sre_parse(pattern)
    except Exception:  # re.error, RecursionError: from_regex reports it its own way
        return None
    if parsed.state.flags & ~re.UNICODE:
        return None
    items = list(parsed)
    begin = items[:1] and items[0][0] is _sre.AT and items[0][1] in _BEGIN
    end = items[-1:] and items[-1][0] is _sre.AT and items[-1][1] in _END
    if anchored and not (begin and end and len(items) >= 2):
        return None
    items = items[1 if begin else 0 : len(items) - (1 if end else 0)]
    return _seq(items)


def _seq(items: list[tuple[Any, Any]]) -> st.SearchStrategy[str] | None:
    parts: list[st.SearchStrategy[str]] = []
    literal = ""
    for op, av in items:
        if op is _sre.LITERAL:
            literal += chr(av)
            continue
        part = _node(op, av)
        if part is None:
            return None
        if literal:
            parts.append(st.just(literal))
            literal = ""
        parts.append(part)
    if literal:
        parts.append(st.just(literal))
    if len(parts) == 1:
        return parts[0]
    return st.tuples(*parts).map("".join) if parts else st.just("")


def _node(op: Any, av: Any) -> st.SearchStrategy[str] | None:
    if op is _sre.IN:
        alphabet = _set_chars(av)
        return None if alphabet is None else st.sampled_from(alphabet)
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT):  # lazy or greedy: the same language
        low, high, sub = av
        high = None if high == _sre.MAXREPEAT else high
        body = list(sub)
        if len(body) == 1 and body[0][0] in (_sre.IN, _sre.LITERAL):
            kind, value = body[0]
            alphabet = chr(value) if kind is _sre.LITERAL else _set_chars(value)
            if alphabet is None:
                return None
            return st.text(alphabet, min_size=low, max_size=high)
        inner = _seq(body)
        return None if inner is None else st.lists(inner, min_size=low, max_size=high).map("".join)
    if op is _sre.SUBPATTERN:
        _group, add_flags, del_flags, sub = av
        return None if add_flags or del_flags else _seq(list(sub))
    if op is _sre.BRANCH:
        branches = [_seq(list(b)) for b in av[1]]
        if any(b is None for b in branches):
            return None
        return st.one_of(*typing.cast(list[st.SearchStrategy[str]], branches))
    return None


def _any_text(min_size: int, max_size: int | None) -> st.SearchStrategy[str]:
    pieces = st.lists(st.one_of(st.text(max_size=8), st.sampled_from(HAZARDS)), max_size=6)
    mixed = pieces.map("".join)
    if min_size or max_size is not None:
        mixed = mixed.filter(
            lambda s: min_size <= len(s) and (max_size is None or len(s) <= max_size)
        )
        return st.one_of(st.text(min_size=min_size, max_size=max_size), mixed)
    return mixed


def _printable_text(min_size: int, max_size: int | None) -> st.SearchStrategy[str]:
    hazards = [h for h in HAZARDS if all(c in PRINTABLE_ALPHABET for c in h)]
    plain = st.text(PRINTABLE_ALPHABET, min_size=min_size, max_size=max_size)
    pieces = st.lists(
        st.one_of(st.text(PRINTABLE_ALPHABET, max_size=8), st.sampled_from(hazards)), max_size=6
    )
    mixed = pieces.map("".join)
    if min_size or max_size is not None:
        mixed = mixed.filter(
            lambda s: min_size <= len(s) and (max_size is None or len(s) <= max_size)
        )
    return st.one_of(plain, mixed)


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
            loose = self.domain in (None, "url", "any", *INFERRED)
            return _urls(schemes) if loose else self._str(meta)
        if origin in (list, set, frozenset, tuple, dict) or tp in (list, set, frozenset, dict):
            return self.value(tp, meta).map(lambda v: json.dumps(v, ensure_ascii=False))
        raise Unsupported(f"no value strategy for {_name(tp)}")

    def _str(self, meta: dict[str, Any]) -> st.SearchStrategy[str]:
        low = int(meta.get("min_length") or 0)
        high = meta.get("max_length")
        pattern = meta.get("pattern")
        if pattern is not None:
            fast = _sequence_text(pattern, anchored=True)
            drawn = fast if fast is not None else st.from_regex(pattern, fullmatch=False)
            if self.domain not in (None, "any", *INFERRED):
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


def _bounds(meta: dict[str, Any], step: int) -> tuple[Any, Any]:
    low = meta.get("ge", None if meta.get("gt") is None else meta["gt"] + step)
    high = meta.get("le", None if meta.get("lt") is None else meta["lt"] - step)
    return low, high


def _number_text(value: object) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def _name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or repr(tp)


__all__: list[str] = [
    "COMPOSITION_HAZARDS",
    "DOMAINS",
    "HAZARDS",
    "PRINTABLE_ALPHABET",
    "Unsupported",
    "domain_error",
    "text_strategy",
]
