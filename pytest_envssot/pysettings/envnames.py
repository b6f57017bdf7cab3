"""Which environment variables a settings field reads, exactly as pydantic-settings 2.x does.

Mirrors ``PydanticBaseEnvSettingsSource._extract_field_info`` (top-level names) and
``EnvSettingsSource.explode_env_vars`` (nested ``DB__HOST`` names):

* a validation alias (``alias=`` counts, pydantic copies it) replaces the field name; every
  ``AliasChoices`` member is read, an ``AliasPath`` by its first element;
* ``env_prefix`` is applied to the field name only, unless ``env_prefix_target`` says
  ``"alias"``/``"all"``;
* ``populate_by_name``/``validate_by_name`` add the (prefixed) field name after the aliases;
* a static ``alias_generator`` (pydantic's ``to_camel``/``to_pascal``/``to_snake``, ``str.upper``,
  ``str.lower``, or an ``AliasGenerator`` of those) supplies aliases for fields without one;
* with ``env_nested_delimiter`` a nested model's fields are read as ``<outer><delim><inner>``
  (also the whole model as JSON under the outer name); ``env_nested_max_split`` limits splitting.

Names are compared case-insensitively unless ``case_sensitive`` is set: then ``EnvName.name``
is shown upper-cased and ``EnvName.key`` is the lower-cased form pydantic-settings looks up.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Mapping

from pytest_envssot.model import AliasSpec, SettingsClass, SettingsField, SettingsFile
from pytest_envssot.pysettings.inheritance import ModelIndex, ResolvedSettings
from pytest_envssot.readers.settings import Expr
from pytest_envssot.records import frozen

_MAX_DEPTH = 8  # nested models deeper than this are not enumerated (and cycles are cut)

_GENERATOR_NAMES = {
    "pydantic.alias_generators.to_camel": "to_camel",
    "pydantic.alias_generators.to_pascal": "to_pascal",
    "pydantic.alias_generators.to_snake": "to_snake",
}
_STR_METHODS = {"builtins.str.upper": str.upper, "builtins.str.lower": str.lower}
_ALIAS_GENERATOR = frozenset({"pydantic.AliasGenerator", "pydantic.aliases.AliasGenerator"})


@frozen(slots=False)
class EnvName:
    """One environment variable name a field reads."""

    name: str  # as a user writes it; upper-cased when matching is case-insensitive
    case_sensitive: bool
    field: str  # attribute path, e.g. "db.host"
    nested: bool  # read through env_nested_delimiter (a sub-field), not the field as a whole

    @property
    def key(self) -> str:
        """What pydantic-settings compares: the name itself, or lower-cased."""
        return self.name if self.case_sensitive else self.name.lower()


# --------------------------------------------------------------------------- public API


def env_names(
    resolved: ResolvedSettings,
    field: SettingsField,
    lookup: Mapping[str, SettingsClass] | None = None,
) -> tuple[EnvName, ...]:
    """The env names ``field`` of ``resolved`` reads, in the order pydantic-settings tries them."""
    return _Naming(resolved, _index(lookup)).names(field)


def all_env_names(
    resolved: ResolvedSettings, lookup: Mapping[str, SettingsClass] | None = None
) -> tuple[tuple[SettingsField, tuple[EnvName, ...]], ...]:
    naming = _Naming(resolved, _index(lookup))  # shared: linear in the number of fields
    return tuple((f, naming.names(f)) for f in resolved.fields)


class _Naming:
    """Per-class state: config, alias generator, and where each found value is stored."""

    def __init__(self, resolved: ResolvedSettings, index: ModelIndex) -> None:
        self.cfg = _SourceConfig.of(resolved)
        self.gen = _Generator.of(resolved)
        self.index = index
        # data key -> (field, env name) of every top-level entry, for cross-field leaks
        self.stored: dict[str, list[tuple[str, str]]] = {}
        for f in resolved.fields:
            for env, key in _entries(f, self.cfg, self.gen):
                self.stored.setdefault(key, []).append((f.name, env))

    def names(self, field: SettingsField) -> tuple[EnvName, ...]:
        cfg = self.cfg
        tops = [raw for raw, _ in _entries(field, cfg, self.gen)]
        names = [EnvName(cfg.display(n), cfg.case_sensitive, field.name, False) for n in tops]
        names.extend(_exploded(field, tops, cfg, self.index))
        names.extend(self._leaked(field))
        return _dedupe(names)

    def _leaked(self, field: SettingsField) -> Iterator[EnvName]:
        """Names of *other* fields whose value lands under a key this field validates from.

        All values go into one dict; ``Field(validation_alias="b")`` on ``a`` stores under
        "b", and a field named ``b`` reads it too (even when its own env name is prefixed).
        """
        cfg = self.cfg
        for key in _accepted(field, cfg.by_alias, cfg.by_name, self.gen):
            for owner, env in self.stored.get(key, ()):
                if owner != field.name:
                    yield EnvName(cfg.display(env), cfg.case_sensitive, field.name, False)


# --------------------------------------------------------------------------- config


@frozen(slots=False)
class _SourceConfig:
    """The model_config keys the env source reads, with pydantic-settings' defaults."""

    case_sensitive: bool
    prefix: str
    prefix_target: str
    by_name: bool
    by_alias: bool
    delimiter: str
    maxsplit: int

    @classmethod
    def of(cls, resolved: ResolvedSettings) -> _SourceConfig:
        get = resolved.config_value
        max_split = get("env_nested_max_split")
        return cls(
            case_sensitive=get("case_sensitive") is True,
            prefix=_str(get("env_prefix")),
            prefix_target=_str(get("env_prefix_target")) or "variable",
            by_name=_by_name(resolved),
            by_alias=get("validate_by_alias") is not False,
            delimiter=_str(get("env_nested_delimiter")),
            # EnvSettingsSource: maxsplit = (env_nested_max_split or 0) - 1
            maxsplit=(max_split if isinstance(max_split, int) else 0) - 1,
        )

    def display(self, raw: str) -> str:
        return raw if self.case_sensitive else raw.upper()

    def fold(self, raw: str) -> str:
        return raw if self.case_sensitive else raw.lower()


def _str(value: object) -> str:
    """A config string; a non-literal (``Expr``) or a missing value counts as unset."""
    return value if isinstance(value, str) else ""


def _by_name(resolved: ResolvedSettings) -> bool:
    get = resolved.config_value
    return get("populate_by_name") is True or get("validate_by_name") is True


def _index(lookup: Mapping[str, SettingsClass] | None) -> ModelIndex:
    if isinstance(lookup, ModelIndex):
        return lookup
    classes = tuple(lookup.values()) if lookup is not None else ()
    return ModelIndex([SettingsFile(path="", classes=classes)])


# --------------------------------------------------------------------------- aliases


@frozen(slots=False)
class _Generator:
    """A statically known ``alias_generator``: field name -> validation alias (or None)."""

    func: Callable[[str], str | None] | None

    @classmethod
    def of(cls, resolved: ResolvedSettings) -> _Generator:
        return cls(_generator(resolved.config_value("alias_generator")))

    def validation_alias(self, field: SettingsField) -> AliasSpec | None:
        """Pydantic's ``_apply_alias_generator_to_field_info`` for the validation alias."""
        explicit = field.validation_alias
        priority_one = dict(field.constraints).get("alias_priority", "").strip() == "1"
        if self.func is None or (explicit is not None and not priority_one):
            return explicit
        generated = self.func(field.name)
        return AliasSpec(((generated,),)) if generated else explicit


def _generator(value: object) -> Callable[[str], str | None] | None:
    if not isinstance(value, Expr) or value.qualname is None:
        return None  # unset, None, or not static: names are derived as without a generator
    if value.qualname in _ALIAS_GENERATOR:
        validation = _generator(value.kwarg("validation_alias", _arg(value, 1)))
        alias = _generator(value.kwarg("alias", _arg(value, 0)))
        if validation is None and alias is None:
            return None
        return _first_of(validation, alias)
    if value.qualname in _STR_METHODS:
        return _STR_METHODS[value.qualname]
    if value.qualname in _GENERATOR_NAMES:
        from pydantic import alias_generators

        func: Callable[[str], str] = getattr(alias_generators, _GENERATOR_NAMES[value.qualname])
        return func
    return None


def _arg(expr: Expr, position: int) -> object:
    return expr.args[position] if len(expr.args) > position else None


def _first_of(*funcs: Callable[[str], str | None] | None) -> Callable[[str], str | None]:
    """``AliasGenerator``: the validation alias generator wins over the alias generator."""

    def generate(name: str) -> str | None:
        for func in funcs:
            value = func(name) if func is not None else None
            if value:
                return value
        return None

    return generate


def _entries(field: SettingsField, cfg: _SourceConfig, gen: _Generator) -> list[tuple[str, str]]:
    """``_extract_field_info``, aliases first, then the field name: each env name (before
    case folding) with the key ``_get_resolved_field_value`` stores a found value under."""
    infos: list[tuple[str, str, bool]] = []  # (data key, env name, value is complex)
    alias = gen.validation_alias(field)
    if alias is not None and cfg.by_alias:
        prefix = cfg.prefix if cfg.prefix_target in ("alias", "all") else ""
        for choice in alias.choices:
            if choice and isinstance(choice[0], str):
                infos.append((choice[0], prefix + choice[0], len(choice) > 1))
    if alias is None or cfg.by_name:
        prefix = cfg.prefix if cfg.prefix_target in ("variable", "all") else ""
        infos.append((field.name, prefix + field.name, False))
    out: list[tuple[str, str]] = []
    for key, env, is_complex in infos:
        if not (is_complex or (cfg.by_name and key == field.name) or infos[0][2]):
            key = infos[0][0]  # normalised to the preferred (first) alias
        out.append((env, key))
    return out


def _accepted(field: SettingsField, by_alias: bool, by_name: bool, gen: _Generator) -> list[str]:
    """Input keys pydantic validates ``field`` from, in order (AliasPath by its head)."""
    alias = gen.validation_alias(field)
    keys = list(_first_elements(alias)) if alias is not None and by_alias else []
    if alias is None or by_name:
        keys.append(field.name)
    return keys


def _first_elements(alias: AliasSpec) -> Iterator[str]:
    for choice in alias.choices:
        if choice and isinstance(choice[0], str):
            yield choice[0]


# --------------------------------------------------------------------------- nested models


def _exploded(
    field: SettingsField, tops: list[str], cfg: _SourceConfig, index: ModelIndex
) -> list[EnvName]:
    """``explode_env_vars``: ``<top><delim><segment>...`` for each field of a nested model."""
    sub = index.get(field.nested_model) if field.nested_model and cfg.delimiter else None
    if sub is None:
        return []
    mapped = _shape(field.annotation) in ("plain", "optional")
    out: list[EnvName] = []
    for top in tops:
        for segments, path in _paths(index.resolved(sub), cfg, index, mapped, (sub.qualname,)):
            if _splits_back(segments, cfg):
                raw = cfg.delimiter.join((top, *segments))
                attr = ".".join((field.name, *path))
                out.append(EnvName(cfg.display(raw), cfg.case_sensitive, attr, True))
    return out


def _paths(
    model: ResolvedSettings,
    cfg: _SourceConfig,
    index: ModelIndex,
    mapped: bool,
    seen: tuple[str, ...],
) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(env segments, attribute path) for every field of ``model`` and of models below it."""
    accepted = _AcceptedKeys(model, cfg)
    for sub_field in model.fields:
        for segment in accepted.segments(sub_field, mapped):
            yield (segment,), (sub_field.name,)
            yield from _deeper(sub_field, segment, cfg, index, seen)


def _deeper(
    sub_field: SettingsField,
    segment: str,
    cfg: _SourceConfig,
    index: ModelIndex,
    seen: tuple[str, ...],
) -> Iterator[tuple[tuple[str, ...], tuple[str, ...]]]:
    inner = index.get(sub_field.nested_model) if sub_field.nested_model else None
    if inner is None or inner.qualname in seen or len(seen) >= _MAX_DEPTH:
        return
    # Deeper levels are re-keyed case-insensitively only under a plain model annotation.
    mapped = _shape(sub_field.annotation) == "plain"
    below = _paths(index.resolved(inner), cfg, index, mapped, (*seen, inner.qualname))
    for segments, path in below:
        yield (segment, *segments), (sub_field.name, *path)


class _AcceptedKeys:
    """Which dict keys reach a field of a nested model.

    pydantic-settings lower-cases env names when case-insensitive, then
    ``_replace_field_names_case_insensitively`` renames a key to the first alias (per
    ``_get_alias_names``) that matches it ignoring case; pydantic then validates the
    sub-model, accepting its validation aliases, and the field name without an alias or
    under ``populate_by_name``.
    """

    def __init__(self, model: ResolvedSettings, cfg: _SourceConfig) -> None:
        self.cfg = cfg
        self.gen = _Generator.of(model)
        self.by_name = _by_name(model)
        self.by_alias = model.config_value("validate_by_alias") is not False
        self.renames = [(f, _alias_names(f, self.gen)) for f in model.fields]

    def segments(self, field: SettingsField, mapped: bool) -> Iterator[str]:
        valid = _accepted(field, self.by_alias, self.by_name, self.gen)
        for key in valid:
            if self.cfg.case_sensitive or self._renamed(key.lower(), mapped) in valid:
                yield key

    def _renamed(self, lowered: str, mapped: bool) -> str:
        if not mapped:
            return lowered
        for _, names in self.renames:
            hit = next((n for n in names if n.lower() == lowered), None)
            if hit is not None:
                return hit
        return lowered


def _alias_names(field: SettingsField, gen: _Generator) -> list[str]:
    """``_get_alias_names``: str aliases, else AliasPath heads, else the field name."""
    alias = gen.validation_alias(field)
    names = [field.alias] if field.alias else []
    if alias is None:
        return names or [field.name]
    strings = [c[0] for c in alias.choices if len(c) == 1 and isinstance(c[0], str)]
    heads = [c[0] for c in alias.choices if len(c) > 1 and isinstance(c[0], str)]
    names.extend(strings)
    return names or heads[:1]


def _splits_back(segments: tuple[str, ...], cfg: _SourceConfig) -> bool:
    """The remainder after ``<top><delim>`` must split into exactly these segments."""
    remainder = cfg.fold(cfg.delimiter.join(segments))
    return remainder.split(cfg.fold(cfg.delimiter), cfg.maxsplit) == [cfg.fold(s) for s in segments]


def _shape(annotation: str) -> str:
    """``plain`` (``X``), ``optional`` (``Optional[X]``/``X | None``, None second) or ``other``.

    pydantic strips ``Annotated``; pydantic-settings unwraps a two-member union with None by
    taking its *first* member, so ``None | X`` is not re-keyed.
    """
    try:
        node = ast.parse(annotation.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return "other"
    node = _strip_annotated(node)
    if isinstance(node, (ast.Name, ast.Attribute)) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    ):
        return "plain"
    members = _union_members(node)
    if len(members) == 2 and _is_none(members[1]) and not _is_none(members[0]):
        return "optional"
    return "other"


def _strip_annotated(node: ast.expr) -> ast.expr:
    if isinstance(node, ast.Subscript) and _tail(node.value) == "Annotated":
        inner = node.slice
        return inner.elts[0] if isinstance(inner, ast.Tuple) and inner.elts else inner
    return node


def _union_members(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return [*_union_members(node.left), node.right]
    if isinstance(node, ast.Subscript) and _tail(node.value) == "Optional":
        return [node.slice, ast.Constant(None)]
    if isinstance(node, ast.Subscript) and _tail(node.value) == "Union":
        return list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
    return [node]


def _tail(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    return node.attr if isinstance(node, ast.Attribute) else ""


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _dedupe(names: list[EnvName]) -> tuple[EnvName, ...]:
    seen: set[tuple[str, str]] = set()
    out: list[EnvName] = []
    for n in names:
        if (n.key, n.field) not in seen:
            seen.add((n.key, n.field))
            out.append(n)
    return tuple(out)
