"""The structured edits rules attach to failing findings, for ``envssot fix``.

A rule says *what* to change (kind, file, line, the names involved); :mod:`pytest_envssot.fix`
works out the bytes. When the change needs a person's choice (which template, which class),
the edit is ``blocked`` with the reason, so the failure says why ``fix`` left it alone.
Nothing here carries a value read from Vault or ``.env``.
"""

from __future__ import annotations

import functools

from pytest_envssot.findings import Edit
from pytest_envssot.index import FieldRef, Index
from pytest_envssot.model import ExampleEntry, Location, TemplateVar
from pytest_envssot.pysettings.inheritance import ResolvedSettings

KEEP_ORPHANS = "--keep-orphans"


def example_add(at: Location, lines: tuple[str, ...]) -> Edit:
    """Insert ``lines`` (already safe: comment + non-secret default) before line ``at.line``."""
    return Edit("example-add", at.path, at.line, (("text", "\n".join(lines)),))


def example_marker(entry: ExampleEntry, action: str) -> Edit:
    """``action`` is ``add`` or ``drop``: the ``[VAULT]`` marker in the entry's comment."""
    return Edit("example-marker", entry.location.path, entry.location.line, (("action", action),))


def example_dedupe(entries: list[ExampleEntry]) -> Edit:
    """Drop every binding of the key but the last (what python-dotenv keeps)."""
    lines = ",".join(str(e.location.line) for e in entries)
    last = entries[-1].location
    return Edit("example-dedupe", last.path, last.line, (("key", entries[0].key), ("lines", lines)))


def example_blank(entry: ExampleEntry) -> Edit:
    return Edit("example-blank", entry.location.path, entry.location.line, (("key", entry.key),))


def template_quote(var: TemplateVar, consumer: str) -> Edit:
    at = var.location
    return Edit("template-quote", at.path, at.line, (("var", var.name), ("consumer", consumer)))


def template_add(index: Index, ref: FieldRef) -> Edit:
    """Render a required field in the one template block that renders its class's other fields."""
    siblings = [
        var
        for other in index.fields
        if other.owner is ref.owner and other is not ref
        for var in index.rendered_for(other)
    ]
    where = sorted({(v.location.path, v.block.location.line if v.block else 0) for v in siblings})
    anchor = Location(index.config.env_example)
    if len(where) != 1 or where[0][1] == 0:
        paths = sorted({p for p, _ in where})
        why = (
            f"no template renders another field of {ref.owner.cls.name}: choose the component's "
            "template that should render it"
            if not paths
            else f"fields of {ref.owner.cls.name} are rendered by {' and '.join(paths)} "
            "(or several secret blocks): choose the one that should render it"
        )
        return Edit("template-add", anchor.path, blocked=why)
    path = where[0][0]
    last = max(v.location.line for v in siblings if v.location.path == path)
    data = (("var", ref.primary), ("consumer", index.config.consumer_for(path)))
    return Edit("template-add", path, last, data)


def _leaf_classes(index: Index, paths: list[str] | None) -> list[ResolvedSettings]:
    """Settings classes no other candidate inherits from: where a new field belongs."""
    memo = index.service(_LeafClasses).memo
    key = None if paths is None else tuple(paths)
    found = memo.get(key)
    if found is None:
        found = memo[key] = _find_leaf_classes(index, paths)
    return found


class _LeafClasses:
    """Per run: the leaf classes for each set of paths (asked once per orphan)."""

    def __init__(self, index: Index) -> None:
        self.memo: dict[tuple[str, ...] | None, list[ResolvedSettings]] = {}


def _find_leaf_classes(index: Index, paths: list[str] | None) -> list[ResolvedSettings]:
    found = [s for s in index.settings if paths is None or s.cls.location.path in paths]
    parents = {c.qualname for s in found for c in s.mro[1:]}
    return [s for s in found if s.cls.qualname not in parents]


def field_stub(index: Index, name: str, comment: str, paths: list[str] | None = None) -> Edit:
    """Add ``name: str = Field(default="", validation_alias=NAME)`` to the one settings class;
    the last line of the example's comment (if any) becomes its ``description``."""
    lines = comment.replace("[VAULT]", "").strip().splitlines()
    description = lines[-1].strip() if lines else ""
    classes = _leaf_classes(index, paths)
    if len(classes) != 1:
        names = ", ".join(s.cls.name for s in classes) or "none found"
        why = f"a new field needs one settings class, and there are several ({names})"
        if not classes:
            why = "no settings class to add a field to"
        return Edit("field-stub", index.config.env_example, blocked=why, option=KEEP_ORPHANS)
    cls = classes[0].cls
    data = (_shared("class", cls.name), ("var", name), _shared("description", description))
    return Edit("field-stub", cls.location.path, cls.location.line, data, option=KEEP_ORPHANS)


@functools.lru_cache(maxsize=256)
def _shared(key: str, value: str) -> tuple[str, str]:
    """One ``(key, value)`` pair for the edits that repeat it (the class every stub goes to:
    100,000 orphans made 100,000 equal pairs)."""
    return key, value


def field_drop_default(ref: FieldRef) -> Edit:
    """``Field(validation_alias=NAME, <other arguments>)``: no default, the name written out."""
    at = ref.field.location
    return Edit(
        "field-drop-default", at.path, at.line, (("field", ref.field.name), ("var", ref.primary))
    )


def field_set_default(ref: FieldRef, value: str) -> Edit:
    at = ref.field.location
    return Edit(
        "field-set-default", at.path, at.line, (("field", ref.field.name), ("value", value))
    )


def manual(at: Location, why: str) -> Edit:
    """No mechanical fix: ``why`` tells the user what decision is theirs."""
    return Edit("manual", at.path, at.line, blocked=why)
