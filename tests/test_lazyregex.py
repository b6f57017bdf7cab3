"""A pattern compiled on first use answers as ``re.compile`` would, and compiles no sooner."""

from __future__ import annotations

import re

import pytest

from pytest_envssot.lazyregex import lazy_compile

SOURCE = r"(?P<key>[a-z_]+)=(\d+)"
TEXT = "A=1 b_c=22 d=x\nE=3"


def test_a_lazy_pattern_answers_as_the_compiled_one() -> None:
    lazy, real = lazy_compile(SOURCE, re.I), re.compile(SOURCE, re.I)
    assert lazy.pattern == real.pattern
    assert (lazy.flags, lazy.groups, lazy.groupindex) == (real.flags, real.groups, real.groupindex)
    assert [m.groupdict() for m in lazy.finditer(TEXT)] == [
        m.groupdict() for m in real.finditer(TEXT)
    ]
    assert lazy.findall(TEXT) == real.findall(TEXT)
    assert lazy.sub("-", TEXT) == real.sub("-", TEXT)
    assert lazy.split(TEXT, maxsplit=1) == real.split(TEXT, maxsplit=1)
    for pos in range(len(TEXT)):
        found, expected = lazy.match(TEXT, pos), real.match(TEXT, pos)
        assert (found and found.span()) == (expected and expected.span())
    assert lazy.fullmatch("ab=12") is not None and lazy.search("no pair") is None


def test_nothing_is_compiled_before_the_first_use() -> None:
    broken = lazy_compile("(unclosed")  # compiling it raises
    assert broken.pattern == "(unclosed"
    with pytest.raises(re.error):
        broken.match("x")
