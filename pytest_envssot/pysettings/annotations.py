"""Annotation source text -> a real type for pydantic, without importing the user's code.

The settings reader keeps each field's annotation as written. Here it is evaluated by a small
interpreter over Python's ``ast`` that only ever touches a fixed namespace: builtins, the
public names of typing, typing_extensions, pydantic, pydantic-settings, annotated_types,
datetime, decimal, enum, ipaddress, pathlib and uuid (reached through the file's own imports,
so ``import pydantic as p; p.SecretStr`` works), plus simple module-level definitions read
statically: ``Level = Literal[...]`` aliases, literal constants, ``Enum`` classes with literal
members, and the BaseModel classes the settings reader found (rebuilt with ``create_model``).

Anything else (a project type imported from elsewhere, a custom validator, a call) makes the
field :class:`Unresolved` with the reason, and the rules skip it with that reason: nothing is
guessed. ``Field(...)`` constraints the reader captured are applied as
``Annotated[T, Field(**constraints)]`` when their values are literals.

:class:`SettingsProbe` then runs pydantic-settings' own env source on one text value, so what
counts as valid is exactly what the application's settings class would accept.
"""

from __future__ import annotations

import ast
import enum
import importlib
import types
import typing
from collections.abc import Iterator, Mapping
from dataclasses import field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

from pytest_envssot.model import SettingsClass, SettingsField
from pytest_envssot.readers._pytext import literal_eval
from pytest_envssot.readers.settings import module_name, parse_module
from pytest_envssot.records import frozen, mutable

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel, TypeAdapter

    from pytest_envssot.pysettings.inheritance import ModelIndex

# Modules whose public names an annotation may use; importing them runs no user code.
SAFE_MODULES = frozenset(
    {
        "typing", "typing_extensions", "pydantic", "pydantic.types", "pydantic.networks",
        "pydantic.fields", "pydantic.functional_validators", "pydantic_settings",
        "annotated_types", "datetime", "decimal", "enum", "ipaddress", "pathlib", "uuid",
        "collections", "collections.abc",
    }
)  # fmt: skip
# Field(...) keywords that change what validates; others (title, examples...) do not.
CONSTRAINT_KEYS = frozenset(
    {
        "gt", "ge", "lt", "le", "multiple_of", "min_length", "max_length", "pattern", "strict",
        "allow_inf_nan", "max_digits", "decimal_places", "union_mode",
    }
)  # fmt: skip
_CONSTRAINT_CALLS = frozenset(
    {
        "pydantic.Field", "pydantic.fields.Field", "pydantic.constr", "pydantic.conint",
        "pydantic.confloat", "pydantic.condecimal", "pydantic.conlist", "pydantic.conset",
        "pydantic.confrozenset", "pydantic.conbytes", "pydantic.condate",
        "pydantic.types.constr", "pydantic.types.conint", "pydantic.types.confloat",
        "pydantic.types.conlist", "pydantic.StringConstraints", "pydantic.types.StringConstraints",
        "pydantic.UrlConstraints", "pydantic.networks.UrlConstraints", "pydantic.Strict",
        "annotated_types.Gt", "annotated_types.Ge", "annotated_types.Lt", "annotated_types.Le",
        "annotated_types.MinLen", "annotated_types.MaxLen", "annotated_types.Len",
        "annotated_types.MultipleOf", "annotated_types.Interval",
    }
)  # fmt: skip
_BUILTINS: dict[str, object] = {
    "str": str, "int": int, "float": float, "bool": bool, "bytes": bytes, "list": list,
    "dict": dict, "set": set, "frozenset": frozenset, "tuple": tuple, "type": type,
    "object": object, "complex": complex, "None": None,
}  # fmt: skip
_MAX_DEPTH = 30
# Classes whose constructor a default may call: library code, never the user's.
_LIBRARY_ROOTS = frozenset({"pydantic", "datetime", "decimal", "pathlib", "uuid", "ipaddress"})


@frozen(slots=False)
class Unresolved:
    """Why a field's type could not be known statically; the item is skipped with it."""

    reason: str


@frozen(slots=False)
class ResolvedType:
    """A field's annotation as a real type, ready for pydantic."""

    annotation: Any  # the type to validate with, constraints applied
    source: str  # the annotation as written, for messages
    no_decode: bool  # Annotated[..., NoDecode]: pydantic-settings passes the raw string
    raw_validators: tuple[str, ...]  # before/wrap/plain validators (user code) see the input


class _Fail(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --------------------------------------------------------------------------- modules


@mutable
class _Module:
    """One settings file: its import bindings and top-level definitions, as ast nodes."""

    name: str
    rel: str
    bindings: dict[str, tuple[str, ast.AST | str]] = field(default_factory=dict)
    values: dict[str, object] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)


def _read_module(root: Path, rel: str) -> _Module:
    from pytest_envssot.readers._io import read_text  # the readers' guards: no FIFO, no link out

    module = _Module(module_name(rel), rel)
    text = read_text(root / rel, rel)
    if not isinstance(text, str):
        return module
    try:
        tree = parse_module(text, rel)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return module
    for stmt in tree.body:
        for name, binding in _bindings(stmt):
            module.bindings[name] = binding
    return module


def _bindings(stmt: ast.stmt) -> Iterator[tuple[str, tuple[str, ast.AST | str]]]:
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.asname:
                yield alias.asname, ("module", alias.name)
            else:
                top = alias.name.split(".", 1)[0]
                yield top, ("module", top)
    elif isinstance(stmt, ast.ImportFrom):
        prefix = "." * stmt.level + (stmt.module or "")
        for alias in stmt.names:
            yield alias.asname or alias.name, ("from", f"{prefix}.{alias.name}")
    elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        if isinstance(stmt.targets[0], ast.Name):
            yield stmt.targets[0].id, ("expr", stmt.value)
    elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
        yield stmt.target.id, ("expr", stmt.value)
    elif isinstance(stmt, ast.ClassDef):
        yield stmt.name, ("class", stmt)
    elif type(stmt).__name__ == "TypeAlias":  # `type X = ...` (3.12)
        name, value = getattr(stmt, "name", None), getattr(stmt, "value", None)
        if isinstance(name, ast.Name) and isinstance(value, ast.AST):
            yield name.id, ("expr", value)


def _safe_module(name: str) -> ModuleType:
    if name not in SAFE_MODULES:
        raise _Fail(f"module {name} is not one envssot evaluates statically")
    return importlib.import_module(name)


# --------------------------------------------------------------------------- the resolver


class TypeResolver:
    """Resolves field annotations of the configured settings files; caches per file."""

    def __init__(self, root: Path, models: ModelIndex | None = None) -> None:
        self.root = root
        self.models = models
        self._modules: dict[str, _Module] = {}
        self._built: dict[str, type[BaseModel] | _Fail] = {}
        self._building: set[str] = set()
        self._buildable: set[str] = set()  # fingerprints pydantic already built a type for
        # The adapter each check built, by the type's identity: the probe validates with it.
        self._adapters: dict[int, tuple[object, TypeAdapter[Any]]] = {}

    def module(self, rel: str) -> _Module:
        if rel not in self._modules:
            self._modules[rel] = _read_module(self.root, rel)
        return self._modules[rel]

    def resolve(self, fld: SettingsField) -> ResolvedType | Unresolved:
        try:
            return self._resolve(fld)
        except _Fail as exc:
            return Unresolved(exc.reason)
        except RecursionError:
            return Unresolved("annotation nested too deeply")

    def _resolve(self, fld: SettingsField) -> ResolvedType:
        from pydantic import Field
        from pydantic_settings import NoDecode

        module = self.module(fld.location.path)
        evaluator = _Evaluator(self, module)
        tp = evaluator.type_(_parse_expr(fld.annotation))
        constraints = {}
        for key, source in fld.constraints:
            if key in CONSTRAINT_KEYS:
                constraints[key] = evaluator.literal(_parse_expr(source))
        if constraints:
            try:
                tp = typing.Annotated[tp, Field(**constraints)]
            except (TypeError, ValueError) as exc:
                raise _Fail(
                    f"Field constraints {constraints} rejected by pydantic: {exc}"
                ) from None
        metadata = getattr(tp, "__metadata__", ())
        no_decode = any(m is NoDecode or isinstance(m, NoDecode) for m in metadata)
        structure = fingerprint(tp)
        if structure is None or structure not in self._buildable:
            # a TypeAdapter per field shape dominated a monorepo's run
            self._adapters[id(tp)] = (tp, _check_buildable(tp))
            if structure is not None:
                self._buildable.add(structure)
        return ResolvedType(tp, fld.annotation, no_decode, fld.validator_modes)

    def adapter(self, tp: object) -> TypeAdapter[Any] | None:
        """The ``TypeAdapter(tp)`` resolving built, if it built one for this very object."""
        found = self._adapters.get(id(tp))
        return found[1] if found is not None and found[0] is tp else None

    def default_value(self, fld: SettingsField) -> object:
        """The field's default as a Python value: a literal, a module constant, or a call of a
        library class with literal arguments (``SecretStr("")``); raises :class:`_Fail`."""
        if fld.default is None:
            raise _Fail("the field has no default")
        evaluator = _Evaluator(self, self.module(fld.location.path))
        node = _parse_expr(fld.default)
        if isinstance(node, ast.Call) and not node.keywords:
            func = (
                evaluator.name(node.func)
                if isinstance(node.func, (ast.Name, ast.Attribute))
                else None
            )
            library = isinstance(func, type) and func.__module__.split(".", 1)[0] in _LIBRARY_ROOTS
            if not library:
                raise _Fail(f"the default {fld.default} is computed by code")
            args = [evaluator.literal(a) for a in node.args]
            try:
                return typing.cast(Any, func)(*args)
            except Exception as exc:
                raise _Fail(
                    f"the default {fld.default} fails to construct ({type(exc).__name__})"
                ) from None
        return evaluator.literal(node)

    def default(self, fld: SettingsField) -> tuple[bool, object, str]:
        """(known, value, reason-if-unknown) for the field's default."""
        try:
            return True, self.default_value(fld), ""
        except _Fail as exc:
            return False, None, exc.reason

    # nested models ----------------------------------------------------------------------
    def model(self, cls: SettingsClass) -> type[BaseModel]:
        cached = self._built.get(cls.qualname)
        if isinstance(cached, _Fail):
            raise cached
        if cached is not None:
            return cached
        if cls.qualname in self._building:
            raise _Fail(f"model {cls.name} refers to itself; recursive models are not rebuilt")
        self._building.add(cls.qualname)
        try:
            built: type[BaseModel] | _Fail = self._build_model(cls)
        except _Fail as exc:
            built = exc
        finally:
            self._building.discard(cls.qualname)
        self._built[cls.qualname] = built
        if isinstance(built, _Fail):
            raise built
        return built

    def _build_model(self, cls: SettingsClass) -> type[BaseModel]:
        from pydantic import BaseModel, Field, create_model

        fields = self.models.resolved(cls).fields if self.models is not None else cls.fields
        spec: dict[str, Any] = {}
        for fld in fields:
            resolved = self._resolve(fld)
            kwargs: dict[str, Any] = {}
            if fld.validation_alias and len(fld.validation_alias.choices) == 1:
                path = fld.validation_alias.choices[0]
                if len(path) == 1 and isinstance(path[0], str):
                    kwargs["validation_alias"] = path[0]
            if not fld.required:
                kwargs["default"] = _literal_default(fld.default)
            spec[fld.name] = (resolved.annotation, Field(**kwargs))
        try:
            model: type[BaseModel] = create_model(cls.name, __base__=BaseModel, **spec)
        except Exception as exc:  # pydantic refuses the definition: say so, do not crash
            raise _Fail(f"model {cls.name} cannot be rebuilt: {type(exc).__name__}") from None
        return model

    def find_model(self, qualname: str) -> SettingsClass | None:
        return self.models.find(qualname) if self.models is not None else None


def _literal_default(source: str | None) -> object:
    try:
        return literal_eval(source) if source is not None else None
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None  # a computed default: the field is optional, its value unknown


def _parse_expr(source: str) -> ast.expr:
    try:
        return ast.parse(source.strip(), mode="eval").body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise _Fail(f"cannot parse {source!r}") from None


_LIBRARY_MODULES = frozenset(
    {"builtins", "typing", "typing_extensions", "pydantic", "pydantic_core", "pydantic_settings",
     "annotated_types", "datetime", "decimal", "enum", "ipaddress", "pathlib", "uuid",
     "collections"}
)  # fmt: skip


def fingerprint(tp: object, depth: int = 0) -> str | None:
    """A stable text for a resolved annotation's structure; None when it cannot vouch for one."""
    if depth > 20:
        return None
    if tp is None or tp is type(None):
        return "None"
    origin = typing.get_origin(tp)
    if origin is not None:
        args = typing.get_args(tp)
        if origin is typing.Literal:
            return "Literal[" + ", ".join(f"{type(a).__qualname__}:{a!r}" for a in args) + "]"
        if origin is typing.Annotated:
            base = fingerprint(args[0], depth + 1)
            extras = [_metadata(m) for m in args[1:]]
            if base is None or None in extras:
                return None
            return f"Annotated[{base}, {', '.join(typing.cast(list[str], extras))}]"
        union = origin is typing.Union or origin is types.UnionType
        head = "Union" if union else fingerprint(origin, depth + 1)
        inner = [a if a is Ellipsis else fingerprint(a, depth + 1) for a in args]
        if head is None or None in inner:
            return None
        return f"{head}[{', '.join('...' if a is Ellipsis else str(a) for a in inner)}]"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        bases = ",".join(c.__qualname__ for c in tp.__mro__)
        members = ",".join(f"{m.name}={m.value!r}" for m in tp)
        return f"Enum({bases}; {members})"
    module = getattr(tp, "__module__", None)
    name = getattr(tp, "__qualname__", None) or getattr(tp, "__name__", None)
    if isinstance(module, str) and module.split(".", 1)[0] in _LIBRARY_MODULES and name:
        return f"{module}.{name}"
    return None


def _metadata(meta: object) -> str | None:
    module = getattr(type(meta), "__module__", "")
    if module.split(".", 1)[0] in ("pydantic", "pydantic_settings", "annotated_types"):
        names = [*getattr(meta, "__dict__", {}), *getattr(type(meta), "__slots__", ())]
        if any(callable(getattr(meta, n, None)) for n in names):
            return None  # a validator function: user code, compared by identity only
        return repr(meta)
    return None


def _check_buildable(tp: object) -> TypeAdapter[Any]:
    from pydantic import TypeAdapter

    try:
        return TypeAdapter(cast(Any, tp))  # newer pydantic types the argument as a TypeForm
    except Exception as exc:
        raise _Fail(f"pydantic cannot validate this type ({type(exc).__name__})") from None


# --------------------------------------------------------------------------- the evaluator


class _Evaluator:
    """Evaluates annotation expressions over whitelisted objects only."""

    def __init__(self, resolver: TypeResolver, module: _Module, depth: int = 0) -> None:
        self.resolver = resolver
        self.module = module
        self.depth = depth

    # types ---------------------------------------------------------------------------
    def type_(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant):
            if node.value is None:
                return None
            if isinstance(node.value, str):  # a forward reference
                return self.type_(_parse_expr(node.value))
            if node.value is Ellipsis:
                return Ellipsis
            raise _Fail(f"{node.value!r} is not a type")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return typing.Union[self.type_(node.left), self.type_(node.right)]  # noqa: UP007
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self.name(node)
        if isinstance(node, ast.List):  # Callable[[...], R] and friends are not settings types
            return [self.type_(e) for e in node.elts]
        raise _Fail(f"{ast.unparse(node)} is not a type envssot can evaluate")

    def _subscript(self, node: ast.Subscript) -> Any:
        head = self.type_(node.value)
        parts = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
        origin_name = getattr(head, "_name", None) or getattr(head, "__name__", "")
        if origin_name == "Literal":
            args: tuple[Any, ...] = tuple(self.literal(p) for p in parts)
        elif origin_name == "Annotated":
            args = (self.type_(parts[0]), *(self.metadata(p) for p in parts[1:]))
        else:
            args = tuple(self.type_(p) for p in parts)
        try:
            return head[args if len(args) != 1 else args[0]]
        except TypeError as exc:
            raise _Fail(f"{ast.unparse(node)}: {exc}") from None

    def metadata(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Call):
            return self._call(node)
        return self.type_(node)

    def _call(self, node: ast.Call) -> Any:
        func = self.name(node.func) if isinstance(node.func, (ast.Name, ast.Attribute)) else None
        qual = _qualname(func)
        if qual in _CONSTRAINT_CALLS:
            if qual.endswith(".Field"):  # only what changes validation
                kwargs = {
                    k.arg: self.literal(k.value) for k in node.keywords if k.arg in CONSTRAINT_KEYS
                }
                return typing.cast(Any, func)(**kwargs)
            args = [self._arg(a, i, qual) for i, a in enumerate(node.args)]
            kwargs = {k.arg: self.literal(k.value) for k in node.keywords if k.arg}
            try:
                return typing.cast(Any, func)(*args, **kwargs)
            except (TypeError, ValueError) as exc:
                raise _Fail(f"{ast.unparse(node)}: {exc}") from None
        if qual.endswith("Validator") or qual.endswith("Serializer"):
            raise _Fail(f"{ast.unparse(node)} runs a custom validator (user code)")
        raise _Fail(f"{ast.unparse(node)} is a call envssot does not evaluate")

    def _arg(self, node: ast.expr, position: int, qual: str) -> Any:
        if position == 0 and qual.rsplit(".", 1)[-1] in ("conlist", "conset", "confrozenset"):
            return self.type_(node)
        return self.literal(node)

    # names ---------------------------------------------------------------------------
    def name(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Attribute):
            base = self.name(node.value)
            if node.attr.startswith("_"):
                raise _Fail(f"{ast.unparse(node)}: private attribute")
            if isinstance(base, ModuleType):
                sub = f"{base.__name__}.{node.attr}"
                if sub in SAFE_MODULES:
                    return _safe_module(sub)
                if not hasattr(base, node.attr):
                    raise _Fail(f"{ast.unparse(node)} does not exist")
                return getattr(base, node.attr)
            if isinstance(base, type) and issubclass(base, enum.Enum):
                return base[node.attr]
            raise _Fail(f"{ast.unparse(node)} is not evaluated statically")
        if not isinstance(node, ast.Name):
            raise _Fail(f"{ast.unparse(node)} is not a name")
        return self.lookup(node.id)

    def lookup(self, name: str) -> Any:
        module = self.module
        if name in module.values:
            return module.values[name]
        binding = module.bindings.get(name)
        if binding is None:
            if name in _BUILTINS:
                return _BUILTINS[name]
            raise _Fail(f"{name} is not defined in {module.rel}")
        if name in module.busy or self.depth > _MAX_DEPTH:
            raise _Fail(f"{name} is defined in terms of itself")
        module.busy.add(name)
        try:
            value = self._bind(name, *binding)
        finally:
            module.busy.discard(name)
        module.values[name] = value
        return value

    def _bind(self, name: str, kind: str, target: ast.AST | str) -> Any:
        if kind == "module":
            return _safe_module(str(target))
        if kind == "from":
            modname, _, attr = str(target).rpartition(".")
            if modname.lstrip(".") and not modname.startswith(".") and modname in SAFE_MODULES:
                module = _safe_module(modname)
                if not hasattr(module, attr):
                    raise _Fail(f"{modname}.{attr} does not exist")
                return getattr(module, attr)
            cls = self.resolver.find_model(f"{modname.lstrip('.')}.{attr}".lstrip("."))
            if cls is not None:
                return self.resolver.model(cls)
            raise _Fail(
                f"{name} is imported from {modname}, which envssot does not evaluate statically"
            )
        if kind == "expr":
            assert isinstance(target, ast.expr)
            nested = _Evaluator(self.resolver, self.module, self.depth + 1)
            try:
                return nested.literal(target)
            except _Fail:
                return nested.type_(target)
        assert isinstance(target, ast.ClassDef)
        return self._class(target)

    def _class(self, node: ast.ClassDef) -> Any:
        cls = self.resolver.find_model(f"{self.module.name}.{node.name}")
        if cls is not None and cls.location.path == self.module.rel:
            return self.resolver.model(cls)
        bases = [self.name(b) for b in node.bases]
        enum_base = next(
            (b for b in bases if isinstance(b, type) and issubclass(b, enum.Enum)), None
        )
        if enum_base is None:
            raise _Fail(f"class {node.name} is neither an Enum nor a model the reader found")
        members: list[tuple[str, object]] = []
        for stmt in node.body:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
                target = stmt.targets[0]
                if isinstance(target, ast.Name) and not target.id.startswith("_"):
                    members.append((target.id, self._member(stmt.value, enum_base, len(members))))
        mixins = [b for b in bases if isinstance(b, type) and not issubclass(b, enum.Enum)]
        try:
            factory = typing.cast(Any, enum_base)
            return factory(node.name, members, type=mixins[0] if mixins else None)
        except (TypeError, ValueError) as exc:
            raise _Fail(f"Enum {node.name} cannot be rebuilt: {exc}") from None

    def _member(self, value: ast.expr, base: type, position: int) -> object:
        if isinstance(value, ast.Call) and _qualname(self.name(value.func)) in ("enum.auto",):
            return enum.auto()
        return self.literal(value)

    # literals -------------------------------------------------------------------------
    def literal(self, node: ast.expr) -> Any:
        """A literal value: constants, containers of them, module constants, enum members."""
        if isinstance(node, (ast.Name, ast.Attribute)):
            value = self.name(node)
            if (
                isinstance(value, (str, bytes, int, float, bool, enum.Enum, tuple, list, dict))
                or value is None
            ):
                return value
            raise _Fail(f"{ast.unparse(node)} is not a literal")
        try:
            return literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise _Fail(f"{ast.unparse(node)} is not a literal") from None


def _qualname(obj: object) -> str:
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if not isinstance(module, str) or not isinstance(name, str):
        return ""
    top = module.split(".", 1)[0]
    if top in ("pydantic", "annotated_types", "enum"):
        # pydantic.fields.Field is exported as pydantic.Field: accept both spellings
        return (
            f"{top}.{name}"
            if f"{top}.{name}" in _CONSTRAINT_CALLS | {"enum.auto"}
            else f"{module}.{name}"
        )
    return f"{module}.{name}"


# --------------------------------------------------------------------------- the probe


@frozen(slots=False)
class Checked:
    """One text value run through pydantic-settings: ok with the value, unset, or an error."""

    ok: bool
    value: object = None
    unset: bool = False  # pydantic-settings drops it (env_ignore_empty): the default applies
    error: str = ""  # pydantic's messages without the input (never a value)
    stopped_at_validator: bool = False  # decoded fine; a user validator takes it from here


_MISSING = object()
# model_config keys that change how a value validates (the rest name sources, aliases, docs).
VALIDATION_KEYS = frozenset(
    {
        "str_strip_whitespace", "str_to_lower", "str_to_upper", "str_min_length",
        "str_max_length", "strict", "coerce_numbers_to_str", "use_enum_values", "allow_inf_nan",
        "regex_engine", "arbitrary_types_allowed",
    }
)  # fmt: skip


# The reference probe's base class per env-source config, for the process.
_PROBE_BASES: dict[tuple[object, ...], type[Any]] = {}


class SettingsProbe:
    """pydantic-settings' own env source on one field, fed one text at a time.

    Built once per field structure; each value goes through ``EnvSettingsSource`` (JSON decoding
    of complex fields, ``NoDecode``, ``env_parse_none_str``, ``env_parse_enums``) and then
    validation. Fields with a before/wrap/plain validator stop after decoding: the validator is
    user code, and only import mode could run it.

    The source reads nothing of a settings class but its ``model_config`` and ``model_fields``,
    so it is handed a plain holder of the two instead of a ``BaseSettings`` subclass, and values
    validate through a ``TypeAdapter`` instead of a one-field model: two pydantic classes per
    field structure were most of a small repository's rule time. ``reference=True`` builds the
    real classes; tests/test_probe_equivalence.py compares both over many annotations, configs
    and texts, on annotations ``TypeAdapter`` accepts (the resolver has checked that before any
    probe is built: ``ClassVar[int]`` and the like are Unresolved).
    """

    def __init__(
        self,
        resolved: ResolvedType,
        config: Mapping[str, object],
        *,
        adapter: TypeAdapter[Any] | None = None,
        reference: bool = False,
    ) -> None:
        from pydantic import Field
        from pydantic_settings.sources import EnvSettingsSource

        keys = ("env_ignore_empty", "env_parse_none_str", "enable_decoding", "env_parse_enums")
        settings_config = {k: config[k] for k in keys if k in config and not _is_expr(config[k])}
        self.ignore_empty = bool(settings_config.get("env_ignore_empty", False))
        self._memo: dict[str | None, Checked] = {}
        self.none_str = settings_config.get("env_parse_none_str")
        self.resolved = resolved
        field_spec = (resolved.annotation, Field(validation_alias="V"))
        # Validation with the class's validation config (a BaseSettings would gather sources,
        # the process environment, on every call).
        validation = {k: v for k, v in config.items() if k in VALIDATION_KEYS and not _is_expr(v)}
        if reference:
            settings_cls = _settings_class(_probe_base(settings_config), field_spec)
            self.source = EnvSettingsSource(settings_cls, case_sensitive=True)
            self._validate = _model_validator(field_spec, validation)
            return
        self.source = _probe_source(_settings_fields(settings_config, field_spec))
        if adapter is not None and not validation:  # the resolver's TypeAdapter(annotation)
            self._validate = adapter.validate_python
        else:
            self._validate = _adapter_validator(field_spec, validation)

    def check(self, text: str | None) -> Checked:
        # Examples repeat (10, true, changeme...) and the probe is shared by every field of the
        # same structure: each distinct text is validated once. Checked is immutable.
        found = self._memo.get(text)
        if found is None:
            found = self._check(text)
            if len(self._memo) < 4096:
                self._memo[text] = found
        return found

    def _check(self, text: str | None) -> Checked:
        if text is None or (self.ignore_empty and text == ""):
            return Checked(ok=True, unset=True)
        self.source.env_vars = {"V": None if text == self.none_str else text}
        try:
            data = self.source()
        except Exception as exc:  # SettingsError: JSON decoding of a complex field failed
            cause = exc.__cause__
            detail = f": {type(cause).__name__}: {_no_input(cause)}" if cause else ""
            return Checked(ok=False, error=f"pydantic-settings cannot decode it{detail}")
        raw = data.get("V", data.get("value", _MISSING))
        if raw is _MISSING:
            return Checked(ok=True, unset=True)
        if self.resolved.raw_validators:
            return Checked(ok=True, value=raw, stopped_at_validator=True)
        return self.validate_python(raw)

    def validate_python(self, value: object) -> Checked:
        """A Python default (not text): validation only, as ``validate_default=True`` would."""
        from pydantic import ValidationError

        try:
            validated = self._validate(value)
        except ValidationError as exc:
            messages = [f"{e['msg']}" for e in exc.errors(include_input=False, include_url=False)]
            return Checked(ok=False, error="; ".join(dict.fromkeys(messages)))
        except TypeError:  # a constraint the type cannot take (`ge=` on a str): pydantic raises
            return Checked(ok=False, error=_UNAPPLICABLE)
        return Checked(ok=True, value=validated)


def _probe_base(settings_config: dict[str, Any]) -> type[Any]:
    """The reference probe's BaseSettings base for one env-source config, once per process."""
    from pydantic_settings import BaseSettings

    # Keyed by the BaseSettings class too: pytester's in-process runs re-import
    # pydantic-settings, and a base from another import mixes its NoDecode and sources.
    key = (BaseSettings, *settings_config.items())
    base = _PROBE_BASES.get(key)
    if base is None:
        model_config = _probe_config(settings_config)
        base = type("EnvssotProbeBase", (BaseSettings,), {"model_config": model_config})
        _PROBE_BASES[key] = base
    return base


def _probe_config(settings_config: dict[str, Any]) -> dict[str, Any]:
    """The probe base's own ``model_config``."""
    from pydantic_settings import SettingsConfigDict

    # Only EnvSettingsSource reads the class (its fields and config), never validates it:
    # defer_build skips its validator.
    return dict(
        SettingsConfigDict(
            extra="ignore",
            case_sensitive=True,
            defer_build=True,
            **settings_config,  # type: ignore[typeddict-item]
        )
    )


def _settings_class(base: type[Any], field_spec: tuple[Any, Any]) -> Any:
    from pydantic import create_model

    return create_model("EnvssotProbe", __base__=base, value=field_spec)


def _settings_fields(settings_config: dict[str, Any], field_spec: tuple[Any, Any]) -> Any:
    """What ``EnvSettingsSource`` reads of :func:`_settings_class`, without building a class:
    the config as pydantic merges it (BaseSettings' then the probe base's keys) and the field
    as model construction collects it (``FieldInfo`` from the annotation and the assigned
    ``Field``; the probe config sets no alias or title generator that would change it)."""
    from pydantic_settings import BaseSettings

    model_config = {**BaseSettings.model_config, **_probe_config(settings_config)}
    annotation, assigned = field_spec
    # The assigned Field's own class: after pytester re-imports pydantic, `pydantic.Field` and
    # `pydantic.fields.FieldInfo` can come from two imports, and a foreign Field is a default.
    info = type(assigned).from_annotated_attribute(annotation, assigned)
    return types.SimpleNamespace(model_config=model_config, model_fields={"value": info})


def _probe_source(settings: object) -> Any:
    """``EnvSettingsSource`` on ``settings`` without reading the process environment at
    construction: the probe sets ``env_vars`` itself before each text."""
    from pydantic_settings.sources import EnvSettingsSource

    cls = _PROBE_SOURCES.get(EnvSettingsSource)  # per import, as the probe bases
    if cls is None:

        class EnvssotProbeSource(EnvSettingsSource):
            def _load_env_vars(self) -> Mapping[str, str | None]:
                return {}

        cls = _PROBE_SOURCES[EnvSettingsSource] = EnvssotProbeSource
    return cls(cast(Any, settings), case_sensitive=True)


_PROBE_SOURCES: dict[type[Any], type[Any]] = {}


def _model_validator(
    field_spec: tuple[Any, Any], validation: dict[str, Any]
) -> Callable[[object], object]:
    from pydantic import ConfigDict, create_model

    model = create_model(
        "EnvssotValue",
        __config__=ConfigDict(**validation),  # type: ignore[typeddict-item]
        value=field_spec,
    )

    def validate(value: object) -> object:
        return getattr(model.model_validate({"V": value}), "value", None)

    return validate


def _adapter_validator(
    field_spec: tuple[Any, Any], validation: dict[str, Any]
) -> Callable[[object], object]:
    from pydantic import ConfigDict, PydanticUserError, TypeAdapter

    config = ConfigDict(**validation) if validation else None  # type: ignore[typeddict-item]
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(field_spec[0], config=config)
    except PydanticUserError as exc:
        if exc.code != "type-adapter-config-unused":
            raise
        # A model (or dataclass, TypedDict) keeps its own config; the field's model applies the
        # class's config around it, so that path is taken as is.
        return _model_validator(field_spec, validation)
    return adapter.validate_python


# Only the exception's kind: pydantic's text quotes the value.
_UNAPPLICABLE = "pydantic cannot apply the field's constraints to it (TypeError)"


def _is_expr(value: object) -> bool:
    return not isinstance(value, (str, int, float, bool, type(None)))


def _no_input(exc: BaseException) -> str:
    """A decoding error's message without the document it quotes."""
    import json

    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at column {exc.colno}"
    return type(exc).__name__
