"""python-dotenv's own parser, with its quoted-value regexes swapped for linear-memory twins.

dotenv matches a quoted value with ``"((?:\\\\.|[^"\\\\])*)"``: Python's regex engine keeps a
backtracking entry per character of that repeat, ~130 bytes each, so a 10 MB quoted value took
1.4 GB. The twin below matches exactly the same strings (the alternatives are disjoint, so
there is never anything to backtrack to) with possessive repeats that keep nothing. Only the
patterns we know are swapped; another dotenv version's own regex is used as it is.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, cast

if TYPE_CHECKING:
    from collections.abc import Sequence

    from dotenv.parser import Binding, Reader

_RUN = "*+" if sys.version_info >= (3, 11) else "*"  # possessive from 3.11 on


def _twin(quote: str) -> tuple[str, re.Pattern[str]]:
    """(dotenv 1.1+'s pattern for ``quote``, the linear pattern matching the same strings)."""
    plain = f"[^{quote}\\\\]"
    original = f"{quote}((?:\\\\.|{plain})*){quote}"
    twin = f"{quote}({plain}{_RUN}(?:\\\\.{plain}{_RUN}){_RUN}){quote}"
    return original, re.compile(twin, re.UNICODE | re.DOTALL)


_TWINS = dict(_twin(q) for q in "\"'")


@functools.cache
def _reader_class() -> type[Reader]:
    """dotenv's Reader with the twins swapped in (made once: dotenv is imported lazily)."""
    from dotenv.parser import Error, Reader

    class _LinearReader(Reader):
        def __init__(self, stream: IO[str]) -> None:
            super().__init__(stream)
            self.only_lf = fast and "\r" not in self.string  # newlines are '\n' alone

        def read_regex(self, regex: re.Pattern[str]) -> Sequence[str]:
            twin = _TWINS.get(regex.pattern)
            if twin is not None and regex.flags & re.DOTALL:
                regex = twin
            if not fast:
                return super().read_regex(regex)
            # dotenv's own steps, without the copy of the matched text and the module-level
            # re.findall (a cache lookup) it counts the newlines of that copy with: a third of
            # a 100,000-line file's reading time.
            string, position = self.string, self.position
            match = regex.match(string, position.chars)
            if match is None:
                raise Error("read_regex: Pattern not found")
            start, end = match.span()
            position.chars = end
            if start == end:
                pass
            elif self.only_lf:  # most files
                position.line += string.count("\n", start, end)
            else:  # what dotenv's newline regex (\r\n|\n|\r) finds in the matched text
                position.line += (
                    string.count("\n", start, end)
                    + string.count("\r", start, end)
                    - string.count("\r\n", start, end)
                )
            return match.groups()

    # The fast path leans on the attributes dotenv's Reader has had since 0.10.
    probe = Reader(cast("IO[str]", _Text("")))
    fast = isinstance(getattr(probe, "string", None), str) and all(
        isinstance(getattr(probe.position, name, None), int) for name in ("chars", "line")
    )
    return _LinearReader


class _Text:
    """The one method dotenv's Reader calls on its stream, handing ``text`` itself over: an
    ``io.StringIO`` holds its own copy (four bytes a character) and ``read()`` makes another,
    50 MB for a 10 MB file."""

    def __init__(self, text: str) -> None:
        self._text = text

    def read(self) -> str:
        return self._text


def _linear_reader(text: str) -> Reader:
    return _reader_class()(cast("IO[str]", _Text(text)))


def parse_stream(text: str) -> Iterator[Binding]:
    """``dotenv.parser.parse_stream`` over ``text``."""
    from dotenv.parser import parse_binding

    reader = _linear_reader(text)
    while reader.has_next():
        yield parse_binding(reader)


def value_reader(text: str) -> Reader:
    """A dotenv Reader over ``text`` for ``parse_value``."""
    return _linear_reader(text)


def quoted_end(value: str) -> int | None:
    """Where the quoted value at the start of ``value`` ends, as dotenv reads it (None when
    dotenv cannot close it): its own regex or the twin, without decoding the escapes."""
    from dotenv import parser

    regex = parser._double_quoted_value if value[:1] == '"' else parser._single_quoted_value
    twin = _TWINS.get(regex.pattern)
    match = (twin if twin is not None and regex.flags & re.DOTALL else regex).match(value)
    return match.end() if match else None
