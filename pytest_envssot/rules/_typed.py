"""What the type rules share: a field's resolved type and probe, memoised per run."""

from __future__ import annotations

import enum
import types
import typing
from dataclasses import dataclass
from pathlib import Path

from pytest_envssot.index import FieldRef, Index
from pytest_envssot.inheritance import models
from pytest_envssot.types import (
    VALIDATION_KEYS,
    ResolvedType,
    SettingsProbe,
    TypeResolver,
    Unresolved,
)

_PROBE_CONFIG = frozenset(
    {"env_ignore_empty", "env_parse_none_str", "enable_decoding", "env_parse_enums"}
)


@dataclass(frozen=True)
class Typed:
    resolved: ResolvedType
    probe: SettingsProbe


def resolver(index: Index) -> TypeResolver:
    key = ("types", "resolver")
    found = index.cache.get(key)
    if not isinstance(found, TypeResolver):
        parsed = [f for f in index.contract.settings if f.error is None]
        found = TypeResolver(Path(index.contract.root), models(parsed))
        index.cache[key] = found
    return found


def typed(index: Index, ref: FieldRef) -> Typed | Unresolved:
    """The field's type and a pydantic-settings probe under its class's config."""
    key = ("types", ref.owner.cls.qualname, ref.field.location, ref.field.name)
    found = index.cache.get(key)
    if isinstance(found, (Typed, Unresolved)):
        return found
    # Fields of the same shape share one probe: building a pydantic class per field dominates.
    shape = _field_shape(ref)
    found = index.cache.get(shape)
    if isinstance(found, (Typed, Unresolved)):
        index.cache[key] = found
        return found
    resolved = resolver(index).resolve(ref.field)
    result: Typed | Unresolved
    if isinstance(resolved, Unresolved):
        result = resolved
    else:
        try:
            result = Typed(resolved, SettingsProbe(resolved, dict(ref.owner.config)))
        except Exception as exc:  # pydantic refused the probe class: a reason, not a crash
            result = Unresolved(
                f"pydantic cannot build a settings class for it ({type(exc).__name__})"
            )
    index.cache[key] = index.cache[shape] = result
    return result


def _field_shape(ref: FieldRef) -> tuple[object, ...]:
    """Fields with equal shapes in one file resolve to the same type and probe."""
    fld = ref.field
    config = tuple(
        (k, repr(v)) for k, v in ref.owner.config if k in _PROBE_CONFIG | VALIDATION_KEYS
    )
    return ("types-shape", fld.location.path, fld.annotation, fld.constraints,
            fld.validator_modes, fld.nested_model, config)  # fmt: skip


def validation_key(ref: FieldRef, found: Typed) -> tuple[object, ...]:
    """What decides how a text validates for ``ref``, comparable across settings files.

    Two fields with equal keys accept the same texts and give the same values: the structure of
    the resolved type (library and builtin types by name, Enums and Literals by their values,
    constraints by their repr), the validator modes and the probe's config. A type that cannot
    be described so (a user's nested model) falls back to the field's own shape in its file.
    """
    config = tuple(
        (k, repr(v)) for k, v in ref.owner.config if k in _PROBE_CONFIG | VALIDATION_KEYS
    )
    resolved = found.resolved
    structure = fingerprint(resolved.annotation)
    if structure is None:
        return ("field", *_field_shape(ref))
    return ("type", structure, resolved.no_decode, bool(resolved.raw_validators), config)


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


def nested_reason(ref: FieldRef, name: str) -> str | None:
    """Env names read through env_nested_delimiter address a sub-field: not type-checked."""
    for env in ref.names:
        if env.nested and env.key == (name if env.case_sensitive else name.lower()):
            return f"{name} sets the sub-field {env.field} through env_nested_delimiter; sub-fields are not type-checked yet"
    return None


def type_words(ref: FieldRef) -> str:
    return f"{ref.field.location} {ref.owner.cls.name}.{ref.field.name}: {ref.field.annotation}"
