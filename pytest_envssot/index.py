"""Lookups over a Contract, built once, shared by every rule.

Env names are compared the way pydantic-settings compares them: exactly for
case-sensitive settings, case-folded otherwise.
"""

from __future__ import annotations

import ast
import json
import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import field
from functools import lru_cache
from typing import Any, TypeVar, cast

from pytest_envssot.config import Config, match_paths
from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.model import (
    Contract,
    DockerFile,
    ExampleEntry,
    ExampleFile,
    Layer,
    ReaderError,
    SettingsField,
    SettingsFile,
    TemplateFile,
    TemplateVar,
)
from pytest_envssot.pysettings.envnames import EnvName, all_env_names
from pytest_envssot.pysettings.inheritance import (
    ModelIndex,
    ResolvedSettings,
    hierarchy_errors,
    models,
    resolve,
)
from pytest_envssot.readers._pytext import literal_eval
from pytest_envssot.records import frozen, mutable
from pytest_envssot.redact import (
    SECRET_TYPES,
    has_url_password,
    is_decisive_secret_name,
    is_secret_name,
    is_secret_type,
    looks_public,
)
from pytest_envssot.secretscan import allowance, looks_real

_T = TypeVar("_T")

_S = TypeVar("_S")


@frozen(slots=False, eq=False)  # identity: hashing the owner's whole field tuple is O(n)
class FieldRef:
    """A field as one settings class reads it (inherited fields appear once per class)."""

    owner: ResolvedSettings
    field: SettingsField
    names: tuple[EnvName, ...]

    @property
    def primary(self) -> str:
        """The env name shown in ids and messages."""
        return self.names[0].name if self.names else self.field.name.upper()

    @property
    def attribute(self) -> str:
        """The Python attribute path below the settings class: ``x``, or ``auth.oidc.client_id``
        for a leaf of a nested model."""
        nested = next((n for n in self.names if n.nested), None)
        return nested.field if nested is not None else self.field.name

    def reads(self, name: str) -> bool:
        return any(n.key == (name if n.case_sensitive else name.lower()) for n in self.names)


def _leaves(
    owner: ResolvedSettings,
    container: SettingsField,
    names: tuple[EnvName, ...],
    lookup: ModelIndex,
) -> list[FieldRef]:
    """With ``env_nested_delimiter``, a field typed as a model (``auth: AuthSettings``) is a
    container: the env holds its leaves (``AUTH__OIDC__CLIENT_ID``), each a variable of its
    own, and the container is never a line of its own. One FieldRef per leaf; [] when
    ``container`` is no container (or its model cannot be read)."""
    by_path: dict[str, list[EnvName]] = {}
    for name in names:
        if name.nested:
            by_path.setdefault(name.field, []).append(name)
    refs = []
    for path, leaf_names in by_path.items():
        if any(other.startswith(path + ".") for other in by_path):
            continue  # a container itself: its own leaves stand for it
        leaf = _field_at(container, path.split(".")[1:], lookup)
        if leaf is not None:
            refs.append(FieldRef(owner, leaf, tuple(leaf_names)))
    return refs


def _field_at(
    container: SettingsField, path: list[str], lookup: ModelIndex
) -> SettingsField | None:
    """The field an attribute path below ``container`` names (``oidc.client_id``)."""
    current = container
    for part in path:
        model = lookup.get(current.nested_model) if current.nested_model else None
        if model is None:
            return None
        found = next((f for f in lookup.resolved(model).fields if f.name == part), None)
        if found is None:
            return None
        current = found
    return current


@mutable
class Index:
    """Every layer of the contract, cross-referenced for the rules."""

    contract: Contract
    config: Config
    settings: tuple[ResolvedSettings, ...] = ()
    fields: tuple[FieldRef, ...] = ()
    _sensitive: dict[str, list[FieldRef]] = field(default_factory=lambda: defaultdict(list))
    _folded: dict[str, list[FieldRef]] = field(default_factory=lambda: defaultdict(list))
    # per-run state of rule families, one instance per class (see service())
    _services: dict[object, object] = field(default_factory=dict)
    _strong: dict[str, bool] = field(default_factory=dict)
    _shown_secret: dict[str, bool] = field(default_factory=dict)
    _hierarchy: dict[str, ReaderError] = field(default_factory=dict)

    def service(self, kind: Callable[[Index], _S]) -> _S:
        """The run's one ``kind`` (built from this index on first use). Rule families keep
        their per-run state (a child process, memos) in their own typed service class; the
        engine closes every service once the rules are done."""
        found = self._services.get(kind)
        if found is None:
            found = self._services[kind] = kind(self)
        return cast(_S, found)

    def close_services(self) -> None:
        """Release what services hold open (a child process), keeping their memos: deferred
        checks still run after the engine is done, and reopen what they need."""
        for found in self._services.values():
            close = getattr(found, "close", None)
            if callable(close):
                close()

    @classmethod
    def build(cls, contract: Contract, config: Config) -> Index:
        parsed = [f for f in contract.settings if f.error is None]
        lookup = models(parsed)
        resolved = resolve(parsed, lookup)
        documented = {
            e.key.lower() for f in contract.examples if f.error is None for e in f.entries
        }
        refs: list[FieldRef] = []  # every variable, leaves of containers included
        items: list[FieldRef] = []  # what per-field rules iterate
        # a container's own names (``AUTH``, the whole model as JSON) -> its leaves' refs
        whole: list[tuple[EnvName, list[FieldRef]]] = []
        for owner in resolved:
            for fld, names in all_env_names(owner, lookup):  # one naming state per class
                leaves = _leaves(owner, fld, names, lookup)
                if not leaves:
                    refs.append(FieldRef(owner, fld, names))
                    items.append(refs[-1])
                    continue
                refs.extend(leaves)
                # A leaf is an item when the example documents it or it has no default; an
                # optional leaf the example leaves out is the project's curated choice.
                items += [
                    r
                    for r in leaves
                    if r.field.required or any(n.key.lower() in documented for n in r.names)
                ]
                whole += [(n, leaves) for n in names if not n.nested]
        index = cls(contract=contract, config=config, settings=resolved, fields=tuple(items))
        index._hierarchy = hierarchy_errors(lookup)
        for ref in refs:
            for name in ref.names:
                (index._sensitive if name.case_sensitive else index._folded)[name.key].append(ref)
        for name, leaves in whole:
            (index._sensitive if name.case_sensitive else index._folded)[name.key].extend(leaves)
        index._index_other_layers()
        return index

    def _index_other_layers(self) -> None:
        """Name -> places maps, so every lookup a rule makes per variable is O(1)."""
        example = self.example
        self._entries = () if example is None or example.error else example.entries
        self._entries_exact: dict[str, list[ExampleEntry]] = defaultdict(list)
        self._entries_folded: dict[str, list[ExampleEntry]] = defaultdict(list)
        for entry in self._entries:
            self._entries_exact[entry.key].append(entry)
            self._entries_folded[entry.key.lower()].append(entry)
        self._vars = [v for t in self.templates() for v in t.vars]
        self._vars_exact: dict[str, list[TemplateVar]] = defaultdict(list)
        self._vars_folded: dict[str, list[TemplateVar]] = defaultdict(list)
        for var in self._vars:
            self._vars_exact[var.name].append(var)
            self._vars_folded[var.name.lower()].append(var)
        self._args: dict[str, list[DockerFile]] = defaultdict(list)
        for docker in self.dockerfiles():
            for arg in docker.args:
                self._args[arg].append(docker)

    def _by_names(
        self, ref: FieldRef, exact: dict[str, list[_T]], folded: dict[str, list[_T]]
    ) -> list[_T]:
        found: list[_T] = []
        for name in ref.names:
            found.extend(
                exact.get(name.name, ()) if name.case_sensitive else folded.get(name.key, ())
            )
        return list(dict.fromkeys(found))

    # ------------------------------------------------------------------ fields

    def fields_reading(
        self, name: str, settings_paths: Iterable[str] | None = None
    ) -> list[FieldRef]:
        """Fields that read env var ``name``; optionally only those defined in ``settings_paths``."""
        found = self._sensitive.get(name, []) + self._folded.get(name.lower(), [])
        if settings_paths is not None:
            allowed = set(settings_paths)
            found = [r for r in found if r.owner.cls.location.path in allowed]
        return list(dict.fromkeys(found))

    def distinct_fields(self) -> list[FieldRef]:
        """One FieldRef per (defining location, primary name): inherited copies folded together."""
        seen: dict[tuple[str, int, str], FieldRef] = {}
        for ref in self.fields:
            key = (ref.field.location.path, ref.field.location.line, ref.primary)
            seen.setdefault(key, ref)
        return list(seen.values())

    # ------------------------------------------------------------------ other layers

    @property
    def example(self) -> ExampleFile | None:
        return self.contract.examples[0] if self.contract.examples else None

    def example_entries(self, include_commented: bool = True) -> list[ExampleEntry]:
        return [e for e in self._entries if include_commented or not e.commented_out]

    def example_entries_named(self, key: str) -> list[ExampleEntry]:
        return list(self._entries_exact.get(key, ()))

    def example_entry_for(self, ref: FieldRef) -> ExampleEntry | None:
        """The first line of .env.example that sets one of the field's env names."""
        found = self._by_names(ref, self._entries_exact, self._entries_folded)
        return min(found, key=lambda e: e.location.line) if found else None

    def templates(self) -> list[TemplateFile]:
        return [t for t in self.contract.templates if t.error is None]

    def template_vars(self) -> list[TemplateVar]:
        return list(self._vars)

    def rendered(self, name: str) -> list[TemplateVar]:
        return list(self._vars_exact.get(name, ()))

    def rendered_for(self, ref: FieldRef) -> list[TemplateVar]:
        return self._by_names(ref, self._vars_exact, self._vars_folded)

    def dockerfiles(self) -> list[DockerFile]:
        return [d for d in self.contract.dockerfiles if d.error is None]

    def docker_args(self, name: str) -> list[DockerFile]:
        return list(self._args.get(name, ()))

    def is_external(self, name: str) -> bool:
        return name in self.contract.external

    def settings_paths_for_template(self, template_path: str) -> list[str] | None:
        """With components configured, the settings files that cover this template; else None."""
        for comp in self.config.components:
            if any(template_path in match_paths(p, [template_path]) for p in comp.templates):
                paths = [s.path for s in self.contract.settings]
                return [p for p in paths if any(match_paths(g, [p]) for g in comp.settings)]
        return None

    # ------------------------------------------------------------------ unreadable layers

    def hierarchy_error(self, path: str) -> ReaderError | None:
        """The settings file's first class Python would refuse (an inconsistent MRO)."""
        return self._hierarchy.get(path)

    def unreadable(self, layer: Layer) -> list[str]:
        """Paths of ``layer`` that failed to read: evidence a rule must not treat as absent."""
        by_layer: dict[
            Layer, tuple[TemplateFile | SettingsFile | ExampleFile | DockerFile, ...]
        ] = {
            Layer.TEMPLATE: self.contract.templates,
            Layer.SETTINGS: self.contract.settings,
            Layer.EXAMPLE: self.contract.examples,
            Layer.DOCKERFILE: self.contract.dockerfiles,
        }
        return [f.path for f in by_layer.get(layer, ()) if f.error is not None]

    # ------------------------------------------------------------------ secrets

    def is_secret(self, name: str) -> bool:
        """Is ``name`` secret-classified: are its values never shown as themselves?

        Always by a secret type, a decisive name (``*PASSWORD*``, whatever the field's type) or
        a URL password. A name that is only ambiguous (``*_KEY``, ``*TOKEN*``) or a value that
        comes from Vault makes it secret unless every value the repository gives it looks like
        no credential (``TOKEN_ALGORITHM=HS256``, ``ENVIRONMENT=production``, ``900``).
        """
        memo = self._shown_secret.get(name)
        if memo is None:
            memo = self._shown_secret[name] = self._is_secret(name)
        return memo

    def _is_secret(self, name: str) -> bool:
        if self._decisive_secret(name):
            return True
        entries = self._entries_exact.get(name, [])
        if any(e.value and has_url_password(e.value) for e in entries):
            return True
        vault = any(e.vault for e in entries) or bool(self.rendered(name))
        if not (vault or is_secret_name(name, self.config.secret_names)):
            return False
        known = [v for v in self.known_values(name) if not _uninformative(v)]
        return not known or not all(looks_public(v) for v in known)

    def _decisive_secret(self, name: str) -> bool:
        """Secret by a secret type or by a decisive name, whatever its values say."""
        if any(is_secret_type(r.field.annotation) for r in self.fields_reading(name)):
            return True
        return is_decisive_secret_name(name, self.config.secret_names)

    def known_values(self, name: str) -> list[str]:
        """Every value the repository gives ``name``: example lines, literal defaults and
        ``Literal[...]`` members of the fields reading it, template fallbacks."""
        values = [e.value for e in self._entries_exact.get(name, ()) if e.value is not None]
        for ref in self.fields_reading(name):
            if ref.field.default is not None:
                values.append(default_text(ref.field.default))
            values += literal_members(ref.field.annotation)
        for var in self.rendered(name):
            if var.fallback is not None:
                text = literal_text(var.fallback)
                values.append(var.fallback if text is None else text)
        return values

    def secret_reasons(self, name: str) -> list[str]:
        """Why ``name`` is secret-classified, in words safe to print; empty when it is not."""
        reasons = []
        readers = self.fields_reading(name)
        types = sorted({t for r in readers for t in SECRET_TYPES if t in r.field.annotation})
        if types:
            reasons.append(f"a {'/'.join(types)} field reads it")
        elif self.is_strong_secret(name):
            reasons.append("its name looks secret")
        entries = self._entries_exact.get(name, [])
        if any(e.vault for e in entries):
            reasons.append("[VAULT] in .env.example")
        if self.rendered(name):
            reasons.append("a template renders it from Vault")
        if any(e.value and has_url_password(e.value) for e in entries):
            reasons.append("its value carries a URL password")
        return reasons

    def is_strong_secret(self, name: str) -> bool:
        """Secret by its type or its name: its values are scrubbed from every output text."""
        memo = self._strong.get(name)
        if memo is None:
            memo = self._strong[name] = self._strong_secret(name)
        return memo

    def _strong_secret(self, name: str) -> bool:
        readers = self.fields_reading(name)
        if any(is_secret_type(r.field.annotation) for r in readers):
            return True
        # A secret-like name holding a number or a flag (ACCESS_TOKEN_EXPIRE_MINUTES,
        # PASSWORD_MIN_LENGTH) needs no hard-coding rule; its values are still never shown
        # (:meth:`is_secret`: SMTP_PASSWORD read by an int field is still a password).
        return is_secret_name(name, self.config.secret_names) and not any(
            _NON_SECRET_TYPE.match(r.field.annotation) for r in readers
        )

    def secret_values(self) -> set[str]:
        """Values that must never appear in output, wherever they turn up.

        Every value of a variable a secret type or a decisive name classifies; of the other
        secret-classified ones (:meth:`is_secret`), the values that do not look public.
        Scrubbing every Vault-rendered value (a bucket name, the project name) would mangle
        paths and messages. Placeholders are not secrets.
        """
        values: set[str] = set()
        for name in self._value_names():
            decisive = self._decisive_secret(name)
            if decisive or self.is_strong_secret(name):
                found = self.known_values(name)
                if not decisive:
                    found = [v for v in found if not looks_public(v)]
                values.update(found)
            elif self.is_secret(name):
                values.update(v for v in self.known_values(name) if not looks_public(v))
        # A value that names a file or the project is public already (POSTGRES_DB=finance_report).
        public = {self.contract.project} | {
            part for f in self._layer_paths() for part in re.split(r"[/.]", f) if part
        }
        values = {v for v in values if v and not (_uninformative(v) or v in public)}
        # Whatever its name, a value that looks like a real credential is never shown either.
        return values | {v for v in self._all_values() if looks_real(v)}

    def _value_names(self) -> dict[str, None]:
        """Every name a layer gives a value to (in first-seen order)."""
        names: dict[str, None] = {}
        names.update((e.key, None) for e in self.example_entries())
        names.update((n.name, None) for ref in self.fields for n in ref.names)
        names.update((ref.primary, None) for ref in self.fields)
        names.update((v.name, None) for v in self.template_vars())
        return names

    def public_names(self) -> set[str]:
        """Names output shows as they are: variables, fields, classes, path parts, the project."""
        names = set(self._value_names())
        names.update(ref.field.name for ref in self.fields)
        names.update(ref.owner.cls.name for ref in self.fields)
        names.update(n for d in self.dockerfiles() for n in d.args)
        names.add(self.contract.project)
        names.update(p for f in self._layer_paths() for p in re.split(r"[/.]", f) if p)
        return names

    def _all_values(self) -> Iterator[str]:
        for entry in self.example_entries():
            if entry.value:
                yield entry.value
        for ref in self.fields:
            if ref.field.default:
                yield default_text(ref.field.default)
        for var in self.template_vars():
            if var.fallback:
                yield literal_text(var.fallback) or var.fallback

    def _layer_paths(self) -> list[str]:
        contract = self.contract
        groups = (contract.templates, contract.settings, contract.examples, contract.dockerfiles)
        return [f.path for group in groups for f in group]


def _uninformative(value: str) -> bool:
    """Empty, a placeholder, a local default or loopback credentials (:func:`allowance`):
    says nothing about what the variable holds, and protects nothing."""
    return allowance(value) is not None


_LITERAL = re.compile(r"\bLiteral\[(?P<members>.*)\]", re.S)


def literal_members(annotation: str) -> list[str]:
    """The env texts of the members of a ``Literal[...]`` annotation (none when unparsable)."""
    found = _LITERAL.search(annotation)
    if found is None or "Literal" in found["members"]:
        return []
    try:
        tree = ast.parse(f"({found['members']},)", mode="eval")
        if not isinstance(tree.body, ast.Tuple):
            return []
        texts = [literal_text(ast.unparse(e)) for e in tree.body.elts]
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [t for t in texts if t is not None]


_NON_SECRET_TYPE = lazy_compile(
    r"^(?:int|float|bool|Literal\[.*\]|PositiveInt|NonNegativeInt|timedelta)$"
)


_SECRET_WRAPPER = re.compile(r"^\s*(?:[\w.]+\.)?Secret(?:Str|Bytes)\((?P<inner>.*)\)\s*$", re.S)


def literal_default(source: str) -> str | None:
    """The env text a literal default stands for, unwrapping ``SecretStr("...")``; None when the
    default is no literal (a call, a name: nothing hard-coded we can see)."""
    wrapped = _SECRET_WRAPPER.match(source)
    if wrapped is not None:
        source = wrapped["inner"].strip()
        if not source:
            return ""
    return literal_text(source)


def default_text(source: str) -> str:
    """:func:`literal_default`, or the source itself when it is no literal."""
    text = literal_default(source)
    return source if text is None else text


@lru_cache(maxsize=4096)  # pure; rules ask it about the same defaults again and again
def literal_text(source: str) -> str | None:
    """The env-file text a Python/Go literal stands for (``"SGD"`` -> ``SGD``), or None.

    Constant arithmetic counts as a literal (``60 * 24 * 8`` -> ``11520``): settings spell
    durations that way, and suggesting an empty line for them would change the value.
    """
    try:
        value = literal_eval(source)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        value = constant_arithmetic(source)
        if value is None:
            return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple, dict, set)):
        try:
            return json.dumps(list(value) if isinstance(value, (tuple, set)) else value)
        except (TypeError, ValueError):
            return None
    return None


_ARITH: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Div: operator.truediv,
    ast.Mod: operator.mod,
}


def constant_arithmetic(source: str) -> int | float | None:
    """``60 * 24 * 8`` -> 11520: numbers with + - * / // % and small powers, else None.

    Only numbers and operators: nothing is looked up or called, and sizes stay bounded.
    """
    if len(source) > 200:
        return None
    try:
        node = ast.parse(source.strip(), mode="eval").body
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    try:
        return _evaluate(node, depth=0)
    except (ArithmeticError, ValueError, TypeError):
        return None


def _evaluate(node: ast.expr, depth: int) -> int | float | None:
    if depth > 20:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return None if isinstance(node.value, bool) else node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        inner = _evaluate(node.operand, depth + 1)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left, depth + 1), _evaluate(node.right, depth + 1)
        if left is None or right is None:
            return None
        if isinstance(node.op, ast.Pow):
            if abs(right) > 64 or abs(left) > 2**32:
                return None
            result: int | float = left**right
            return result
        operation = _ARITH.get(type(node.op))
        if operation is None:
            return None
        computed = operation(left, right)
        return computed if isinstance(computed, (int, float)) else None
    return None
