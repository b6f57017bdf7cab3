"""Does a value look like a real credential? A detect-secrets-like scanner, written for env values.

Two signals, as detect-secrets uses them:

* **entropy**: maximal runs of base64 characters (letters, digits, ``+/-_=``) above 4.5 bits of
  Shannon entropy per character, and runs of hex digits above 3.0 bits (all-digit runs lose
  ``1.2 / log2(len)``, because numbers are rarely secrets). Entropy is measured over the
  charset's alphabet, so a run needs at least 23 (base64) or 9 (hex) distinct characters to pass
  the limit: words, slugs and model names stay well below it.
* **known token shapes**: ``sk-…``, ``sk-or-…``, ``ghp_…``/``github_pat_…``, ``AKIA…``,
  ``xoxb-…``, JWTs ``eyJ….eyJ…``, Vault ``hvs.…``, ``-----BEGIN … PRIVATE KEY-----`` and a few more.

Allowed whatever they look like: empty values, obvious placeholders (:func:`redact.is_placeholder`),
the credentials every local docker-compose uses (``postgres``/``minioadmin``...), and URLs whose
password is only good on a loopback host (``postgresql://postgres:postgres@localhost:5432/app``).

Nothing here returns or formats the value itself: a :class:`Suspicion` describes *why* a value
looks real in words that are safe to print.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import re
import string
from collections.abc import Iterator
from typing import Any
from urllib.parse import SplitResult, urlsplit

from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.placeholders import is_local_default, is_placeholder
from pytest_envssot.records import frozen

BASE64_CHARSET = string.ascii_letters + string.digits + "+/" + "-_" + "="
HEX_CHARSET = string.hexdigits
BASE64_LIMIT = 4.5  # detect-secrets' Base64HighEntropyString default
HEX_LIMIT = 3.0  # detect-secrets' HexHighEntropyString default

_BASE64_RUN = re.compile(f"[{re.escape(BASE64_CHARSET)}]+")
_HEX_RUN = re.compile(f"[{re.escape(HEX_CHARSET)}]+")

# (description safe to print, pattern with a `body` group: the random part after any prefix,
# strings one of which every match contains). The strings are what _required_literals finds
# in the pattern (a test holds them to it): worked out at import, they cost a parse of each.
_TOKEN_TABLE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("an OpenRouter key (sk-or-…)", r"\bsk-or-(?:v\d+-)?(?P<body>[A-Za-z0-9]{32,})", ("sk-or-",)),
    ("an Anthropic key (sk-ant-…)", r"\bsk-ant-(?:[a-z0-9]+-)?(?P<body>[A-Za-z0-9_\-]{32,})", ("sk-ant-",)),
    ("an OpenAI-style key (sk-…)", r"\bsk-(?:proj-|svcacct-|admin-)?(?P<body>[A-Za-z0-9_\-]{20,})", ("sk-",)),
    ("a Stripe key (sk_live_/rk_live_…)", r"\b[rsp]k_(?:live|test)_(?P<body>[A-Za-z0-9]{16,})", ("pk_live_", "pk_test_", "rk_live_", "rk_test_", "sk_live_", "sk_test_")),
    ("a GitHub token (ghp_/gho_/ghu_/ghs_/ghr_…)", r"\bgh[pousr]_(?P<body>[A-Za-z0-9]{36,})", ("gho_", "ghp_", "ghr_", "ghs_", "ghu_")),
    ("a GitHub fine-grained token (github_pat_…)", r"\bgithub_pat_(?P<body>[A-Za-z0-9_]{22,})", ("github_pat_",)),
    ("a GitLab token (glpat-…)", r"\bglpat-(?P<body>[A-Za-z0-9_\-]{20,})", ("glpat-",)),
    ("an AWS access key id (AKIA…)", r"\b(?:AKIA|ASIA|ABIA|ACCA)(?P<body>[A-Z0-9]{16})\b", ("ABIA", "ACCA", "AKIA", "ASIA")),
    ("a Google API key (AIza…)", r"\bAIza(?P<body>[0-9A-Za-z_\-]{35})", ("AIza",)),
    ("a Slack token (xoxb-/xoxp-…)", r"\bxox[abposr]-(?P<body>[A-Za-z0-9\-]{10,})", ("xoxa-", "xoxb-", "xoxo-", "xoxp-", "xoxr-", "xoxs-")),
    ("a Slack webhook URL", r"hooks\.slack\.com/services/(?P<body>[A-Za-z0-9/]{20,})", ("hooks.slack.com/services/",)),
    ("a SendGrid key (SG.…)", r"\bSG\.(?P<body>[\w\-]{16,}\.[\w\-]{16,})", ("SG.",)),
    ("a Vault token (hvs./hvb./hvr.…)", r"\bhv[sbr]\.(?P<body>[A-Za-z0-9_\-]{24,})", ("hvb.", "hvr.", "hvs.")),
    ("a JSON Web Token (eyJ….eyJ….…)", r"\beyJ[A-Za-z0-9_\-]+=*\.eyJ(?P<body>[A-Za-z0-9_\-]+=*\.[A-Za-z0-9_\-+/=]*)", (".eyJ",)),
    ("a private key (-----BEGIN … PRIVATE KEY-----)", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----(?P<body>)", ("-----BEGIN ",)),
    ("a PuTTY private key", r"PuTTY-User-Key-File-\d(?P<body>)", ("PuTTY-User-Key-File-",)),
)  # fmt: skip
# Compiled on first use: in most texts no shape's strings occur (see _shape_matches).
TOKEN_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, lazy_compile(pattern)) for name, pattern, _ in _TOKEN_TABLE
)
# A shape filled with one or two characters (`sk-xxxxxxxx…`, `ghp_000…`) is a placeholder.
_MIN_BODY_DISTINCT = 5

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


@frozen
class Suspicion:
    """Why a value looks real; ``reason`` never contains the value or any part of it."""

    kind: str  # "token" | "entropy" | "url-password"
    reason: str


def shannon_entropy(data: str, charset: str) -> float:
    """Bits per character of ``data``, counting only characters of ``charset`` (as detect-secrets)."""
    if not data:
        return 0.0
    entropy = 0.0
    length = len(data)
    for ch in set(data):
        if ch in charset:
            p = data.count(ch) / length
            entropy -= p * math.log2(p)
    return entropy


def hex_entropy(data: str) -> float:
    """Hex entropy, lowered for all-digit runs: long numbers are ids and ports, rarely secrets."""
    entropy = shannon_entropy(data, HEX_CHARSET)
    if len(data) > 1 and data.isdigit():
        entropy -= 1.2 / math.log2(len(data))
    return entropy


def _placeholder_body(body: str) -> bool:
    """``sk-xxxxxxxx…``, ``ghp_000…`` (few distinct characters) or ``sk-learn-model-registry-…``
    (no digit: words, not random base62) are no tokens. Headers (empty body) always count."""
    if not body:
        return False
    return len(set(body) - set("-_.=/")) < _MIN_BODY_DISTINCT or not any(c.isdigit() for c in body)


_JWT = next(pattern for name, pattern in TOKEN_SHAPES if "JSON Web Token" in name)
_JWT_RUN = lazy_compile(r"[A-Za-z0-9_\-]+")
_WORD_START = lazy_compile(r"\b")


def _shape_matches(text: str) -> Iterator[tuple[str, re.Match[str]]]:
    """(name, match) of every token shape in ``text``, shape by shape; a shape whose required
    strings are all absent is passed over after a C scan for each (a 700-character message,
    most of them, goes through all sixteen in a few microseconds); the JWT shape goes through
    :func:`_jwt_matches` (linear)."""
    if len(text) <= _SHORT and _ANY_NEEDED.search(text) is None:
        return
    for name, pattern, gate, needed in _SHAPES:
        if gate not in text or (len(needed) > 1 and not any(n in text for n in needed)):
            continue
        for match in _jwt_matches(text) if pattern is _JWT else pattern.finditer(text):
            yield name, match


def _sre_parse() -> tuple[Any, Any]:
    """Python's regex parser and its op codes (moved in 3.11)."""
    try:
        import re._constants as codes  # type: ignore[import-not-found,unused-ignore]
        import re._parser as parser  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # pragma: no cover - Python 3.10
        import sre_constants as codes  # type: ignore[no-redef,unused-ignore]
        import sre_parse as parser  # type: ignore[no-redef,unused-ignore]
    return parser, codes


def regex_width(pattern: str) -> int:
    """The most characters a match of ``pattern`` can take."""
    parser, _ = _sre_parse()
    return int(parser.parse(pattern).getwidth()[1])


def last_characters(pattern: str) -> str | None:
    """The characters a match of ``pattern`` can end with, as written (before any case
    folding), or None when the pattern is not made of plain words, alternations of them and
    lookarounds only."""
    parser, codes = _sre_parse()

    def last(items: Any) -> set[int] | None:
        for op, arg in reversed(list(items)):
            if op in (codes.ASSERT, codes.ASSERT_NOT, codes.AT):
                continue  # takes no character
            if op is codes.LITERAL:
                return {arg}
            if op is codes.SUBPATTERN:
                return last(arg[-1])
            if op is codes.BRANCH:
                found = [last(alt) for alt in arg[1]]
                return None if None in found else set().union(*found)  # type: ignore[arg-type]
            if op is codes.IN and all(o is codes.LITERAL for o, _ in arg):
                return {c for _, c in arg}
            return None
        return None

    found = last(parser.parse(pattern))
    return None if found is None else "".join(sorted(map(chr, found)))


_MAX_NEEDED = 16  # alternatives one pattern's prefilter may look for


def _required_literals(pattern: re.Pattern[str]) -> tuple[str, ...]:
    """Strings one of which every match contains: the longest run of the pattern's top level
    made of plain characters, small classes (``[rsp]``) and alternations of plain words
    (``(?:AKIA|ASIA)``), spelled out; () when there is none to look for. What each row of
    ``_TOKEN_TABLE`` lists (tests/test_secretscan.py holds the table to it)."""
    parser, codes = _sre_parse()
    if pattern.flags & re.IGNORECASE:
        return ()
    best: set[str] = set()
    run = {""}
    for op, arg in parser.parse(pattern.pattern, pattern.flags):
        pieces = _plain_pieces(op, arg, codes)
        if op is codes.AT:  # \b takes no character: the run goes on around it
            continue
        run = {r + p for r in run for p in pieces} if pieces else {""}
        if len(run) > _MAX_NEEDED:
            run = {""}
        if min(map(len, run)) > min(map(len, best), default=0):
            best = run
    return tuple(sorted(best))


def _plain_pieces(op: Any, arg: Any, codes: Any) -> list[str]:
    """The strings one top-level item matches, when it matches only a few plain ones."""
    if op is codes.LITERAL:
        return [chr(arg)]
    if op is codes.IN and all(o is codes.LITERAL for o, _ in arg):
        return [chr(c) for _, c in arg]
    if op is codes.BRANCH:
        words = [[a for o, a in alt] for alt in arg[1] if all(o is codes.LITERAL for o, _ in alt)]
        if len(words) == len(arg[1]):
            return ["".join(map(chr, word)) for word in words]
    return []


def _common_part(strings: tuple[str, ...]) -> str:
    """The longest string all of ``strings`` contain ("k_" of "sk_live_" and "rk_test_")."""
    if not strings:
        return ""
    first = min(strings, key=len)
    for size in range(len(first), 0, -1):
        for at in range(len(first) - size + 1):
            part = first[at : at + size]
            if all(part in s for s in strings):
                return part
    return ""


# (name, pattern, a string every match contains, strings one of which every match contains)
_SHAPES = tuple(
    (name, pattern, _common_part(needed), needed)
    for (name, pattern), (*_, needed) in zip(TOKEN_SHAPES, _TOKEN_TABLE, strict=True)
)
# When every shape has some, a text holding none of them holds no token. Below about this
# length one regex over all of them beats sixteen rounds of C scans (0.1 us against 4 us for
# a variable name); above it, its try at each character costs more than the scans do.
_ANY_NEEDED = re.compile("|".join(re.escape(n) for *_, needed in _SHAPES for n in needed))
_SHORT = 256 if all(needed for *_, needed in _SHAPES) else -1


def _jwt_matches(text: str) -> Iterator[re.Match[str]]:
    """The JWT shape's matches, as its finditer gives them, in linear time.

    Searched plainly, ``eyJ-eyJ-eyJ-…`` without a dot retries at every ``eyJ`` and scans the
    rest of the run each time. All starts inside one run of ``[A-Za-z0-9_-]`` end the same way
    (the run is read to its end first), so one real attempt per run decides for all of them.
    """
    if "eyJ" not in text:  # every match starts so: most texts are done in one C scan
        return
    done = 0
    for run in _JWT_RUN.finditer(text):
        if run.end() <= done:
            continue
        at = text.find("eyJ", max(run.start(), done), run.end())
        while at >= 0:
            match = _JWT.match(text, at)
            if match is not None:
                yield match
                done = match.end()
                break
            if _WORD_START.match(text, at):  # a real attempt failed: so do the later ones
                break
            at = text.find("eyJ", at + 1, run.end())


def token_shape(value: str) -> str | None:
    """The description of the first known token shape in ``value``, or None."""
    for name, match in _shape_matches(value):
        if not _placeholder_body(match.group("body")):
            return name
    return None


_KEY_BLOCK = lazy_compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*-----|\Z)", re.S
)
_BEGIN = "-----BEGIN "  # every key block starts so: most texts need no regex


def token_spans(text: str) -> list[tuple[int, int]]:
    """Where known token shapes occur in ``text`` (for scrubbing any output).

    A private key spans from its BEGIN line to its END line (or the end of the text).
    """
    spans = [(m.start(), m.end()) for m in _KEY_BLOCK.finditer(text)] if _BEGIN in text else []
    for _, match in _shape_matches(text):
        if match.end() > match.start() and not _placeholder_body(match.group("body")):
            spans.append((match.start(), match.end()))
    return spans


# k distinct characters carry at most log2(k) bits each: a run with fewer than these cannot
# pass the limits (names, words, numbers: most runs), so its entropy is not computed.
_BASE64_DISTINCT = math.floor(2**BASE64_LIMIT) + 1  # 23
_HEX_DISTINCT = math.floor(2**HEX_LIMIT) + 1  # 9


def high_entropy(value: str) -> str | None:
    """A description of the first run that passes detect-secrets' entropy limits, or None."""
    for run in _BASE64_RUN.findall(value):
        if len(set(run)) < _BASE64_DISTINCT:
            continue
        entropy = shannon_entropy(run, BASE64_CHARSET)
        if entropy > BASE64_LIMIT:
            return (
                f"a random-looking base64 string ({len(run)} characters, entropy "
                f"{entropy:.2f} > {BASE64_LIMIT})"
            )
    for run in _HEX_RUN.findall(value):
        if len(set(run)) < _HEX_DISTINCT:
            continue
        entropy = hex_entropy(run)
        if entropy > HEX_LIMIT:
            return (
                f"a random-looking hex string ({len(run)} characters, entropy "
                f"{entropy:.2f} > {HEX_LIMIT})"
            )
    return None


def is_loopback(host: str | None) -> bool:
    """``localhost``, ``*.localhost`` (RFC 6761), 127.0.0.0/8, ``::1``, and 0.0.0.0 (binds locally)."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _split_url(value: str) -> SplitResult | None:
    if "://" not in value:
        return None
    try:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return None
    return parts if parts.scheme and parts.netloc else None


def allowance(value: str | None) -> str | None:
    """Why ``value`` is safe to keep in a repository whatever its name, or None.

    Empty, an obvious placeholder, a well-known local-development credential, or a URL whose
    only credential is a placeholder, a local default, or good on a loopback host only.
    """
    if value is None or not value.strip():
        return "empty"
    if is_placeholder(value):
        return "a placeholder"
    if is_local_default(value):
        return "a well-known local-development default"
    url = _split_url(value)
    if url is not None and url.password is not None:
        password = url.password
        if is_loopback(url.hostname):
            return "local-development credentials on a loopback host"
        if is_placeholder(password) or is_local_default(password):
            return "a URL whose password is a placeholder or a local default"
    return None


@functools.cache
def scan(value: str | None) -> Suspicion | None:
    """Does ``value`` look like a real credential? None when it is allowed or looks harmless.

    Memoised: several rules ask about the same value, and the token shapes' regexes over a
    10 MB value took seconds each time. Unbounded, and emptied when the next run starts (engine.check):
    256 entries held a 1,000-var repository's values but not a 5,000-var one's, where 15
    times as many values were scanned again."""
    allowed = allowance(value)
    if value is None or allowed in ("empty", "a placeholder"):
        return None
    shape = token_shape(value)  # a token is real even as the password of a local URL
    if shape is not None:
        return Suspicion("token", f"it has the shape of {shape}")
    if allowed is not None:
        return None
    url = _split_url(value)
    if url is not None and url.password is not None:
        return Suspicion(
            "url-password", f"it is a URL with a password for the non-local host {url.hostname}"
        )
    if url is not None:
        # Scheme and host are public; a token hides in a path segment, the query or fragment.
        value = " ".join((*url.path.split("/"), url.query, url.fragment))
    entropy = high_entropy(value)
    if entropy is not None:
        return Suspicion("entropy", f"it is {entropy}")
    return None


def looks_real(value: str | None) -> bool:
    return scan(value) is not None
