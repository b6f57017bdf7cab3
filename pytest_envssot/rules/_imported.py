"""What the rules ask import mode: the real class of a field, and batched validation.

Everything is memoised in the run's :class:`ImportState` service: one child per run, each module
imported once, each (field, kind, text) validated once. With import mode off every helper
returns None.
"""

from __future__ import annotations

import atexit
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_envssot.index import FieldRef, Index

if TYPE_CHECKING:  # import mode's machinery is imported only when import mode is on
    from typing_extensions import TypeIs

    from pytest_envssot.pysettings.importmode import (
        Answer,
        ImportFailure,
        ImportSession,
        RealClass,
        RealField,
    )

_IMPORTMODE = "pytest_envssot.pysettings.importmode"

Question = tuple[FieldRef, str, "str | None"]  # (field, "env" | "default", text)

IMPORT_HINT = (
    "set envssot_import = true (ini), import = true in [tool.envssot] or envssot check "
    "--import to validate it through the real class"
)


Key = tuple[str, str, str, str, str]  # (file, class, field, kind, repr(text))


class ImportState:
    """Import mode's per-run state: the child process and every answer it gave."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self.child: ImportSession | None = None
        self.classes: dict[str, list[str]] | None = None
        self.answers: dict[Key, Answer | ImportFailure | None] = {}  # None: asked, pending

    def session(self) -> ImportSession:
        from pytest_envssot.pysettings.importmode import ImportSession

        if self.child is None:
            self.child = ImportSession(
                Path(self.index.contract.root), self.index.config.import_timeout
            )
            atexit.register(self.child.close)  # the engine closes it; this covers an interrupt
        return self.child

    def close(self) -> None:
        if self.child is not None:
            self.child.close()
            self.child = None


def session(index: Index) -> ImportSession | None:
    if not index.config.import_settings:
        return None
    return index.service(ImportState).session()


def file_classes(index: Index) -> dict[str, list[str]]:
    from pytest_envssot.pysettings.importmode import settings_classes

    state = index.service(ImportState)
    if state.classes is None:
        state.classes = settings_classes(index.contract.settings)
    return state.classes


def load(index: Index, rel: str) -> dict[str, RealClass] | ImportFailure | None:
    """The real classes of one settings file (import mode), its failure, or None (mode off)."""
    child = session(index)
    if child is None:
        return None
    return child.load(rel, file_classes(index).get(rel, []))


def failed(found: object) -> TypeIs[ImportFailure]:
    """Whether ``found`` is import mode's failure. No failure exists before import mode's
    module is loaded, so with import mode off this imports nothing."""
    if found is None or _IMPORTMODE not in sys.modules:
        return False
    from pytest_envssot.pysettings.importmode import ImportFailure

    return isinstance(found, ImportFailure)


def real_field(index: Index, ref: FieldRef) -> RealField | ImportFailure | None:
    loaded = load(index, ref.owner.cls.location.path)
    if loaded is None or failed(loaded):
        return loaded
    from pytest_envssot.pysettings.importmode import ImportFailure

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
    answers = index.service(ImportState).answers
    groups: dict[tuple[str, str], list[tuple[str, str, str | None]]] = {}
    for ref, kind, text in questions:
        key = _key(ref, kind, text)
        if key in answers:
            continue
        answers[key] = None  # asked (de-duplicates within the batch)
        group = (ref.owner.cls.location.path, ref.owner.cls.name)
        groups.setdefault(group, []).append((ref.field.name, kind, text))
    for (rel, cls), items in groups.items():
        loaded = load(index, rel)
        given = child.validate(rel, cls, items) if isinstance(loaded, dict) else loaded
        for i, (fname, kind, text) in enumerate(items):
            answers[(rel, cls, fname, kind, repr(text))] = (
                given[i] if isinstance(given, list) else given
            )


def answer(index: Index, ref: FieldRef, kind: str, text: str | None) -> Answer | ImportFailure:
    """The oracle's answer (asking now if no batch asked it before)."""
    from pytest_envssot.pysettings.importmode import Answer, ImportFailure

    answers = index.service(ImportState).answers
    key = _key(ref, kind, text)
    found = answers.get(key)
    if found is None:
        answers.pop(key, None)
        ask(index, [(ref, kind, text)])
        found = answers.get(key)
    if not isinstance(found, (Answer, ImportFailure)):
        return ImportFailure(ref.field.location.path, 0, "import mode gave no answer")
    return found


def _key(ref: FieldRef, kind: str, text: str | None) -> Key:
    cls = ref.owner.cls
    return (cls.location.path, cls.name, ref.field.name, kind, repr(text))


def failure_reason(failure: ImportFailure) -> str:
    return f"import mode could not use the real class: {failure}"
