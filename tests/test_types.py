"""types.py: annotation text -> a real type, statically, or a reason why not."""

from __future__ import annotations

import enum
import textwrap
import typing
from pathlib import Path

import pytest

from pytest_envssot.pysettings.annotations import (
    ResolvedType,
    SettingsProbe,
    TypeResolver,
    Unresolved,
)
from pytest_envssot.pysettings.inheritance import models
from pytest_envssot.readers.settings import parse_settings


def _resolve(tmp_path: Path, source: str, field: str) -> ResolvedType | Unresolved:
    text = textwrap.dedent(source)
    (tmp_path / "config.py").write_text(text, encoding="utf-8")
    parsed = parse_settings(text, "config.py")
    assert parsed.error is None, parsed.error
    cls = next(c for c in parsed.classes if c.is_settings)
    fld = next(f for f in cls.fields if f.name == field)
    return TypeResolver(tmp_path, models([parsed])).resolve(fld)


HEAD = """
import enum
import typing as t
from typing import Annotated, Literal
from pydantic import BaseModel, BeforeValidator, Field, SecretStr, constr
from pydantic_settings import BaseSettings, NoDecode
from mylib import Custom

Level = Literal["INFO", "DEBUG"]
MAX = 10

class Color(str, enum.Enum):
    RED = "red"
    BLUE = "blue"

class Inner(BaseModel):
    host: str
    port: int = 5432

class S(BaseSettings):
"""


@pytest.mark.parametrize(
    ("line", "good", "bad"),
    [
        ("level: Level = 'INFO'", "DEBUG", "debug"),
        ("color: Color = Color.RED", "blue", "green"),
        ("n: int = Field(default=1, ge=1, le=MAX)", "10", "11"),
        ("code: constr(pattern=r'^[A-Z]{3}$') = 'SGD'", "USD", "usd"),
        ("maybe: t.Optional[int] = None", "3", "x"),
        ("inner: Inner | None = None", '{"host": "h"}', '{"port": 1}'),
        ("key: SecretStr", "anything", None),
        ("items: Annotated[list[int], Field(min_length=1)] = [1]", "[1, 2]", "[]"),
        ("raw: Annotated[list[str], NoDecode] = []", None, "a,b"),
    ],
)
def test_resolved_types_validate_like_pydantic_settings(
    tmp_path: Path, line: str, good: str | None, bad: str | None
) -> None:
    resolved = _resolve(tmp_path, HEAD + "    " + line + "\n", line.split(":")[0])
    assert isinstance(resolved, ResolvedType), resolved
    probe = SettingsProbe(resolved, {})
    if good is not None:
        assert probe.check(good).ok
    if bad is not None:
        checked = probe.check(bad)
        assert not checked.ok
        assert bad not in checked.error or len(bad) < 3  # messages carry no input


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("c: Custom", "Custom is imported from mylib"),
        ("v: Annotated[str, BeforeValidator(str.strip)]", "custom validator"),
        ("w: Undefined = 1", "Undefined is not defined"),
        ("x: __import__('os').system('true') = 1", "is not a name"),  # never called
    ],
)
def test_unresolvable_types_say_why(tmp_path: Path, line: str, reason: str) -> None:
    resolved = _resolve(tmp_path, HEAD + "    " + line + "\n", line.split(":")[0])
    assert isinstance(resolved, Unresolved)
    assert reason in resolved.reason


def test_enum_is_rebuilt_with_its_mixin(tmp_path: Path) -> None:
    resolved = _resolve(tmp_path, HEAD + "    color: Color = Color.RED\n", "color")
    assert isinstance(resolved, ResolvedType)
    tp = resolved.annotation
    assert issubclass(tp, enum.Enum) and issubclass(tp, str)
    assert [m.value for m in tp] == ["red", "blue"]


def test_field_constraints_from_the_reader_are_applied(tmp_path: Path) -> None:
    resolved = _resolve(
        tmp_path, HEAD + "    name: str = Field(default='abc', min_length=3, title='x')\n", "name"
    )
    assert isinstance(resolved, ResolvedType)
    assert typing.get_origin(resolved.annotation) is typing.Annotated
    assert not SettingsProbe(resolved, {}).check("ab").ok


def test_env_ignore_empty_leaves_the_default(tmp_path: Path) -> None:
    resolved = _resolve(tmp_path, HEAD + "    n: int = 1\n", "n")
    assert isinstance(resolved, ResolvedType)
    assert SettingsProbe(resolved, {"env_ignore_empty": True}).check("").unset
    assert not SettingsProbe(resolved, {}).check("").ok
