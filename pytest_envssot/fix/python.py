"""Edits to settings modules through LibCST: every byte the edit is not about stays as it was.

* ``field-stub``: ``name: str = Field(default="", validation_alias="NAME")`` after the last
  field of the class (``--keep-orphans``), importing ``Field`` from pydantic when needed;
* ``field-drop-default``: the hard-coded default goes, the env name is written out as
  ``validation_alias`` (what the no-secret-default message shows);
* ``field-set-default``: the default becomes a given literal (``False`` for debug-off).

This module imports LibCST at its top: only ``envssot fix`` loads it.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence

with warnings.catch_warnings():  # libcst.metadata uses mypy_extensions.TypedDict (deprecated)
    warnings.simplefilter("ignore", DeprecationWarning)
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

from pytest_envssot.findings import Edit

KINDS = frozenset({"field-stub", "field-drop-default", "field-set-default"})
_ALIASES = ("alias", "validation_alias")


def _is_field_call(node: cst.BaseExpression) -> bool:
    if not isinstance(node, cst.Call):
        return False
    func = node.func
    return (isinstance(func, cst.Name) and func.value == "Field") or (
        isinstance(func, cst.Attribute) and func.attr.value == "Field"
    )


def _string(text: str) -> cst.SimpleString:
    return cst.SimpleString(json.dumps(text, ensure_ascii=False))


def _kwarg(name: str, value: cst.BaseExpression) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=value,
        equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
    )


def _default_index(call: cst.Call) -> int | None:
    """Where ``Field``'s default sits: ``default=`` or the first positional argument."""
    for i, arg in enumerate(call.args):
        if arg.keyword is not None and arg.keyword.value == "default":
            return i
    if call.args and call.args[0].keyword is None and call.args[0].star == "":
        return 0
    return None


def _drop_default(call: cst.Call, var: str) -> cst.Call:
    """``Field`` without its default; ``validation_alias`` in its place unless an alias is set."""
    at = _default_index(call)
    args = list(call.args)
    has_alias = any(a.keyword is not None and a.keyword.value in _ALIASES for a in args)
    if at is None:
        return call
    if not has_alias:  # the same slot, comma and line breaks: only the words change
        args[at] = args[at].with_changes(
            keyword=cst.Name("validation_alias"),
            value=_string(var),
            equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace("")),
        )
        return call.with_changes(args=args)
    removed = args.pop(at)
    if at == len(args) and args:  # it was the last one: the one before takes its comma
        args[-1] = args[-1].with_changes(comma=removed.comma)
    return call.with_changes(args=args)


def _set_default(call: cst.Call, value: cst.BaseExpression) -> cst.Call:
    at = _default_index(call)
    args = list(call.args)
    if at is None:
        comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        args.insert(0, _kwarg("default", value).with_changes(comma=comma))
    else:
        args[at] = args[at].with_changes(value=value)
    return call.with_changes(args=args)


def _is_field(line: cst.BaseStatement) -> bool:
    """A pydantic field: annotated, public, not a ClassVar (``_private`` ones come after)."""
    if not isinstance(line, cst.SimpleStatementLine):
        return False
    for stmt in line.body:
        if isinstance(stmt, cst.AnnAssign) and isinstance(stmt.target, cst.Name):
            annotation = cst.Module([]).code_for_node(stmt.annotation.annotation)
            if not stmt.target.value.startswith("_") and "ClassVar" not in annotation:
                return True
    return False


class _Editor(cst.CSTTransformer):
    METADATA_DEPENDENCIES = (PositionProvider,)

    def __init__(self, edits: Sequence[Edit]) -> None:
        super().__init__()
        self.edits = list(edits)
        self.results: dict[int, str | None] = {}
        self.needs_field_import = False

    def _line(self, node: cst.CSTNode) -> int:
        return self.get_metadata(PositionProvider, node).start.line

    # -- fields of a class body: drop or set a default
    def leave_AnnAssign(self, original: cst.AnnAssign, updated: cst.AnnAssign) -> cst.AnnAssign:
        if not isinstance(original.target, cst.Name):
            return updated
        line, name = self._line(original), original.target.value
        for i, edit in enumerate(self.edits):
            if edit.kind == "field-stub" or edit.get("field") != name or edit.line != line:
                continue
            updated, self.results[i] = self._field_edit(edit, updated)
        return updated

    def _field_edit(self, edit: Edit, node: cst.AnnAssign) -> tuple[cst.AnnAssign, str | None]:
        value = node.value
        if value is None:
            return node, "the field has no default to change"
        if edit.kind == "field-set-default":
            new: cst.BaseExpression = cst.Name(edit.get("value"))
            if _is_field_call(value):
                assert isinstance(value, cst.Call)
                new = _set_default(value, new)
            return node.with_changes(value=new), None
        if _is_field_call(value):
            assert isinstance(value, cst.Call)
            if _default_index(value) is None:
                return node, "found no default in its Field(...)"
            return node.with_changes(value=_drop_default(value, edit.get("var"))), None
        self.needs_field_import = True
        call = cst.Call(cst.Name("Field"), [_kwarg("validation_alias", _string(edit.get("var")))])
        return node.with_changes(value=call), None

    # -- a new field at the end of a class's fields
    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        for i, edit in enumerate(self.edits):
            if edit.kind != "field-stub" or edit.get("class") != original.name.value:
                continue
            if not isinstance(updated.body, cst.IndentedBlock):
                self.results[i] = "the class body is on one line"
                continue
            updated, self.results[i] = self._stub(edit, updated)
        return updated

    def _stub(self, edit: Edit, node: cst.ClassDef) -> tuple[cst.ClassDef, str | None]:
        assert isinstance(node.body, cst.IndentedBlock)
        var = edit.get("var")
        attr = var.lower()
        body = list(node.body.body)
        names = {
            s.target.value
            for line in body
            if isinstance(line, cst.SimpleStatementLine)
            for s in line.body
            if isinstance(s, cst.AnnAssign) and isinstance(s.target, cst.Name)
        }
        if attr in names:
            return node, f"{node.name.value} already has an attribute {attr}"
        args = [_kwarg("default", _string("")), _kwarg("validation_alias", _string(var))]
        if edit.get("description"):
            args.append(_kwarg("description", _string(edit.get("description"))))
        args = [
            a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            for a in args[:-1]
        ] + args[-1:]
        stub = cst.SimpleStatementLine(
            [
                cst.AnnAssign(
                    target=cst.Name(attr),
                    annotation=cst.Annotation(cst.Name("str")),
                    value=cst.Call(cst.Name("Field"), args),
                )
            ]
        )
        last = max((i for i, line in enumerate(body) if _is_field(line)), default=len(body) - 1)
        body.insert(last + 1, stub)
        self.needs_field_import = True
        return node.with_changes(body=node.body.with_changes(body=body)), None


def _bound_name(alias: cst.ImportAlias) -> str | None:
    target = alias.asname.name if alias.asname else alias.name
    return target.value if isinstance(target, cst.Name) else None


def _imports(module: cst.Module) -> list[tuple[int, cst.ImportFrom | cst.Import]]:
    """Top-level import statements with their index in the module body."""
    return [
        (i, stmt)
        for i, line in enumerate(module.body)
        if isinstance(line, cst.SimpleStatementLine)
        for stmt in line.body
        if isinstance(stmt, cst.Import | cst.ImportFrom)
    ]


def _with_field_import(module: cst.Module) -> cst.Module:
    """``Field`` in ``from pydantic import …`` (added there, or as a new import line)."""
    imports = _imports(module)
    for _, stmt in imports:
        names = stmt.names if isinstance(stmt, cst.ImportFrom) else ()
        if not isinstance(names, cst.ImportStar) and any(_bound_name(a) == "Field" for a in names):
            return module
    body = list(module.body)
    for i, stmt in imports:
        if (
            isinstance(stmt, cst.ImportFrom)
            and isinstance(stmt.module, cst.Name)
            and stmt.module.value == "pydantic"
            and not isinstance(stmt.names, cst.ImportStar)
        ):
            first = cst.ImportAlias(
                cst.Name("Field"), comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
            new = stmt.with_changes(names=[first, *stmt.names])
            line = body[i]
            assert isinstance(line, cst.SimpleStatementLine)
            body[i] = line.with_changes(body=[new if s is stmt else s for s in line.body])
            return module.with_changes(body=body)
    after = max((i for i, _ in imports), default=-1) + 1
    body.insert(
        after, cst.parse_statement("from pydantic import Field\n", module.config_for_parsing)
    )
    return module.with_changes(body=body)


def edit_python(text: str, edits: list[Edit]) -> tuple[str, list[str | None]]:
    """The new text, and per edit None (done) or why it was not done."""
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        return text, [f"LibCST cannot parse the file (line {exc.raw_line})"] * len(edits)
    editor = _Editor(edits)
    new = MetadataWrapper(module).visit(editor)
    if editor.needs_field_import:
        new = _with_field_import(new)
    results = [editor.results.get(i, "found no such field or class") for i in range(len(edits))]
    return new.code, results
