"""The round trip's value strategies draw exactly the declared language, and shapes share
verdicts only when they validate alike."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_envssot.pysettings.annotations import fingerprint
from pytest_envssot.pysettings.strategies import _domain_text, _sequence_text

SIMPLE = [
    "[a-z][a-z0-9.-]{0,62}",
    "[1-9][0-9]{0,5}",
    "[0-9]{1,4}\\.[0-9]{1,2}",
    "true|false",
    "DEBUG|INFO|WARNING|ERROR",
    "[A-Za-z0-9_-]{1,86}",
    "sk_[a-f0-9]{8}x?y*z+",
    "[]a]{2}",
    "(ab)+",
    "[a-z]{2}$",
    "a{,3}",
    "a+?",
    "[a|b]{2}|c",
    '\\[("https?://[a-z0-9.:-]+"(,"https?://[a-z0-9.:-]+")*)?\\]',
    "(?:x|yz){2,3}",
]
# Unicode classes, negation, flags, look-arounds, back-references: left to from_regex.
NOT_SIMPLE = ["\\d{3}-\\d{2}", "[^a]{2}", "[\\w]+", ".", "(?i)ab", "a(?=b)b", "(a)\\1", "a|^b"]


@pytest.mark.parametrize("pattern", SIMPLE)
def test_sequence_patterns_draw_full_matches_only(pattern: str) -> None:
    strategy = _sequence_text(pattern)
    assert strategy is not None

    @settings(max_examples=60, derandomize=True, database=None)
    @given(strategy)
    def draws(value: str) -> None:
        assert re.fullmatch(pattern, value), value

    draws()


@pytest.mark.parametrize("pattern", NOT_SIMPLE)
def test_other_patterns_are_left_to_from_regex(pattern: str) -> None:
    assert _sequence_text(pattern) is None


@pytest.mark.parametrize("pattern", NOT_SIMPLE[:4])
def test_from_regex_still_draws_the_others(pattern: str) -> None:
    @settings(max_examples=30, derandomize=True, database=None)
    @given(_domain_text("regex:" + pattern, 0, None))
    def draws(value: str) -> None:
        assert re.fullmatch(pattern, value), value

    draws()


def test_anchored_search_patterns_only_when_anchored_at_both_ends() -> None:
    assert _sequence_text("^[a-z]{2}$", anchored=True) is not None
    assert _sequence_text("[a-z]{2}", anchored=True) is None  # search: anything around it
    assert _sequence_text("^[a-z]{2}", anchored=True) is None


@given(st.data())
@settings(max_examples=30, derandomize=True, database=None)
def test_sequence_reaches_the_extremes(data: st.DataObject) -> None:
    strategy = _sequence_text("[ab]{0,3}")
    assert strategy is not None
    assert len(data.draw(strategy)) <= 3


def test_fingerprint_tells_types_apart_and_matches_equal_ones(tmp_path: Path) -> None:
    import enum

    from pydantic import AnyHttpUrl, BaseModel, Field, SecretStr

    class A(str, enum.Enum):
        X = "x"

    class B(str, enum.Enum):
        X = "y"

    class M(BaseModel):
        a: int = 1

    assert fingerprint(int) == fingerprint(int)
    assert fingerprint(typing.Annotated[int, Field(ge=1)]) == fingerprint(
        typing.Annotated[int, Field(ge=1)]
    )
    assert fingerprint(typing.Annotated[int, Field(ge=1)]) != fingerprint(
        typing.Annotated[int, Field(ge=0)]
    )
    assert fingerprint(A) != fingerprint(B)
    assert fingerprint(typing.Literal["1"]) != fingerprint(typing.Literal[1])
    assert fingerprint(AnyHttpUrl | None) == fingerprint(typing.Optional[AnyHttpUrl])  # noqa: UP045
    assert fingerprint(SecretStr) == "pydantic.types.SecretStr"
    assert fingerprint(M) is None  # a user's model: no sharing across files
    assert fingerprint(list[M]) is None
