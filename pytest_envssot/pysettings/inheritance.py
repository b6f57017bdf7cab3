"""Link settings classes across files and merge what pydantic merges.

The reader records each class's *own* fields and config, and its bases as qualified names
(``pkg.common.Base`` for ``from pkg.common import Base``). Here those names are resolved against
every configured file: first exactly, then by module-path suffix (``src.config.Base`` matches the
class ``apps.backend.src.config.Base``, because a repository-relative path carries more leading
parts than the import does), then by bare class name.

Fields follow pydantic's order: walk the MRO from the most basic class, a subclass redefining a
field replaces its definition but keeps the parent's position. Config follows
``ConfigWrapper.for_model``: each direct base's (already merged) config in order, then the
class's own.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace

from pytest_envssot.model import ReaderError, SettingsClass, SettingsField, SettingsFile
from pytest_envssot.records import frozen

# Bases that are pydantic's own classes: never looked up among the user's classes.
_PYDANTIC_ROOTS = ("pydantic.", "pydantic_settings.")


@frozen(slots=False)
class ResolvedSettings:
    """One class with everything it inherits."""

    cls: SettingsClass
    fields: tuple[SettingsField, ...]  # inherited first, in pydantic's order
    config: tuple[tuple[str, object], ...]  # merged model_config, parents then child
    mro: tuple[SettingsClass, ...] = ()  # the class first, then its known ancestors

    def config_value(self, key: str, default: object = None) -> object:
        for k, v in self.config:
            if k == key:
                return v
        return default

    def field(self, name: str) -> SettingsField | None:
        return next((f for f in self.fields if f.name == name), None)


class ModelIndex(Mapping[str, SettingsClass]):
    """Every class of every readable settings file, by qualified name.

    Lookups by key are forgiving: an exact qualname first, then :meth:`find`'s suffix and bare
    name matching, so ``index.get(field.nested_model)`` works for imported names too.
    """

    def __init__(self, files: Iterable[SettingsFile]) -> None:
        self._by_qual: dict[str, SettingsClass] = {}
        self._by_name: dict[str, list[SettingsClass]] = {}
        for file in files:
            for cls in file.classes:
                self._by_qual.setdefault(cls.qualname, cls)
                self._by_name.setdefault(cls.name, []).append(cls)
        self._resolved: dict[str, ResolvedSettings] = {}
        self._config: dict[str, dict[str, object]] = {}
        # Each class's MRO once: recomputing the bases' for every subclass made diamonds
        # (class C2(C1, D1), class D2(C1, D1), ...) exponential in their depth.
        self._mros: dict[str, list[SettingsClass]] = {}
        self.inconsistent: dict[str, SettingsClass] = {}  # qualname -> class Python refuses

    # Mapping protocol ----------------------------------------------------------------
    def __getitem__(self, key: str) -> SettingsClass:
        found = self.find(key)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_qual)

    def __len__(self) -> int:
        return len(self._by_qual)

    # lookups ---------------------------------------------------------------------------
    def find(self, ref: str, exclude: SettingsClass | None = None) -> SettingsClass | None:
        """The class a qualified name refers to; ``exclude`` stops ``class S(other.S)`` from
        resolving to itself."""
        exact = self._by_qual.get(ref)
        if exact is not None and exact is not exclude:
            return exact
        if ref.startswith(_PYDANTIC_ROOTS):
            return None
        suffix = "." + ref
        for qual, cls in self._by_qual.items():
            if qual.endswith(suffix) and cls is not exclude:
                return cls
        name = ref.rsplit(".", 1)[-1]
        return next((c for c in self._by_name.get(name, ()) if c is not exclude), None)

    def bases(self, cls: SettingsClass) -> tuple[SettingsClass, ...]:
        found = (self.find(base, exclude=cls) for base in cls.bases)
        return tuple(b for b in found if b is not None)

    def is_settings(self, cls: SettingsClass) -> bool:
        """A BaseSettings subclass, possibly through classes of other files."""
        return any(c.is_settings for c in self.mro(cls))

    def mro(self, cls: SettingsClass) -> tuple[SettingsClass, ...]:
        if cls.qualname not in self._mros:
            self._fill(cls)
        return tuple(self._mros[cls.qualname])

    def resolved(self, cls: SettingsClass) -> ResolvedSettings:
        cached = self._resolved.get(cls.qualname)
        if cached is not None:
            return cached
        mro = self.mro(cls)
        merged: dict[str, SettingsField] = {}
        for ancestor in reversed(mro):
            for f in ancestor.fields:
                merged[f.name] = f  # an existing key keeps its position, as in pydantic
        if not cls.is_settings and any(c.is_settings for c in mro):
            cls = replace(cls, is_settings=True)
        result = ResolvedSettings(
            cls=cls,
            fields=tuple(merged.values()),
            config=tuple(self._merged_config(mro[0]).items()),
            mro=(cls, *mro[1:]),
        )
        self._resolved[cls.qualname] = result
        return result

    # internals -------------------------------------------------------------------------
    def _fill(self, top: SettingsClass) -> None:
        """MRO and merged config of ``top`` and its ancestors, each class once.

        C3 linearisation over the classes we know, bases before subclasses, with a stack
        rather than recursion (a chain of thousands of classes ends no run). Memoised: diamonds
        (``class C2(C1, D1)``, ``class D2(C1, D1)``, ...) were exponential in their depth. A
        base still being computed is a cycle between files, and is cut.
        """
        active: set[str] = set()
        stack: list[tuple[SettingsClass, bool]] = [(top, False)]
        while stack:
            cls, bases_done = stack.pop()
            qual = cls.qualname
            if qual in self._mros:
                continue
            if not bases_done:
                if qual in active:
                    continue
                active.add(qual)
                stack.append((cls, True))
                stack.extend(
                    (b, False)
                    for b in reversed(self.bases(cls))
                    if b.qualname not in active and b.qualname not in self._mros
                )
                continue
            active.discard(qual)
            bases = [b for b in self.bases(cls) if b.qualname in self._mros]
            merged, consistent = _c3_merge([self._mros[b.qualname] for b in bases] + [bases])
            if not consistent:
                self.inconsistent.setdefault(qual, cls)
            self._mros[qual] = [cls, *merged]
            config: dict[str, object] = {}
            for base in bases:
                config.update(self._config[base.qualname])
            config.update(cls.config)
            self._config[qual] = config

    def _merged_config(self, cls: SettingsClass) -> dict[str, object]:
        if cls.qualname not in self._config:
            self._fill(cls)
        return self._config[cls.qualname]


def _c3_merge(seqs: list[list[SettingsClass]]) -> tuple[list[SettingsClass], bool]:
    """Python's MRO merge and whether it succeeded; on an inconsistent hierarchy fall back to
    depth-first order (Python would refuse the class, so any order is only a best effort).

    Heads advance by index and a count says how often a class still sits in some tail, so a
    merge costs the length of its result times the number of bases (rebuilding the lists per
    step made a deep hierarchy cubic).
    """
    if len(seqs) == 2 and len(seqs[1]) == 1:  # one base: its MRO (a chain stays linear)
        return list(seqs[0]), True
    pending = [s for s in seqs if s]
    heads = [0] * len(pending)
    in_tails: dict[int, int] = {}
    for seq in pending:
        for cls in seq[1:]:
            in_tails[id(cls)] = in_tails.get(id(cls), 0) + 1
    out: list[SettingsClass] = []
    while True:
        live = [i for i, seq in enumerate(pending) if heads[i] < len(seq)]
        if not live:
            return out, True
        head = next(
            (pending[i][heads[i]] for i in live if not in_tails.get(id(pending[i][heads[i]]))),
            None,
        )
        if head is None:
            rest = (c for i in live for c in pending[i][heads[i] :] if c not in out)
            return out + _dedupe(rest), False
        out.append(head)
        for i in live:
            seq = pending[i]
            if seq[heads[i]] is head:
                heads[i] += 1
                if heads[i] < len(seq):
                    in_tails[id(seq[heads[i]])] -= 1


def _dedupe(items: Iterable[SettingsClass]) -> list[SettingsClass]:
    out: list[SettingsClass] = []
    for item in items:
        if item not in out:
            out.append(item)
    return out


def hierarchy_errors(index: ModelIndex) -> dict[str, ReaderError]:
    """Per settings file, the first class Python would refuse to create (no consistent MRO)."""
    errors: dict[str, ReaderError] = {}
    for cls in index.inconsistent.values():
        bases = ", ".join(b.rsplit(".", 1)[-1] for b in cls.bases)
        errors.setdefault(
            cls.location.path,
            ReaderError(
                cls.location,
                f"class {cls.name}: cannot create a consistent method resolution order (MRO) "
                f"for bases {bases}; Python refuses this class",
            ),
        )
    return errors


def models(files: Sequence[SettingsFile]) -> ModelIndex:
    """All classes (settings and plain models) of ``files``, for nested-model lookups."""
    return ModelIndex(files)


def resolve(
    files: Sequence[SettingsFile], index: ModelIndex | None = None
) -> tuple[ResolvedSettings, ...]:
    """One entry per BaseSettings subclass of ``files`` (plain BaseModels are left out)."""
    index = index if index is not None else ModelIndex(files)
    return tuple(
        index.resolved(cls)
        for file in files
        for cls in file.classes
        if index.find(cls.qualname) is cls and index.is_settings(cls)
    )
