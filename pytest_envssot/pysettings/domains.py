"""Value domains: what Vault really holds for a variable (``[tool.envssot.domains]``).

A domain is a name from :data:`DOMAINS` or ``"regex:<pattern>"`` (full match). It narrows
the strings the round trip draws for a variable: e.g. keys rotated with
``secrets.token_urlsafe`` only ever hold ``[A-Za-z0-9_-]``.

Without a declared domain a variable gets the one it realistically holds
(:func:`realistic_domain`): ``word`` when everything the repository documents for it (example
value, default, fallback) is one word of ASCII text, else ``printable``: text as people type
it, which never holds control characters or NUL. ``any`` (every string) only when declared.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

DOMAINS: dict[str, str] = {
    "token_urlsafe": r"[A-Za-z0-9_-]{1,86}",  # secrets.token_urlsafe(n), n <= 64
    "token_hex": r"[0-9a-f]{2,128}",  # secrets.token_hex(n), n <= 64
    "alnum": r"[A-Za-z0-9]{1,64}",
    "ascii_printable": r"[ -~]{1,64}",
    # identifiers, model names, URLs, comma lists: one word of ASCII, no blank, quote or `$`
    "word": r"[A-Za-z0-9_.,:/@+=%?&~*!-]{1,128}",
    "printable": "",  # text Go's strconv.IsPrint accepts (what printf "%q" writes as it is)
    "url": "",  # http(s) URLs built from ASCII-safe parts
    "any": "",  # every string, control characters too: only when declared
}
# The domains nobody declared: inferred from what the repository documents (see README).
INFERRED = ("word", "printable")
_URL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~:/@?&=%+")


def domain_error(domain: str) -> str | None:
    """Why a configured domain is unusable, or None."""
    if domain.startswith("regex:"):
        try:
            re.compile(domain[6:])
        except re.error as exc:
            return f"invalid regex {domain[6:]!r}: {exc}"
        return None
    if domain not in DOMAINS:
        return f"unknown domain {domain!r} (known: {', '.join(DOMAINS)}, or regex:PATTERN)"
    return None


def _printable(value: str) -> bool:
    from pytest_envssot.quoting import go_is_print

    return all(go_is_print(ord(ch)) for ch in value)


def domain_accepts(domain: str | None, value: str) -> bool:
    """Whether ``value`` belongs to ``domain`` (None and ``any`` hold every string).

    The ``url`` domain is built part by part, so no single hazard is claimed to belong to it.
    """
    if domain is None or domain == "any":
        return True
    if domain == "printable":
        return _printable(value)
    pattern = domain[6:] if domain.startswith("regex:") else DOMAINS.get(domain, "")
    if not pattern:
        return False
    try:
        return re.fullmatch(pattern, value) is not None
    except re.error:
        return False


def realistic_domain(
    declared: str | None, secret: bool, secret_default: str | None, documented: Iterable[str]
) -> str:
    """The domain a variable is drawn from: declared, else what it realistically holds.

    A secret gets ``default_secret_domain`` when set, else ``printable`` (free-form: what an
    operator may paste); its documented values are placeholders and say nothing. Anything
    else is shaped by the values the repository documents for it: all one ASCII word
    (``production``, ``SGD``, ``https://api.example.com/v1``) -> ``word``.
    """
    if declared is not None:
        return declared
    if secret:
        return secret_default or "printable"
    values = [v for v in documented if v]
    if values and all(re.fullmatch(DOMAINS["word"], v) for v in values):
        return "word"
    return "printable"


def domain_may_contain(domain: str | None, char: str) -> bool:
    """Whether some value of ``domain`` holds ``char`` (conservative: True when unsure)."""
    if domain is None or domain == "any":
        return True
    if domain == "printable":
        return _printable(char)
    if domain == "url":
        return char in _URL_CHARS
    pattern = domain[6:] if domain.startswith("regex:") else DOMAINS.get(domain, "")
    chars = _pattern_chars(pattern)
    return chars is None or char in chars


@lru_cache(maxsize=256)
def _pattern_chars(pattern: str) -> frozenset[str] | None:
    """Every character a full match of ``pattern`` can hold; None when not simply known."""
    try:
        import re._parser as sre_parse  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_parse  # type: ignore[no-redef,unused-ignore]
    try:
        parsed = sre_parse.parse(pattern)
    except Exception:  # re.error, RecursionError
        return None
    out: set[str] = set()
    return frozenset(out) if _collect_chars(list(parsed), out) else None


def _collect_chars(items: list[tuple[object, object]], out: set[str]) -> bool:
    for op, av in items:
        name = str(op)
        if name == "LITERAL":
            out.add(chr(av))  # type: ignore[arg-type]
        elif name == "IN":
            for kind, value in av:  # type: ignore[attr-defined]
                if str(kind) == "LITERAL":
                    out.add(chr(value))
                elif str(kind) == "RANGE":
                    out.update(chr(c) for c in range(value[0], value[1] + 1))
                else:  # NEGATE, CATEGORY: too many to list
                    return False
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            if not _collect_chars(list(av[2]), out):  # type: ignore[index]
                return False
        elif name == "SUBPATTERN":
            if not _collect_chars(list(av[-1]), out):  # type: ignore[index]
                return False
        elif name == "BRANCH":
            if not all(_collect_chars(list(b), out) for b in av[1]):  # type: ignore[index]
                return False
        elif name != "AT":
            return False  # ANY, back-references, look-arounds
    return True
