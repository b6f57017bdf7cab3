"""Secret classification and masking; every output path goes through here.

A masked value is ``***``; a value with enough entropy that a hash cannot be brute-forced
keeps 6 hex of an HMAC under a per-user key kept outside any repository (:mod:`maskkey`), so
two values can be told apart between one user's runs without either being shown. A 6-digit PIN
gets no hash at all. DSNs (URLs, libpq ``key=value`` strings, ADO/JDBC ``Password=...;``) keep
everything but the password.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import math
import re
import string
from collections.abc import Callable, Iterable, Iterator
from itertools import compress
from urllib.parse import quote, unquote, urlsplit

from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.secretscan import (
    high_entropy,
    last_characters,
    regex_width,
    scan,
    token_shape,
    token_spans,
)

DEFAULT_SECRET_NAMES = (
    "*_KEY",
    "*_SECRET",
    "*SECRET_*",
    "*TOKEN*",
    "*PASSWORD*",
    "*PASSWD*",
    "*_DSN",
    "*CREDENTIALS*",
    "*PRIVATE*",
    "*_PASS",
)
# The default patterns that also match plain settings (TOKEN_ALGORITHM, COOKIE_REFRESH_TOKEN_KEY,
# ACCESS_TOKEN_EXPIRE_MINUTES): a name matching only these is secret unless its values show it
# is not (:meth:`Index.is_secret`). Every other pattern, configured ones included, is decisive.
AMBIGUOUS_SECRET_NAMES = ("*_KEY", "*TOKEN*")
SECRET_TYPES = ("SecretStr", "SecretBytes")
# scheme://user:password@host — the password is the part we must never show. The scheme is
# found by scanning back from each "://" (see _url_passwords): one regex searched over a long
# run of letters retried the scheme at every letter, quadratic in the run's length.
_SCHEME_CHARS = frozenset(string.ascii_letters + string.digits + "+.-")
# A URL ends at blanks and quotes; its password runs to the LAST '@' before that (an unencoded
# '@' or '/' in a password must not turn the rest of the password into a "host").
_URL_RUN_END = re.compile(r"""[\s"'<>`]""")
_URL_USER = re.compile(r"[^\s:/@\"'<>`]*:")
MIN_SCRUB_LENGTH = (
    4  # shorter values would mangle ordinary words; classification masks them at source
)
# Below this many bits of guessable entropy a hash, however keyed, only helps a brute force.
MIN_HASH_BITS = 64
_ALREADY_MASKED = lazy_compile(r'\*\*\*[0-9a-f]{0,6}|""|<unset>')


def mask(value: str) -> str:
    """``***``, plus 6 hex of a keyed hash when ``value`` is too random to brute-force."""
    if value == "":
        return '""'
    if guess_bits(value) < MIN_HASH_BITS:
        return "***"
    # Imported here: a run with no value worth a hash (most) needs neither hmac nor the key.
    import hashlib
    import hmac

    from pytest_envssot.maskkey import mask_key

    data = value.encode("utf-8", "surrogatepass")
    return "***" + hmac.new(mask_key(), data, hashlib.sha256).hexdigest()[:6]


def guess_bits(value: str) -> float:
    """An upper bound on the bits a brute force needs: length times log2 of the alphabet the
    character classes used span (10 digits, 26 lower, 26 upper, 33 punctuation, others)."""
    pool = 0
    kinds = (str.isdigit, str.islower, str.isupper)
    for ch_kind, size in zip(kinds, (10, 26, 26), strict=True):
        if any(ch.isascii() and ch_kind(ch) for ch in value):
            pool += size
    if any(ch.isascii() and not ch.isalnum() for ch in value):
        pool += 33
    if any(not ch.isascii() for ch in value):
        pool += 1000
    distinct = len(set(value))
    if distinct < 4:  # aaaa…, 1212…: as guessable as its few characters
        pool = min(pool, distinct)
    return len(value) * math.log2(pool) if pool > 1 else 0.0


def _masked_already(text: str) -> bool:
    return _ALREADY_MASKED.fullmatch(text) is not None


def _url_passwords(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the password of every ``scheme://user:password@host``, left to right.

    A URL runs to the first blank or quote; its password from the first ':' after the user to
    the last '@' of that run. Linear: each "://" is tried once, and a match skips past its '@'.
    """
    done = 0  # end of the previous match: matches never overlap
    stop, last_at = -1, -1  # the current run's end and its last '@', found once per run
    sep = text.find("://")
    while sep >= 0:
        start = sep
        while start > done and text[start - 1] in _SCHEME_CHARS:
            start -= 1
        has_scheme = any(ch.isascii() and ch.isalpha() for ch in text[start:sep])
        user = _URL_USER.match(text, sep + 3) if has_scheme else None
        if user is not None:
            if stop < user.end():
                run_end = _URL_RUN_END.search(text, user.end())
                stop = run_end.start() if run_end else len(text)
                last_at = text.rfind("@", user.end(), stop)
            if last_at > user.end():
                if not _REFERENCE.fullmatch(text[user.end() : last_at]):
                    yield user.end(), last_at
                done = last_at + 1
        sep = text.find("://", max(sep + 1, done))


def has_url_password(value: str) -> bool:
    return next(_url_passwords(value), None) is not None


def mask_url_passwords(text: str) -> str:
    """Replace only the password of every ``scheme://user:password@host`` in ``text``."""
    return _mask_spans(text, list(_url_passwords(text)))


# libpq ``password='two words'``, ADO/JDBC ``Password=two words;``, ODBC ``PWD={a;b}``, and
# ``?password=…&token=…`` in query strings. A key ends the name it is part of
# (``SMTP_PASSWORD=`` counts, ``PASSWORD_HASHERS=`` does not).
_KV_KEY = (
    r"(?i:(?<![A-Za-z0-9])(?:ssl)?(?:password|passwd|passphrase|pwd|secret)"
    r"|(?<![A-Za-z0-9])(?:access_token|auth_token|api_key|client_secret))"
)
# In a query string a value ends at '&', '#' or a blank: `?token=…&x=1 more prose`.
_QUERY_KEY = (
    r"(?i:(?<=[?&])(?:access_?token|auth_?token|token|api_?key|apikey|key|sig|signature|auth))"
)
# No blank before '=': `POSTGRES_PASSWORD = "token_urlsafe"` is a TOML setting in a hint.
_KV_START = lazy_compile(rf"(?P<kv>{_KV_KEY})=[^\S\r\n]*|(?P<query>{_QUERY_KEY})=")


@functools.cache
def _key_ends() -> tuple[re.Pattern[str], int]:
    """The letters a key ends with, matched as the keys are (case-insensitive, so that any
    letter the regex folds onto one is one too; any letter when they cannot be told), and the
    longest key either alternative takes before its '=' (the lookbehinds take no width).
    Worked out from the regexes when first needed: a text without '=' never needs them."""
    ends = [last_characters(key) for key in (_KV_KEY, _QUERY_KEY)]
    last = re.compile(
        f"(?i:[{re.escape(''.join(ends))}])"  # type: ignore[arg-type]
        if None not in ends
        else r"[^\W\d]"
    )
    return last, max(regex_width(key) for key in (_KV_KEY, _QUERY_KEY))


_QUERY_VALUE = lazy_compile(r"[^&#\s\"'<>]*")
_SEGMENT_END = lazy_compile(r"[;&\r\n]")
_WORD = lazy_compile(r"\s+[^\s=;&]+")
_EQUALS_AFTER = lazy_compile(r"\s*=")
_REFERENCE = lazy_compile(
    r"\{\{.*|\$\{[A-Za-z_][A-Za-z0-9_]*\}|\$[A-Z_][A-Z0-9_]*"
    r"|%[-+# 0]*\d*(?:\.\d+)?[sqv]"  # a printf verb: `printf "postgresql://app:%s@db"`
)


def _kv_passwords(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the value of every ``password=…``-like key, left to right, in linear
    time: quoted (libpq ``'…'`` with ``\'`` or ``''``, ``"…"``, ODBC ``{…}``), or unquoted to
    ``;`` ``&`` or the line's end, or to the next blank-separated ``key=`` (libpq)."""
    pos, segment_end = 0, -1
    while (found := _next_key(text, pos)) is not None:
        start = found.end()
        if found.group("query") is not None:
            value = _QUERY_VALUE.match(text, start)
            end = value.end() if value else start
        elif start < len(text) and text[start] in "'\"{":
            end = _closing(text, start)
        else:
            if segment_end < start:
                stop = _SEGMENT_END.search(text, start)
                segment_end = stop.start() if stop else len(text)
            end = segment_end
            for word in _WORD.finditer(text, start, segment_end):
                if _EQUALS_AFTER.match(text, word.end(), segment_end):
                    end = word.start()
                    break
            while end > start and text[end - 1].isspace():
                end -= 1
        pos = max(end, start, found.start() + 1)
        value_text = text[start:end]
        inner = value_text[1:-1] if value_text[:1] in "'\"{" else value_text
        shown = _ALREADY_MASKED.match(inner)  # `PASSWORD=*** and more prose`: done already
        if shown and inner[shown.end() :][:1] in ("", " ", "\t"):
            continue
        # `PASSWORD={{ .Data.data.PASSWORD }}`, `${DB_PASSWORD}`: where a value comes from, not
        # one (a template line or a fix must stay readable)
        if text.startswith("{{", start) or _REFERENCE.fullmatch(inner.strip()):
            continue
        if inner.strip():
            yield start, end


def _next_key(text: str, pos: int) -> re.Match[str] | None:
    """``_KV_START.search(text, pos)``, tried only where a match can start: a key is letters and
    '_' and ends at the first '=' after it, so only the letters just before each '=' can begin
    one. Searched plainly, the regex tried its case-insensitive keys at every character: 0.17 us
    each, most of the time a 700-character message took to scrub."""
    floor, eq = pos, text.find("=", pos)
    if eq < 0:
        return None
    key_last, key_width = _key_ends()
    while eq >= 0:
        # Searched up to the '=' only (the lookbehinds still see before the window), then
        # matched again in full: the blanks after '=' belong to the match.
        if eq > floor and key_last.match(text, eq - 1):
            found = _KV_START.search(text, max(floor, eq - key_width), eq + 1)
            if found is not None:
                return _KV_START.match(text, found.start())
        floor, eq = eq + 1, text.find("=", eq + 1)
    return None


def _closing(text: str, start: int) -> int:
    """The end of the quoted value at ``start``; an unclosed one runs to the line's end."""
    quote = "}" if text[start] == "{" else text[start]
    at = start + 1
    while at < len(text):
        ch = text[at]
        if ch in "\r\n":
            return at
        if ch == "\\" and quote != "}":
            at += 2
            continue
        if ch == quote:
            if text[at + 1 : at + 2] == quote:  # '' "" }} inside: one literal quote
                at += 2
                continue
            return at + 1
        at += 1
    return len(text)


def credential_spans(text: str) -> list[tuple[int, int]]:
    """Where the passwords of URLs and of ``key=value`` connection strings are in ``text``."""
    spans = [(s, e) for s, e in _url_passwords(text) if not _masked_already(text[s:e])]
    return spans + list(_kv_passwords(text))


def mask_credentials(text: str) -> str:
    """``text`` with every URL and connection-string password masked, the rest kept."""
    return _mask_spans(text, credential_spans(text))


def connection_secrets(value: str) -> list[str]:
    """The passwords a connection string carries, as written and unquoted (for a scrubber)."""
    found: list[str] = []
    for start, end in credential_spans(value):
        raw = value[start:end]
        found.append(raw)
        if raw[:1] in "'\"{" and len(raw) >= 2:
            inner = raw[1:-1]
            found += [inner, re.sub(r"\\(.)", r"\1", inner), inner.replace(raw[0] * 2, raw[0])]
        found.append(unquote(raw))
    # A client that splits the string otherwise quotes a piece (libpq: `missing "=" after
    # "words"` for an unquoted `Password=two words`): every piece is scrubbed too.
    found += [piece for s in list(found) for piece in re.split(r"[\s;'\"{}]+", s)]
    return [s for s in dict.fromkeys(found) if len(s) >= MIN_SCRUB_LENGTH]


def is_secret_name(name: str, patterns: Iterable[str] = DEFAULT_SECRET_NAMES) -> bool:
    """``name`` matches a secret-name pattern (fnmatch, case-insensitive)."""
    return fnmatch_any(tuple(patterns), upper=True)(name.upper())


def is_decisive_secret_name(name: str, patterns: Iterable[str] = DEFAULT_SECRET_NAMES) -> bool:
    """``name`` matches a pattern that settles it whatever the value (``*PASSWORD*``, any
    configured one), not only the ambiguous ``*_KEY``/``*TOKEN*``."""
    decisive = tuple(p for p in patterns if p not in AMBIGUOUS_SECRET_NAMES)
    return fnmatch_any(decisive, upper=True)(name.upper())


@functools.lru_cache(maxsize=64)
def fnmatch_any(patterns: tuple[str, ...], upper: bool = False) -> Callable[[str], bool]:
    """``lambda name: any(fnmatchcase(name, p) for p in patterns)`` (each pattern upper-cased
    first with ``upper``), without a call per pattern: asked for every variable, that cost
    more than the rest of the classification.

    A pattern that is a name with ``*`` at either end or none (``*_KEY``, ``*TOKEN*``,
    ``DOKPLOY_*``, ``VAULT_ADDR``: all the defaults) is a string test; only the others are
    compiled, into one regex of what ``fnmatchcase`` compiles each into (compiling the
    defaults cost ~2 ms a run)."""
    exact: set[str] = set()
    prefixes: list[str] = []
    suffixes: list[str] = []
    infixes: list[str] = []
    others: list[str] = []
    for pattern in patterns:
        pattern = pattern.upper() if upper else pattern
        core = pattern.strip("*")
        if any(special in core for special in "*?["):
            others.append(pattern)
        elif len(pattern) >= 2 and pattern[0] == pattern[-1] == "*":
            infixes.append(core)
        elif pattern.startswith("*"):
            suffixes.append(core)
        elif pattern.endswith("*"):
            prefixes.append(core)
        else:
            exact.add(pattern)
    regex = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in others)) if others else None
    starts, ends = tuple(prefixes), tuple(suffixes)

    def matches(name: str) -> bool:
        return (
            name in exact
            or name.startswith(starts)
            or name.endswith(ends)
            or any(infix in name for infix in infixes)
            or (regex is not None and regex.match(name) is not None)
        )

    return matches


def is_secret_type(annotation: str) -> bool:
    return any(t in annotation for t in SECRET_TYPES)


# --------------------------------------------------------------------------- what may be shown

_NUMBER = re.compile(r"[+-]?(?:\d{1,13}(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,3})?")
_BOOLEAN = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null"})
_IDENTIFIER = re.compile(r"[A-Za-z0-9/][A-Za-z0-9_.:/-]{0,63}")
_WORD = re.compile(r"[A-Za-z]+\d*[A-Za-z]?|\d+")
_CASE_FLIP = re.compile(r"[a-z][A-Z]|[A-Z][a-z]")


def _word_like(part: str) -> bool:
    """``production``, ``HS256``, ``gpt4o``, ``RequestID``: words, not ``a8F3kQ9zL2``."""
    return _WORD.fullmatch(part) is not None and len(_CASE_FLIP.findall(part)) <= 3


def looks_public(value: str) -> bool:
    """A number, a boolean, a short identifier, a URL without userinfo, or a list of those:
    what a setting that is no credential holds. ``production``, ``900``, ``HS256``,
    ``app:token``, ``X-Request-ID``, ``https://api.example.com/v1``, ``["bcrypt"]``."""
    text = value.strip()
    if not text or text.lower() in _BOOLEAN or _NUMBER.fullmatch(text):
        return True
    if token_shape(text) is not None or high_entropy(text) is not None:
        return False
    if text[:1] in "[{":
        return _public_json(text)
    if "," in text:
        return all(looks_public(item) for item in text.split(",") if item.strip())
    if "://" in text:
        return _public_url(text)
    if _IDENTIFIER.fullmatch(text) is None:
        return False
    return all(_word_like(p) for p in re.split(r"[_.:/-]+", text) if p)


def _public_json(text: str) -> bool:
    try:
        data = json.loads(text)
    except ValueError:
        return False
    items = (
        data if isinstance(data, list) else list(data.values()) if isinstance(data, dict) else []
    )
    return len(items) <= 16 and all(
        isinstance(item, (int, float, bool)) or (isinstance(item, str) and looks_public(item))
        for item in items
    )


def _public_url(text: str) -> bool:
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    if not parts.scheme or "@" in parts.netloc or re.search(r"\s", text):
        return False
    return scan(text) is None and not list(_kv_passwords(text))


# A connection string shows all but its password; any other secret is masked whole.
_CONNECTION_KEYS = lazy_compile(
    r"(?i)(?:^|[\s;])(?:host|hostaddr|server|data source|dbname|database|user|user id|uid)\s*="
)


def show(value: str | None, secret: bool) -> str:
    """A value as it may appear in output.

    A secret is masked (a URL or connection string keeps all but its password); any other
    value is shown unless it looks like a credential itself.
    """
    if value is None:
        return "<unset>"
    if value == "":
        return '""'
    masked = mask_credentials(value)
    if secret or scan(value) is not None:
        connection = has_url_password(value) or _CONNECTION_KEYS.search(value) is not None
        if connection and masked != value and scan(masked) is None:
            return masked
        return mask(value)
    return masked


# --------------------------------------------------------------------------- the scrubber

_NAME_CHARS = frozenset(string.ascii_letters + string.digits + "_")


def spellings(value: str) -> set[str]:
    """``value`` as output may carry it: as is, JSON/repr/Go-%q escaped, URL-encoded, decoded."""
    quoted = quote(value, safe="")
    out = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        quoted,
        # quote_plus(value): the same but a blank is '+' (each '%' of ``quoted`` starts an
        # escape, so "%20" there is a blank); urllib's quoting per value was a fifth of
        # building a 10,000-var render's redactor
        quoted.replace("%20", "+"),
        unquote(value),
    }
    return {s for s in out if len(s) >= MIN_SCRUB_LENGTH}


class Redactor:
    """Last line of defence: scrubs secrets out of any text before it is output.

    Three passes: every known secret value in every spelling of :func:`spellings` (longest
    first), every known token shape (``ghp_…``, ``AKIA…``, JWTs, private key blocks: whatever
    their source), and the password of every URL and connection string. A value is never
    replaced inside one of ``names`` (variables, fields, files: ``OPENAI`` as a value leaves
    ``OPENAI_MODEL_KEY`` alone). Apply it to any text: ``redactor(text)`` or
    ``redactor.scrub(text)``; ``redactor.with_values(more)`` adds values found later.
    """

    def __init__(self, secrets: Iterable[str] = (), names: Iterable[str] = ()) -> None:
        self._secrets = {s for s in secrets if len(s) >= MIN_SCRUB_LENGTH}
        self._names = frozenset(n.upper() for n in names)
        values = {form for s in self._secrets for form in spellings(s)}
        # Longest first so a secret containing another is replaced whole.
        self._values = sorted(values, key=len, reverse=True)
        # Compiling a regex costs about a microsecond and a hundred bytes per character: a
        # megabyte-long value is replaced as a plain string instead (it is among the longest,
        # so it goes first either way).
        # One linear-time matcher over every spelling (a regex over 25,000 values took 2 s to
        # compile, and a megabyte-long value as much memory).
        self._matcher = _ValueMatcher(self._values)
        # Line by line when nothing the scrubber looks for can span lines (see scrub); the
        # lines every finding of a rule shares are then scrubbed once.
        self._lines_apart = not any("\n" in v for v in self._values)
        self._scrub_line = functools.lru_cache(maxsize=4096)(self._scrub)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(sorted(self._secrets, key=len, reverse=True))

    def with_values(self, secrets: Iterable[str]) -> Redactor:
        """A redactor that also scrubs ``secrets``."""
        return Redactor((*self._secrets, *secrets), self._names)

    def scrub(self, text: str) -> str:
        """``text`` with every secret masked.

        Only a private-key block (BEGIN to END) and a secret value holding a newline can
        span lines: every other shape, URL, ``key=value`` and name stops at a newline, and
        treats it as it treats the text's start or end. Without those two, each line is
        scrubbed alone, the same way, and a line seen before is not scrubbed again: most of
        a message is the same for every variable a rule fails (100,000 of them: 2.5 s)."""
        if self._lines_apart and "\n" in text and "-----BEGIN " not in text:
            return "\n".join(map(self._scrub_line, text.split("\n")))
        return self._scrub(text)

    def _scrub(self, text: str) -> str:
        if self._values:
            text = self._matcher.sub(text, self._replacement())
        spans = token_spans(text)
        if spans:
            text = _mask_spans(text, spans)
        return mask_credentials(text)

    __call__ = scrub

    def _replacement(self) -> Callable[[str, int, int], str]:
        """The mask for a match, unless the match is part of (or is) a known name.

        Matches come left to right: the name run around one is found once for all of them
        (``OPENAI_OPENAI_…`` stays linear)."""
        run = [-1, -1, False]  # start, end, is a known name

        def replace(text: str, start: int, end: int) -> str:
            if self._names:
                if start >= run[1]:
                    left, right = start, end
                    while left > 0 and text[left - 1] in _NAME_CHARS:
                        left -= 1
                    while right < len(text) and text[right] in _NAME_CHARS:
                        right += 1
                    run[:] = [left, right, text[left:right].upper() in self._names]
                if run[2]:
                    return text[start:end]
            return mask(text[start:end])

        return replace


class _ValueMatcher:
    """The matches of the alternation ``v1|v2|...`` (values longest first) that ``re.sub``
    would replace, found in time linear in the values and the text.

    Compiling that regex cost ~1 us per character: 2 s for the 25,000 values of a 50,000-var
    render, before a single line was scrubbed. Here each value is filed under its first
    :data:`MIN_SCRUB_LENGTH` characters (every value has that many) and its length; a scan
    looks each candidate position's head up and, as the regex does, takes the longest value
    starting there (one set lookup per distinct length, however many values share the head:
    URLs all start with ``http``), then goes on after it.
    """

    def __init__(self, values: Iterable[str]) -> None:
        grouped: dict[str, dict[int, set[str]]] = {}
        for value in values:
            grouped.setdefault(value[:MIN_SCRUB_LENGTH], {}).setdefault(len(value), set()).add(
                value
            )
        self._by_head = {
            head: tuple((n, frozenset(vs)) for n, vs in sorted(by_len.items(), reverse=True))
            for head, by_len in grouped.items()
        }
        # Candidate positions: each character of the head in the set of characters found at
        # that place in some head. One regex scan finds them where heads are few or alike;
        # a report of a million characters rarely holds any.
        classes = (
            "[" + "".join(map(re.escape, sorted({head[k] for head in grouped}))) + "]"
            for k in range(MIN_SCRUB_LENGTH)
        )
        first, *rest = classes
        self._candidates = re.compile(f"{first}(?={''.join(rest)})") if grouped else None

    def sub(self, text: str, replace: Callable[[str, int, int], str]) -> str:
        heads, width = self._by_head, MIN_SCRUB_LENGTH
        parts: list[str] = []
        done = 0  # end of the last replaced value: matches never overlap
        for i in self._positions(text):
            if i < done:
                continue
            for length, values in heads.get(text[i : i + width], ()):
                if text[i : i + length] in values:
                    parts += [text[done:i], replace(text, i, i + length)]
                    done = i + length
                    break
        return "".join(parts) + text[done:] if parts else text

    def _positions(self, text: str) -> Iterator[int]:
        """Candidate starts, left to right: the regex's, until they turn out dense (heads of
        thousands of random values span every letter), then every position whose head is
        known, looked up without a Python step per character."""
        if self._candidates is None:
            return
        for count, m in enumerate(self._candidates.finditer(text), 1):
            start = m.start()
            yield start
            if count >= 64 and count * 4 > start:  # a match object per 4 characters or less
                yield from self._known_heads(text, start + 1)
                return

    def _known_heads(self, text: str, begin: int) -> Iterator[int]:
        """Every position from ``begin`` whose head is known: the slices, substrings and
        lookups are made by map() and picked by compress(), all in C."""
        width, n = MIN_SCRUB_LENGTH, len(text)
        starts = map(slice, range(begin, n), range(begin + width, n + width))
        found = map(self._by_head.__contains__, map(text.__getitem__, starts))
        return compress(range(begin, n - width + 1), found)


def _mask_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """Mask each span (overlapping spans merged)."""
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    last = 0
    for start, end in merged:
        parts += [text[last:start], mask(text[start:end])]
        last = end
    return "".join(parts) + text[last:]
