"""SettingsProbe without pydantic classes == SettingsProbe with the real ones.

The probe hands pydantic-settings' ``EnvSettingsSource`` a plain holder of a settings class's
config and fields, and validates through a ``TypeAdapter``, instead of building a
``BaseSettings`` subclass and a one-field model per field structure. What a rule reports rests on
``Checked``: here both ways run over many annotations, configs and texts and must agree exactly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import decimal
import enum
import ipaddress
import math
import pathlib
import typing
import uuid
from typing import Annotated, Any, Literal, Optional, Union

import pytest
import typing_extensions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import (
    AnyUrl,
    BaseModel,
    Field,
    HttpUrl,
    Json,
    PostgresDsn,
    RootModel,
    SecretStr,
    Strict,
    StrictBool,
    StrictInt,
    TypeAdapter,
    conint,
    constr,
)
from pydantic_settings import ForceDecode, NoDecode

from pytest_envssot.pysettings.annotations import Checked, ResolvedType, SettingsProbe


class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = 2


class Inner(BaseModel):
    host: str
    port: int = 5432


class Ports(RootModel[list[int]]):
    pass


SCALARS: list[Any] = [
    str, int, float, bool, bytes, decimal.Decimal, datetime.date, datetime.datetime,
    datetime.timedelta, uuid.UUID, pathlib.Path, SecretStr, ipaddress.IPv4Address, AnyUrl,
    HttpUrl, PostgresDsn, StrictBool, StrictInt, Color, Level, Mode, Inner, Ports,
    Literal["a", "b"], Literal[1, 2], Literal[True], Literal[Color.RED, 3], typing.Any,
    conint(ge=0, le=10), constr(pattern=r"^[A-Z]{3}$"), Json, Json[list[int]], type(None),
    Annotated[int, Field(ge=1, le=100)], Annotated[str, Field(min_length=2, max_length=5)],
    Annotated[float, Field(allow_inf_nan=False)], Annotated[int, Strict()],
    Annotated[str, Field(ge=1)],  # a constraint the type cannot take: TypeError at validation
    Annotated[decimal.Decimal, Field(max_digits=4, decimal_places=2)],
    object, type[int], typing.Callable[[int], int],
]  # fmt: skip
# Qualifiers the evaluator can produce (typing names are allowed); only valid at the top.
QUALIFIED: list[Any] = [
    typing.Final[int], typing.Final, typing.ClassVar[int], typing_extensions.Required[int],
    dataclasses.InitVar[int],
]  # fmt: skip


def _wrap(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        inner.map(lambda t: Optional[t]),  # noqa: UP045
        st.tuples(inner, inner).map(lambda ts: Union[ts[0], ts[1]]),  # noqa: UP007
        inner.map(lambda t: list[t]),  # type: ignore[valid-type]
        inner.map(lambda t: set[t]),  # type: ignore[valid-type]
        inner.map(lambda t: tuple[t, ...]),  # type: ignore[valid-type]
        inner.map(lambda t: dict[str, t]),  # type: ignore[valid-type]
        inner.map(lambda t: Annotated[t, NoDecode]),
        inner.map(lambda t: Annotated[t, ForceDecode]),
        inner.map(lambda t: Annotated[t, Field(min_length=1)]),
        inner.map(lambda t: Annotated[Union[t, bool], Field(union_mode="left_to_right")]),  # noqa: UP007
    )


ANNOTATIONS = st.one_of(
    st.recursive(st.sampled_from(SCALARS), _wrap, max_leaves=3), st.sampled_from(QUALIFIED)
)

TEXTS = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "null",
            "None",
            "none",
            "1",
            " 1 ",
            "-3",
            "1.5",
            "1e3",
            "inf",
            "nan",
            "true",
            "True",
            "no",
            "a",
            "b",
            "ab",
            "USD",
            "usd",
            "red",
            "RED",
            "BLUE",
            "LOW",
            "FAST",
            "2",
            "[1, 2]",
            "[]",
            '["a"]',
            "{}",
            '{"host": "h"}',
            '{"port": 1}',
            '{"a": 1}',
            "[",
            "{",
            '"quoted"',
            "a,b",
            "2024-01-02",
            "2024-01-02T03:04:05",
            "P1D",
            "10:00",
            "12345678-1234-5678-1234-567812345678",
            "127.0.0.1",
            "https://example.com/x",
            "postgresql://u@h/db",
            "ünïcödé",
            "日本",
            "\x00",
            "\t",
            "12.345",
            "0.1",
        ]
    ),
    st.text(max_size=12),
)

PYTHON_VALUES = st.sampled_from(
    [None, 0, 1, -1, 1.5, "", "x", "1", True, [], [1], {}, {"host": "h"}, SecretStr(""), b"x"]
)

CONFIGS = st.fixed_dictionaries(
    {},
    optional={
        "env_ignore_empty": st.booleans(),
        "env_parse_none_str": st.sampled_from(["null", "None", "", "none"]),
        "enable_decoding": st.booleans(),
        "env_parse_enums": st.booleans(),
        "str_strip_whitespace": st.booleans(),
        "str_to_lower": st.booleans(),
        "str_max_length": st.integers(1, 6),
        "strict": st.booleans(),
        "coerce_numbers_to_str": st.booleans(),
        "use_enum_values": st.booleans(),
        "allow_inf_nan": st.booleans(),
    },
)


def _probe(
    resolved: ResolvedType, config: dict[str, object], *, reference: bool, shared: bool = False
) -> SettingsProbe | str:
    adapter = None
    if shared:  # as in a run: the resolver's TypeAdapter(annotation), when it builds
        with contextlib.suppress(Exception):
            adapter = TypeAdapter(resolved.annotation)
    try:
        return SettingsProbe(resolved, config, adapter=adapter, reference=reference)
    except Exception as exc:  # typed() turns this into a skip naming the exception type
        return type(exc).__name__


def _same_value(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and (a == b or repr(a) == repr(b))


def _assert_same(fast: Checked, reference: Checked, what: str) -> None:
    assert (fast.ok, fast.unset, fast.error, fast.stopped_at_validator) == (
        reference.ok,
        reference.unset,
        reference.error,
        reference.stopped_at_validator,
    ), what
    assert _same_value(fast.value, reference.value), what


@settings(
    max_examples=400,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    annotation=ANNOTATIONS,
    config=CONFIGS,
    raw_validators=st.sampled_from([(), ("before",)]),
    shared=st.booleans(),
    texts=st.lists(st.one_of(st.none(), TEXTS), min_size=1, max_size=8),
    values=st.lists(PYTHON_VALUES, max_size=3),
)
def test_the_probe_without_pydantic_classes_checks_like_the_real_ones(
    annotation: Any,
    config: dict[str, object],
    raw_validators: tuple[str, ...],
    shared: bool,
    texts: list[str | None],
    values: list[object],
) -> None:
    try:
        TypeAdapter(annotation)
    except Exception:
        return  # the resolver makes such a field Unresolved: no probe is ever built for it
    resolved = ResolvedType(annotation, repr(annotation), False, raw_validators)
    reference = _probe(resolved, config, reference=True)
    fast = _probe(resolved, config, reference=False, shared=shared)
    if isinstance(reference, str) or isinstance(fast, str):
        assert fast == reference, annotation
        return
    for text in texts:
        _assert_same(fast.check(text), reference.check(text), f"{annotation} {config} {text!r}")
    for value in values:
        what = f"{annotation} {config} default {value!r}"
        _assert_same(fast.validate_python(value), reference.validate_python(value), what)


@pytest.mark.parametrize(
    ("annotation", "config", "text", "expected"),
    [
        (int, {"env_parse_none_str": "null"}, "null", Checked(ok=True, unset=True)),
        (int, {"env_ignore_empty": True}, "", Checked(ok=True, unset=True)),
        (list[int], {}, "[1, 2]", Checked(ok=True, value=[1, 2])),
        (Color, {"env_parse_enums": True}, "RED", Checked(ok=True, value=Color.RED)),
        (str, {"str_strip_whitespace": True}, " a ", Checked(ok=True, value="a")),
        (Inner, {"strict": True}, '{"host": "h"}', Checked(ok=True, value=Inner(host="h"))),
    ],
)
def test_the_fast_probe_keeps_pydantic_settings_decoding(
    annotation: Any, config: dict[str, object], text: str, expected: Checked
) -> None:
    """The behaviours the source adds (none_str, empty, JSON, enum names, config) still hold."""
    probe = SettingsProbe(ResolvedType(annotation, "", False, ()), config)
    assert probe.check(text) == expected


@pytest.mark.parametrize(
    "settings_config",
    [{}, {"env_ignore_empty": True, "env_parse_none_str": "null"}, {"enable_decoding": False}],
)
def test_the_stand_in_carries_the_settings_class_config(settings_config: dict[str, Any]) -> None:
    """Every key EnvSettingsSource may read (case_sensitive, env_prefix, enable_decoding...) has
    the value the real probe class would give it."""
    from pydantic import Field

    from pytest_envssot.pysettings.annotations import (
        _probe_base,
        _settings_class,
        _settings_fields,
    )

    spec = (list[int], Field(validation_alias="V"))
    real = _settings_class(_probe_base(settings_config), spec)
    stand_in = _settings_fields(settings_config, spec)
    assert stand_in.model_config == real.model_config
    assert repr(stand_in.model_fields) == repr(real.model_fields)
