"""python-dotenv's own parser, with its quoted-value regexes swapped for linear-memory twins.

dotenv matches a quoted value with ``"((?:\\\\.|[^"\\\\])*)"``: Python's regex engine keeps a
backtracking entry per character of that repeat, ~130 bytes each, so a 10 MB quoted value took
1.4 GB. The twin below matches exactly the same strings (the alternatives are disjoint, so
there is never anything to backtrack to) with possessive repeats that keep nothing. Only the
patterns we know are swapped; another dotenv version's own regex is used as it is.
"""

from __future__ import annotations

import functools
import io
import re
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

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
    from dotenv.parser import Reader

    class _LinearReader(Reader):
        def read_regex(self, regex: re.Pattern[str]) -> Sequence[str]:
            twin = _TWINS.get(regex.pattern)
            if twin is not None and regex.flags & re.DOTALL:
                regex = twin
            return super().read_regex(regex)

    return _LinearReader


def _linear_reader(text: str) -> Reader:
    return _reader_class()(io.StringIO(text))


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
