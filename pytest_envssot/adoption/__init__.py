"""Adopting the contract on a repository that fails today: inline ignores, ``warn``, baseline.

Applied to the rules' findings by the engine, so every face sees the same thing:

* a failure an inline ignore names is skipped, with the ignore's ``path:line`` as the reason;
  an ignore that suppresses nothing (or names no rule) is an ``unused-ignore`` failure;
* a failure of a rule listed under ``warn`` gets level "warning": reported, not failing;
* a failure the baseline lists is ``baselined``: reported, not failing; a baseline entry that
  no longer fails is a ``stale-baseline`` warning.

A pending finding (the round trip, run when its pytest item runs) gets the same treatment when
it resolves; an ignore or a baseline entry that could match it counts as used meanwhile.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from pytest_envssot.adoption.baseline import Entry, sort_key
from pytest_envssot.adoption.ignores import Ignore, scan
from pytest_envssot.discovery import LayerFiles
from pytest_envssot.findings import Finding, Outcome
from pytest_envssot.model import Location
from pytest_envssot.records import frozen

# Checks about the adoption aids themselves: names for disable/warn, rows in SARIF.
PSEUDO_RULES = {
    "unused-ignore": "an `envssot: ignore[rule]` comment suppresses no failure, or names no rule",
    "stale-baseline": "a baseline entry no longer fails (`envssot baseline --prune` drops it)",
}


@frozen(slots=False)
class Adoption:
    """What to apply: the rules that ran, the ``warn`` rules, the baseline (if any)."""

    ran: frozenset[str]
    known: frozenset[str]
    warn: frozenset[str] = frozenset()
    baseline: tuple[Entry, ...] | None = None
    baseline_path: str = ""


def layer_files(layers: LayerFiles) -> list[tuple[str, str]]:
    """``(kind, path)`` for every file an ignore may sit in."""
    return [
        ("example", layers.env_example),
        *(("python", p) for p in layers.settings),
        *(("template", p) for p in layers.templates),
        *(("hash", p) for p in (*layers.dockerfiles, *layers.compose)),
    ]


class _Ignores:
    def __init__(self, ignores: Sequence[Ignore]) -> None:
        self.all = ignores
        self.by_path: dict[str, dict[int, list[Ignore]]] = {}
        for ignore in ignores:
            lines = self.by_path.setdefault(ignore.path, {})
            for line in ignore.covers:
                lines.setdefault(line, []).append(ignore)
        paths = sorted(self.by_path, key=len, reverse=True)
        self.cites = (
            re.compile("(" + "|".join(map(re.escape, paths)) + r"):(\d+)") if paths else None
        )

    def anchors(self, finding: Finding, cited: bool = True) -> set[tuple[str, int]]:
        """The lines a finding is about: its own and each ``path:line`` it cites."""
        out = {(finding.location.path, finding.location.line)}
        if cited and self.cites is not None:
            for line in (*finding.lines, *finding.fix):
                out.update((p, int(n)) for p, n in self.cites.findall(line))
        return out

    def match(self, finding: Finding, cited: bool = True) -> Ignore | None:
        if self.cites is None:
            return None
        for path, line in sorted(self.anchors(finding, cited)):
            for ignore in self.by_path.get(path, {}).get(line, ()):
                if finding.rule in ignore.rules:
                    ignore.used.add(finding.rule)
                    return ignore
        return None


def apply(
    root: Path, layers: LayerFiles, findings: Iterable[Finding], how: Adoption
) -> tuple[Finding, ...]:
    ignores = _Ignores(scan(root, layer_files(layers)))
    accepted = {e.key for e in how.baseline or ()}
    present: set[tuple[str, str, str]] = set()

    def settle(finding: Finding) -> Finding:
        if finding.outcome is not Outcome.FAILED:
            return finding
        ignore = ignores.match(finding)
        if ignore is not None:
            reason = f"ignored by `envssot: ignore[{finding.rule}]` at {ignore.path}:{ignore.line}"
            return replace(finding, outcome=Outcome.SKIPPED, lines=(reason,), fix=())
        if finding.rule in how.warn:
            finding = replace(finding, level="warning")
        key = (finding.location.path, finding.rule, finding.variable)
        present.add(key)
        return replace(finding, baselined=True) if key in accepted else finding

    out: list[Finding] = []
    for finding in findings:
        if finding.pending is None:
            out.append(settle(finding))
            continue
        # Its outcome is not known yet: what could match it counts as used.
        ignores.match(finding, cited=False)
        present.add((finding.location.path, finding.rule, finding.variable))
        out.append(replace(finding, pending=_Settled(finding, settle)))
    out.extend(settle(f) for f in _unused(ignores.all, how))
    if how.baseline is not None and "stale-baseline" in how.ran:
        out.extend(_stale(how, present))
    return tuple(out)


@frozen(slots=False)
class _Settled:
    """A pending check whose result goes through the same adoption steps."""

    finding: Finding
    settle: Callable[[Finding], Finding]

    def __call__(self) -> Finding:
        return self.settle(self.finding.resolve())


def _unused(ignores: Iterable[Ignore], how: Adoption) -> list[Finding]:
    if "unused-ignore" not in how.ran:
        return []
    out: list[Finding] = []
    for ignore in ignores:
        where = Location(ignore.path, ignore.line)
        problems: list[tuple[str, str]] = []
        if not ignore.rules:
            problems.append(("", "a bare `envssot: ignore` is refused: name the rule it is "
                                 "for, e.g. `envssot: ignore[vault-marker]`"))  # fmt: skip
        for rule in ignore.rules:
            if rule not in how.known:
                problems.append((rule, f"{rule!r} is no envssot rule; nothing is ignored"))
            elif rule in how.ran and rule not in ignore.used:
                lines = " or ".join(map(str, sorted(ignore.covers)))
                problems.append((rule, f"suppresses nothing: no {rule} failure is about "
                                       f"line {lines} here; remove it"))  # fmt: skip
        out.extend(
            Finding(
                "unused-ignore",
                f"{rule}:{ignore.line}",
                Outcome.FAILED,
                where,
                lines=(f"{where} {text}",),
            )
            for rule, text in problems
        )
    return out


def _stale(how: Adoption, present: set[tuple[str, str, str]]) -> list[Finding]:
    where = Location(how.baseline_path, 0)
    return [
        Finding(
            "stale-baseline",
            f"{e.path}:{e.rule}:{e.variable}",
            Outcome.FAILED,
            where,
            lines=(
                f"{e.path}: {e.rule}[{e.variable}] is in the baseline but no longer fails",
                "`envssot baseline --prune` removes it",
            ),
            level="warning",
        )
        for e in sorted(
            {e for e in how.baseline or () if e.key not in present and e.rule in how.ran},
            key=sort_key,
        )
    ]
