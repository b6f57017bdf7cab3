"""Layer 2 reader: pydantic-settings classes, read statically with the standard library ``ast``.

The user's code is never imported or executed. Classes are recognised by the *qualified* name
of their bases, so ``from pydantic_settings import BaseSettings as B``,
``import pydantic_settings as ps; ps.BaseSettings`` and ``pydantic_settings.main.BaseSettings``
all count, while a look-alike class merely *named* ``BaseSettings`` does not.

What is kept per file:

* every class deriving (directly or through classes of the same file) from ``BaseSettings`` or
  ``BaseModel`` (``is_settings`` tells them apart), and every class deriving from something
  imported from a non-stdlib module: it may be a model defined in another configured file,
  which :mod:`pytest_envssot.pysettings.inheritance` links up later;
* per class its own fields (annotated class attributes only), and ``model_config`` entries.

Config values are Python literals when the source is a literal (or a module-level constant
holding one); anything else is an :class:`Expr` recording the source and, for names and calls,
the qualified name, so consumers can recognise e.g. ``alias_generator=to_camel`` without guessing.

Why ``ast`` rather than LibCST (the design first named LibCST): this reader needs names,
positions and the source text of expressions, never comments or formatting. LibCST's metadata
(scopes, qualified names, positions) cost about 1.6 ms of CPU per field, some 100 times
``ast.parse`` of the same file, and grew worse than linearly; one ``ast.parse`` plus the work
below stays within a few times ``ast.parse`` (``python -m benchmarks.readers``). The output is
the one the LibCST reader gave, kept by hand:

* expression text is cut from the original string; redundant parentheses around an expression
  belong to it, as in LibCST (``x: int = (5)`` has the default ``(5)``);
* names resolve by the rules of LibCST's ``QualifiedNameProvider`` (:class:`Names`): module and
  class scopes, imports with aliases, dotted and relative imports, builtins, and a plain name
  not seeing a binding of its own scope made later in the file.
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from collections.abc import Iterator
from dataclasses import field, replace
from functools import lru_cache
from pathlib import Path

from pytest_envssot.model import (
    AliasSpec,
    Location,
    ReaderError,
    SettingsClass,
    SettingsField,
    SettingsFile,
)
from pytest_envssot.readers._io import read_file
from pytest_envssot.readers._pyscope import LOCAL, Names, QualNames, Scope, collect
from pytest_envssot.readers._pytext import SourceText, literal_eval, single_string_token, start_key
from pytest_envssot.records import frozen, mutable

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


@frozen(slots=False)
class Expr:
    """A config value that is not a literal.

    ``qualname`` is set for a name, attribute or call whose target could be resolved
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


@lru_cache(maxsize=64)
def parse_module(source: str, rel: str) -> ast.Module:
    """``ast.parse``, once per file and text: the type resolver walks the same trees (read-only)."""
    return ast.parse(source, filename=rel)


# Python's syntax tree holds about 100 bytes per byte of source (an 8 MB module of 100,000
# fields: 770 MB), and the type resolver keeps it for the run; so a Python layer file gets an
# eighth of max_file_bytes (2.5 MB by default: real settings modules are kilobytes).
PYTHON_SHARE = 8


def read_settings(path: Path, rel: str) -> SettingsFile:
    """Read and parse one settings file; I/O problems become ``SettingsFile.error``."""
    return read_file(
        path, rel, parse_settings, lambda error: SettingsFile(path=rel, error=error), PYTHON_SHARE
    )


def parse_settings(source: str, rel: str) -> SettingsFile:
    """Parse settings classes from ``source``. Pure; never raises."""
    try:
        tree = parse_module(source, rel)
    except SyntaxError as exc:  # the real line, also for IndentationError
        msg = exc.msg or "invalid syntax"
        return _failed(rel, exc.lineno or 0, f"syntax error: {msg}")
    except (RecursionError, MemoryError):  # CPython refuses > 200 nested brackets itself
        return _failed(rel, _longest_line(source), "expression nested too deeply to parse")
    except ValueError as exc:  # e.g. NUL bytes
        return _failed(rel, 0, f"cannot parse: {exc}")
    try:
        return SettingsFile(path=rel, classes=_parse(tree, source, rel))
    except RecursionError:
        return _failed(rel, _longest_line(source), "expression nested too deeply to analyse")
    except MemoryError:
        return _failed(rel, _longest_line(source), "file too complex to analyse")
    except Exception as exc:  # a bug here must not crash the test session
        # Only the type: the exception's text could quote the source.
        return _failed(rel, 0, f"internal error in the settings reader ({type(exc).__name__})")


_LAYOUT_TOKENS = frozenset(
    {tokenize.NL, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING}
)


def _longest_line(source: str) -> int:
    """Line of the statement with the most tokens: where a too-deep expression sits.

    ``ast.parse`` reports no line for its RecursionError; the tokenizer is a loop, so it
    can walk any file that decoded.
    """
    best = (0, 1)  # (tokens, first line)
    count, start = 0, 1
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type in _LAYOUT_TOKENS:
                continue
            if count == 0:
                start = token.start[0]
            count += 1
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                best = max(best, (count, -start))
                count = 0
    except (tokenize.TokenError, SyntaxError, RecursionError, MemoryError):
        best = max(best, (count, -start))
    return abs(best[1]) or 1


def module_name(rel: str) -> str:
    """``apps/backend/src/config.py`` -> ``apps.backend.src.config`` (``__init__`` dropped)."""
    parts = rel.replace("\\", "/").split("/")
    parts[-1] = parts[-1].rsplit(".", 1)[0]
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(p for p in parts if p)


def _failed(rel: str, line: int, message: str) -> SettingsFile:
    return SettingsFile(path=rel, error=ReaderError(Location(rel, line), message))


def _package(rel: str) -> tuple[str, ...]:
    """Package parts a relative import in ``rel`` starts from."""
    parts = tuple(module_name(rel).split("."))
    return parts if rel.endswith("__init__.py") else parts[:-1]


# --------------------------------------------------------------------------- parsing


@mutable
class _Ctx:
    """Per-file state shared by the helpers below."""

    rel: str
    module: str
    package: tuple[str, ...]
    text: SourceText
    names: Names
    scope: Scope  # where the names of the expressions being read are looked up
    indent: str = ""  # indentation of the block of the statement being read
    constants: dict[str, ast.expr] = field(default_factory=dict)  # module NAME = value
    kept: dict[str, bool] = field(default_factory=dict)  # local qualname -> is_settings
    scopes: dict[int, Scope] = field(default_factory=dict)  # id(ClassDef) -> its body
    anchors: dict[int, tuple[int, bool]] = field(default_factory=dict)  # id(expr) -> anchor

    def line(self, node: ast.AST) -> int:
        return node.lineno  # type: ignore[attr-defined, no-any-return]

    def code(self, node: ast.AST) -> str:
        return self.text.code(node, self.anchors.get(id(node)), self.indent)

    def at(self, stmt: ast.stmt) -> None:
        """Read the expressions of ``stmt`` next."""
        self.indent = self.text.indent(stmt.lineno)

    def after(self, node: ast.AST, anchor: int, call_paren_first: bool = False) -> None:
        """Record where the syntax before ``node`` ends, for :meth:`code`."""
        self.anchors[id(node)] = (anchor, call_paren_first)

    def qualnames(self, node: ast.AST, names: QualNames | None = None) -> list[str]:
        """Qualified names of ``node``: local classes as ``module.Class``, relative imports
        made absolute; sorted so the choice is deterministic."""
        found = self.names.qualified(node, self.scope) if names is None else names
        out: list[str] = []
        for name, kind in found:
            if kind == LOCAL:
                out.append(f"{self.module}.{name}" if name in self.kept else name)
            elif name.startswith("."):
                out.append(self._absolute(name))
            else:
                out.append(name)
        return sorted(out)

    def qualname(self, node: ast.AST) -> str | None:
        names = self.qualnames(node)
        return names[0] if names else None

    def is_(self, node: ast.AST, targets: frozenset[str]) -> bool:
        return any(q in targets for q in self.qualnames(node))

    def local(self, qualname: str) -> str | None:
        """The kept local class a qualified name points at, as a key of ``kept``."""
        prefix = f"{self.module}."
        if qualname.startswith(prefix) and qualname[len(prefix) :] in self.kept:
            return qualname[len(prefix) :]
        return None

    def in_scope(self, scope: Scope, indent: str | None = None) -> _ScopeSwitch:
        return _ScopeSwitch(self, scope, self.indent if indent is None else indent)

    def _absolute(self, name: str) -> str:
        dots = len(name) - len(name.lstrip("."))
        base = self.package[: len(self.package) - (dots - 1)] if dots > 1 else self.package
        return ".".join((*base, name[dots:]))


class _ScopeSwitch:
    """``with ctx.in_scope(s):`` read expressions that live in scope ``s``."""

    def __init__(self, ctx: _Ctx, scope: Scope, indent: str) -> None:
        self.ctx, self.state = ctx, (scope, indent)
        self.saved = (ctx.scope, ctx.indent)

    def __enter__(self) -> None:
        self.saved = (self.ctx.scope, self.ctx.indent)
        self.ctx.scope, self.ctx.indent = self.state

    def __exit__(self, *_: object) -> None:
        self.ctx.scope, self.ctx.indent = self.saved


def _parse(tree: ast.Module, source: str, rel: str) -> tuple[SettingsClass, ...]:
    names = Names()
    ctx = _Ctx(rel, module_name(rel), _package(rel), SourceText(source), names, names.module)
    classes: list[tuple[str, ast.ClassDef, Scope]] = []
    collect(tree.body, names.module, classes, ":=" in source)
    ctx.scopes = {id(node): scope for _, node, scope in classes}
    for stmt in tree.body:  # module-level NAME = value (last one wins)
        target, value = _assignment(ctx, stmt)
        if target is not None and value is not None:
            ctx.constants[target] = value
    _classify(ctx, classes)
    return tuple(
        _read_class(ctx, qual, node, scope) for qual, node, scope in classes if qual in ctx.kept
    )


def _assignment(ctx: _Ctx, stmt: ast.stmt) -> tuple[str | None, ast.expr | None]:
    """``NAME = value`` / ``NAME: T = value`` (value None without one)."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
        target = stmt.targets[0]
        if isinstance(target, ast.Name):
            ctx.after(stmt.value, ctx.text.end(target))
            return target.id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        if stmt.value is not None:
            ctx.after(stmt.value, ctx.text.end(stmt.annotation))
        return stmt.target.id, stmt.value
    return None, None


# --------------------------------------------------------------------------- arguments


@mutable
class _Arg:
    """One argument of a call or class statement, in source order."""

    keyword: str | None
    star: str  # "", "*" or "**"
    value: ast.expr


def _call_args(ctx: _Ctx, call: ast.Call) -> list[_Arg]:
    return _arguments(ctx, [*call.args, *call.keywords], ctx.text.end(call.func))


def _arguments(ctx: _Ctx, items: list[ast.expr | ast.keyword], anchor: int) -> list[_Arg]:
    """Arguments in source order, with the anchors :meth:`_Ctx.code` needs."""
    items.sort(key=start_key)
    out: list[_Arg] = []
    first = True
    for item in items:
        if isinstance(item, ast.keyword):
            value, star = item.value, "" if item.arg else "**"
            if item.arg:
                ctx.after(value, ctx.text.start(item) + len(item.arg))
            else:
                ctx.after(value, anchor)
            out.append(_Arg(item.arg, star, value))
        else:
            value, star = (item.value, "*") if isinstance(item, ast.Starred) else (item, "")
            ctx.after(value, anchor, first)
            out.append(_Arg(None, star, value))
        anchor, first = ctx.text.end(item), False
    return out


def _class_args(ctx: _Ctx, node: ast.ClassDef) -> list[_Arg]:
    """Bases and keywords of ``class Name(...)``; the anchor is the end of the name (or of
    the type parameters)."""
    text = ctx.text
    start = text.skip_blanks(text.start(node) + len("class"))
    anchor = start + len(node.name)
    params = getattr(node, "type_params", None)
    if params:
        anchor = text.end(params[-1])
    return _arguments(ctx, [*node.bases, *node.keywords], anchor)


def _class_name_line(ctx: _Ctx, node: ast.ClassDef) -> int:
    text = ctx.text
    start = text.skip_blanks(text.start(node) + len("class"))
    return text.line_of(start)


def _subscript_elements(ctx: _Ctx, node: ast.Subscript) -> list[ast.expr | None]:
    """LibCST's subscript elements: ``X[a, b]`` has two, ``X[(a, b)]`` one (a tuple); a slice
    element is None (it is no ``Index``)."""
    sub = node.slice
    elements = [sub]
    if isinstance(sub, ast.Tuple) and not _parenthesized(ctx, sub):
        elements = sub.elts
    return [
        None if isinstance(e, ast.Slice) else e.value if isinstance(e, ast.Starred) else e
        for e in elements
    ]


def _parenthesized(ctx: _Ctx, node: ast.Tuple) -> bool:
    """Whether the tuple's own parentheses are written (its span then starts with them)."""
    if not node.elts:
        return True
    text, first = ctx.text, node.elts[0]
    opened = text.count_parens(text.start(node), text.start(first), "(")
    return opened > text.count_parens(text.end(first), text.end(node), ")")


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _is_ellipsis(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


# --------------------------------------------------------------------------- classes


def _classify(ctx: _Ctx, classes: list[tuple[str, ast.ClassDef, Scope]]) -> None:
    """Decide which classes are models, in source order (a base precedes its subclass)."""
    for qual, node, scope in classes:
        with ctx.in_scope(scope.parent or ctx.names.module):
            bases = [ctx.qualnames(_unstar(base)) for base in node.bases]
        flat = [q for names in bases for q in names]
        settings = any(q in BASE_SETTINGS or ctx.kept.get(ctx.local(q) or "", False) for q in flat)
        model = settings or any(q in BASE_MODEL or ctx.local(q) is not None for q in flat)
        if model or any(_maybe_foreign_model(q) for q in flat):
            ctx.kept[qual] = settings


def _unstar(node: ast.expr) -> ast.expr:
    return node.value if isinstance(node, ast.Starred) else node


def _maybe_foreign_model(qualname: str) -> bool:
    """An imported base from a module that could be another configured file."""
    root = qualname.split(".", 1)[0]
    return "." in qualname and root not in _NOT_MODEL_ROOTS


def _read_class(ctx: _Ctx, qual: str, node: ast.ClassDef, scope: Scope) -> SettingsClass:
    outer = scope.parent or ctx.names.module
    with ctx.in_scope(outer, ctx.text.indent(node.lineno)):  # bases, keywords: outside the body
        args = _class_args(ctx, node)
        bases = tuple(
            ctx.qualname(arg.value) or ctx.code(arg.value)
            for arg in args
            if arg.keyword is None and arg.star != "**"
        )
        keywords = [
            (arg.keyword, _literal(ctx, arg.value))
            for arg in args
            if arg.keyword is not None and arg.keyword != "metaclass"
        ]
    with ctx.in_scope(scope):
        # later entries win (class kwargs over model_config), as in ConfigWrapper.for_model
        config = dict([*_body_config(ctx, node), *keywords])
        fields = tuple(_with_validators(_fields(ctx, node), _validator_modes(ctx, node)))
    return SettingsClass(
        name=node.name,
        qualname=f"{ctx.module}.{qual}",
        location=Location(ctx.rel, _class_name_line(ctx, node)),
        bases=bases,
        is_settings=ctx.kept[qual],
        config=tuple(config.items()),
        fields=fields,
        custom_sources=any(
            isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            and item.name == "settings_customise_sources"
            for item in node.body
        ),
    )


def _validator_modes(ctx: _Ctx, node: ast.ClassDef) -> dict[str, list[str]]:
    """Field name (``*`` for all) -> modes of validators that see the raw input."""
    found: dict[str, list[str]] = {}
    for stmt in node.body:
        if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        ctx.at(stmt)
        for call in stmt.decorator_list:
            if not isinstance(call, ast.Call):
                continue
            args = _call_args(ctx, call)
            kwargs = {a.keyword: _literal(ctx, a.value) for a in args if a.keyword}
            if ctx.is_(call.func, _FIELD_VALIDATOR):
                mode = kwargs.get("mode", "after")
            elif ctx.is_(call.func, _V1_VALIDATOR):
                mode = "before" if kwargs.get("pre") is True else "after"
            else:
                continue
            if mode not in _RAW_INPUT_MODES:
                continue
            for arg in args:
                name = _string(ctx, arg.value) if arg.keyword is None else None
                if name is not None:
                    found.setdefault(name, []).append(str(mode))
    return found


def _with_validators(
    fields: list[SettingsField], modes: dict[str, list[str]]
) -> Iterator[SettingsField]:
    for fld in fields:
        own = tuple(modes.get(fld.name, []) + modes.get("*", []))
        yield replace(fld, validator_modes=own) if own else fld


def _body_config(ctx: _Ctx, node: ast.ClassDef) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for stmt in node.body:
        if isinstance(stmt, ast.ClassDef) and stmt.name == "Config":
            with ctx.in_scope(ctx.scopes[id(stmt)]):
                out.extend(_legacy_config(ctx, stmt))
            continue
        ctx.at(stmt)
        target, value = _assignment(ctx, stmt)
        if target == "model_config" and value is not None:
            out.extend(_config_entries(ctx, value, 0))
    return out


def _legacy_config(ctx: _Ctx, node: ast.ClassDef) -> Iterator[tuple[str, object]]:
    """The pydantic v1 style ``class Config: env_prefix = "X"`` (still honoured by v2)."""
    for stmt in node.body:
        ctx.at(stmt)
        target, value = _assignment(ctx, stmt)
        if target is not None and value is not None:
            yield target, _literal(ctx, value)


def _config_entries(ctx: _Ctx, node: ast.expr, depth: int) -> list[tuple[str, object]]:
    """``SettingsConfigDict(...)``, ``ConfigDict(...)``, ``dict(...)``, ``{...}`` or a constant.

    ``**splat`` entries are skipped: a parent's config is merged by inheritance anyway.
    """
    if isinstance(node, ast.Call) and ctx.is_(node.func, _CONFIG_CALLS):
        return [
            (arg.keyword, _literal(ctx, arg.value))
            for arg in _call_args(ctx, node)
            if arg.keyword is not None
        ]
    if isinstance(node, ast.Dict):
        out: list[tuple[str, object]] = []
        anchor = ctx.text.start(node)
        for key, value in zip(node.keys, node.values, strict=True):
            if key is not None:
                ctx.after(key, anchor)
                anchor = ctx.text.end(key)
            ctx.after(value, anchor)
            anchor = ctx.text.end(value)
            name = _literal(ctx, key) if key is not None else None
            if isinstance(name, str):
                out.append((name, _literal(ctx, value)))
        return out
    if isinstance(node, ast.Name) and node.id in ctx.constants and depth < _MAX_CONST_DEPTH:
        with ctx.in_scope(ctx.names.module, ""):
            return _config_entries(ctx, ctx.constants[node.id], depth + 1)
    return []  # An imported constant (another file's config dict) is not followed.


# --------------------------------------------------------------------------- literals


def _literal(ctx: _Ctx, node: ast.expr, depth: int = 0) -> object:
    """The value of a literal expression, or an :class:`Expr` describing it."""
    const = ctx.constants.get(node.id) if isinstance(node, ast.Name) else None
    # follow a module-level constant, but not a same-named import or builtin
    if const is not None and depth < _MAX_CONST_DEPTH and ctx.qualname(node) == ctx.code(node):
        with ctx.in_scope(ctx.names.module, ""):
            return _literal(ctx, const, depth + 1)
    source = ctx.code(node)
    try:
        # The text as LibCST cut it: a string continued on the next line without its own
        # parentheses is no expression on its own, and stays an Expr.
        return literal_eval(source.strip() if "\n" in source or "\r" in source else node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        pass
    if isinstance(node, ast.Call):
        call_args = _call_args(ctx, node)
        args = tuple(
            _literal(ctx, a.value, depth + 1) for a in call_args if a.keyword is None and not a.star
        )
        kwargs = tuple(
            (a.keyword, _literal(ctx, a.value, depth + 1))
            for a in call_args
            if a.keyword is not None
        )
        return Expr(source, ctx.qualname(node.func), args, kwargs)
    return Expr(source, _attribute_qualname(ctx, node))


def _attribute_qualname(ctx: _Ctx, node: ast.expr) -> str | None:
    """LibCST names ``str.upper`` only ``builtins.str``; put the attribute back."""
    qual = ctx.qualname(node)
    if qual and isinstance(node, ast.Attribute) and not qual.endswith("." + node.attr):
        return f"{qual}.{node.attr}"
    return qual


def _string(ctx: _Ctx, node: ast.expr) -> str | None:
    value = _literal(ctx, node)
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------- fields


def _fields(ctx: _Ctx, node: ast.ClassDef) -> list[SettingsField]:
    """Annotated class-level attributes that pydantic turns into fields.

    Only direct statements of the class body are looked at, so methods, nested classes and
    docstrings can never produce a field.
    """
    out: list[SettingsField] = []
    for stmt in node.body:
        if not (isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)):
            continue
        name = stmt.target.id
        if name.startswith("_") or name == "model_config":
            continue
        annotation, value = stmt.annotation, stmt.value
        if _is_class_var(ctx, annotation, value):
            continue
        ctx.at(stmt)
        ctx.after(annotation, ctx.text.end(stmt.target))
        if value is not None:
            ctx.after(value, ctx.text.end(annotation))
        out.append(_field(ctx, stmt.target, annotation, value))
    return out


def _is_class_var(ctx: _Ctx, annotation: ast.expr, value: ast.expr | None) -> bool:
    """``ClassVar[...]``; also ``Final`` with a value, which pydantic 2 treats as a class var."""
    head = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    if isinstance(head, ast.Constant) and isinstance(head.value, (str, bytes)):
        names = ctx.qualnames(head, ctx.names.string_annotation(head, ctx.scope))
    else:
        names = ctx.qualnames(head)
    if any(q.startswith(_TYPING) and q.endswith(".ClassVar") for q in names):
        return True
    return value is not None and any(q.startswith(_TYPING) and q.endswith(".Final") for q in names)


@mutable
class _FieldInfo:
    """Mutable accumulator for what ``Field(...)`` calls say about one field."""

    default: str | None = None
    default_factory: str | None = None
    alias: str | None = None
    validation_alias: AliasSpec | None = None
    description: str | None = None
    constraints: dict[str, str] = field(default_factory=dict)


def _field(
    ctx: _Ctx, target: ast.Name, annotation: ast.expr, value: ast.expr | None
) -> SettingsField:
    info = _FieldInfo()
    inner = _annotated_parts(ctx, annotation, info)
    if isinstance(value, ast.Call) and ctx.is_(value.func, _FIELD):
        _read_field_call(ctx, value, info)
    elif value is not None and not _is_ellipsis(value):
        info.default = ctx.code(value)
    validation = info.validation_alias
    if validation is None and info.alias is not None:  # pydantic: alias also validates
        validation = AliasSpec(((info.alias,),))
    return SettingsField(
        name=target.id,
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


def _annotated_parts(ctx: _Ctx, annotation: ast.expr, info: _FieldInfo) -> ast.expr:
    """For ``Annotated[T, Field(...), ...]`` read the Field calls and return ``T``."""
    if not isinstance(annotation, ast.Subscript):
        return annotation
    if not any(
        q.startswith(_TYPING) and q.endswith(".Annotated") for q in ctx.qualnames(annotation.value)
    ):
        return annotation
    elements = _subscript_elements(ctx, annotation)
    for call in elements[1:]:
        if isinstance(call, ast.Call) and ctx.is_(call.func, _FIELD):
            _read_field_call(ctx, call, info)
    first = elements[0] if elements else None
    return first if first is not None else annotation


def _read_field_call(ctx: _Ctx, call: ast.Call, info: _FieldInfo) -> None:
    args = _call_args(ctx, call)
    positional = [a.value for a in args if a.keyword is None and not a.star]
    if positional:
        _set_default(ctx, positional[0], info)
    for arg in args:
        if arg.keyword is None:
            continue
        key, value = arg.keyword, arg.value
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


def _set_default(ctx: _Ctx, node: ast.expr, info: _FieldInfo) -> None:
    info.default = None if _is_ellipsis(node) else ctx.code(node)


def _alias_spec(ctx: _Ctx, node: ast.expr) -> AliasSpec | None:
    """``"X"`` / ``AliasChoices(...)`` / ``AliasPath(...)`` -> AliasSpec; None when not static."""
    if not isinstance(node, ast.Call):  # a call is never a string: skip describing it twice
        text = _string(ctx, node)
        return AliasSpec(((text,),)) if text is not None else None
    if ctx.is_(node.func, _ALIAS_PATH):
        path = _alias_path(ctx, node)
        return AliasSpec((path,)) if path else None
    if ctx.is_(node.func, _ALIAS_CHOICES):
        choices: list[tuple[str | int, ...]] = []
        for arg in _call_args(ctx, node):
            text = _string(ctx, arg.value)
            if text is not None:
                choices.append((text,))
            elif isinstance(arg.value, ast.Call) and ctx.is_(arg.value.func, _ALIAS_PATH):
                path = _alias_path(ctx, arg.value)
                if path:
                    choices.append(path)
        return AliasSpec(tuple(choices)) if choices else None
    return None


def _alias_path(ctx: _Ctx, call: ast.Call) -> tuple[str | int, ...]:
    elements: list[str | int] = []
    for arg in _call_args(ctx, call):
        value = _literal(ctx, arg.value)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            return ()
        elements.append(value)
    return tuple(elements)


def _nested_model(ctx: _Ctx, annotation: ast.expr) -> str | None:
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


def _single_non_none(ctx: _Ctx, node: ast.expr) -> ast.expr | str | None:
    """The one non-None member of a union; a string for a quoted local class name."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        return node
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        # "Model" (one string token): no scope analysis inside strings
        text = node.value
        if isinstance(text, str) and text in ctx.kept:
            return text if single_string_token(ctx.text.code(node, None, "")) else None
        return None
    members: list[ast.expr | None] = []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        members = [node.left, node.right]
    elif isinstance(node, ast.Subscript):
        names = ctx.qualnames(node.value)
        if any(q.startswith(_TYPING) and q.endswith((".Optional", ".Union")) for q in names):
            members = [e for e in _subscript_elements(ctx, node) if e is not None]
    rest = [m for m in members if m is not None and not _is_none(m)]
    return _single_non_none(ctx, rest[0]) if len(rest) == 1 and len(members) <= 2 else None
