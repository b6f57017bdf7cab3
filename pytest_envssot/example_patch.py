"""The ``--diff`` patch for ``.env.example``: lines to add, placed where they can be shown.

A patch's context lines are the file's real bytes (``git apply`` compares them), so they cannot
be redacted: the hunks are placed where every context line is safe to print (blank, a comment
without a value of a secret variable, or a variable whose value is not secret), as near to
where the rule suggests as such a place exists. Each hunk carries one context line on each side
(none at the start or end of the file, where ``git apply`` then anchors it). When no such place
exists, there is no patch, and one line says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pytest_envssot.findings import Finding
from pytest_envssot.index import Index

_COMMENTED = re.compile(r"\s*#\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)")
# Moving an addition this many lines away from where the rule suggests is still "near".
_COMMENT_PENALTY = 3


class NoPatch(Exception):
    """No patch can be made; the text says why in one line."""


@dataclass
class _Hunk:
    start: int  # insert before old[start]
    lines: list[str]


def unsafe_lines(old: Sequence[str], index: Index, scrub: Callable[[str], str]) -> set[int]:
    """0-based numbers of the lines that must not be printed as they are."""
    entries = {e.location.line - 1: e for e in index.example_entries()}
    taken: set[int] = set()  # continuation lines of a value spread over several lines
    unsafe: set[int] = set()
    for number, entry in entries.items():
        span = entry.raw.count("\n")
        taken.update(range(number + 1, number + 1 + span))
        if span or _secret(entry.key, entry.value, entry.raw, entry.commented_out, index):
            unsafe.update(range(number, number + 1 + span))
    for number, raw in enumerate(old):
        line = raw.rstrip("\r\n")
        if number in taken or scrub(line) != line:
            unsafe.add(number)
        elif number not in entries and line.strip() and not line.lstrip().startswith("#"):
            unsafe.add(number)  # not a binding the reader understood: could be anything
        elif number not in entries and line.strip():
            found = _COMMENTED.fullmatch(line)
            if found and found[2].strip() and index.is_secret(found[1]):
                unsafe.add(number)
    return unsafe


def _secret(key: str, value: str | None, raw: str, commented: bool, index: Index) -> bool:
    if commented:
        value = raw.split("=", 1)[1].strip() if "=" in raw else ""
    return bool(value) and index.is_secret(key)


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _place(want: int, old: Sequence[str], unsafe: set[int]) -> int:
    """The insertion point nearest ``want`` whose neighbours can be printed."""

    def fits(at: int) -> bool:
        before_ok = at == 0 or (at - 1) not in unsafe
        # at the end only after a last line that ends: appending would change that line
        after_ok = at not in unsafe if at < len(old) else old[-1].endswith("\n")
        return before_ok and after_ok

    def cost(at: int) -> int:
        # Not between a comment and the line it documents.
        detaches = at > 0 and _is_comment(old[at - 1]) and at < len(old)
        return abs(at - want) + (_COMMENT_PENALTY if detaches else 0)

    candidates = [at for at in range(len(old) + 1) if fits(at)]
    if not candidates:
        raise NoPatch("every place to add them sits next to a secret value")
    return min(candidates, key=lambda at: (cost(at), at))


def build(
    path: str,
    text: str,
    additions: Sequence[Finding],
    index: Index,
    scrub: Callable[[str], str],
) -> list[str]:
    """The unified diff adding each finding's ``fix`` lines; raises NoPatch."""
    old = text.splitlines(keepends=True)
    newline = "\r\n" if old and old[0].endswith("\r\n") else "\n"
    if not old:
        added = [scrub(line) for finding in additions for line in finding.fix]
        header = f"@@ -0,0 +1,{len(added)} @@"
        return [f"--- a/{path}", f"+++ b/{path}", header, *(f"+{a}" for a in added)]
    unsafe = unsafe_lines(old, index, scrub)
    hunks: dict[int, list[str]] = {}
    for finding in additions:
        want = finding.location.line - 1 if finding.location.line else len(old)
        at = _place(min(max(want, 0), len(old)), old, unsafe)
        hunks.setdefault(at, []).extend(scrub(line) + newline for line in finding.fix)
    return [f"--- a/{path}", f"+++ b/{path}", *_hunks(old, hunks)]


def _hunks(old: Sequence[str], inserts: dict[int, list[str]]) -> list[str]:
    """Hunks with one context line each side; insertion points two or fewer lines apart share
    one hunk (its context lines are each a neighbour of an insertion point, hence safe)."""
    groups: list[list[int]] = []
    for at in sorted(inserts):
        if groups and at - groups[-1][-1] <= 2:
            groups[-1].append(at)
        else:
            groups.append([at])
    out: list[str] = []
    shift = 0
    for group in groups:
        first = max(group[0] - 1, 0)
        last = min(group[-1] + 1, len(old))  # exclusive
        body: list[str] = []
        added = 0
        for number in range(first, last + 1):
            for line in inserts.get(number, []):
                body.append("+" + line)
                added += 1
            if number < last:
                body.append(" " + old[number])
                if not old[number].endswith("\n"):
                    body[-1] += "\n\\ No newline at end of file\n"
        kept = last - first
        old_start = first + 1 if kept else first
        out.append(f"@@ -{old_start},{kept} +{old_start + shift},{kept + added} @@\n")
        out.extend(body)
        shift += added
    return [line for chunk in out for line in chunk.rstrip("\n").split("\n")]
