"""What the rules ask import mode: the real class of a field, and batched validation.

Everything is memoised in ``index.cache``: one child per run, each module imported once, each
(field, kind, text) validated once. With import mode off every helper returns None.
"""

from __future__ import annotations

import atexit
from collections.abc import Iterable
from pathlib import Path

from pytest_envssot.index import FieldRef, Index
from pytest_envssot.pysettings.importmode import (
    Answer,
    ImportFailure,
    ImportSession,
    RealClass,
    RealField,
    settings_classes,
)

_SESSION = ("import", "session")
Question = tuple[FieldRef, str, "str | None"]  # (field, "env" | "default", text)

IMPORT_HINT = (
    "set envssot_import = true (ini), import = true in [tool.envssot] or envssot check "
    "--import to validate it through the real class"
)


def session(index: Index) -> ImportSession | None:
    if not index.config.import_settings:
        return None
    found = index.cache.get(_SESSION)
    if not isinstance(found, ImportSession):
        found = ImportSession(Path(index.contract.root), index.config.import_timeout)
        index.cache[_SESSION] = found
        atexit.register(found.close)  # the engine closes it; this covers an interrupted run
    return found


def close(index: Index) -> None:
    found = index.cache.pop(_SESSION, None)
    if isinstance(found, ImportSession):
        found.close()


def file_classes(index: Index) -> dict[str, list[str]]:
    key = ("import", "classes")
    found = index.cache.get(key)
    if not isinstance(found, dict):
        found = settings_classes(index.contract.settings)
        index.cache[key] = found
    return found


def load(index: Index, rel: str) -> dict[str, RealClass] | ImportFailure | None:
    """The real classes of one settings file (import mode), its failure, or None (mode off)."""
    child = session(index)
    if child is None:
        return None
    return child.load(rel, file_classes(index).get(rel, []))


def real_field(index: Index, ref: FieldRef) -> RealField | ImportFailure | None:
    loaded = load(index, ref.owner.cls.location.path)
    if loaded is None or isinstance(loaded, ImportFailure):
        return loaded
    cls = loaded.get(ref.owner.cls.name)
    if cls is None:
        return ImportFailure(
            ref.owner.cls.location.path,
            ref.owner.cls.location.line,
            f"the imported module has no BaseSettings class {ref.owner.cls.name}",
        )
    found = cls.fields.get(ref.field.name)
    if found is None:
        return ImportFailure(
            ref.field.location.path,
            ref.field.location.line,
            f"the real class {ref.owner.cls.name} has no field {ref.field.name}",
        )
    return found


def ask(index: Index, questions: Iterable[Question]) -> None:
    """Validate every question not answered yet: one request per (file, class)."""
    child = session(index)
    if child is None:
        return
    groups: dict[tuple[str, str], list[tuple[str, str, str | None]]] = {}
    for ref, kind, text in questions:
        key = _key(ref, kind, text)
        if key in index.cache:
            continue
        index.cache[key] = None  # asked (de-duplicates within the batch)
        group = (ref.owner.cls.location.path, ref.owner.cls.name)
        groups.setdefault(group, []).append((ref.field.name, kind, text))
    for (rel, cls), items in groups.items():
        loaded = load(index, rel)
        answers = child.validate(rel, cls, items) if isinstance(loaded, dict) else loaded
        for i, (fname, kind, text) in enumerate(items):
            result = answers[i] if isinstance(answers, list) else answers
            index.cache[("import", rel, cls, fname, kind, repr(text))] = result


def answer(index: Index, ref: FieldRef, kind: str, text: str | None) -> Answer | ImportFailure:
    """The oracle's answer (asking now if no batch asked it before)."""
    key = _key(ref, kind, text)
    found = index.cache.get(key)
    if not isinstance(found, (Answer, ImportFailure)):
        index.cache.pop(key, None)
        ask(index, [(ref, kind, text)])
        found = index.cache.get(key)
    if not isinstance(found, (Answer, ImportFailure)):
        return ImportFailure(ref.field.location.path, 0, "import mode gave no answer")
    return found


def _key(ref: FieldRef, kind: str, text: str | None) -> tuple[str, ...]:
    cls = ref.owner.cls
    return ("import", cls.location.path, cls.name, ref.field.name, kind, repr(text))


def failure_reason(failure: ImportFailure) -> str:
    return f"import mode could not use the real class: {failure}"
