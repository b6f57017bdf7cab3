"""The static settings reader and inheritance resolution."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_envssot.model import AliasSpec, SettingsClass, SettingsField, SettingsFile
from pytest_envssot.pysettings.envnames import all_env_names
from pytest_envssot.pysettings.inheritance import ResolvedSettings, models, resolve
from pytest_envssot.readers.settings import Expr, module_name, parse_settings, read_settings

SAMPLE = Path(__file__).parent.parent / "examples/sample_repo/apps/backend/src/config.py"
SAMPLE_REL = "apps/backend/src/config.py"


def parse(source: str, rel: str = "pkg/settings.py") -> SettingsFile:
    file = parse_settings(textwrap.dedent(source), rel)
    assert file.error is None, file.error
    return file


def only_class(source: str, name: str = "S") -> SettingsClass:
    return next(c for c in parse(source).classes if c.name == name)


def field_of(cls: SettingsClass, name: str) -> SettingsField:
    return next(f for f in cls.fields if f.name == name)


def exec_source(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec(compile(source, "<settings>", "exec", dont_inherit=True), namespace)
    return namespace


# --------------------------------------------------------------------------- the seed's file

SAMPLE_NAMES = {
    "database_url": "DATABASE_URL",
    "redis_url": "REDIS_URL",
    "s3_endpoint": "S3_ENDPOINT",
    "s3_access_key": "S3_ACCESS_KEY",
    "s3_secret_key": "S3_SECRET_KEY",
    "s3_bucket": "S3_BUCKET",
    "openrouter_api_key": "OPENROUTER_API_KEY",
    "primary_model": "PRIMARY_MODEL",
    "fallback_models": "FALLBACK_MODELS",
    "openrouter_daily_limit_usd": "OPENROUTER_DAILY_LIMIT_USD",
    "secret_key": "SECRET_KEY",
    "jwt_algorithm": "JWT_ALGORITHM",
    "access_token_expire_minutes": "ACCESS_TOKEN_EXPIRE_MINUTES",
    "cors_origins": "CORS_ORIGINS",
    "debug": "DEBUG",
    "base_currency": "BASE_CURRENCY",
    "otel_exporter_otlp_endpoint": "OTEL_EXPORTER_OTLP_ENDPOINT",
    "otel_service_name": "OTEL_SERVICE_NAME",
    "otel_resource_attributes": "OTEL_RESOURCE_ATTRIBUTES",
    "next_public_app_url": "NEXT_PUBLIC_APP_URL",
}


@pytest.fixture(scope="module")
def sample() -> SettingsFile:
    file = read_settings(SAMPLE, SAMPLE_REL)
    assert file.error is None
    return file


def test_sample_has_exactly_its_twenty_fields_with_their_env_names(sample: SettingsFile) -> None:
    (resolved,) = resolve([sample])
    got = {
        f.name: [n.name for n in names] for f, names in all_env_names(resolved, models([sample]))
    }
    assert got == {field: [env] for field, env in SAMPLE_NAMES.items()}
    assert list(got) == list(SAMPLE_NAMES)  # source order


def test_sample_fields_match_pydantic(sample: SettingsFile) -> None:
    real = exec_source(SAMPLE.read_text())["Settings"]
    assert [f.name for f in sample.classes[0].fields] == list(real.model_fields)


def test_sample_details(sample: SettingsFile) -> None:
    (cls,) = sample.classes
    assert (cls.name, cls.qualname, cls.is_settings) == (
        "Settings",
        "apps.backend.src.config.Settings",
        True,
    )
    assert cls.bases == ("pydantic_settings.BaseSettings",)
    assert cls.config == (
        ("env_file", ".env"),
        ("env_file_encoding", "utf-8"),
        ("extra", "ignore"),
        ("env_ignore_empty", True),
    )
    db = field_of(cls, "database_url")
    assert db.location.line == 30 and db.location.path == SAMPLE_REL
    assert db.annotation == "PostgresDsn"
    assert db.default == '"postgresql+asyncpg://postgres:postgres@localhost:5432/finance_report"'
    assert db.validation_alias == AliasSpec((("DATABASE_URL",),))
    assert db.description == "PostgreSQL connection string"
    assert field_of(cls, "s3_access_key").required
    assert field_of(cls, "fallback_models").annotation == "Annotated[list[str], NoDecode]"
    assert field_of(cls, "s3_bucket").constraints == (("min_length", "3"), ("max_length", "63"))
    assert field_of(cls, "jwt_algorithm").validation_alias is None
    assert field_of(cls, "jwt_algorithm").default == '"HS256"'
    assert ("pattern", 'r"^[A-Z]{3}$"') in field_of(cls, "base_currency").constraints


# --------------------------------------------------------------------------- regex-script defects


def test_docstring_lines_and_method_locals_are_not_fields() -> None:
    cls = only_class(
        '''
        from pydantic_settings import BaseSettings

        class S(BaseSettings):
            """Settings.

            Note: values come from Vault.
            DEBUG: never true in production.
            """

            real: str = "x"

            def headers(self) -> dict[str, str]:
                pairs: dict[str, str] = {}
                origin: str = "x"
                return pairs

            class Nested:
                inner: int = 1
        '''
    )
    assert [f.name for f in cls.fields] == ["real"]


def test_field_alias_is_read() -> None:
    cls = only_class(
        """
        from pydantic import Field
        from pydantic_settings import BaseSettings

        class S(BaseSettings):
            secret: str = Field(alias="APP_SECRET")
        """
    )
    secret = field_of(cls, "secret")
    assert secret.alias == "APP_SECRET"
    assert secret.validation_alias == AliasSpec((("APP_SECRET",),))  # pydantic copies it
    assert secret.required


def test_env_prefix_and_case_sensitive_are_honoured() -> None:
    file = parse(
        """
        from pydantic_settings import BaseSettings, SettingsConfigDict

        class S(BaseSettings):
            model_config = SettingsConfigDict(env_prefix="App_", case_sensitive=True)
            Token: str
        """
    )
    (resolved,) = resolve([file])
    ((_, (name,)),) = all_env_names(resolved, models([file]))
    assert (name.name, name.key, name.case_sensitive) == ("App_Token", "App_Token", True)


# --------------------------------------------------------------------------- recognising classes


@pytest.mark.parametrize(
    ("imports", "base"),
    [
        ("from pydantic_settings import BaseSettings", "BaseSettings"),
        ("from pydantic_settings import BaseSettings as Base", "Base"),
        ("import pydantic_settings as ps", "ps.BaseSettings"),
        ("import pydantic_settings", "pydantic_settings.BaseSettings"),
        ("import pydantic_settings.main", "pydantic_settings.main.BaseSettings"),
        ("from pydantic_settings.main import BaseSettings as B", "B"),
        ("from pydantic_settings import main", "main.BaseSettings"),
    ],
)
def test_import_spellings(imports: str, base: str) -> None:
    file = parse(f"{imports}\n\nclass S({base}):\n    x: int = 1\n\nclass T(S):\n    y: int = 2\n")
    assert [(c.name, c.is_settings) for c in file.classes] == [("S", True), ("T", True)]
    assert file.classes[1].bases == ("pkg.settings.S",)


def test_look_alike_names_are_not_settings() -> None:
    file = parse(
        """
        from enum import Enum
        from otherlib import BaseSettings as Foreign

        class BaseSettings:
            pass

        class A(BaseSettings):
            x: int = 1

        class Color(Enum):
            RED: int = 1

        class F(Foreign):
            y: int = 1

        def factory():
            from pydantic_settings import BaseSettings as B
            class Hidden(B):
                z: int = 1
            return Hidden
        """
    )
    # F's base may be a model from another file: kept, but not (yet) settings
    assert [(c.name, c.is_settings) for c in file.classes] == [("F", False)]
    assert resolve([file]) == ()


def test_plain_models_are_kept_for_nesting() -> None:
    file = parse(
        """
        from typing import Optional, Union
        import pydantic
        from pydantic_settings import BaseSettings

        class Db(pydantic.BaseModel):
            host: str = "h"

        class S(BaseSettings):
            a: Db
            b: Optional[Db] = None
            c: Db | None = None
            d: "Db" = Db()
            e: Union[Db, None] = None
            f: list[Db] = []
            g: Db | int = 1
        """
    )
    assert [(c.name, c.is_settings) for c in file.classes] == [("Db", False), ("S", True)]
    nested = {f.name: f.nested_model for f in file.classes[1].fields}
    db = "pkg.settings.Db"
    assert nested == {"a": db, "b": db, "c": db, "d": db, "e": db, "f": None, "g": None}
    assert [r.cls.name for r in resolve([file])] == ["S"]


# --------------------------------------------------------------------------- fields


def test_field_forms() -> None:
    cls = only_class(
        """
        from typing import Annotated
        import pydantic
        from pydantic import AliasChoices, AliasPath, Field
        from pydantic_settings import BaseSettings

        SHARED = "SHARED_NAME"

        class S(BaseSettings):
            a: int = Field(3, ge=1, le=9)
            b: int = Field(..., description="bee")
            c: list[str] = Field(default_factory=list)
            d: Annotated[int, Field(gt=0, alias="DEE")] = 4
            e: str = Field("x", validation_alias=AliasChoices("E1", "E2", AliasPath("E3", 0, "k")))
            f: str = Field("x", validation_alias=AliasPath("F", 1))
            g: str = pydantic.Field(default="y", alias="G_ALIAS", validation_alias="G_VALID")
            h: int = ...
            i: str = Field("x", alias=SHARED)
            j: str
            k: int = 5
        """
    )
    f = {x.name: x for x in cls.fields}
    assert (f["a"].default, f["a"].constraints) == ("3", (("ge", "1"), ("le", "9")))
    assert f["b"].required and f["b"].description == "bee"
    assert (f["c"].default, f["c"].default_factory) == (None, "list")
    assert (f["d"].annotation, f["d"].default, f["d"].alias) == (
        'Annotated[int, Field(gt=0, alias="DEE")]',
        "4",
        "DEE",
    )
    assert f["d"].constraints == (("gt", "0"),)
    assert f["e"].validation_alias == AliasSpec((("E1",), ("E2",), ("E3", 0, "k")))
    assert f["f"].validation_alias == AliasSpec((("F", 1),))
    assert (f["g"].alias, f["g"].validation_alias) == ("G_ALIAS", AliasSpec((("G_VALID",),)))
    assert f["h"].required and f["j"].required and not f["k"].required
    assert f["i"].alias == "SHARED_NAME"  # module-level constant followed
    assert [x.location.line for x in cls.fields] == list(range(10, 21))


def test_things_that_are_not_fields() -> None:
    cls = only_class(
        """
        import typing
        from typing import ClassVar, Final
        from functools import cached_property
        from pydantic import computed_field
        from pydantic_settings import BaseSettings, SettingsConfigDict

        class S(BaseSettings):
            model_config: ClassVar[SettingsConfigDict] = SettingsConfigDict(env_prefix="P_")
            A: ClassVar[int] = 1
            B: typing.ClassVar[tuple[str, ...]] = ()
            C: Final[int] = 3
            D: Final[int]
            _private: int = 0
            __dunder: int = 0
            x = 5

            @property
            def prop(self) -> int:
                y: int = 1
                return y

            @computed_field
            @cached_property
            def comp(self) -> int:
                return 1

            if True:
                cond: int = 1
        """
    )
    assert [f.name for f in cls.fields] == ["D"]
    assert cls.config == (("env_prefix", "P_"),)


# --------------------------------------------------------------------------- model_config


@pytest.mark.parametrize(
    "config",
    [
        'model_config = SettingsConfigDict(env_prefix="APP_", case_sensitive=True, extra="ignore")',
        'model_config = {"env_prefix": "APP_", "case_sensitive": True, "extra": "ignore"}',
        'model_config = ConfigDict(env_prefix="APP_", case_sensitive=True, extra="ignore")',
        'model_config = dict(env_prefix="APP_", case_sensitive=True, extra="ignore")',
        "model_config = CONFIG",
        'class Config:\n        env_prefix = "APP_"\n        case_sensitive = True\n        extra = "ignore"',
    ],
)
def test_model_config_forms(config: str) -> None:
    source = (
        "from pydantic import ConfigDict\n"
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n"
        'PREFIX = "APP_"\n'
        'CONFIG = SettingsConfigDict(env_prefix=PREFIX, case_sensitive=True, extra="ignore")\n'
        f"class S(BaseSettings):\n    {config}\n    x: int = 1\n"
    )
    cls = parse(source).classes[0]
    assert cls.config == (("env_prefix", "APP_"), ("case_sensitive", True), ("extra", "ignore"))


def test_class_keyword_config_and_non_literals() -> None:
    cls = only_class(
        """
        import os
        from pydantic.alias_generators import to_camel
        from pydantic_settings import BaseSettings, SettingsConfigDict

        class S(BaseSettings, env_prefix="KW_", metaclass=type):
            model_config = SettingsConfigDict(
                env_prefix="IGNORED_",
                env_file=(".env", ".env.prod"),
                env_nested_max_split=2,
                alias_generator=to_camel,
                secrets_dir=os.environ.get("SECRETS"),
                env_ignore_empty=None,
                json_schema_extra={"a": [1, 2.5, -3]},
            )
        """
    )
    config = dict(cls.config)
    assert cls.config_value("env_prefix") == "KW_"  # class kwargs win, as in pydantic
    assert config["env_file"] == (".env", ".env.prod")
    assert config["env_nested_max_split"] == 2
    assert config["env_ignore_empty"] is None
    assert config["json_schema_extra"] == {"a": [1, 2.5, -3]}
    assert config["alias_generator"] == Expr("to_camel", "pydantic.alias_generators.to_camel")
    secrets = config["secrets_dir"]
    assert isinstance(secrets, Expr) and secrets.qualname == "os.environ.get"
    assert secrets.args == (Expr('"SECRETS"', None),) or secrets.args == ("SECRETS",)
    assert "metaclass" not in config


# --------------------------------------------------------------------------- inheritance


def test_inheritance_order_and_config_merge_match_pydantic() -> None:
    source = textwrap.dedent(
        """
        from pydantic import BaseModel
        from pydantic_settings import BaseSettings, SettingsConfigDict

        class Mixin(BaseModel):
            z: int = 0
            a: int = 0

        class A(BaseSettings):
            model_config = SettingsConfigDict(env_prefix="A_", case_sensitive=False)
            a: int = 1
            b: int = 2

        class B(A):
            model_config = SettingsConfigDict(env_prefix="B_")
            c: int = 3
            a: str = "x"

        class M(B, Mixin, case_sensitive=True):
            d: int = 4
        """
    )
    file = parse(source)
    real = exec_source(source)
    by_name = {r.cls.name: r for r in resolve([file])}
    assert set(by_name) == {"A", "B", "M"}  # Mixin is a plain model
    for name, resolved in by_name.items():
        assert [f.name for f in resolved.fields] == list(real[name].model_fields)
        for key, value in resolved.config:
            assert real[name].model_config[key] == value
    overridden = by_name["M"].field("a")
    assert overridden is not None and overridden.annotation == "str"
    assert [c.name for c in by_name["M"].mro] == ["M", "B", "A", "Mixin"]


def test_cross_file_inheritance() -> None:
    common = parse(
        """
        from pydantic_settings import BaseSettings, SettingsConfigDict

        class Base(BaseSettings):
            model_config = SettingsConfigDict(env_prefix="SVC_")
            shared: str = "s"
        """,
        "apps/backend/src/common.py",
    )
    absolute = parse(
        """
        from src.common import Base

        class Child(Base):
            own: str = "o"
        """,
        "apps/backend/src/settings.py",
    )
    relative = parse(
        """
        from ..src import common

        class Other(common.Base):
            extra: int = 1
        """,
        "apps/backend/sub/other.py",
    )
    assert absolute.classes[0].bases == ("src.common.Base",)
    assert relative.classes[0].bases == ("apps.backend.src.common.Base",)
    assert not absolute.classes[0].is_settings  # the reader alone cannot know
    files = [common, absolute, relative]
    by_name = {r.cls.name: r for r in resolve(files)}
    assert set(by_name) == {"Base", "Child", "Other"}
    child = by_name["Child"]
    assert child.cls.is_settings
    assert [f.name for f in child.fields] == ["shared", "own"]
    assert child.config_value("env_prefix") == "SVC_"
    names = {f.name: [n.name for n in ns] for f, ns in all_env_names(child, models(files))}
    assert names == {"shared": ["SVC_SHARED"], "own": ["SVC_OWN"]}


def test_base_found_by_class_name_and_cycles_cut() -> None:
    a = parse("from x.y import B\nclass A(B):\n    a: int = 1\n", "one/a.py")
    b = parse(
        "from pydantic_settings import BaseSettings\nfrom q import A\n"
        "class B(A, BaseSettings):\n    b: int = 1\n",
        "two/b.py",
    )
    by_name = {r.cls.name: r for r in resolve([a, b])}
    assert set(by_name) == {"A", "B"}
    assert {f.name for f in by_name["A"].fields} == {"a", "b"}


def test_lookup_by_suffix() -> None:
    file = parse(
        "from pydantic import BaseModel\nclass Db(BaseModel):\n    x: int = 1\n", "a/b/c.py"
    )
    index = models([file])
    assert index["b.c.Db"].qualname == "a.b.c.Db"
    assert index.get("zzz.Db") is index["a.b.c.Db"]  # bare class name fallback
    assert index.get("pydantic.BaseModel") is None
    assert list(index) == ["a.b.c.Db"] and len(index) == 1


# --------------------------------------------------------------------------- errors and limits


def test_syntax_error_reports_the_real_line() -> None:
    file = parse_settings("import os\n\nclass S:\n    x: int = (\n\ny = 1\n", "bad.py")
    assert file.error is not None and file.classes == ()
    assert file.error.location.path == "bad.py"
    assert file.error.location.line == 4
    assert "syntax error" in file.error.message


def test_indentation_error_line() -> None:
    file = parse_settings("class S:\n    x: int = 1\n      y: int = 2\n", "bad.py")
    assert file.error is not None and file.error.location.line == 3


@pytest.mark.parametrize(
    "source",
    [
        "x = " + "(" * 5000 + ")" * 5000,
        "x = " + "-" * 20000 + "1",
        "x = " + "[" * 150 + "]" * 150,
        "x = " + "+".join(["1"] * 3000),
        "class S:\n    x: " + "Optional[" * 150 + "int" + "]" * 150 + "\n",
        "x = 1\x00",
    ],
    ids=["parens", "unary", "lists", "additions", "annotation", "nul"],
)
def test_pathological_input_never_raises(source: str) -> None:
    result = parse_settings(source, "deep.py")
    assert isinstance(result, SettingsFile)


def test_read_settings_io_errors(tmp_path: Path) -> None:
    missing = read_settings(tmp_path / "nope.py", "nope.py")
    assert missing.error is not None and "does not exist" in missing.error.message
    good = tmp_path / "ok.py"
    good.write_text(
        "from pydantic_settings import BaseSettings\nclass S(BaseSettings):\n    x: int\n"
    )
    assert [f.name for f in read_settings(good, "ok.py").classes[0].fields] == ["x"]


def test_module_names() -> None:
    assert module_name("apps/backend/src/config.py") == "apps.backend.src.config"
    assert module_name("pkg/__init__.py") == "pkg"
    assert module_name("settings.py") == "settings"


def test_importing_the_package_does_not_import_libcst() -> None:
    code = (
        "import sys\n"
        "import pytest_envssot.readers.settings, pytest_envssot.pysettings.inheritance, pytest_envssot.pysettings.envnames\n"
        "assert 'libcst' not in sys.modules, 'libcst imported eagerly'\n"
        "assert 'pydantic' not in sys.modules, 'pydantic imported eagerly'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_large_file_is_read() -> None:
    # each field costs a few microseconds with ast: keep the suite quick
    body = "".join(
        f"    f{i}: int = Field({i}, ge=0, validation_alias='F{i}')\n" for i in range(400)
    )
    source = (
        "from pydantic import Field\nfrom pydantic_settings import BaseSettings\nclass S(BaseSettings):\n"
        + body
    )
    file = parse_settings(source, "big.py")
    assert file.error is None and len(file.classes[0].fields) == 400


def test_resolved_settings_is_frozen() -> None:
    (resolved,) = resolve(
        [parse("from pydantic_settings import BaseSettings\nclass S(BaseSettings):\n    x: int\n")]
    )
    assert isinstance(resolved, ResolvedSettings)
    with pytest.raises(AttributeError):
        resolved.fields = ()  # type: ignore[misc]


# --------------------------------------------------------------------------- text and names as written


def test_source_text_keeps_parentheses_comments_and_relative_indentation() -> None:
    cls = only_class(
        """
        from pydantic import Field
        from pydantic_settings import BaseSettings

        class S(BaseSettings):
            a: (int) = (5)
            b: str = Field(
                ( "x" ),
                pattern=(r"^[a-z]+"  # letters (only)
                    r"$"),
                examples=["é",
                    "ü"],
            )
            c: list[str] = Field(default_factory=( list ))
        """
    )
    a, b, c = cls.fields
    assert (a.annotation, a.default) == ("(int)", "(5)")
    assert b.default == '( "x" )'
    assert dict(b.constraints) == {
        "pattern": '(r"^[a-z]+"  # letters (only)\n        r"$")',  # less the block's indent
        "examples": '["é",\n        "ü"]',
    }
    assert c.default_factory == "( list )"


def test_windows_line_ends_and_tabs() -> None:
    source = (
        "from pydantic import Field\r\nfrom pydantic_settings import BaseSettings\r\n"
        'class S(BaseSettings):\r\n\tx: str = Field(\r\n\t\t"d", description=("one"\r\n\t\t" two"))\r\n'
    )
    (field,) = parse(source).classes[0].fields
    assert (field.default, field.description, field.location.line) == ('"d"', "one two", 4)


def test_names_follow_python_scopes() -> None:
    file = parse(
        """
        from datetime import date
        try:
            from pydantic_settings import BaseSettings
        except ImportError:  # pydantic 1
            from pydantic import BaseSettings
        from .base import Shared
        from pydantic_settings import BaseSettings as Later

        class S(BaseSettings):
            when: date
            model_config = {"env_prefix": PREFIX}

            class Config:
                case_sensitive = True

        class Sub(Shared):
            x: int = 1

        class Early(Later):
            y: int = 1

        PREFIX = "APP_"
        """,
        "pkg/settings.py",
    )
    s, sub, early = file.classes
    assert s.is_settings  # either import counts
    assert s.fields[0].nested_model is None  # datetime.date is no model
    assert s.config == (("env_prefix", "APP_"), ("case_sensitive", True))
    assert sub.bases == ("pkg.base.Shared",) and not sub.is_settings
    assert early.is_settings


def test_text_and_lines_with_non_ascii_source() -> None:
    cls = only_class(
        """
        from pydantic import Field
        from pydantic_settings import BaseSettings
        NAMES = "ÄÖÜ"

        class S(BaseSettings):
            größe: str = Field("日本", alias=NAMES, description="€ (euro)")
            weiter: int = 1
        """
    )
    first, second = cls.fields
    assert (first.default, first.alias, first.description) == ('"日本"', "ÄÖÜ", "€ (euro)")
    assert (first.location.line, second.location.line) == (7, 8)
