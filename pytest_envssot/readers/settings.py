"""Layer 2 reader: pydantic-settings classes, read statically with LibCST.

The user's code is never imported or executed. Classes are recognised by the *qualified* name
of their bases (``QualifiedNameProvider``), so ``from pydantic_settings import BaseSettings as B``,
``import pydantic_settings as ps; ps.BaseSettings`` and ``pydantic_settings.main.BaseSettings``
all count, while a look-alike class merely *named* ``BaseSettings`` does not.

What is kept per file:

* every class deriving (directly or through classes of the same file) from ``BaseSettings`` or
  ``BaseModel`` (``is_settings`` tells them apart), and every class deriving from something
  imported from a non-stdlib module: it may be a model defined in another configured file,
  which :mod:`pytest_envssot.inheritance` links up later;
* per class its own fields (annotated class attributes only), and ``model_config`` entries.

Config values are Python literals when the source is a literal (or a module-level constant
holding one); anything else is an :class:`Expr` recording the source and, for names and calls,
the qualified name, so consumers can recognise e.g. ``alias_generator=to_camel`` without guessing.

libcst is imported inside the functions that need it: importing this module costs nothing.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_envssot.model import (
    AliasSpec,
    Location,
    ReaderError,
    SettingsClass,
    SettingsField,
    SettingsFile,
)
from pytest_envssot.readers._io import read_text

if TYPE_CHECKING:
    import libcst as cst

BASE_SETTINGS = frozenset({"pydantic_settings.BaseSettings", "pydantic_settings.main.BaseSettings"})
BASE_MODEL = frozenset({"pydantic.BaseModel", "pydantic.main.BaseModel"})
_FIELD = frozenset({"pydantic.Field", "pydantic.fields.Field"})
_ALIAS_CHOICES = frozenset({"pydantic.AliasChoices", "pydantic.aliases.AliasChoices"})
_ALIAS_PATH = frozenset({"pydantic.AliasPath", "pydantic.aliases.AliasPath"})
_CONFIG_CALLS = frozenset(
    {
        "pydantic_settings.SettingsConfigDict",
        "pydantic_settings.main.SettingsConfigDict",
        "pydantic.ConfigDict",
        "pydantic.config.ConfigDict",
        "builtins.dict",
    }
)
_TYPING = ("typing.", "typing_extensions.")
_FIELD_VALIDATOR = frozenset(
    {"pydantic.field_validator", "pydantic.functional_validators.field_validator"}
)
_V1_VALIDATOR = frozenset({"pydantic.validator", "pydantic.class_validators.validator"})
_RAW_INPUT_MODES = frozenset({"before", "wrap", "plain"})
# Imports from these never define a user's model: no need to keep classes based on them.
_NOT_MODEL_ROOTS = frozenset(sys.stdlib_module_names) | {
    "pydantic",
    "pydantic_settings",
    "pydantic_core",
    "typing_extensions",
    "builtins",
}
_MAX_CONST_DEPTH = 20  # `A = B; B = A` must not loop


@dataclass(frozen=True)
class Expr:
    """A config value that is not a literal.

    ``qualname`` is set for a name, attribute or call whose target LibCST could resolve
    (e.g. ``pydantic.alias_generators.to_camel``); for a call, ``args``/``kwargs`` hold the
    evaluated arguments (literals or nested ``Expr``).
    """

    source: str
    qualname: str | None = None
    args: tuple[object, ...] = ()
    kwargs: tuple[tuple[str, object], ...] = ()

    def kwarg(self, name: str, default: object = None) -> object:
        for key, value in self.kwargs:
            if key == name:
                return value
        return default


# --------------------------------------------------------------------------- public API


def read_settings(path: Path, rel: str) -> SettingsFile:
    """Read and parse one settings file; I/O problems become ``SettingsFile.error``."""
    text = read_text(path, rel)
    if isinstance(text, ReaderError):
        return SettingsFile(path=rel, error=text)
    return parse_settings(text, rel)


def parse_settings(source: str, rel: str) -> SettingsFile:
    """Parse settings classes from ``source``. Pure; never raises."""
    error = _precheck(source, rel)
    if error is not None:
        return SettingsFile(path=rel, error=error)
    try:
        return SettingsFile(path=rel, classes=_parse(source, rel))
    except RecursionError:
        return _failed(rel, 0, "expression nested too deeply to analyse")
    except MemoryError:
        return _failed(rel, 0, "file too complex to analyse")
    except Exception as exc:  # a libcst limit or bug must not crash the test session
        line = getattr(exc, "raw_line", 0)
        return _failed(rel, line if isinstance(line, int) else 0, f"cannot parse: {exc}")


def module_name(rel: str) -> str:
    """``apps/backend/src/config.py`` -> ``apps.backend.src.config`` (``__init__`` dropped)."""
    parts = rel.replace("\\", "/").split("/")
    parts[-1] = parts[-1].rsplit(".", 1)[0]
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(p for p in parts if p)


# --------------------------------------------------------------------------- parsing


def _failed(rel: str, line: int, message: str) -> SettingsFile:
    return SettingsFile(path=rel, error=ReaderError(Location(rel, line), message))


def _precheck(source: str, rel: str) -> ReaderError | None:
    """Let CPython's parser reject bad input first.

    It reports the real line of a syntax error, and it refuses pathological nesting
    (more than 200 brackets) that would overflow the C stack in libcst's native parser.
    """
    try:
        ast.parse(source, filename=rel)
    except SyntaxError as exc:
        msg = exc.msg or "invalid syntax"
        return ReaderError(Location(rel, exc.lineno or 0), f"syntax error: {msg}")
    except (RecursionError, MemoryError):
        return ReaderError(Location(rel, 0), "expression nested too deeply to parse")
    except ValueError as exc:  # e.g. NUL bytes
        return ReaderError(Location(rel, 0), f"cannot parse: {exc}")
    return None


def _parse(source: str, rel: str) -> tuple[SettingsClass, ...]:
    import libcst as cst

    found = _collect(cst.parse_module(source))
    ctx = _Ctx(
        rel=rel,
        module=module_name(rel),
        package=_package(rel),
        metadata=found.lookup,
        code=found.module.code_for_node,
        constants=found.constants,
    )
    _classify(ctx, found.classes)
    return tuple(_read_class(ctx, qual, node) for qual, node in found.classes if qual in ctx.kept)


def _package(rel: str) -> tuple[str, ...]:
    """Package parts a relative import in ``rel`` starts from."""
    parts = tuple(module_name(rel).split("."))
    return parts if rel.endswith("__init__.py") else parts[:-1]


@dataclass
class _Collected:
    module: cst.Module
    classes: list[tuple[str, cst.ClassDef]]  # dotted path inside the module, node
    constants: dict[str, cst.BaseExpression]  # module-level NAME = value (last one wins)
    lookup: Callable[..., object]  # (provider, node, default) -> metadata value


def _collect(module: cst.Module) -> _Collected:
    """Run one metadata-aware visit collecting classes (outside functions) and constants."""
    import libcst as cst
    from libcst._metadata_dependent import LazyValue
    from libcst.metadata import MetadataWrapper, PositionProvider, QualifiedNameProvider

    out = _Collected(module, [], {}, lambda *_: None)

    class Collector(cst.CSTVisitor):
        METADATA_DEPENDENCIES = (PositionProvider, QualifiedNameProvider)

        def __init__(self) -> None:
            super().__init__()
            self.scope: list[str] = []

        def visit_Module(self, node: cst.Module) -> bool:
            for stmt in node.body:
                out.constants.update(_simple_assignments(stmt))
            return True

        def leave_Module(self, original_node: cst.Module) -> None:
            # The wrapper drops ``self.metadata`` after the visit; keep it for the readers.
            kept = dict(self.metadata)

            def lookup(key: object, node: object, default: object = None) -> object:
                value = kept.get(key, {}).get(node, default)  # type: ignore[call-overload]
                return value() if isinstance(value, LazyValue) else value

            out.lookup = lookup

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            self.scope.append(node.name.value)
            out.classes.append((".".join(self.scope), node))
            return True

        def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
            self.scope.pop()

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return False  # classes and annotations inside functions are never settings

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            return False

    MetadataWrapper(module, unsafe_skip_copy=True).visit(Collector())
    return out


def _simple_assignments(stmt: cst.BaseStatement) -> Iterator[tuple[str, cst.BaseExpression]]:
    """``NAME = value`` and ``NAME: T = value`` statements on one line."""
    import libcst as cst

    if not isinstance(stmt, cst.SimpleStatementLine):
        return
    for small in stmt.body:
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if isinstance(target, cst.Name):
                yield target.value, small.value
        elif (
            isinstance(small, cst.AnnAssign)
            and small.value is not None
            and isinstance(small.target, cst.Name)
        ):
            yield small.target.value, small.value


@dataclass
class _Ctx:
    """Per-file state shared by the helpers below."""

    rel: str
    module: str
    package: tuple[str, ...]
    metadata: Callable[..., object]
    code: Callable[[cst.CSTNode], str]
    constants: dict[str, cst.BaseExpression]
    kept: dict[str, bool] = field(default_factory=dict)  # local qualname -> is_settings

    def line(self, node: cst.CSTNode) -> int:
        from libcst.metadata import PositionProvider

        pos = self.metadata(PositionProvider, node, None)
        return int(getattr(getattr(pos, "start", None), "line", 0))

    def qualnames(self, node: cst.CSTNode) -> list[str]:
        """Qualified names of ``node``: local classes as ``module.Class``, relative imports
        made absolute; sorted so the choice is deterministic."""
        from libcst.metadata import QualifiedNameProvider, QualifiedNameSource

        found = self.metadata(QualifiedNameProvider, node, None)
        out: list[str] = []
        for qn in found if isinstance(found, (set, frozenset)) else ():
            if qn.source is QualifiedNameSource.LOCAL:
                out.append(f"{self.module}.{qn.name}" if qn.name in self.kept else qn.name)
            elif qn.name.startswith("."):
                out.append(self._absolute(qn.name))
            else:
                out.append(qn.name)
        return sorted(out)

    def qualname(self, node: cst.CSTNode) -> str | None:
        names = self.qualnames(node)
        return names[0] if names else None

    def is_(self, node: cst.CSTNode, targets: frozenset[str]) -> bool:
        return any(q in targets for q in self.qualnames(node))

    def local(self, qualname: str) -> str | None:
        """The kept local class a qualified name points at, as a key of ``kept``."""
        prefix = f"{self.module}."
        if qualname.startswith(prefix) and qualname[len(prefix) :] in self.kept:
            return qualname[len(prefix) :]
        return None

    def _absolute(self, name: str) -> str:
        dots = len(name) - len(name.lstrip("."))
        base = self.package[: len(self.package) - (dots - 1)] if dots > 1 else self.package
        return ".".join((*base, name[dots:]))


# --------------------------------------------------------------------------- classes


def _classify(ctx: _Ctx, classes: Sequence[tuple[str, cst.ClassDef]]) -> None:
    """Decide which classes are models, in source order (a base precedes its subclass)."""
    for qual, node in classes:
        bases = [ctx.qualnames(arg.value) for arg in node.bases]
        flat = [q for names in bases for q in names]
        settings = any(q in BASE_SETTINGS or ctx.kept.get(ctx.local(q) or "", False) for q in flat)
        model = settings or any(q in BASE_MODEL or ctx.local(q) is not None for q in flat)
        if model or any(_maybe_foreign_model(q) for q in flat):
            ctx.kept[qual] = settings


def _maybe_foreign_model(qualname: str) -> bool:
    """An imported base from a module that could be another configured file."""
    root = qualname.split(".", 1)[0]
    return "." in qualname and root not in _NOT_MODEL_ROOTS


def _read_class(ctx: _Ctx, qual: str, node: cst.ClassDef) -> SettingsClass:
    bases = tuple(ctx.qualname(arg.value) or ctx.code(arg.value) for arg in node.bases)
    # later entries win (class kwargs over model_config), as in ConfigWrapper.for_model
    config = dict([*_body_config(ctx, node), *_keyword_config(ctx, node)])
    return SettingsClass(
        name=node.name.value,
        qualname=f"{ctx.module}.{qual}",
        location=Location(ctx.rel, ctx.line(node.name)),
        bases=bases,
        is_settings=ctx.kept[qual],
        config=tuple(config.items()),
        fields=tuple(_with_validators(_fields(ctx, node), _validator_modes(ctx, node))),
    )


def _validator_modes(ctx: _Ctx, node: cst.ClassDef) -> dict[str, list[str]]:
    """Field name (``*`` for all) -> modes of validators that see the raw input."""
    import libcst as cst

    found: dict[str, list[str]] = {}
    for stmt in _statements(node):
        if not isinstance(stmt, cst.FunctionDef):
            continue
        for decorator in stmt.decorators:
            call = decorator.decorator
            if not isinstance(call, cst.Call):
                continue
            kwargs = {a.keyword.value: _literal(ctx, a.value) for a in call.args if a.keyword}
            if ctx.is_(call.func, _FIELD_VALIDATOR):
                mode = kwargs.get("mode", "after")
            elif ctx.is_(call.func, _V1_VALIDATOR):
                mode = "before" if kwargs.get("pre") is True else "after"
            else:
                continue
            if mode not in _RAW_INPUT_MODES:
                continue
            for arg in call.args:
                name = _string(ctx, arg.value) if arg.keyword is None else None
                if name is not None:
                    found.setdefault(name, []).append(str(mode))
    return found


def _with_validators(
    fields: Iterator[SettingsField], modes: dict[str, list[str]]
) -> Iterator[SettingsField]:
    from dataclasses import replace

    for fld in fields:
        own = tuple(modes.get(fld.name, []) + modes.get("*", []))
        yield replace(fld, validator_modes=own) if own else fld


def _statements(node: cst.ClassDef) -> Iterator[cst.BaseStatement | cst.BaseSmallStatement]:
    import libcst as cst

    body = node.body
    if isinstance(body, cst.SimpleStatementSuite):  # `class A(B): x: int = 1`
        yield from body.body
        return
    for stmt in body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            yield from stmt.body
        else:
            yield stmt


def _keyword_config(ctx: _Ctx, node: cst.ClassDef) -> Iterator[tuple[str, object]]:
    """``class S(BaseSettings, env_prefix="APP_")``: pydantic reads class kwargs as config."""
    for kw in node.keywords:
        if kw.keyword is not None and kw.keyword.value != "metaclass":
            yield kw.keyword.value, _literal(ctx, kw.value)


def _body_config(ctx: _Ctx, node: cst.ClassDef) -> Iterator[tuple[str, object]]:
    import libcst as cst

    for stmt in _statements(node):
        if isinstance(stmt, cst.ClassDef) and stmt.name.value == "Config":
            yield from _legacy_config(ctx, stmt)
            continue
        target, value = _assignment(stmt)
        if target == "model_config" and value is not None:
            yield from _config_entries(ctx, value, 0)


def _assignment(stmt: object) -> tuple[str | None, cst.BaseExpression | None]:
    import libcst as cst

    if isinstance(stmt, cst.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0].target
        if isinstance(target, cst.Name):
            return target.value, stmt.value
    if isinstance(stmt, cst.AnnAssign) and isinstance(stmt.target, cst.Name):
        return stmt.target.value, stmt.value
    return None, None


def _legacy_config(ctx: _Ctx, node: cst.ClassDef) -> Iterator[tuple[str, object]]:
    """The pydantic v1 style ``class Config: env_prefix = "X"`` (still honoured by v2)."""
    for stmt in _statements(node):
        target, value = _assignment(stmt)
        if target is not None and value is not None:
            yield target, _literal(ctx, value)


def _config_entries(
    ctx: _Ctx, node: cst.BaseExpression, depth: int
) -> Iterator[tuple[str, object]]:
    """``SettingsConfigDict(...)``, ``ConfigDict(...)``, ``dict(...)``, ``{...}`` or a constant.

    ``**splat`` entries are skipped: a parent's config is merged by inheritance anyway.
    """
    import libcst as cst

    if isinstance(node, cst.Call) and ctx.is_(node.func, _CONFIG_CALLS):
        for arg in node.args:
            if arg.keyword is not None:
                yield arg.keyword.value, _literal(ctx, arg.value)
    elif isinstance(node, cst.Dict):
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = _literal(ctx, element.key)
                if isinstance(key, str):
                    yield key, _literal(ctx, element.value)
    elif isinstance(node, cst.Name) and node.value in ctx.constants and depth < _MAX_CONST_DEPTH:
        yield from _config_entries(ctx, ctx.constants[node.value], depth + 1)
    # An imported constant (another file's config dict) is not followed; see the report.


# --------------------------------------------------------------------------- literals


def _literal(ctx: _Ctx, node: cst.BaseExpression, depth: int = 0) -> object:
    """The value of a literal expression, or an :class:`Expr` describing it."""
    import libcst as cst

    const = ctx.constants.get(node.value) if isinstance(node, cst.Name) else None
    # follow a module-level constant, but not a same-named import or builtin
    if const is not None and depth < _MAX_CONST_DEPTH and ctx.qualname(node) == ctx.code(node):
        return _literal(ctx, const, depth + 1)
    source = ctx.code(node)
    try:
        return ast.literal_eval(source.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, cst.Call):
        args = tuple(
            _literal(ctx, a.value, depth + 1) for a in node.args if a.keyword is None and not a.star
        )
        kwargs = tuple(
            (a.keyword.value, _literal(ctx, a.value, depth + 1))
            for a in node.args
            if a.keyword is not None
        )
        return Expr(source, ctx.qualname(node.func), args, kwargs)
    return Expr(source, _attribute_qualname(ctx, node))


def _attribute_qualname(ctx: _Ctx, node: cst.BaseExpression) -> str | None:
    """LibCST names ``str.upper`` only ``builtins.str``; put the attribute back."""
    import libcst as cst

    qual = ctx.qualname(node)
    if qual and isinstance(node, cst.Attribute) and not qual.endswith("." + node.attr.value):
        return f"{qual}.{node.attr.value}"
    return qual


def _string(ctx: _Ctx, node: cst.BaseExpression) -> str | None:
    value = _literal(ctx, node)
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------- fields


def _fields(ctx: _Ctx, node: cst.ClassDef) -> Iterator[SettingsField]:
    """Annotated class-level attributes that pydantic turns into fields.

    Only direct statements of the class body are looked at, so methods, nested classes and
    docstrings can never produce a field.
    """
    import libcst as cst

    for stmt in _statements(node):
        if not (isinstance(stmt, cst.AnnAssign) and isinstance(stmt.target, cst.Name)):
            continue
        name = stmt.target.value
        if name.startswith("_") or name == "model_config":
            continue
        annotation = stmt.annotation.annotation
        if _is_class_var(ctx, annotation, stmt.value):
            continue
        yield _field(ctx, stmt.target, annotation, stmt.value)


def _is_class_var(
    ctx: _Ctx, annotation: cst.BaseExpression, value: cst.BaseExpression | None
) -> bool:
    """``ClassVar[...]``; also ``Final`` with a value, which pydantic 2 treats as a class var."""
    import libcst as cst

    head = annotation.value if isinstance(annotation, cst.Subscript) else annotation
    names = ctx.qualnames(head)
    if any(q.startswith(_TYPING) and q.endswith(".ClassVar") for q in names):
        return True
    return value is not None and any(q.startswith(_TYPING) and q.endswith(".Final") for q in names)


@dataclass
class _FieldInfo:
    """Mutable accumulator for what ``Field(...)`` calls say about one field."""

    default: str | None = None
    default_factory: str | None = None
    alias: str | None = None
    validation_alias: AliasSpec | None = None
    description: str | None = None
    constraints: dict[str, str] = field(default_factory=dict)


def _field(
    ctx: _Ctx, target: cst.Name, annotation: cst.BaseExpression, value: cst.BaseExpression | None
) -> SettingsField:
    import libcst as cst

    info = _FieldInfo()
    inner = _annotated_parts(ctx, annotation, info)
    if isinstance(value, cst.Call) and ctx.is_(value.func, _FIELD):
        _read_field_call(ctx, value, info)
    elif value is not None and not isinstance(value, cst.Ellipsis):
        info.default = ctx.code(value)
    validation = info.validation_alias
    if validation is None and info.alias is not None:  # pydantic: alias also validates
        validation = AliasSpec(((info.alias,),))
    return SettingsField(
        name=target.value,
        location=Location(ctx.rel, ctx.line(target)),
        annotation=ctx.code(annotation),
        default=info.default,
        default_factory=info.default_factory,
        alias=info.alias,
        validation_alias=validation,
        constraints=tuple(info.constraints.items()),
        description=info.description,
        nested_model=_nested_model(ctx, inner),
    )


def _annotated_parts(
    ctx: _Ctx, annotation: cst.BaseExpression, info: _FieldInfo
) -> cst.BaseExpression:
    """For ``Annotated[T, Field(...), ...]`` read the Field calls and return ``T``."""
    import libcst as cst

    if not isinstance(annotation, cst.Subscript):
        return annotation
    if not any(
        q.startswith(_TYPING) and q.endswith(".Annotated") for q in ctx.qualnames(annotation.value)
    ):
        return annotation
    elements = [el.slice for el in annotation.slice]
    for element in elements[1:]:
        call = element.value if isinstance(element, cst.Index) else None
        if isinstance(call, cst.Call) and ctx.is_(call.func, _FIELD):
            _read_field_call(ctx, call, info)
    first = elements[0] if elements else None
    return first.value if isinstance(first, cst.Index) else annotation


def _read_field_call(ctx: _Ctx, call: cst.Call, info: _FieldInfo) -> None:
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    if positional:
        _set_default(ctx, positional[0], info)
    for arg in call.args:
        if arg.keyword is None:
            continue
        key, value = arg.keyword.value, arg.value
        if key == "default":
            _set_default(ctx, value, info)
        elif key == "default_factory":
            info.default_factory = None if _is_none(value) else ctx.code(value)
        elif key == "alias" and (_is_none(value) or _string(ctx, value) is not None):
            info.alias = _string(ctx, value)
        elif key == "validation_alias" and (_is_none(value) or _alias_spec(ctx, value)):
            info.validation_alias = _alias_spec(ctx, value)
        elif key == "description":
            info.description = _string(ctx, value) or ctx.code(value)
        else:  # constraints and everything else, as written; unresolvable aliases land here too
            info.constraints[key] = ctx.code(value)


def _set_default(ctx: _Ctx, node: cst.BaseExpression, info: _FieldInfo) -> None:
    import libcst as cst

    info.default = None if isinstance(node, cst.Ellipsis) else ctx.code(node)


def _is_none(node: cst.BaseExpression) -> bool:
    import libcst as cst

    return isinstance(node, cst.Name) and node.value == "None"


def _alias_spec(ctx: _Ctx, node: cst.BaseExpression) -> AliasSpec | None:
    """``"X"`` / ``AliasChoices(...)`` / ``AliasPath(...)`` -> AliasSpec; None when not static."""
    import libcst as cst

    text = _string(ctx, node)
    if text is not None:
        return AliasSpec(((text,),))
    if not isinstance(node, cst.Call):
        return None
    if ctx.is_(node.func, _ALIAS_PATH):
        path = _alias_path(ctx, node)
        return AliasSpec((path,)) if path else None
    if ctx.is_(node.func, _ALIAS_CHOICES):
        choices: list[tuple[str | int, ...]] = []
        for arg in node.args:
            text = _string(ctx, arg.value)
            if text is not None:
                choices.append((text,))
            elif isinstance(arg.value, cst.Call) and ctx.is_(arg.value.func, _ALIAS_PATH):
                path = _alias_path(ctx, arg.value)
                if path:
                    choices.append(path)
        return AliasSpec(tuple(choices)) if choices else None
    return None


def _alias_path(ctx: _Ctx, call: cst.Call) -> tuple[str | int, ...]:
    elements: list[str | int] = []
    for arg in call.args:
        value = _literal(ctx, arg.value)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return ()
        elements.append(value)
    return tuple(elements)


def _nested_model(ctx: _Ctx, annotation: cst.BaseExpression) -> str | None:
    """Qualified name of the model ``annotation`` names: ``X``, ``Optional[X]``, ``X | None``.

    Local classes must be kept models; imported names are recorded when they could come from
    another configured file (the engine's lookup decides)."""
    target = _single_non_none(ctx, annotation)
    if isinstance(target, str):
        return f"{ctx.module}.{target}"
    if target is None:
        return None
    for qual in ctx.qualnames(target):
        if ctx.local(qual) is not None or _maybe_foreign_model(qual):
            return qual
    return None


def _single_non_none(ctx: _Ctx, node: cst.BaseExpression) -> cst.BaseExpression | str | None:
    """The one non-None member of a union; a string for a quoted local class name."""
    import libcst as cst

    if isinstance(node, (cst.Name, cst.Attribute)):
        return node
    if isinstance(node, cst.SimpleString):  # "Model": no scope analysis inside strings
        text = node.evaluated_value
        return text if isinstance(text, str) and text in ctx.kept else None
    members: list[cst.BaseExpression] = []
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        members = [node.left, node.right]
    elif isinstance(node, cst.Subscript):
        names = ctx.qualnames(node.value)
        if any(q.startswith(_TYPING) and q.endswith((".Optional", ".Union")) for q in names):
            members = [el.slice.value for el in node.slice if isinstance(el.slice, cst.Index)]
    rest = [m for m in members if not _is_none(m)]
    return _single_non_none(ctx, rest[0]) if len(rest) == 1 and len(members) <= 2 else None
