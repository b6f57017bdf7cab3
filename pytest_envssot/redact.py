"""Secret classification and masking; every output path goes through here.

Masked values keep a short hash prefix (as detect-secrets keeps only hashes) so two
values can be told apart without either being shown. DSNs keep scheme, user, host and
database; only the password goes.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
import string
from collections.abc import Callable, Iterable, Iterator
from itertools import compress

from pytest_envssot.secretscan import token_spans

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
SECRET_TYPES = ("SecretStr", "SecretBytes")
# scheme://user:password@host — the password is the part we must never show. The scheme is
# found by scanning back from each "://" (see _url_passwords): one regex searched over a long
# run of letters retried the scheme at every letter, quadratic in the run's length.
_SCHEME_CHARS = frozenset(string.ascii_letters + string.digits + "+.-")
_URL_TAIL = re.compile(r"[^\s:/@]*:(?P<pw>[^\s@/]+)@")
MIN_SCRUB_LENGTH = (
    4  # shorter values would mangle ordinary words; classification masks them at source
)


def mask(value: str) -> str:
    """``***`` plus 6 hex of the value's SHA-256: distinguishable, not reversible in practice."""
    if value == "":
        return '""'
    return "***" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:6]


def _url_passwords(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of the password of every ``scheme://user:password@host``, left to right.

    The same matches as ``[A-Za-z][A-Za-z0-9+.-]*://[^\\s:/@]*:([^\\s@/]+)@`` searched over
    ``text``, in linear time: a scheme run ends at its "://", so each "://" is tried once.
    """
    done = 0  # end of the previous match: matches never overlap
    sep = text.find("://")
    while sep >= 0:
        start = sep
        while start > done and text[start - 1] in _SCHEME_CHARS:
            start -= 1
        has_scheme = any(ch.isascii() and ch.isalpha() for ch in text[start:sep])
        found = _URL_TAIL.match(text, sep + 3) if has_scheme else None
        if found is not None:
            yield found.start("pw"), found.end("pw")
            done = found.end()
        sep = text.find("://", max(sep + 1, done))


def has_url_password(value: str) -> bool:
    return next(_url_passwords(value), None) is not None


def mask_url_passwords(text: str) -> str:
    """Replace only the password of every ``scheme://user:password@host`` in ``text``."""
    parts: list[str] = []
    last = 0
    for start, end in _url_passwords(text):
        parts += [text[last:start], mask(text[start:end])]
        last = end
    return "".join(parts) + text[last:] if parts else text


def is_secret_name(name: str, patterns: Iterable[str] = DEFAULT_SECRET_NAMES) -> bool:
    """``name`` matches a secret-name pattern (fnmatch, case-insensitive)."""
    upper = name.upper()
    return any(fnmatch.fnmatchcase(upper, p.upper()) for p in patterns)


def is_secret_type(annotation: str) -> bool:
    return any(t in annotation for t in SECRET_TYPES)


def show(value: str | None, secret: bool) -> str:
    """A value as it may appear in output."""
    if value is None:
        return "<unset>"
    if secret:
        return mask_url_passwords(value) if has_url_password(value) else mask(value)
    return mask_url_passwords(value)


_MAX_PATTERN_VALUE = 1024


class Redactor:
    """Last line of defence: scrubs secrets out of any text before it is output.

    Three passes: every known secret value (longest first), every known token shape
    (``ghp_…``, ``AKIA…``, JWTs, private key headers: whatever their source), and the
    password of every URL. Apply it to any text: ``redactor(text)`` or ``redactor.scrub(text)``;
    ``redactor.with_values(more)`` adds values found later (e.g. generated examples).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {s for s in secrets if len(s) >= MIN_SCRUB_LENGTH}
        # Longest first so a secret containing another is replaced whole.
        self._values = sorted(values, key=len, reverse=True)
        # A megabyte-long value is replaced as a plain string (it is among the longest, so it
        # goes first either way); the rest are found by one scan (see _ValueMatcher).
        self._long = [v for v in self._values if len(v) > _MAX_PATTERN_VALUE]
        self._matcher = _ValueMatcher(v for v in self._values if len(v) <= _MAX_PATTERN_VALUE)

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(self._values)

    def with_values(self, secrets: Iterable[str]) -> Redactor:
        """A redactor that also scrubs ``secrets``."""
        return Redactor((*self._values, *secrets))

    def scrub(self, text: str) -> str:

        for value in self._long:
            if value in text:
                text = text.replace(value, mask(value))
        text = self._matcher.sub(text, mask)
        spans = token_spans(text)
        if spans:
            text = _replace_spans(text, spans)
        return mask_url_passwords(text)

    __call__ = scrub


class _ValueMatcher:
    """The matches of the alternation ``v1|v2|...`` (values longest first) that ``re.sub``
    would replace, found in time linear in the values and the text.

    Compiling that regex cost ~1 us per character: 2 s for the 25,000 values of a 50,000-var
    render, before a single line was scrubbed. Here each value is filed under its first
    :data:`MIN_SCRUB_LENGTH` characters (every value has that many) and its length; a scan
    looks each position's head up and, as the regex does, takes the longest value starting
    there (one set lookup per distinct length, however many values share the head: URLs all
    start with ``http``), then goes on after it.
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

    def sub(self, text: str, replace: Callable[[str], str]) -> str:
        heads = self._by_head
        if not heads:
            return text
        # Every position's head looked up without a Python step per character: the slices,
        # substrings and lookups are made by map() and picked by compress(), all in C.
        width, n = MIN_SCRUB_LENGTH, len(text)
        starts = map(slice, range(n), range(width, n + width))
        found = map(heads.__contains__, map(text.__getitem__, starts))
        parts: list[str] = []
        done = 0  # end of the last replaced value: matches never overlap
        for i in compress(range(n - width + 1), found):
            if i < done:
                continue
            for length, values in heads[text[i : i + width]]:
                if text[i : i + length] in values:
                    parts += [text[done:i], replace(text[i : i + length])]
                    done = i + length
                    break
        return "".join(parts) + text[done:] if parts else text


def _replace_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """Mask each span (overlapping spans merged) from the end so offsets stay valid."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    for start, end in reversed(merged):
        text = text[:start] + mask(text[start:end]) + text[end:]
    return text
