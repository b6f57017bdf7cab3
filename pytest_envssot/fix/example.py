"""Edits to ``.env.example``: add a documented line, add/drop ``[VAULT]``, drop duplicates,
blank a secret.

Each function takes the file's :class:`LinePlan` and one :class:`Edit`, and returns None when
the edit is planned or the reason it was not. Only the lines an edit is about change.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass

from pytest_envssot.findings import Edit
from pytest_envssot.fix.apply import LinePlan
from pytest_envssot.readers.example import VAULT_MARKER, parse_example

_MARKER = re.compile(r"\[VAULT\][^\S\r\n]?")
_COMMENT = re.compile(r"^(?P<lead>\s*#+[^\S\r\n]?)(?P<rest>.*)$")
_BINDING_PREFIX = re.compile(r"^(?P<prefix>\s*(?:#\s*)?(?:export\s+)?(?P<key>[^=\s#]+)\s*=)")


@dataclass(frozen=True)
class _Layout:
    """Where each binding of the file starts and ends (values may span lines)."""

    spans: dict[int, int]  # first line -> last line of every statement that binds a key

    @classmethod
    def of(cls, plan: LinePlan) -> _Layout:
        from dotenv.parser import parse_stream

        text = "".join(plan.lines)
        spans: dict[int, int] = {}
        for binding in parse_stream(io.StringIO(text)):
            if binding.key is None:
                continue  # a comment or blank: not a statement of its own here
            original = binding.original.string
            stmt = original.lstrip("\r\n\t ")
            start = binding.original.line + original[: len(original) - len(stmt)].count("\n")
            spans[start] = start + stmt.rstrip("\r\n").count("\n")
        for entry in parse_example(text, "").entries:  # `# KEY=value`: documented, unset
            spans.setdefault(entry.location.line, entry.location.line)
        return cls(spans)

    def end(self, line: int) -> int:
        return self.spans.get(line, line)

    def comment_block(self, plan: LinePlan, line: int) -> list[int]:
        """Line numbers of the comment lines directly above ``line`` (what the reader joins)."""
        found: list[int] = []
        n = line - 1
        while n >= 1 and plan.text(n).lstrip().startswith("#") and n not in self.spans:
            found.insert(0, n)
            n -= 1
        return found


def add_lines(plan: LinePlan, layout: _Layout, edit: Edit) -> str | None:
    """Insert the documented line after the entry it belongs next to (or at the end)."""
    new = edit.get("text").split("\n")
    anchor = edit.line - 1  # the entry of the field before it, or the file's last entry
    after = layout.end(anchor) if edit.line else len(plan)
    plan.insert_before(after + 1, new)
    return None


def marker(plan: LinePlan, layout: _Layout, edit: Edit) -> str | None:
    block = layout.comment_block(plan, edit.line)
    if edit.get("action") == "add":
        if not block:
            plan.insert_before(edit.line, [f"# {VAULT_MARKER}"])
            return None
        last = block[-1]
        found = _COMMENT.match(plan.text(last))
        assert found is not None  # a comment line by construction
        lead = found["lead"] if found["lead"].endswith(" ") else found["lead"] + " "
        if not plan.put(last, [f"{lead}{VAULT_MARKER} {found['rest']}".rstrip()]):
            return "another fix changes the same comment line; run envssot fix again"
        return None
    changed = False
    for n in block:
        text = plan.text(n)
        if VAULT_MARKER in text:
            rest = _MARKER.sub("", text).rstrip()
            keep = rest.strip().strip("#").strip()
            if not plan.put(n, [rest] if keep else []):
                return "another fix changes the same comment line; run envssot fix again"
            changed = True
    line = plan.text(edit.line)
    hash_at = line.find(" #")
    if hash_at >= 0 and VAULT_MARKER in line[hash_at:]:
        tail = _MARKER.sub("", line[hash_at:]).rstrip()
        new = line[:hash_at] + (tail if tail.strip("# ") else "")
        if not plan.put(edit.line, [new]):
            return "another fix changes the same line; run envssot fix again"
        changed = True
    return None if changed else "found no [VAULT] in the comment above the line"


def dedupe(plan: LinePlan, layout: _Layout, edit: Edit) -> str | None:
    """Keep the last binding (python-dotenv's); its comment stays, the dropped ones' go."""
    lines = [int(n) for n in edit.get("lines").split(",") if n]
    kept, dropped = lines[-1], lines[:-1]
    kept_block = layout.comment_block(plan, kept)
    for n in dropped:
        span = list(range(n, layout.end(n) + 1))
        block = layout.comment_block(plan, n)
        if not plan.free(*span, *block):
            return "another fix changes the same lines; run envssot fix again"
        if not kept_block and block:  # the only description of the key: move it along
            plan.insert_before(kept, [plan.text(b) for b in block])
            kept_block = block
        for m in [*block, *span]:
            plan.put(m, [])
    return None


def blank(plan: LinePlan, layout: _Layout, edit: Edit) -> str | None:
    """``KEY=`` in place of the value (an inline comment after it stays)."""
    first = plan.text(edit.line)
    found = _BINDING_PREFIX.match(first)
    if found is None or found["key"] != edit.get("key"):
        return f"line {edit.line} is not the binding of {edit.get('key')}"
    span = list(range(edit.line, layout.end(edit.line) + 1))
    if not plan.free(*span):
        return "another fix changes the same line; run envssot fix again"
    value = first[found.end() :]
    tail = ""
    if len(span) == 1:
        tail = _inline_comment(value.lstrip())
    plan.put(edit.line, [found["prefix"] + (f" {tail}" if tail else "")])
    for n in span[1:]:
        plan.put(n, [])
    return None


def _inline_comment(value: str) -> str:
    """The ``# …`` after a value on its line, as python-dotenv splits it."""
    if value[:1] in "'\"" and value:
        close = value.find(value[0], 1)
        while close > 0 and value[0] == '"' and value[close - 1] == "\\":
            close = value.find(value[0], close + 1)
        rest = value[close + 1 :].strip() if close > 0 else ""
    else:
        hash_at = value.find(" #")
        rest = value[hash_at:].strip() if hash_at >= 0 else ""
    return rest if rest.startswith("#") else ""


_EDITORS: dict[str, Callable[[LinePlan, _Layout, Edit], str | None]] = {
    "example-add": add_lines,
    "example-marker": marker,
    "example-dedupe": dedupe,
    "example-blank": blank,
}
KINDS = frozenset(_EDITORS)


def edit_example(text: str, edits: list[Edit]) -> tuple[str, list[str | None]]:
    """The new text, and per edit None (done) or why it was not done."""
    plan = LinePlan(text)
    layout = _Layout.of(plan)
    results = [_EDITORS[e.kind](plan, layout, e) for e in edits]
    return plan.render(), results
