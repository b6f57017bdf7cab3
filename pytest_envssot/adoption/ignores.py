"""Inline ignores: ``# envssot: ignore[rule]`` (``{{/* envssot: ignore[rule] */}}`` in templates).

An ignore names the rules it suppresses and covers its own line; a comment alone on its line in
``.env.example``, a Dockerfile or a compose file also covers the line below it (a Dockerfile has
no end-of-line comments). In Python the comment (read with :mod:`tokenize`, so ``#`` inside a
string is no comment) covers the line it sits on and the first line of its statement, so a
``Field(...)`` spread over lines can carry it on any of them.

A failure is about several lines: the line its item points at and every ``path:line`` its
explanation cites. An ignore on any of them, naming the failure's rule, suppresses it.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import field
from pathlib import Path

from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.readers._io import read_text
from pytest_envssot.records import mutable

IGNORE_RE = lazy_compile(r"envssot:\s*ignore\b(?:\[(?P<rules>[^\]]*)\])?")
_TEMPLATE_COMMENT = lazy_compile(r"\{\{-?\s*/\*(?P<body>.*?)\*/\s*-?\}\}")


@mutable
class Ignore:
    """One ignore comment: where it sits, which lines it covers, which rules it names."""

    path: str
    line: int
    covers: frozenset[int]
    rules: tuple[str, ...]  # empty: a bare ignore, refused
    used: set[str] = field(default_factory=set)


def _rules(found: re.Match[str]) -> tuple[str, ...]:
    names = found.group("rules") or ""
    return tuple(name.strip() for name in names.split(",") if name.strip())


def hash_comments(text: str) -> Iterator[tuple[int, str, bool]]:
    """``(line, comment text, alone on its line)`` for ``#`` comments (env, Dockerfile, YAML).

    Only a ``#`` at the start or after whitespace opens a comment, as python-dotenv, Docker and
    YAML read it (``KEY=a#b`` holds ``a#b``); good enough to find our marker.
    """
    for number, line in enumerate(text.splitlines(), 1):
        if "envssot" not in line:
            continue
        stripped = line.lstrip()
        if stripped.startswith("#"):
            yield number, stripped, True
            continue
        at = line.find(" #")
        if at >= 0:
            yield number, line[at + 1 :], False


def python_comments(text: str) -> Iterator[tuple[int, str, int]]:
    """``(line, comment, first line of its statement)`` for every comment of a module."""
    start = 0  # first line of the statement being read; 0 between statements
    skip = (tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.ENCODING, tokenize.ENDMARKER)
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                yield token.start[0], token.string, start or token.start[0]
            elif token.type == tokenize.NEWLINE:
                start = 0
            elif token.type not in skip and not start:
                start = token.start[0]
    except (tokenize.TokenError, SyntaxError):
        return  # the settings reader reports the file; its ignores cannot be told apart


def template_comments(text: str) -> Iterator[tuple[int, str, bool]]:
    for number, line in enumerate(text.splitlines(), 1):
        if "envssot" not in line:
            continue
        for found in _TEMPLATE_COMMENT.finditer(line):
            alone = not (line[: found.start()] + line[found.end() :]).strip()
            yield number, found.group("body"), alone


def scan(root: Path, files: Iterable[tuple[str, str]]) -> list[Ignore]:
    """Every ignore in ``(kind, path)`` files; kind is example, python, template or hash."""
    out: list[Ignore] = []
    for kind, rel in files:
        text = read_text(root / rel, rel)
        if not isinstance(text, str) or "envssot" not in text:
            continue  # an unreadable file is a layer-parses failure of its own
        if kind == "python":
            for line, comment, start in python_comments(text):
                found = IGNORE_RE.search(comment)
                if found:
                    out.append(Ignore(rel, line, frozenset({line, start}), _rules(found)))
            continue
        comments = template_comments(text) if kind == "template" else hash_comments(text)
        for line, comment, alone in comments:
            found = IGNORE_RE.search(comment)
            if found:
                covers = {line, line + 1} if alone else {line}
                out.append(Ignore(rel, line, frozenset(covers), _rules(found)))
    return out
