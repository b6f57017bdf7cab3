"""Issue 14 C2 at 100,000 variables: the shortcuts that made it linear find exactly what the
plain regexes they replace found (``python -m benchmarks.hostile_scale`` measures the rest)."""

from __future__ import annotations

import fnmatch
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_envssot import redact, secretscan
from pytest_envssot.readers.example import parse_example
from pytest_envssot.readers.mentions import _Matcher

# Pieces that make the scrubber's keys, their lookarounds and near misses likely.
KV_PIECES = (
    "password", "PASSWORD", "pa\u017f\u017fword", "sslpassword", "pwd", "secret", "client_secret",
    "api_key", "apikey", "key", "token", "access_token", "auth", "sig", "signature", "x",
    "_", "1", "=", " ", "\t", "\n", "?", "&", ";", "'", '"', "{", "\u212a", "\u0130", "\u00e9", "aaaa",
)  # fmt: skip


@given(st.lists(st.sampled_from(KV_PIECES), max_size=14), st.integers(0, 5))
@settings(max_examples=1500, deadline=None)
def test_key_value_search_finds_what_the_regex_finds(pieces: list[str], pos: int) -> None:
    text = "".join(pieces)
    expected = redact._KV_START.search(text, pos)
    found = redact._next_key(text, pos)
    assert (found and (found.span(), found.lastgroup)) == (
        expected and (expected.span(), expected.lastgroup)
    )


def test_key_value_search_is_not_fooled_by_long_runs() -> None:
    """Thousands of '=' or key-like words: the same match from every position."""
    text = "=" * 3000 + "a=" * 1000 + "xpassword=1 " * 300 + "&token=t " * 300 + "pwd=2"
    for pos in range(0, len(text), 37):
        expected = redact._KV_START.search(text, pos)
        found = redact._next_key(text, pos)
        assert (found and found.span()) == (expected and expected.span())


@pytest.mark.parametrize(
    ("name", "pattern"), [(name, re.compile(p.pattern)) for name, p in secretscan.TOKEN_SHAPES]
)
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_token_prefilter_keeps_every_match(
    name: str, pattern: re.Pattern[str], data: st.DataObject
) -> None:
    """A text the shape matches always holds what the prefilter looks for."""
    text = data.draw(st.from_regex(pattern))
    gate, needed = next((g, n) for s, _, g, n in secretscan._SHAPES if s == name)
    assert gate in text
    assert any(n in text for n in needed)
    if len(text) <= secretscan._SHORT:
        assert secretscan._ANY_NEEDED.search(text)


def test_name_patterns_match_as_fnmatch_does() -> None:
    patterns = (*redact.DEFAULT_SECRET_NAMES, "MY_[AB]?", "*.KEY")
    names = ["KEY_1", "DB_PASSWORD", "api_key", "x_token_y", "MY_A1", "MY_C1", "a.key", "a\nb_KEY"]
    for name in names:
        expected = any(fnmatch.fnmatchcase(name.upper(), p.upper()) for p in patterns)
        assert redact.is_secret_name(name, patterns) is expected
        decisive = [p for p in patterns if p not in redact.AMBIGUOUS_SECRET_NAMES]
        expected = any(fnmatch.fnmatchcase(name.upper(), p.upper()) for p in decisive)
        assert redact.is_decisive_secret_name(name, patterns) is expected
    assert not redact.is_secret_name("DB_PASSWORD", ())


@given(
    st.lists(st.text("*?[]!AB_.\n", max_size=5), max_size=4),
    st.text("AB_.\n*?[]", max_size=6),
    st.booleans(),
)
@settings(max_examples=1500, deadline=None)
def test_name_matcher_is_fnmatch_over_any_patterns(
    patterns: list[str], name: str, upper: bool
) -> None:
    """The string tests that stand in for most patterns agree with fnmatch on every one."""
    expected = any(fnmatch.fnmatchcase(name, p.upper() if upper else p) for p in patterns)
    assert redact.fnmatch_any(tuple(patterns), upper=upper)(name) is expected


def test_mentions_match_as_the_alternation_does() -> None:
    """Word lookups find the same (name, start) pairs as ``(?<!\\w)(n1|n2|...)(?!\\w)``."""
    rng = random.Random(14)
    alphabet = "AB_.-1 \n$"
    for _ in range(3000):
        names = {"".join(rng.choices(alphabet[:6], k=rng.randint(1, 4))) for _ in range(5)}
        text = "".join(rng.choices(alphabet, k=rng.randint(0, 40)))
        regex = re.compile(
            r"(?<![A-Za-z0-9_])("
            + "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
            + r")(?![A-Za-z0-9_])"
        )
        expected = [(m.group(1), m.start()) for m in regex.finditer(text)]
        assert list(_Matcher(names).finditer(text)) == expected, (names, text)


def test_mentions_of_many_names_build_no_alternation() -> None:
    """100,000 orphan names: looked up word by word, no regex of them all (compiling one took
    seconds, and matching it a step per name at each character)."""
    matcher = _Matcher({f"KEY_{i:06d}" for i in range(100_000)} | {"my.var"})
    assert matcher.regex is None
    assert list(matcher.finditer("x = KEY_000007 + my.var")) == [("KEY_000007", 4), ("my.var", 17)]


def test_example_line_numbers_with_every_newline_spelling() -> None:
    """The reader counts dotenv's newlines itself (\\r\\n, \\n and a lone \\r are one each)."""
    text = "A=1\r\nB=2\rC=3\n\n\r\nD='x\r\ny'\nE=5\n"
    lines = {e.key: e.location.line for e in parse_example(text, ".env.example").entries}
    assert lines == {"A": 1, "B": 2, "C": 3, "D": 6, "E": 8}


SECRET = "s3cr3t-Value-9xQ"
SCRUB_PIECES = (
    SECRET, "\n", "\r", " ", "=", "&", "?", ";", "'", '"', "{", "}", "@", ":", "/", "_", "a", "1",
    "password=", "token=", "pwd=", "postgresql://app:", "https://u:p@", "host=db password=x",
    "ghp_" + "A1b2C3d4" * 5, "AKIAABCDEFGHIJKLMNOP", "sk-proj-" + "Ab1" * 10, "eyJhbGciOi.eyJzdWIi.",
    "xoxb-1234567890-abc", "***", "KEY_1", "Password=two words;", "-----END RSA KEY-----",
)  # fmt: skip


@given(st.lists(st.sampled_from(SCRUB_PIECES), max_size=24))
@settings(max_examples=1500, deadline=None)
def test_scrubbing_line_by_line_is_scrubbing_the_whole(pieces: list[str]) -> None:
    """Each line alone (and a line seen before from the cache) gives what the whole text did."""
    redactor = redact.Redactor([SECRET], ["KEY_1"])
    text = "".join(pieces)
    assert redactor.scrub(text) == redactor._scrub(text)
    assert redactor.scrub(text) == redactor._scrub(text)  # second time from the line cache


def test_a_secret_spanning_lines_is_scrubbed_whole() -> None:
    """A value with a newline, or a private-key block, is still masked across its lines."""
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"
    redactor = redact.Redactor(["line-one-secret\nline-two-secret"])
    for text in (f"x\n{pem}\ny", "a\nline-one-secret\nline-two-secret\nb"):
        shown = redactor.scrub(text)
        assert "MIIEvQ" not in shown and "line-two-secret" not in shown
        assert shown.startswith(text[:2])
