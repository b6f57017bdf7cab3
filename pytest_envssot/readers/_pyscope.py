"""Qualified names of expressions, by the rules of LibCST's ``QualifiedNameProvider``.

Only what a reader of module-level classes needs: the module scope and class bodies (functions
are not entered), imports with aliases, dotted and relative imports, builtins, and a plain name
that does not see a binding of its own scope made after it. :func:`collect` binds the names
of a module and gathers its classes; :class:`Names` answers ``{(qualified name, kind)}``.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass, field

from pytest_envssot.readers._pytext import end_key, start_key

_LITERAL = frozenset({"typing.Literal", "typing_extensions.Literal"})
_MAX_STRING_ANNOTATION_DEPTH = 5  # "Optional['X']" nests; a string of strings must end


LOCAL, IMPORT, BUILTIN = 0, 1, 2
QualNames = set[tuple[str, int]]  # (qualified name, source kind)


class Scope:
    """A module or class body: the names bound in it."""

    def __init__(self, parent: Scope | None, prefix: str, is_class: bool) -> None:
        self.parent = parent
        self.prefix = prefix  # dotted class path, "" for the module
        self.is_class = is_class
        self.bindings: dict[str, list[Binding]] = {}

    def bind(
        self, name: str, visible: int, node: ast.Import | ast.ImportFrom | None = None
    ) -> None:
        self.bindings.setdefault(name, []).append(Binding(name, self, visible, node))

    def visible_parent(self) -> Scope | None:
        """Class bodies are invisible from nested scopes."""
        parent = self.parent
        while parent is not None and parent.is_class:
            parent = parent.parent
        return parent


@dataclass(eq=False)
class Binding:
    """A name bound by an import, and where it is visible."""

    name: str  # as bound: `a.b` for `import a.b` (which also binds `a`)
    scope: Scope | None  # None for a builtin
    visible: int  # position (see start_key) from which later code of the same scope sees it
    node: ast.Import | ast.ImportFrom | None = None
    _memo: dict[str, frozenset[tuple[str, int]]] = field(default_factory=dict, repr=False)

    def qualnames(self, full: str) -> QualNames:
        if self.scope is None:
            return {(f"builtins.{self.name}", BUILTIN)}
        if self.node is None:
            prefix = self.scope.prefix
            return {(f"{prefix}.{full}" if prefix else full, LOCAL)}
        memo = self._memo.get(full)
        if memo is None:  # a settings file asks about `Field` thousands of times
            memo = self._memo[full] = frozenset(_import_qualnames(self.node, full))
        return set(memo)


def _import_qualnames(node: ast.Import | ast.ImportFrom, full: str) -> QualNames:
    """LibCST's ImportAssignment.get_qualified_names_for, on an ast import."""
    module = ""
    if isinstance(node, ast.ImportFrom):
        module = "." * node.level + (node.module or "")
    found: QualNames = set()
    for alias in node.names:
        parts = alias.name.split(".")
        for i in range(len(parts), 0, -1):
            real = as_name = ".".join(parts[:i])
            if module.endswith("."):
                real = f"{module}{real}"
            elif module:
                real = f"{module}.{real}"
            if alias.asname:
                as_name = alias.asname
            if full.startswith(as_name):
                rest = full.split(as_name, 1)[1]
                if rest and not rest.startswith("."):
                    continue
                rest = rest.lstrip(".")
                found.add((f"{real}.{rest}" if rest else real, IMPORT))
                break
    return found


def _full_name(node: ast.AST) -> str | None:
    """LibCST's get_full_name_for_node: calls and subscripts are transparent; an attribute of
    anything else is named ``None.attr`` (which the builtin ``None`` then resolves)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_full_name(node.value)}.{node.attr}"
    if isinstance(node, ast.Call):
        return _full_name(node.func)
    if isinstance(node, ast.Subscript):
        return _full_name(node.value)
    if isinstance(node, ast.Constant) and _is_singleton(node.value):
        return repr(node.value)  # `None`, `True`, `False` are names in LibCST
    return None


def _is_singleton(value: object) -> bool:
    return value is None or value is True or value is False


class Names:
    """Qualified names of expressions, by the rules of LibCST's QualifiedNameProvider.

    A plain name is an *access*: it sees the bindings of its scope made before it (else,
    when the scope only binds it later, the parent scope's), then the enclosing non-class
    scopes and builtins. A dotted expression is looked up by its longest bound prefix.
    """

    def __init__(self) -> None:
        self.module = Scope(None, "", False)
        self._builtins: dict[str, list[Binding]] = {}

    def qualified(self, node: ast.AST, scope: Scope) -> QualNames:
        if isinstance(node, ast.Name):
            return self.access(node.id, scope, start_key(node))
        if isinstance(node, ast.Constant) and _is_singleton(node.value):
            return self.access(repr(node.value), scope, start_key(node))
        full = _full_name(node)
        if full is None:
            return set()
        prefix: str | None = full
        bindings: list[Binding] = []
        while prefix:
            if self._contains(prefix, scope):
                bindings = self._resolve(prefix, scope)
                break
            idx = prefix.rfind(".")
            prefix = None if idx == -1 else prefix[:idx]
        found: QualNames = set()
        for binding in bindings:
            found |= binding.qualnames(full)
        return found

    def access(self, name: str, scope: Scope, pos: int) -> QualNames:
        bindings = self._resolve(name, scope)
        previous = [b for b in bindings if b.scope is not scope or b.visible <= pos]
        if not previous and bindings:
            previous = self._resolve(name, scope.parent)
        found: QualNames = set()
        for binding in previous:
            found |= binding.qualnames(binding.name)
        return found

    def _resolve(self, name: str, scope: Scope | None) -> list[Binding]:
        while scope is not None:
            found = scope.bindings.get(name)
            if found:
                return found
            scope = scope.visible_parent()
        return self._builtin(name)

    def _contains(self, name: str, scope: Scope | None) -> bool:
        while scope is not None:
            if name in scope.bindings:
                return True
            scope = scope.visible_parent()
        return hasattr(builtins, name)

    def _builtin(self, name: str) -> list[Binding]:
        if name not in self._builtins:
            found = [Binding(name, None, 0)] if hasattr(builtins, name) else []
            self._builtins[name] = found
        return self._builtins[name]

    def string_annotation(self, node: ast.Constant, scope: Scope, depth: int = 0) -> QualNames:
        """LibCST parses a string annotation and records the names in it as accesses of the
        string itself (``"ClassVar[int]"`` names ``typing.ClassVar`` and ``builtins.int``)."""
        value = node.value
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if not isinstance(value, str) or not value or depth > _MAX_STRING_ANNOTATION_DEPTH:
            return set()
        try:
            tree = ast.parse(value)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return set()
        found: QualNames = set()
        pos = start_key(node)
        stack: list[tuple[ast.AST, bool]] = [(tree, False)]
        while stack:
            item, in_literal = stack.pop()
            if isinstance(item, ast.Name):
                found |= self.access(item.id, scope, pos)
                continue
            if isinstance(item, ast.Attribute) and (dotted := _dotted(item)) is not None:
                # the access is the longest bound prefix of the dotted name
                prefixes = [dotted.rsplit(".", i)[0] for i in range(dotted.count(".") + 1)]
                bound = [p for p in prefixes if self._contains(p, scope)]
                found |= self.access(bound[0] if bound else prefixes[-1], scope, pos)
                continue
            if isinstance(item, ast.Constant):
                if not in_literal and isinstance(item.value, (str, bytes)):
                    found |= self.string_annotation(
                        ast.Constant(item.value, lineno=node.lineno, col_offset=node.col_offset),
                        scope,
                        depth + 1,
                    )
                continue
            if isinstance(item, ast.Subscript) and isinstance(item.value, ast.Name):
                names = {q for q, _ in self.qualified(item.value, scope)}
                in_literal = in_literal or bool(names & _LITERAL)
            stack.extend(
                (child, in_literal) for child in reversed(list(ast.iter_child_nodes(item)))
            )
        return found


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of plain names, else None."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return None if head is None else f"{head}.{node.attr}"
    return None


def _bind_targets(scope: Scope, target: ast.AST, visible: int) -> None:
    """Names an assignment target binds (attributes and subscripts bind none)."""
    if isinstance(target, ast.Name):
        scope.bind(target.id, visible)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _bind_targets(scope, element, visible)
    elif isinstance(target, ast.Starred):
        _bind_targets(scope, target.value, visible)


def _bind_import(scope: Scope, stmt: ast.Import | ast.ImportFrom) -> None:
    """``import a.b.c`` binds ``a.b.c``, ``a.b`` and ``a`` (as LibCST records them)."""
    visible = end_key(stmt)
    for alias in stmt.names:
        if alias.name == "*":
            return
        bound = alias.asname or alias.name
        parts = bound.split(".")
        for i in range(len(parts), 0, -1):
            scope.bind(".".join(parts[:i]), visible, stmt)


def _header_expressions(stmt: ast.stmt) -> list[ast.AST]:
    """The expressions of ``stmt`` evaluated in its own scope (for walrus targets)."""
    if isinstance(stmt, (ast.If, ast.While)):
        return [stmt.test]
    if isinstance(stmt, (ast.For, ast.AsyncFor)):
        return [stmt.iter]
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [item.context_expr for item in stmt.items]
    if isinstance(stmt, ast.Match):
        return [stmt.subject, *(case.guard for case in stmt.cases if case.guard is not None)]
    if isinstance(stmt, ast.ClassDef):
        return [*stmt.decorator_list, *stmt.bases, *stmt.keywords]
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        args = stmt.args
        return [*stmt.decorator_list, *args.defaults, *(d for d in args.kw_defaults if d)]
    if isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
        return []
    return [stmt]


_NEW_SCOPES = (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _bind_walrus(scope: Scope, stmt: ast.stmt) -> None:
    stack = _header_expressions(stmt)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            scope.bind(node.target.id, end_key(node))
        if not isinstance(node, (*_NEW_SCOPES, ast.stmt)) or node is stmt:
            stack.extend(ast.iter_child_nodes(node))


def collect(
    stmts: list[ast.stmt],
    scope: Scope,
    classes: list[tuple[str, ast.ClassDef, Scope]],
    walrus: bool,
) -> None:
    """Bind the names ``stmts`` define in ``scope``; gather classes (not inside functions)."""
    for stmt in stmts:
        if walrus:
            _bind_walrus(scope, stmt)
        if isinstance(stmt, ast.ClassDef):
            scope.bind(stmt.name, end_key(stmt))
            prefix = f"{scope.prefix}.{stmt.name}" if scope.prefix else stmt.name
            inner = Scope(scope, prefix, True)
            classes.append((prefix, stmt, inner))
            collect(stmt.body, inner, classes, walrus)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            scope.bind(stmt.name, end_key(stmt))  # classes inside functions are never settings
        elif isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                _bind_targets(scope, target, end_key(stmt))
        elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
            _bind_targets(scope, stmt.target, end_key(stmt))
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            _bind_import(scope, stmt)
        elif isinstance(stmt, (ast.For, ast.AsyncFor)):
            _bind_targets(scope, stmt.target, end_key(stmt.target))
            collect(stmt.body, scope, classes, walrus)
            collect(stmt.orelse, scope, classes, walrus)
        elif isinstance(stmt, (ast.While, ast.If)):
            collect(stmt.body, scope, classes, walrus)
            collect(stmt.orelse, scope, classes, walrus)
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            for item in stmt.items:
                if item.optional_vars is not None:
                    _bind_targets(scope, item.optional_vars, end_key(item.optional_vars))
            collect(stmt.body, scope, classes, walrus)
        elif isinstance(stmt, ast.Match):
            for case in stmt.cases:
                collect(case.body, scope, classes, walrus)
        elif hasattr(stmt, "handlers"):  # try (and try/except* on 3.11+)
            collect(stmt.body, scope, classes, walrus)  # type: ignore[attr-defined]
            for handler in stmt.handlers:
                if handler.name:
                    scope.bind(handler.name, end_key(handler.type or handler))
                collect(handler.body, scope, classes, walrus)
            collect(stmt.orelse, scope, classes, walrus)  # type: ignore[attr-defined]
            collect(stmt.finalbody, scope, classes, walrus)  # type: ignore[attr-defined]
        elif type(stmt).__name__ == "TypeAlias":  # `type X = ...` (3.12+)
            _bind_targets(scope, stmt.name, end_key(stmt))  # type: ignore[attr-defined]
