"""Regexes compiled on their first use instead of at import.

Compiling a pattern costs 0.1 to 2 ms; a check imported some hundred of them, and a repository
without tokens, Go escapes or compose files never used a third of those (~15 ms of a ~300 ms
run). :func:`lazy_compile` returns a stand-in that compiles when a method is first asked for.
"""

from __future__ import annotations

import re
from typing import Any, cast


class _LazyPattern:
    """Acts as ``re.compile(pattern, flags)`` for attribute access (``match``, ``sub``,
    ``groupindex``...). Not a ``re.Pattern``: ``isinstance`` and the module-level ``re``
    functions do not take it."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)
        self.pattern = pattern  # as the compiled one reports it, without compiling

    def __getattr__(self, name: str) -> Any:
        # Called only for names not set yet: the bound method (or value) is kept on the
        # instance, so every later use costs what one on the compiled pattern does.
        if name.startswith("_"):  # copy/pickle probing, or _source before __init__
            raise AttributeError(name)
        compiled = self.__dict__.get("_compiled")
        if compiled is None:
            compiled = self._compiled = re.compile(*self._source)
        value = getattr(compiled, name)
        setattr(self, name, value)
        return value

    def __repr__(self) -> str:
        return f"lazy_compile({self.pattern!r})"


def lazy_compile(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, done when the result is first used."""
    return cast("re.Pattern[str]", _LazyPattern(pattern, flags))
