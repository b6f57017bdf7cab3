"""env-name derivation: unit cases, and a differential test against pydantic-settings itself.

The differential test writes settings classes as *source text*, reads them with the static
reader, predicts env names, then executes the same source (only here, in tests) and checks
that the real class picks up each predicted name for the right field, and ignores decoys.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from keyword import iskeyword
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pytest_envssot.pysettings.envnames import EnvName, all_env_names, env_names
from pytest_envssot.pysettings.inheritance import ResolvedSettings, models, resolve
from pytest_envssot.readers.settings import parse_settings

HEADER = """\
from typing import Optional
from pydantic import AliasChoices, AliasGenerator, AliasPath, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel, to_pascal
from pydantic_settings import BaseSettings, SettingsConfigDict
"""


def _resolve(source: str, cls: str = "S") -> tuple[ResolvedSettings, Any]:
    file = parse_settings(source, "pkg/settings.py")
    assert file.error is None, file.error
    index = models([file])
    found = [r for r in resolve([file], index) if r.cls.name == cls]
    assert found, f"{cls} not resolved"
    return found[0], index


def names_of(source: str, cls: str = "S") -> dict[str, list[str]]:
    resolved, index = _resolve(HEADER + source, cls)
    return {f.name: [n.name for n in ns] for f, ns in all_env_names(resolved, index)}


# --------------------------------------------------------------------------- unit cases


def test_env_name_key_folds_case_only_when_insensitive() -> None:
    assert EnvName("DB_URL", False, "db_url", False).key == "db_url"
    assert EnvName("Db_Url", True, "db_url", False).key == "Db_Url"


def test_prefix_applies_to_field_names_not_aliases() -> None:
    got = names_of(
        """
class S(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="app_")
    plain: str = "x"
    aliased: str = Field("x", alias="APP_SECRET")
    validated: str = Field("x", validation_alias="OTHER")
"""
    )
    assert got == {"plain": ["APP_PLAIN"], "aliased": ["APP_SECRET"], "validated": ["OTHER"]}


def test_prefix_target_alias_and_all() -> None:
    src = """
class S(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="P_", env_prefix_target="{}")
    a: str = Field("x", validation_alias="AA")
    b: str = "x"
"""
    assert names_of(src.format("alias")) == {"a": ["P_AA"], "b": ["B"]}
    assert names_of(src.format("all")) == {"a": ["P_AA"], "b": ["P_B"]}


def test_case_sensitive_keeps_spelling() -> None:
    got = names_of(
        """
class S(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=True, env_prefix="My_")
    Mixed: str = "x"
    other: str = Field("x", alias="camelCase")
"""
    )
    assert got == {"Mixed": ["My_Mixed"], "other": ["camelCase"]}
    resolved, index = _resolve(HEADER + "class S(BaseSettings):\n    x: int = 1\n")
    (name,) = env_names(resolved, resolved.fields[0], index)
    assert (name.name, name.key, name.case_sensitive) == ("X", "x", False)


def test_alias_choices_and_alias_path_heads() -> None:
    got = names_of(
        """
class S(BaseSettings):
    a: str = Field("x", validation_alias=AliasChoices("A1", "A2", AliasPath("A3", 0)))
    b: str = Field("x", validation_alias=AliasPath("BB", "k"))
"""
    )
    assert got == {"a": ["A1", "A2", "A3"], "b": ["BB"]}


def test_populate_by_name_adds_prefixed_field_name_after_aliases() -> None:
    for key in ("populate_by_name", "validate_by_name"):
        got = names_of(
            f"""
class S(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="X_", {key}=True)
    a: str = Field("x", alias="ALIAS_A")
"""
        )
        assert got == {"a": ["ALIAS_A", "X_A"]}


def test_validate_by_alias_false_drops_aliases() -> None:
    got = names_of(
        """
class S(BaseSettings):
    model_config = SettingsConfigDict(validate_by_alias=False, validate_by_name=True)
    a: str = Field("x", alias="ALIAS_A")
"""
    )
    assert got == {"a": ["A"]}


def test_static_alias_generators() -> None:
    got = names_of(
        """
class S(BaseSettings):
    model_config = SettingsConfigDict(alias_generator=to_camel, env_prefix="p_")
    db_host: str = "x"
    explicit: str = Field("x", alias="EXPLICIT_ONE")
    low: str = Field("x", alias="ignored", alias_priority=1)
"""
    )
    assert got == {"db_host": ["DBHOST"], "explicit": ["EXPLICIT_ONE"], "low": ["LOW"]}
    got = names_of(
        """
class S(BaseSettings):
    model_config = SettingsConfigDict(
        alias_generator=AliasGenerator(alias=to_camel, validation_alias=str.upper)
    )
    db_host: str = "x"
"""
    )
    assert got == {"db_host": ["DB_HOST"]}


def test_unknown_alias_generator_falls_back_to_field_name() -> None:
    got = names_of(
        """
class S(BaseSettings):
    model_config = SettingsConfigDict(alias_generator=lambda s: s + "_x")
    a: str = "x"
"""
    )
    assert got == {"a": ["A"]}


def test_value_stored_under_an_alias_leaks_into_a_field_of_that_name() -> None:
    # pydantic-settings stores a's value under a's alias "b"; pydantic then validates the
    # field named b from the same dict, so b reads the unprefixed "B" as well as "P_B" --
    # and b's "P_B" (stored under "b") reaches a as well.
    got = names_of(
        """
class S(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="P_")
    a: str = Field("x", validation_alias=AliasChoices("b", "c"))
    b: str = "x"
"""
    )
    assert got == {"a": ["B", "C", "P_B"], "b": ["P_B", "B", "C"]}


NESTED = """
class Inner(BaseModel):
    leaf: str = "x"

class Db(BaseModel):
    host: str = "x"
    port_number: int = 1
    aliased: str = Field("x", alias="Alias")
    inner: Inner = Inner()

class S(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="APP_", {extra})
    db: {annotation} = Db()
"""


def test_nested_model_names() -> None:
    got = names_of(NESTED.format(extra='env_nested_delimiter="__"', annotation="Db"))
    assert got == {
        "db": [
            "APP_DB",
            "APP_DB__HOST",
            "APP_DB__PORT_NUMBER",
            "APP_DB__ALIAS",
            "APP_DB__INNER",
            "APP_DB__INNER__LEAF",
        ]
    }
    resolved, index = _resolve(HEADER + NESTED.format(extra="", annotation="Db"))
    assert [n.name for n in env_names(resolved, resolved.fields[0], index)] == ["APP_DB"]


def test_nested_attribute_paths_and_flags() -> None:
    src = HEADER + NESTED.format(extra='env_nested_delimiter="__"', annotation="Optional[Db]")
    resolved, index = _resolve(src)
    got = {(n.name, n.field, n.nested) for n in env_names(resolved, resolved.fields[0], index)}
    assert ("APP_DB", "db", False) in got
    assert ("APP_DB__INNER__LEAF", "db.inner.leaf", True) in got


def test_nested_max_split_and_delimiter_inside_names() -> None:
    got = names_of(NESTED.format(extra='env_nested_delimiter="_"', annotation="Db"))
    # "port_number" would split into PORT / NUMBER: unreachable with an unlimited split
    assert got["db"] == [
        "APP_DB",
        "APP_DB_HOST",
        "APP_DB_ALIAS",
        "APP_DB_INNER",
        "APP_DB_INNER_LEAF",
    ]
    got = names_of(
        NESTED.format(extra='env_nested_delimiter="_", env_nested_max_split=1', annotation="Db")
    )
    assert got["db"] == [
        "APP_DB",
        "APP_DB_HOST",
        "APP_DB_PORT_NUMBER",
        "APP_DB_ALIAS",
        "APP_DB_INNER",
    ]


def test_none_first_union_is_not_rekeyed() -> None:
    # pydantic-settings unwraps Optional by taking the first union member; `None | Db` is
    # therefore not re-keyed case-insensitively and the alias "Alias" never matches "alias".
    got = names_of(NESTED.format(extra='env_nested_delimiter="__"', annotation="None | Db"))
    assert "APP_DB__ALIAS" not in got["db"]
    assert "APP_DB__HOST" in got["db"]


def test_nested_model_from_another_file() -> None:
    models_src = "from pydantic import BaseModel\nclass Db(BaseModel):\n    host: str = 'x'\n"
    settings_src = (
        "from pydantic_settings import BaseSettings\n"
        "from src.models import Db\n"
        "class S(BaseSettings, env_nested_delimiter='__'):\n"
        "    db: Db = Db()\n"
    )
    files = [
        parse_settings(models_src, "app/src/models.py"),
        parse_settings(settings_src, "app/src/settings.py"),
    ]
    index = models(files)
    (resolved,) = resolve(files, index)
    assert [n.name for n in env_names(resolved, resolved.fields[0], index)] == ["DB", "DB__HOST"]


def test_self_referencing_model_terminates() -> None:
    got = names_of(
        """
class Node(BaseModel):
    name: str = "x"
    child: Optional["Node"] = None

class S(BaseSettings):
    model_config = SettingsConfigDict(env_nested_delimiter="__")
    root: Node = Node()
"""
    )
    assert got["root"] == ["ROOT", "ROOT__NAME", "ROOT__CHILD"]


# --------------------------------------------------------------------------- differential

IDENT = st.from_regex(r"[a-z][a-z0-9]{1,6}", fullmatch=True).filter(lambda n: not iskeyword(n))
ALIAS = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{1,7}", fullmatch=True)


@dataclass(frozen=True)
class Spec:
    source: str
    nested_field: str | None  # the settings field holding the sub-model, if any
    case_sensitive: bool


def _alias_kw(draw: st.DrawFn, allow_path: bool) -> tuple[str, bool]:
    """A Field(...) keyword text and whether the value must be a JSON list (AliasPath)."""
    kind = draw(
        st.sampled_from(["none", "alias", "vstr", "choices", "path"][: 5 if allow_path else 4])
    )
    a = draw(ALIAS)
    b = draw(ALIAS.filter(lambda x: x.lower() != a.lower()))  # one name per choice
    if kind == "alias":
        return f", alias={a!r}", False
    if kind == "vstr":
        return f", validation_alias={a!r}", False
    if kind == "choices":
        second = f"AliasPath({b!r}, 0)" if allow_path and draw(st.booleans()) else repr(b)
        return f", validation_alias=AliasChoices({a!r}, {second})", "AliasPath" in second
    if kind == "path":
        return f", validation_alias=AliasPath({a!r}, 0)", True
    return "", False


@st.composite
def specs(draw: st.DrawFn) -> Spec:
    names = draw(st.lists(IDENT, min_size=1, max_size=4, unique=True))
    case_sensitive = draw(st.booleans())
    config = {
        "case_sensitive": case_sensitive,
        "env_prefix": draw(st.sampled_from(["", "APP_", "my_", "Pre"])),
        "populate_by_name": draw(st.booleans()),
        "extra": "ignore",
    }
    target = draw(st.sampled_from([None, "variable", "alias", "all"]))
    if target:
        config["env_prefix_target"] = target
    delimiter = draw(st.sampled_from([None, "__", "_"]))
    if delimiter:
        config["env_nested_delimiter"] = delimiter
        if draw(st.booleans()):
            config["env_nested_max_split"] = draw(st.sampled_from([1, 2]))
    generator = draw(st.sampled_from(["", ", alias_generator=to_camel"]))
    lines = []
    for name in names:
        kw, _ = _alias_kw(draw, allow_path=True)
        lines.append(f"    {name}: Optional[str] = Field(None{kw})")
    sub_source, nested = "", None
    if draw(st.booleans()):
        nested = draw(IDENT.filter(lambda n: n not in names))
        sub_names = draw(st.lists(IDENT, min_size=1, max_size=3, unique=True))
        sub_lines = [
            f"    {n}: Optional[str] = Field(None{_alias_kw(draw, False)[0]})" for n in sub_names
        ]
        sub_cfg = (
            "    model_config = ConfigDict(populate_by_name=True)\n" if draw(st.booleans()) else ""
        )
        sub_source = "class Sub(BaseModel):\n" + sub_cfg + "\n".join(sub_lines) + "\n\n"
        ann = draw(st.sampled_from(["Sub", "Optional[Sub]", "Sub | None"]))
        lines.append(f"    {nested}: {ann} = Field(default_factory=Sub)")
    cfg = ", ".join(f"{k}={v!r}" for k, v in config.items())
    body = "\n".join(lines)
    source = f"{HEADER}\n{sub_source}class S(BaseSettings):\n    model_config = SettingsConfigDict({cfg}{generator})\n{body}\n"
    return Spec(source, nested, case_sensitive)


def _instantiate(source: str, env: dict[str, str]) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(source, "<generated settings>", "exec", dont_inherit=True), namespace)
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            mp.delenv(key)
        for key, value in env.items():
            mp.setenv(key, value)
        return namespace["S"]()


def _spelling(name: EnvName, lower: bool) -> str:
    """How the test writes a name: case-insensitive names also in lower case."""
    return name.name.lower() if lower and not name.case_sensitive else name.name


def _value_for(resolved: ResolvedSettings, name: EnvName, value: str) -> str:
    """The env value that should make ``name``'s field equal ``value``: an ``AliasPath(h, 0)``
    head needs a JSON list."""
    field = resolved.field(name.field)
    alias = field.validation_alias if field is not None else None
    target = resolved.config_value("env_prefix_target") or "variable"
    prefix = str(resolved.config_value("env_prefix") or "") if target in ("alias", "all") else ""
    for choice in alias.choices if alias else ():
        head = prefix + str(choice[0])
        if len(choice) > 1 and name.key == (head if name.case_sensitive else head.lower()):
            return json.dumps([value])
    return value


def _field_value(instance: Any, path: str) -> Any:
    for part in path.split("."):
        instance = getattr(instance, part) if instance is not None else None
    return instance


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs(), lower=st.booleans())
def test_predicted_names_are_read_by_pydantic_settings(spec: Spec, lower: bool) -> None:
    resolved, index = _resolve(spec.source)
    predicted = [n for _, ns in all_env_names(resolved, index) for n in ns]
    keys = [n.key for n in predicted]
    assume(len(set(keys)) == len(keys))  # two fields sharing a name: order decides, skip
    for i, name in enumerate(predicted):
        if name.field == spec.nested_field:
            continue  # the whole model as JSON: checked below
        value = f"v{i}"
        env = {_spelling(name, lower): _value_for(resolved, name, value)}
        got = _field_value(_instantiate(spec.source, env), name.field)
        assert got == value, f"{name} not read:\n{spec.source}"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs())
def test_nested_model_is_read_as_json_under_its_top_names(spec: Spec) -> None:
    assume(spec.nested_field is not None)
    resolved, index = _resolve(spec.source)
    keys = [n.key for _, ns in all_env_names(resolved, index) for n in ns]
    assume(len(set(keys)) == len(keys))
    field = resolved.field(spec.nested_field or "")
    assert field is not None
    sub = index.resolved(index["Sub"])
    # each sub-field must own its input keys, or the JSON payload is ambiguous
    accepted = [
        {sf.name} | {str(c[0]) for c in sf.validation_alias.choices}
        if sf.validation_alias
        else {sf.name}
        for sf in sub.fields
    ]
    assume(sum(len(a) for a in accepted) == len(set().union(*accepted)))
    for name in env_names(resolved, field, index):
        if name.nested:
            continue
        # key the JSON by whatever the sub-model accepts first: alias head or field name
        payload = {}
        for sf in sub.fields:
            alias = sf.validation_alias
            key = alias.choices[0][0] if alias else sf.name
            payload[str(key)] = f"j-{sf.name}"
        instance = _instantiate(spec.source, {name.name: json.dumps(payload)})
        nested = getattr(instance, field.name)
        assert [getattr(nested, sf.name) for sf in sub.fields] == [
            f"j-{sf.name}" for sf in sub.fields
        ]


def _decoys(spec: Spec, resolved: ResolvedSettings, index: Any) -> set[str]:
    """Plausible names pydantic-settings must *not* read."""
    prefix = str(resolved.config_value("env_prefix") or "")
    out: set[str] = set()
    for field, names in all_env_names(resolved, index):
        alias = field.validation_alias
        heads = [str(c[0]) for c in alias.choices] if alias else []
        out.update(prefix + h for h in heads)  # prefix + alias (target "variable")
        out.update(h + "_" + field.name for h in heads)
        out.add(field.name if prefix else "Z" + field.name)  # the name without its prefix
        out.add(prefix + field.name + "_X")
        for n in names:
            if n.case_sensitive:
                out.add(n.name.swapcase())
    return out


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=specs())
def test_names_not_predicted_are_ignored(spec: Spec) -> None:
    resolved, index = _resolve(spec.source)
    predicted = [n for _, ns in all_env_names(resolved, index) for n in ns]
    folded = {n.key for n in predicted}
    fold = (lambda s: s) if spec.case_sensitive else str.lower
    decoys = {d for d in _decoys(spec, resolved, index) if fold(d) not in folded}
    # a decoy that extends a nested top name with the delimiter may be a legitimate path
    delimiter = str(resolved.config_value("env_nested_delimiter") or "")
    if delimiter:
        decoys = {
            d for d in decoys if not any(fold(d).startswith(k + fold(delimiter)) for k in folded)
        }
    instance = _instantiate(spec.source, dict.fromkeys(decoys, "decoy"))
    for field in resolved.fields:
        if field.name != spec.nested_field:
            assert getattr(instance, field.name) is None, f"{field.name} read a decoy: {decoys}"
        else:
            nested = getattr(instance, field.name)
            assert "decoy" not in repr(nested), f"{field.name} read a decoy: {decoys}"
