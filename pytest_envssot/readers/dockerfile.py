"""Dockerfile reader: instructions in order, with the variables ARG and ENV declare.

Follows BuildKit's Dockerfile frontend where it matters for env checks: parser directives
(``# escape=``), line continuations (comment and blank lines inside them are dropped),
case-insensitive keywords, heredocs on RUN/COPY/ADD, the ``ARG``/``ENV`` name forms.
It is not a full Dockerfile parser: variable expansion and JSON forms are left as text.
"""

from __future__ import annotations

import re
from dataclasses import field
from pathlib import Path

from pytest_envssot.model import DockerFile, DockerInstruction, Location, ReaderError
from pytest_envssot.readers._io import parse_guarded, read_file
from pytest_envssot.records import mutable

INSTRUCTIONS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip
# The only instructions BuildKit reads heredocs for.
_HEREDOC_KINDS = frozenset({"RUN", "COPY", "ADD"})

_DIRECTIVE = re.compile(r"#\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*(.*?)\s*$")
_INSTRUCTION = re.compile(r"\s*(\S+)\s*(.*)", re.S)
# `<<EOF`, `<<-EOF`, `<<"EOF"`, `<<'EOF'`; `<<<` is a shell here-string, not a heredoc.
_HEREDOC = re.compile(r"(?<!<)<<(?!<)(-?)[ \t]*([\"']?)([^\s\"'<>|&;()]+)\2")


def read_dockerfile(path: Path, rel: str) -> DockerFile:
    """Read and parse ``path``; never raises."""
    return read_file(path, rel, parse_dockerfile, lambda error: DockerFile(path=rel, error=error))


def parse_dockerfile(text: str, rel: str) -> DockerFile:
    """Parse Dockerfile text; never raises, problems become ``DockerFile.error``."""
    return parse_guarded(
        _parse, text, rel, "Dockerfile", lambda error: DockerFile(path=rel, error=error)
    )


@mutable
class _Lines:
    """The file as physical lines (without line ends) and a cursor over them."""

    lines: list[str]
    pos: int = 0

    def next(self) -> str:
        self.pos += 1
        return self.lines[self.pos - 1]

    def more(self) -> bool:
        return self.pos < len(self.lines)


@mutable
class _State:
    """What the Dockerfile reader has read so far."""

    rel: str
    escape: str = "\\"
    instructions: list[DockerInstruction] = field(default_factory=list)
    errors: list[ReaderError] = field(default_factory=list)

    def fail(self, line: int, message: str) -> None:
        self.errors.append(ReaderError(Location(self.rel, line), message))


def _parse(text: str, rel: str) -> DockerFile:
    # Docker reads lines split on '\n' and drops a trailing '\r'; str.splitlines would also
    # split on form feeds and Unicode separators and shift every line number after them.
    cursor = _Lines([line.removesuffix("\r") for line in text.split("\n")])
    state = _State(rel)
    _directives(state, cursor.lines)
    while cursor.more():
        start = cursor.pos + 1
        first = cursor.next()
        if first.strip() and not first.lstrip().startswith("#"):
            _instruction(state, cursor, first, start)
    return DockerFile(
        path=rel,
        instructions=tuple(state.instructions),
        error=state.errors[0] if state.errors else None,
    )


def _directives(state: _State, lines: list[str]) -> None:
    """Parser directives: `# name=value` lines before anything else; only escape matters here."""
    for number, line in enumerate(lines, start=1):
        found = _DIRECTIVE.match(line)
        if found is None:
            return
        if found.group(1).lower() == "escape":
            if found.group(2) not in ("\\", "`"):
                state.fail(number, "the escape directive accepts only '\\' or '`'")
                return
            state.escape = found.group(2)


def _instruction(state: _State, cursor: _Lines, first: str, start: int) -> None:
    logical = _join_continuations(cursor, first, state.escape)
    match = _INSTRUCTION.match(logical)
    if match is None:  # unreachable for a non-blank line; kept for the type checker
        return
    kind, args = match.group(1).upper(), match.group(2).strip()
    if kind not in INSTRUCTIONS:
        word = match.group(1).partition("=")[0][:40]  # never quote what follows '='
        state.fail(start, f"unknown instruction {word!r}")
        return
    if kind in _HEREDOC_KINDS:
        args = _read_heredocs(state, cursor, args, start)
    names = _declared_names(state, kind, args, start)
    state.instructions.append(DockerInstruction(kind, Location(state.rel, start), names, args))


def _join_continuations(cursor: _Lines, first: str, escape: str) -> str:
    """One logical line: an escape at the end of a line continues it (Docker concatenates)."""
    ends_with_escape = re.compile(re.escape(escape) + r"[ \t]*$")
    parts: list[str] = []
    line: str | None = first
    while line is not None:  # a continuation at end of file just ends the instruction
        found = ends_with_escape.search(line)
        if found is None:
            parts.append(line)
            break
        parts.append(line[: found.start()])
        line = _next_content_line(cursor)
    return "".join(parts)


def _next_content_line(cursor: _Lines) -> str | None:
    """Inside a continuation Docker skips comment and blank lines."""
    while cursor.more():
        line = cursor.next()
        if line.strip() and not line.lstrip().startswith("#"):
            return line
    return None


def _read_heredocs(state: _State, cursor: _Lines, args: str, start: int) -> str:
    """Append each heredoc body (the lines after the instruction) to its text."""
    text = args
    for found in _HEREDOC.finditer(args):
        strip_tabs, delimiter = found.group(1) == "-", found.group(3)
        body: list[str] = []
        while True:
            if not cursor.more():
                state.fail(start, f"heredoc {delimiter[:40]!r} is not terminated")
                break
            line = cursor.next()
            if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                break
            body.append(line)
        text += "\n" + "\n".join(body)
    return text


def _declared_names(state: _State, kind: str, args: str, start: int) -> tuple[str, ...]:
    if kind == "ARG":
        return _arg_names(state, args, start)
    if kind == "ENV":
        return _env_names(state, args, start)
    return ()


def _arg_names(state: _State, args: str, start: int) -> tuple[str, ...]:
    """`ARG NAME`, `ARG NAME=default`, `ARG A=1 B=2`."""
    names = tuple(word.partition("=")[0] for word in _words(args, state.escape))
    if not names or not all(names):
        state.fail(start, "ARG needs NAME or NAME=default")
    return tuple(n for n in names if n)


def _env_names(state: _State, args: str, start: int) -> tuple[str, ...]:
    """`ENV A=1 B="x y"`, or the legacy `ENV NAME value with blanks`."""
    words = _words(args, state.escape)
    if not words:
        state.fail(start, "ENV needs NAME=value")
        return ()
    if "=" not in words[0]:  # legacy form: one name, the rest of the line is its value
        if len(words) < 2:
            state.fail(start, "ENV needs NAME=value (or the legacy NAME value)")
        return (words[0],)
    if not all("=" in word for word in words):
        # The stray word is part of some value, so it is not quoted in the message.
        state.fail(start, "ENV mixes NAME=value pairs with a bare word; quote values with blanks")
    names = tuple(word.partition("=")[0] for word in words if "=" in word)
    if not all(names):
        state.fail(start, "ENV has an empty name before '='")
    return tuple(n for n in names if n)


def _words(args: str, escape: str) -> list[str]:
    """Split on blanks outside quotes, as Docker does for ARG and ENV (quotes kept)."""
    words: list[str] = []
    current: list[str] = []
    quote = ""
    chars = iter(args)
    for char in chars:
        if char == escape and quote != "'":
            current.append(char + next(chars, ""))
        elif quote:
            quote = "" if char == quote else quote
            current.append(char)
        elif char in "'\"":
            quote = char
            current.append(char)
        elif char.isspace():
            if current:
                words.append("".join(current))
            current = []
        else:
            current.append(char)
    if current:
        words.append("".join(current))
    return words
