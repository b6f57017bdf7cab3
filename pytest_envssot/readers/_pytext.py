"""Python source text as LibCST cut it, from ``ast`` positions.

``ast`` gives each node a start and end (1-based line, UTF-8 byte column). LibCST's text of a
node also held the redundant parentheses around it and left the indentation of the statement's
block out of its continuation lines; :meth:`SourceText.code` does the same, so readers moved
from LibCST to ``ast`` report the very same text.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right

_NEWLINE = re.compile(r"\r\n?|\n")  # the line ends CPython's tokenizer counts
_BLANK = frozenset(" \t\f\r\n\\")  # between tokens (a backslash continues the line)


def start_key(node: ast.AST) -> int:
    """A sortable key for where ``node`` starts."""
    return (node.lineno << 32) + node.col_offset  # type: ignore[attr-defined, no-any-return]


def end_key(node: ast.AST) -> int:
    return (node.end_lineno << 32) + node.end_col_offset  # type: ignore[attr-defined, no-any-return]


class SourceText:
    """The source, with ast positions (1-based line, UTF-8 byte column) mapped to offsets."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.starts = [0, *(m.end() for m in _NEWLINE.finditer(source))]
        self.ascii = source.isascii()

    def offset(self, line: int, col: int) -> int:
        start = self.starts[line - 1]
        if self.ascii:
            return start + col
        end = self.starts[line] if line < len(self.starts) else len(self.source)
        text = self.source[start:end]
        if text.isascii():
            return start + col
        return start + len(text.encode("utf-8", "surrogatepass")[:col].decode("utf-8", "replace"))

    def skip_blanks(self, i: int) -> int:
        """The first offset from ``i`` on that is no blank."""
        while i < len(self.source) and self.source[i] in _BLANK:
            i += 1
        return i

    def start(self, node: ast.AST) -> int:
        return self.offset(node.lineno, node.col_offset)  # type: ignore[attr-defined]

    def end(self, node: ast.AST) -> int:
        return self.offset(node.end_lineno, node.end_col_offset)  # type: ignore[attr-defined]

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset)

    def indent(self, line: int) -> str:
        """The leading blanks of ``line``: for a statement's line, its block's indentation."""
        start = end = self.starts[line - 1]
        while end < len(self.source) and self.source[end] in " \t\f":
            end += 1
        return self.source[start:end]

    def code(self, node: ast.AST, anchor: tuple[int, bool] | None, indent: str) -> str:
        """``node``'s source as LibCST gave it: with the redundant parentheses around it, and
        its continuation lines without the ``indent`` of the statement's block.

        ``anchor`` is where the parent's syntax before ``node`` ends (after a ``=``, ``:`` or
        ``,``, or the end of a call's function when ``node`` is its first argument, whose
        ``(`` is then the call's own); only blanks, comments and ``(`` lie between the two.
        """
        start, end = self.start(node), self.end(node)
        if anchor is not None:
            opened = self._open_parens(anchor[0], start, anchor[1])
            if opened:
                start, end = opened[0], self._close_parens(end, len(opened))
        text = self.source[start:end]
        if indent and ("\n" in text or "\r" in text):
            return _dedent(text, indent)
        return text

    def _open_parens(self, i: int, stop: int, call_paren_first: bool) -> list[int]:
        text, run = self.source, []
        while i < stop:
            char = text[i]
            if char == "#":
                match = _NEWLINE.search(text, i, stop)
                i = match.start() if match else stop
                continue
            if char == "(":
                if call_paren_first:
                    call_paren_first = False  # the call's own parenthesis
                else:
                    run.append(i)
            elif char not in _BLANK:
                run = []  # `,` `=` `:` `*` `)` ...: only later parentheses are the node's
            i += 1
        return run

    def _close_parens(self, i: int, count: int) -> int:
        text = self.source
        while count and i < len(text):
            char = text[i]
            if char == "#":
                match = _NEWLINE.search(text, i)
                i = match.start() if match else len(text)
                continue
            if char == ")":
                count -= 1
            elif char not in _BLANK:
                break
            i += 1
        return i

    def count_parens(self, i: int, stop: int, char: str) -> int:
        """``char`` (a parenthesis) in the blanks and comments from ``i`` to ``stop``."""
        text, found = self.source, 0
        while i < stop:
            if text[i] == "#":
                match = _NEWLINE.search(text, i, stop)
                i = match.start() if match else stop
                continue
            if text[i] == char:
                found += 1
            elif text[i] not in _BLANK:
                break
            i += 1
        return found


def _dedent(text: str, indent: str) -> str:
    """Drop ``indent`` from the lines ``text`` continues on, except inside strings and after a
    backslash (LibCST keeps a block's indentation out of the nodes in it)."""
    out: list[str] = []
    kept = i = 0
    while i < len(text):
        char = text[i]
        if char == "#":
            match = _NEWLINE.search(text, i)
            i = match.start() if match else len(text)
        elif char in "'\"":
            i = _string_end(text, i)
        elif char == "\\":
            match = _NEWLINE.match(text, i + 1)
            i = match.end() if match else i + 2
        elif char in "\r\n":
            i += 2 if text.startswith("\r\n", i) else 1
            if text.startswith(indent, i):
                out.append(text[kept:i])
                i = kept = i + len(indent)
        else:
            i += 1
    out.append(text[kept:])
    return "".join(out)


def _string_end(text: str, i: int) -> int:
    """Where the string literal whose opening quote is at ``i`` ends."""
    quote = text[i] * 3 if text.startswith(text[i] * 3, i) else text[i]
    i += len(quote)
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text.startswith(quote, i):
            return i + len(quote)
        else:
            i += 1
    return i


def single_string_token(text: str) -> bool:
    """``text`` is one string literal, not implicitly concatenated ones (LibCST's SimpleString)."""
    i = 0
    while i < len(text) and text[i] not in "'\"":
        i += 1  # prefix letters
    return i < len(text) and _string_end(text, i) == len(text)


def literal_eval(node_or_source: ast.expr | str) -> object:
    """``ast.literal_eval``, a constant answered directly. Each call of the stdlib's makes four
    closures that refer to each other: a reference cycle only the cyclic collector frees, five
    per settings field, and at 100,000 fields a third of the run went to collecting them."""
    node = node_or_source
    if isinstance(node, str):
        node = ast.parse(node.lstrip(" \t"), mode="eval").body
    if isinstance(node, ast.Constant):
        return node.value
    return ast.literal_eval(node)
