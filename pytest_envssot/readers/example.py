"""Layer 3 reader: ``.env.example`` -> ExampleFile.

Bindings come from python-dotenv's own parser, so a key or value means here exactly what it
means to the application that loads the file. This module adds only what dotenv throws away:
line numbers of the statement itself, comments, the ``[VAULT]`` marker, ``export`` and
commented-out bindings. Values are never logged or put into messages.
"""

from __future__ import annotations

import re
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.model import ExampleEntry, ExampleFile, Location, ReaderError
from pytest_envssot.readers._dotenv import parse_stream, quoted_end, value_reader
from pytest_envssot.readers._io import parse_guarded, read_file
from pytest_envssot.records import mutable

if TYPE_CHECKING:
    from dotenv.parser import Binding

VAULT_MARKER = "[VAULT]"

# The newline spellings python-dotenv counts when it numbers lines.
_NEWLINE = re.compile(r"\r\n|\n|\r")
_LEADING_SPACE = re.compile(r"\s*")
_EXPORT = re.compile(r"export[^\S\r\n]+")
# dotenv's key grammar (quoted or bare key) plus the blanks around it; used only to find where
# the value starts, the value itself always comes from dotenv.
_KEY_PREFIX = re.compile(r"[^\S\r\n]*(?:export[^\S\r\n]+)?(?:'[^']+'|[^=#\s]+)[^\S\r\n]*")
_EQUALS = re.compile(r"=[^\S\r\n]*")
# dotenv ends an unquoted value at the first blank followed by '#'.
# A commented-out binding must look like an env name right after '#': `# KEY=...`.
_COMMENTED_BINDING = re.compile(r"#[^\S\r\n]*((?:export[^\S\r\n]+)?[A-Z_][A-Z0-9_]*=.*)", re.S)


def read_example(path: Path, rel: str) -> ExampleFile:
    """Read and parse ``path``; never raises."""
    return read_file(path, rel, parse_example, lambda error: ExampleFile(path=rel, error=error))


def parse_example(text: str, rel: str) -> ExampleFile:
    """Parse ``.env.example`` text; never raises, problems become ``ExampleFile.error``."""
    return parse_guarded(
        _parse, text, rel, ".env.example", lambda error: ExampleFile(path=rel, error=error)
    )


@mutable
class _State:
    """What the walk over dotenv's bindings has seen so far."""

    rel: str
    entries: list[ExampleEntry] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # comment block directly above
    broken: list[tuple[int, str]] = field(default_factory=list)  # (line, message)


def _parse(text: str, rel: str) -> ExampleFile:
    state = _State(rel)
    for binding in parse_stream(text):
        _visit(state, binding)
    return ExampleFile(path=rel, entries=tuple(state.entries), error=_error(state))


def _visit(state: _State, binding: Binding) -> None:
    blank_lines, stmt = _split_leading(binding.original.string)
    line = binding.original.line + blank_lines
    if blank_lines:  # a blank line detaches the comment block above it
        state.pending.clear()
    if binding.error:
        state.broken.append((line, _diagnose(stmt)))
        state.pending.clear()
    elif binding.key is not None and not _looks_like_a_name(binding.key, binding.value is None):
        # A base64 or PEM line of a secret wrapped onto its own line: dotenv reads it as a
        # key. Never a variable (it would be a node id, a JUnit name, a pytest cache entry).
        state.broken.append((line, _NOT_A_NAME))
        state.pending.clear()
    elif binding.key is not None:
        _add_entry(state, binding.key, binding.value, stmt, line)
    elif stmt.lstrip().startswith("#"):
        _visit_comment(state, stmt, line)
    elif stmt.strip():  # e.g. `export # x`: dotenv binds nothing; not part of a comment block
        state.pending.clear()


def _visit_comment(state: _State, stmt: str, line: int) -> None:
    found = _commented_out(stmt)
    if found is None:
        state.pending.append(_comment_text(stmt))
    else:
        key, body = found
        _add_entry(state, key, None, stmt, line, body=body, commented_out=True)


def _add_entry(
    state: _State,
    key: str,
    value: str | None,
    stmt: str,
    line: int,
    *,
    body: str | None = None,
    commented_out: bool = False,
) -> None:
    """Record one binding; ``body`` is the statement without its leading '#', if commented out."""
    body = stmt if body is None else body
    comment = "\n".join(c for c in [*state.pending, _inline_comment(body, value)] if c).strip()
    state.entries.append(
        ExampleEntry(
            key=key,
            location=Location(state.rel, line),
            value=value,
            raw=stmt,
            comment=comment,
            vault=VAULT_MARKER in comment,
            commented_out=commented_out,
            exported=_EXPORT.match(body.lstrip()) is not None,
        )
    )
    state.pending.clear()


# What an environment variable is called: POSIX names, plus the '.' and '-' dotenv and
# pydantic-settings accept. A line without '=' must also be in one case (`DEBUG`, `debug`):
# a bare `MIIEvQIBADANBgkqhkiG9w0B` is a wrapped key, not a variable someone forgot to set.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_BARE_NAME = lazy_compile(r"[A-Z_][A-Z0-9_]*|[a-z_][a-z0-9_]*")
_NOT_A_NAME = (
    "this line is not KEY=value and its text does not look like a variable name; it is not "
    "shown, as it may be part of a secret wrapped onto its own line (quote a multi-line value "
    'with "...", or keep the secret out of .env.example)'
)


def _looks_like_a_name(key: str, bare: bool) -> bool:
    from pytest_envssot.secretscan import high_entropy, token_shape

    if (_BARE_NAME if bare else _NAME).fullmatch(key) is None:
        return False
    return high_entropy(key) is None and token_shape(key) is None


def _split_leading(original: str) -> tuple[int, str]:
    """dotenv folds preceding blank lines into a binding; return their count and the statement."""
    space = _LEADING_SPACE.match(original)
    assert space is not None  # `\s*` always matches
    newlines = list(_NEWLINE.finditer(space.group()))
    start = newlines[-1].end() if newlines else 0
    return len(newlines), original[start:].rstrip("\r\n")


def _comment_text(stmt: str) -> str:
    return stmt.strip().lstrip("#").strip()


def _commented_out(stmt: str) -> tuple[str, str] | None:
    """(key, statement without '#') of `# KEY=value`, or None for prose; conservative on purpose."""
    match = _COMMENTED_BINDING.match(stmt.lstrip())
    if match is None:
        return None
    body = match.group(1)
    bindings = [b for b in parse_stream(body) if b.key or b.error]
    if len(bindings) != 1 or bindings[0].error:
        return None
    key, value = bindings[0].key, bindings[0].value
    if key is None or value is None:
        return None
    # `# X=Y is fine`-style prose: an unquoted value with blanks reads as a sentence.
    quoted = _value_part(body)[:1] in ("'", '"')
    if not quoted and re.search(r"\s", value):
        return None
    return key, body


def _value_part(stmt: str) -> str:
    """The text after `KEY=` (and the blanks dotenv skips), or '' without `=`."""
    prefix = _KEY_PREFIX.match(stmt)
    rest = stmt[prefix.end() :] if prefix else stmt
    equals = _EQUALS.match(rest)
    return rest[equals.end() :] if equals else ""


def _inline_comment(stmt: str, parsed: str | None = None) -> str:
    """The `# ...` dotenv drops after a value (or after a bare `KEY`)."""
    prefix = _KEY_PREFIX.match(stmt)
    rest = stmt[prefix.end() :] if prefix else stmt
    equals = _EQUALS.match(rest)
    if equals is None:
        tail = rest
    else:
        value = rest[equals.end() :]
        if value[:1] in ("'", '"'):
            tail = _after_quoted(value)
        else:
            # Whatever dotenv keeps as the value; the rest is the comment (versions differ on
            # `KEY= # note`: 1.2.2 keeps '# note' as the value, 1.2.4 reads a comment).
            kept = parsed if parsed is not None else _parse_with_dotenv(value)
            tail = value[len(kept) :] if kept is not None and value.startswith(kept) else ""
    tail = tail.strip()
    return tail[1:].strip() if tail.startswith("#") else ""


def _parse_with_dotenv(value: str) -> str | None:
    from dotenv.parser import Error, parse_value

    try:
        return parse_value(value_reader(value))
    except Error:
        return None


def _after_quoted(value: str) -> str:
    """What follows a quoted value, located with dotenv's own value regex."""
    end = quoted_end(value)
    return "" if end is None else value[end:]


def _diagnose(stmt: str) -> str:
    """Why dotenv rejected a statement, without quoting any of it."""
    base = "python-dotenv cannot parse this line and would skip it"
    first = _NEWLINE.split(stmt, maxsplit=1)[0]
    prefix = _KEY_PREFIX.match(first)
    if prefix is None or first.lstrip().startswith("="):
        return f"{base}: missing variable name before '='"
    if not first[prefix.end() :].startswith("="):
        return f"{base}: expected KEY=value (a name cannot contain blanks)"
    value = _value_part(first)
    quote = value[:1]
    if quote in ("'", '"') and value.count(quote) < 2:
        return f"{base}: the quoted value is not closed on this line"
    if quote in ("'", '"'):
        return f"{base}: text after the closing quote (start a comment with ' #')"
    return base


def _error(state: _State) -> ReaderError | None:
    if not state.broken:
        return None
    line, message = state.broken[0]
    others = [str(n) for n, _ in state.broken[1:]]
    if others:
        message += f" (also lines {', '.join(others)})"
    return ReaderError(Location(state.rel, line), message)
