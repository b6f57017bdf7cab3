"""What the type rules share: a field's resolved type and probe, memoised per run."""

from __future__ import annotations

from pathlib import Path

from pytest_envssot.index import FieldRef, Index
from pytest_envssot.pysettings.annotations import (
    VALIDATION_KEYS,
    ResolvedType,
    SettingsProbe,
    TypeResolver,
    Unresolved,
    fingerprint,
)
from pytest_envssot.pysettings.inheritance import models
from pytest_envssot.records import frozen

_PROBE_CONFIG = frozenset(
    {"env_ignore_empty", "env_parse_none_str", "enable_decoding", "env_parse_enums"}
)


@frozen(slots=False)
class Typed:
    """A field's resolved type with its probe."""

    resolved: ResolvedType
    probe: SettingsProbe


class TypeMemo:
    """The type rules' per-run memo: one resolver, a type and probe per field and per shape."""

    def __init__(self, index: Index) -> None:
        parsed = [f for f in index.contract.settings if f.error is None]
        self.resolver = TypeResolver(Path(index.contract.root), models(parsed))
        self.typed: dict[tuple[object, ...], Typed | Unresolved] = {}  # per field, per shape
        self.probes: dict[tuple[object, ...], SettingsProbe] = {}  # per type structure
        self.validation_keys: dict[tuple[int, int], tuple[object, ...]] = {}


def resolver(index: Index) -> TypeResolver:
    return index.service(TypeMemo).resolver


def typed(index: Index, ref: FieldRef) -> Typed | Unresolved:
    """The field's type and a pydantic-settings probe under its class's config."""
    memo = index.service(TypeMemo)
    key = ("field", ref.owner.cls.qualname, ref.field.location, ref.field.name)
    found = memo.typed.get(key)
    if found is not None:
        return found
    # Fields of the same shape share one probe: building a pydantic class per field dominates.
    shape = _field_shape(ref)
    found = memo.typed.get(shape)
    if found is not None:
        memo.typed[key] = found
        return found
    resolved = memo.resolver.resolve(ref.field)
    result: Typed | Unresolved
    if isinstance(resolved, Unresolved):
        result = resolved
    else:
        # ... and so do fields of equal structure in other files (a monorepo's fifty services).
        same = _structure_key(ref, resolved)
        try:
            probe = memo.probes.get(same)
            if probe is None:
                adapter = memo.resolver.adapter(resolved.annotation)
                config = dict(ref.owner.config)
                probe = memo.probes[same] = SettingsProbe(resolved, config, adapter=adapter)
            result = Typed(resolved, probe)
        except Exception as exc:  # pydantic refused the probe class: a reason, not a crash
            result = Unresolved(
                f"pydantic cannot build a settings class for it ({type(exc).__name__})"
            )
    memo.typed[key] = memo.typed[shape] = result
    return result


def _field_shape(ref: FieldRef) -> tuple[object, ...]:
    """Fields with equal shapes in one file resolve to the same type and probe."""
    fld = ref.field
    config = tuple(
        (k, repr(v)) for k, v in ref.owner.config if k in _PROBE_CONFIG | VALIDATION_KEYS
    )
    return ("types-shape", fld.location.path, fld.annotation, fld.constraints,
            fld.validator_modes, fld.nested_model, config)  # fmt: skip


def validation_key(index: Index, ref: FieldRef, found: Typed) -> tuple[object, ...]:
    """What decides how a text validates for ``ref``, comparable across settings files.

    Two fields with equal keys accept the same texts and give the same values: the structure of
    the resolved type (library and builtin types by name, Enums and Literals by their values,
    constraints by their repr), the validator modes and the probe's config. A type that cannot
    be described so (a user's nested model) falls back to the field's own shape in its file.
    """
    keys = index.service(TypeMemo).validation_keys
    memo = (id(found), id(ref.owner))  # both live as long as the index
    key = keys.get(memo)
    if key is None:
        key = keys[memo] = _structure_key(ref, found.resolved)
    return key


def _structure_key(ref: FieldRef, resolved: ResolvedType) -> tuple[object, ...]:
    config = tuple(
        (k, repr(v)) for k, v in ref.owner.config if k in _PROBE_CONFIG | VALIDATION_KEYS
    )
    structure = fingerprint(resolved.annotation)
    if structure is None:
        return ("field", *_field_shape(ref))
    return ("type", structure, resolved.no_decode, bool(resolved.raw_validators), config)


def nested_reason(ref: FieldRef, name: str) -> str | None:
    """Env names read through env_nested_delimiter address a sub-field: not type-checked."""
    for env in ref.names:
        if env.nested and env.key == (name if env.case_sensitive else name.lower()):
            return f"{name} sets the sub-field {env.field} through env_nested_delimiter; sub-fields are not type-checked yet"
    return None


def unresolved_words(index: Index, ref: FieldRef, found: Unresolved) -> str:
    """The skip reason of a statically unknown type, saying how import mode would help."""
    from pytest_envssot.rules._imported import IMPORT_HINT

    text = f"{type_words(ref)}: type not known statically: {found.reason}"
    return text if index.config.import_settings else f"{text}; {IMPORT_HINT}"


def type_words(ref: FieldRef) -> str:
    return f"{ref.field.location} {ref.owner.cls.name}.{ref.attribute}: {ref.field.annotation}"


def var_domain(index: Index, name: str, documented: tuple[str, ...] = ()) -> str:
    """The value domain of env name or Vault key ``name``: declared, else what the repository
    documents for it (its ``.env.example`` values plus ``documented``: default, fallback)."""
    from pytest_envssot.pysettings.domains import realistic_domain

    examples = tuple(
        e.value for e in index.example_entries_named(name) if e.value and not e.commented_out
    )
    return realistic_domain(
        index.config.domain_for(name),
        index.is_strong_secret(name),
        index.config.default_secret_domain,
        examples + documented,
    )
