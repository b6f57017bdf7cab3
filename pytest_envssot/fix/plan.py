"""``envssot fix``: run the rules, apply the edits their findings carry, repeat until quiet.

Everything happens on texts in memory, checked by the same engine (``check(texts=...)``):
a round applies the edits of one layer only, in the contract's direction (templates, then
settings, then ``.env.example``), because one layer's fix changes what another layer must say
(a template line makes ``[VAULT]`` right). Files are written at the end, only those that
changed, atomically; ``--dry-run``/``--diff`` write nothing.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from pytest_envssot.config import ConfigError
from pytest_envssot.engine import Report, check
from pytest_envssot.findings import Edit, Finding
from pytest_envssot.fix import example, template
from pytest_envssot.fix.apply import (
    ChangedOnDisk,
    Original,
    read_original,
    split_lines,
    write_atomic,
)
from pytest_envssot.redact import Redactor
from pytest_envssot.rules._edits import KEEP_ORPHANS

# Rules whose findings carry an edit ``fix`` can make.
FIXABLE = (
    "template-quoting",
    "required-field-in-template",
    "template-var-has-field",
    "no-secret-default",
    "debug-off",
    "example-var-has-field",
    "field-documented",
    "vault-marker",
    "unique-env-name",
    "no-secret-in-example",
)
_PYTHON_KINDS = frozenset({"field-stub", "field-drop-default", "field-set-default"})
MAX_ROUNDS = 8  # each round settles one layer; three layers need three, cascades a few more

Editor = Callable[[str, list[Edit]], tuple[str, list[str | None]]]


def _python_editor(text: str, edits: list[Edit]) -> tuple[str, list[str | None]]:
    from pytest_envssot.fix.python import edit_python  # LibCST: loaded only when needed

    return edit_python(text, edits)


# The order rounds take the layers in: Vault first, then code, then docs.
_LAYERS: tuple[tuple[frozenset[str], Editor], ...] = (
    (template.KINDS, template.edit_template),
    (_PYTHON_KINDS, _python_editor),
    (example.KINDS, example.edit_example),
)


@dataclass(frozen=True)
class Item:
    """What became of one failing check: fixed, or left with the reason."""

    finding: Finding
    fixed: bool
    why: str = ""


@dataclass
class FixResult:
    items: list[Item]
    originals: dict[str, Original]
    texts: dict[str, str]
    report: Report
    written: list[str] = field(default_factory=list)

    @property
    def changed(self) -> list[str]:
        return [p for p, t in self.texts.items() if t != self.originals[p].text]

    def diff(self) -> str:
        """One patch over every changed file, secrets masked."""
        out: list[str] = []
        for rel in sorted(self.changed):
            old = split_lines(self.originals[rel].text)
            new = split_lines(self.texts[rel])
            out.extend(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}"))
        text = "".join(line if line.endswith("\n") else line + "\n" for line in out)
        return self.report.redactor.scrub(text)


def _selected(keep_orphans: bool) -> Callable[[Edit], str]:
    """Why an edit is not for this run ('' when it is)."""

    def why(edit: Edit) -> str:
        if edit.blocked:
            return edit.blocked
        if edit.option == KEEP_ORPHANS and not keep_orphans:
            return (
                "removing it, listing it under [tool.envssot] external or keeping it as a field "
                "is your decision; envssot fix --keep-orphans adds the field"
            )
        return ""

    return why


def rules_to_fix(only: Iterable[str]) -> tuple[str, ...]:
    """The rules a run fixes: ``--rules`` (each must have a fix) or every fixable one."""
    chosen = tuple(only)
    unfixable = [r for r in chosen if r not in FIXABLE]
    if unfixable:
        raise ConfigError(
            f"no mechanical fix for: {', '.join(unfixable)} (fixable: {', '.join(FIXABLE)})"
        )
    return chosen or FIXABLE


def run(root: Path, only: Iterable[str] = (), keep_orphans: bool = False) -> FixResult:
    """Compute every fix in memory (nothing is written here; see :func:`write`)."""
    rules = rules_to_fix(only)
    overrides: dict[str, object] = {"import": False}  # fix reads files; it never imports them
    originals: dict[str, Original] = {}
    texts: dict[str, str] = {}
    skip = _selected(keep_orphans)
    tried: dict[tuple[str, str, str], str] = {}  # (rule, variable, path) -> why not done
    seen: dict[tuple[str, str, str], Finding] = {}
    report = check(root, overrides, only=rules, texts=texts)
    first = report
    for _ in range(MAX_ROUNDS):
        todo = [f for f in report.failed if f.edit is not None and not skip(f.edit)]
        for finding in report.failed:
            seen.setdefault(_key(finding), finding)
        if not _one_round(root, todo, originals, texts, tried):
            break
        report = check(root, overrides, only=rules, texts=texts)
    items = _items(report, seen, tried, skip)
    # The first report's redactor knows the values the fixes removed (a blanked secret).
    return FixResult(items, originals, texts, _merged(report, first))


def _merged(last: Report, first: Report) -> Report:
    """``last`` with a redactor that also knows the values the fixes removed."""
    secrets = first.index.secret_values() | last.index.secret_values()
    return replace(last, redactor=Redactor(secrets))


def _key(finding: Finding) -> tuple[str, str, str]:
    return (finding.rule, finding.variable, finding.location.path)


def _one_round(
    root: Path,
    todo: list[Finding],
    originals: dict[str, Original],
    texts: dict[str, str],
    tried: dict[tuple[str, str, str], str],
) -> bool:
    """Apply the edits of the first layer that has any; True when a text changed."""
    for kinds, editor in _LAYERS:
        mine = [f for f in todo if f.edit is not None and f.edit.kind in kinds]
        changed = False
        for path in sorted({f.edit.path for f in mine if f.edit is not None}):
            group = [f for f in mine if f.edit is not None and f.edit.path == path]
            if path not in texts:
                original = read_original(root, path)
                if original is None:
                    for f in group:
                        tried[_key(f)] = f"{path} is not a readable UTF-8 file"
                    continue
                originals[path], texts[path] = original, original.text
            edits = [f.edit for f in group if f.edit is not None]
            new, results = editor(texts[path], edits)
            for f, result in zip(group, results, strict=True):
                if result is not None:
                    tried[_key(f)] = result
            if new != texts[path]:
                texts[path], changed = new, True
        if changed:
            return True
    return False


def _items(
    report: Report,
    seen: dict[tuple[str, str, str], Finding],
    tried: dict[tuple[str, str, str], str],
    skip: Callable[[Edit], str],
) -> list[Item]:
    still = {_key(f): f for f in report.failed}
    items = []
    for key, finding in seen.items():
        now = still.get(key)
        if now is None:
            items.append(Item(finding, True))
            continue
        why = tried.get(key) or (skip(now.edit) if now.edit is not None else "")
        items.append(Item(now, False, why or "no mechanical fix for this case: see its message"))
    return items


def write(root: Path, outcome: FixResult) -> list[str]:
    """Write each changed file atomically; ChangedOnDisk (before any write) if one was edited
    since it was read."""
    for rel in sorted(outcome.changed):
        if (root / rel).read_bytes() != outcome.originals[rel].data:
            raise ChangedOnDisk(rel)
    for rel in sorted(outcome.changed):
        write_atomic(root, outcome.originals[rel], outcome.texts[rel])
        outcome.written.append(rel)
    return outcome.written
