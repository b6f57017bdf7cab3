"""A strict reader for the plain block YAML compose files are written in, without PyYAML.

Why it exists: importing PyYAML costs ~9 ms (``yaml.reader`` compiles a large character
class) and its pure-Python composer ~4 ms more on a small compose file, paid by every
``envssot check``. Compose files use a small part of YAML: block mappings and sequences,
one-line plain and quoted scalars, comments, anchors, aliases, merge keys (``<<: *a``) and
one-line flow collections (``["CMD", "x"]``, ``{}``), and literal / folded block scalars
(``|``, ``>-``: entrypoint scripts) as values. This module reads exactly that part
into nodes shaped like PyYAML's SafeLoader nodes (``id``, ``value``, ``tag`` with PyYAML's
YAML 1.1 implicit resolution, ``start_mark.line``) and raises ``Unsure`` on anything else
(tags, multi-line plain/quoted scalars or flows, ``?`` keys, document markers, tabs,
odd indentation, duplicated or forward anchors...). The caller then reads the file with
PyYAML, so unusual YAML, errors and their messages stay PyYAML's. A differential test
(tests/test_yamlblock.py) holds the two readers equal wherever this one answers.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from typing import Any

MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
STR_TAG = "tag:yaml.org,2002:str"

# Deeper nesting is left to PyYAML (and to compose.py's guards against runaway depth).
MAX_DEPTH = 60
# PyYAML refuses a simple key longer than 1024 characters; stay clear of the edge.
MAX_KEY = 1000


class Unsure(Exception):
    """The text is outside the subset this reader reads exactly as PyYAML does."""


class Mark:
    __slots__ = ("line",)

    def __init__(self, line: int) -> None:
        self.line = line  # 0-based, as PyYAML's


class Node:
    """A scalar (``value``: str), sequence (list of nodes) or mapping (list of pairs)."""

    __slots__ = ("id", "start_mark", "tag", "value")

    def __init__(self, kind: str, tag: str, value: Any, line: int) -> None:
        self.id = kind
        self.tag = tag
        self.value: Any = value
        self.start_mark = Mark(line)


# PyYAML's implicit resolvers (yaml/resolver.py, Resolver), by first character. Booleans,
# nulls, ``<<`` and ``=`` are word lists; the numeric and timestamp patterns are compiled
# only for a value they could match (compiling them costs more than reading a file).
_BOOL = frozenset(
    [
        "yes",
        "Yes",
        "YES",
        "no",
        "No",
        "NO",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "FALSE",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
    ]
)
_NULL = frozenset(("~", "null", "Null", "NULL", ""))
_NUMERIC_FIRST = frozenset("-+0123456789.")
# Every character the float, int and timestamp patterns can match: a value holding any
# other character is none of them.
_NUMERIC_CHARS = frozenset("0123456789-+_.: \teEinfINFaAbxabcdefABCDEFtTZ")
_PATTERNS: list[tuple[str, re.Pattern[str]]] = []


def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    if not _PATTERNS:
        float_re = r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?
                    |\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?
                    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
                    |[-+]?\.(?:inf|Inf|INF)
                    |\.(?:nan|NaN|NAN))$"""
        int_re = r"""^(?:[-+]?0b[0-1_]+
                    |[-+]?0[0-7_]+
                    |[-+]?(?:0|[1-9][0-9_]*)
                    |[-+]?0x[0-9a-fA-F_]+
                    |[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$"""
        timestamp_re = r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
                    |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
                     (?:[Tt]|[ \t]+)[0-9][0-9]?
                     :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
                     (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"""
        _PATTERNS.extend(
            (
                ("float", re.compile(float_re, re.X)),
                ("int", re.compile(int_re, re.X)),
                ("timestamp", re.compile(timestamp_re, re.X)),
            )
        )
    return _PATTERNS


def resolve(value: str) -> str:
    """The tag PyYAML's SafeLoader gives a plain scalar ``value``."""
    if value in _NULL:
        return "tag:yaml.org,2002:null"
    first = value[0]
    if first in "yYnNtTfFoO":
        return "tag:yaml.org,2002:bool" if value in _BOOL else STR_TAG
    if first == "<":
        return "tag:yaml.org,2002:merge" if value == "<<" else STR_TAG
    if first == "=":
        return "tag:yaml.org,2002:value" if value == "=" else STR_TAG
    if first not in _NUMERIC_FIRST or not _NUMERIC_CHARS.issuperset(value):
        return STR_TAG
    if value.isdigit():  # ASCII here (checked above): the common port / count
        octal = value[0] == "0" and len(value) > 1
        ok = not octal or all(ch in "01234567" for ch in value)
        return "tag:yaml.org,2002:int" if ok else STR_TAG
    for name, pattern in _patterns():
        if name == "timestamp" and first not in "0123456789":
            continue
        if name == "int" and first == ".":
            continue
        if pattern.match(value):
            return "tag:yaml.org,2002:" + name
    return STR_TAG


def _scalar(value: str, line: int, plain: bool) -> Node:
    return Node("scalar", resolve(value) if plain else STR_TAG, value, line)


# Double-quoted escapes (yaml/scanner.py ESCAPE_REPLACEMENTS and ESCAPE_CODES).
_ESCAPES = {
    "0": "\0",
    "a": "\x07",
    "b": "\x08",
    "t": "\x09",
    "n": "\x0a",
    "v": "\x0b",
    "f": "\x0c",
    "r": "\x0d",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "\\": "\\",
    "/": "/",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_ESCAPE_CODES = {"x": 2, "u": 4, "U": 8}
_HEX = frozenset("0123456789abcdefABCDEF")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")


def _skip(s: str, p: int) -> int:
    n = len(s)
    while p < n and s[p] == " ":
        p += 1
    return p


def _ends(s: str, p: int) -> bool:
    """Only spaces or a comment (after a space) from ``p`` on."""
    p = _skip(s, p)
    return p == len(s) or (s[p] == "#" and s[p - 1] == " ")


def _dash(s: str, p: int) -> bool:
    """A block sequence entry indicator at ``p``."""
    return s[p] == "-" and (p + 1 == len(s) or s[p + 1] == " ")


def _plain_start(s: str, p: int, flow: bool) -> bool:
    """PyYAML's ``check_plain``."""
    ch = s[p]
    if ch not in _INDICATORS:
        return True
    after = s[p + 1] if p + 1 < len(s) else " "
    return after != " " and (ch == "-" or (not flow and ch in "?:"))


def _plain(s: str, p: int, flow: bool) -> tuple[str, int]:
    """A one-line plain scalar from ``p`` (PyYAML's ``scan_plain``); ends after its spaces."""
    n = len(s)
    chunks: list[str] = []
    spaces = ""
    while p < n and s[p] != "#":
        if flow:
            q = p
            while q < n:
                ch = s[q]
                if ch == " " or ch in ",?[]{}":
                    break
                if ch == ":" and (q + 1 == n or s[q + 1] in " ,[]{}"):
                    break
                q += 1
        else:  # a chunk ends at a space, or at a ``:`` before a space or the line end
            q = s.find(" ", p)
            q = n if q < 0 else q
            if s[q - 1] == ":":
                q -= 1
        if q == p:
            break
        chunks.append(spaces)
        chunks.append(s[p:q])
        p = _skip(s, q)
        if p == q:
            break
        spaces = s[q:p]
    return "".join(chunks), p


def _quoted(s: str, p: int) -> tuple[str, int]:
    """A quoted scalar closed on its line; ``Unsure`` on a line break or a bad escape."""
    quote = s[p]
    n = len(s)
    out: list[str] = []
    p += 1
    if quote == "'":
        while True:
            close = s.find("'", p)
            if close < 0:
                raise Unsure
            out.append(s[p:close])
            if s.startswith("''", close):
                out.append("'")
                p = close + 2
            else:
                return "".join(out), close + 1
    close = s.find('"', p)
    while True:
        if close < 0:
            raise Unsure
        q = s.find("\\", p, close)  # bounded by the quote: linear however many escapes
        if q < 0:
            out.append(s[p:close])
            return "".join(out), close + 1
        out.append(s[p:q])
        code = s[q + 1] if q + 1 < n else ""
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            p = q + 2
        elif code in _ESCAPE_CODES:
            digits = s[q + 2 : q + 2 + _ESCAPE_CODES[code]]
            if len(digits) != _ESCAPE_CODES[code] or not _HEX.issuperset(digits):
                raise Unsure
            number = int(digits, 16)
            if number > 0x10FFFF:
                raise Unsure
            out.append(chr(number))
            p = q + 2 + len(digits)
        else:  # an escaped line break (a multi-line scalar) or an error
            raise Unsure
        if p > close:  # the quote was escaped
            close = s.find('"', p)


def _name(s: str, p: int, flow: bool) -> tuple[str, int]:
    """An anchor or alias name from ``p``; it must end at a space, the line end or a flow end."""
    q = p
    n = len(s)
    while q < n and s[q].isascii() and (s[q].isalnum() or s[q] in "-_"):
        q += 1
    if q == p or (q < n and s[q] != " " and not (flow and s[q] in ",]}")):
        raise Unsure
    return s[p:q], q


Line = tuple[int, int, str]  # (0-based line number, indentation, text)


class _Reader:
    def __init__(self, lines: list[Line], raw: list[str]) -> None:
        self.lines = lines
        self.raw = raw  # every line, for block scalars (whose lines may look like comments)
        self.numbers = [number for number, _, _ in lines]
        self.next = 0  # the first line not yet read
        self.anchors: dict[str, Node] = {}
        self.seen: set[str] = set()  # anchors opened, complete or not
        self.depth = 0

    def document(self) -> Node | None:
        if not self.lines:
            return None
        node = self.block(0, self.lines[0][1], -1, None)
        if self.next != len(self.lines):
            raise Unsure
        return node

    def _deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise Unsure

    def block(self, i: int, col: int, owner: int, anchor: int | None) -> Node:
        """The node starting at line ``i``, column ``col``, inside a collection at ``owner``.

        ``anchor``: the line of an anchor just before it (the node starts there).
        """
        self._deeper()
        number, _, s = self.lines[i]
        if _dash(s, col):
            node = self.sequence(i, col, number, False)
        elif self.key(s, col, number) is not None:
            node = self.mapping(i, col, number)
        else:
            node = self.inline(s, col, number, anchor is not None)
            self.after_inline(i, owner)
        if anchor is not None:  # a new node (an alias after an anchor is refused)
            node.start_mark = Mark(anchor)
        self.depth -= 1
        return node

    def after_inline(self, i: int, owner: int) -> None:
        """A deeper line after a one-line node would continue it (multi-line scalar)."""
        self.next = i + 1
        if self.next < len(self.lines) and self.lines[self.next][1] > owner:
            raise Unsure

    def block_scalar(self, s: str, p: int, number: int, owner: int) -> Node:
        """A ``|`` / ``>`` scalar whose header is at ``p``; ``Unsure`` on an indentation digit."""
        chomp = s[p + 1] if p + 1 < len(s) and s[p + 1] in "+-" else ""
        after = s[p + 1 + len(chomp) :]
        if after and (after[0] != " " or after.lstrip(" ")[:1] not in ("", "#")):
            raise Unsure  # an indentation digit, or what PyYAML reports as an error
        value, stop = _block_text(self.raw, number + 1, max(owner + 1, 1), s[p] == ">", chomp)
        self.next = bisect_left(self.numbers, stop)
        if self.next < len(self.lines) and self.lines[self.next][1] > owner:
            raise Unsure
        return Node("scalar", STR_TAG, value, number)

    def key(self, s: str, p: int, number: int) -> tuple[Node, int] | None:
        """The scalar key at ``p`` and the position after its ``:``, if the line has one."""
        if s[p] in "'\"":
            value, q = _quoted(s, p)
            plain = False
            q = _skip(s, q)
        elif _plain_start(s, p, False):
            value, q = _plain(s, p, False)
            plain = True
        else:
            return None
        if q < len(s) and s[q] == ":" and (q + 1 == len(s) or s[q + 1] == " "):
            if q - p > MAX_KEY:
                raise Unsure
            return _scalar(value, number, plain), q + 1
        return None

    def mapping(self, i: int, col: int, start: int) -> Node:
        pairs: list[tuple[Node, Node]] = []
        while True:
            number, _, s = self.lines[i]
            found = self.key(s, col, number)
            if found is None:
                raise Unsure
            key, p = found
            pairs.append((key, self.value(i, p, col, False)))
            i = self.next
            if i == len(self.lines) or self.lines[i][1] < col:
                return Node("mapping", MAP_TAG, pairs, start)
            if self.lines[i][1] > col:
                raise Unsure

    def sequence(self, i: int, col: int, start: int, indentless: bool) -> Node:
        items: list[Node] = []
        while True:
            items.append(self.value(i, col + 1, col, True))
            i = self.next
            if i == len(self.lines) or self.lines[i][1] < col:
                break
            if self.lines[i][1] > col:
                raise Unsure
            if not _dash(self.lines[i][2], col):
                if indentless:
                    break
                raise Unsure
        return Node("sequence", SEQ_TAG, items, start)

    def value(self, i: int, p: int, owner: int, item: bool) -> Node:
        """The node after ``key:`` or ``-`` (``item``) at line ``i``, position ``p``."""
        number, _, s = self.lines[i]
        p = _skip(s, p)
        anchor: str | None = None
        if p < len(s) and s[p] == "&":
            anchor, p = _name(s, p + 1, False)
            if anchor in self.seen:
                raise Unsure
            self.seen.add(anchor)
            p = _skip(s, p)
        if _ends(s, p):
            node = self.below(i, number, owner, not item, anchor is not None)
        elif _dash(s, p):
            if not item or anchor is not None:
                raise Unsure
            self._deeper()
            node = self.sequence(i, p, number, False)
            self.depth -= 1
        elif self.key(s, p, number) is not None:
            if not item or anchor is not None:
                raise Unsure
            self._deeper()
            node = self.mapping(i, p, number)
            self.depth -= 1
        elif s[p] in "|>":
            node = self.block_scalar(s, p, number, owner)
        else:
            node = self.inline(s, p, number, anchor is not None)
            self.after_inline(i, owner)
        if anchor is not None:
            self.anchors[anchor] = node
        return node

    def below(self, i: int, number: int, owner: int, indentless: bool, anchored: bool) -> Node:
        """A value with nothing after its indicator: on the lines below, or empty (null)."""
        anchor = number if anchored else None
        following = i + 1
        if following < len(self.lines):
            indentless_at, indent, s = self.lines[following]
            if indent > owner:
                return self.block(following, indent, owner, anchor)
            if indentless and indent == owner and _dash(s, owner):
                self._deeper()
                node = self.sequence(following, owner, number if anchored else indentless_at, True)
                self.depth -= 1
                return node
        self.next = following
        return Node("scalar", "tag:yaml.org,2002:null", "", number)

    def inline(self, s: str, p: int, line: int, anchored: bool) -> Node:
        """A node that ends on its line: scalar, alias or flow collection."""
        node, q = self.flow_node(s, p, line, anchored, False)
        if not _ends(s, q):
            raise Unsure
        return node

    def flow_node(self, s: str, p: int, line: int, anchored: bool, flow: bool) -> tuple[Node, int]:
        if p >= len(s):
            raise Unsure
        ch = s[p]
        if ch in "[{":
            return self.flow(s, p, line)
        if ch in "'\"":
            value, q = _quoted(s, p)
            return _scalar(value, line, False), q
        if ch == "*":
            name, q = _name(s, p + 1, flow)
            if anchored or name not in self.anchors:
                raise Unsure  # PyYAML: an error, or an alias of a node still open
            return self.anchors[name], q
        if not _plain_start(s, p, flow):
            raise Unsure
        value, q = _plain(s, p, flow)
        return _scalar(value, line, True), q

    def flow(self, s: str, p: int, line: int) -> tuple[Node, int]:
        """A flow sequence or mapping closed on its line."""
        self._deeper()
        closer = "]" if s[p] == "[" else "}"
        items: list[object] = []
        p = _skip(s, p + 1)
        n = len(s)
        if p < n and s[p] == closer:
            p += 1
        else:
            while True:
                if closer == "]":
                    item, p = self.flow_node(s, p, line, False, True)
                    items.append(item)
                else:
                    if p >= n or s[p] in "[{*&!?:,]}":
                        raise Unsure
                    key, p = self.flow_node(s, p, line, False, True)
                    p = _skip(s, p)
                    if not s.startswith(": ", p):
                        raise Unsure
                    value, p = self.flow_node(s, _skip(s, p + 2), line, False, True)
                    items.append((key, value))
                p = _skip(s, p)
                if p < n and s[p] == ",":
                    p = _skip(s, p + 1)
                    if p < n and s[p] in "]}":
                        raise Unsure  # a trailing comma: leave it to PyYAML
                    continue
                if p < n and s[p] == closer:
                    p += 1
                    break
                raise Unsure
        self.depth -= 1
        if closer == "]":
            return Node("sequence", SEQ_TAG, items, line), p
        return Node("mapping", MAP_TAG, items, line), p


def _block_text(
    raw: list[str], i: int, min_indent: int, folded: bool, chomp: str
) -> tuple[str, int]:
    """A block scalar's value from line ``i`` on, and the line where its text ends.

    PyYAML's ``scan_block_scalar`` without an indentation digit, line by line: ``raw[-1]``
    is the text after the last line break (often ""), the only line without a break.
    """
    last = len(raw) - 1
    if i > last:  # the header ends the text
        return "", i
    breaks = 0
    max_indent = 0
    while True:  # scan_block_scalar_indentation: blank lines up to the first text
        line = raw[i]
        spaces = len(line) - len(line.lstrip(" "))
        max_indent = max(max_indent, spaces)
        if spaces < len(line) or i == last:
            break
        breaks += 1
        i += 1
    indent = max(min_indent, max_indent)
    col = spaces
    chunks: list[str] = []
    line_break = ""
    while col == indent and col < len(raw[i]):
        chunks.append("\n" * breaks)
        text = raw[i][indent:]
        leading_non_space = text[0] != " "
        chunks.append(text)
        if i == last:  # the text ends without a line break
            line_break = ""
            i += 1
            breaks = 0
            break
        line_break = "\n"
        i += 1
        breaks = 0
        while True:  # scan_block_scalar_breaks
            line = raw[i]
            col = min(indent, len(line) - len(line.lstrip(" ")))
            if col < len(line) or i == last:
                break
            breaks += 1
            i += 1
        if col == indent and col < len(raw[i]):
            if folded and leading_non_space and raw[i][indent] != " ":
                if not breaks:
                    chunks.append(" ")
            else:
                chunks.append(line_break)
    if chomp != "-":
        chunks.append(line_break)
    if chomp == "+":
        chunks.append("\n" * breaks)
    return "".join(chunks), i


def _lines(raw: list[str]) -> list[Line]:
    out: list[Line] = []
    for number, s in enumerate(raw):
        # Python's printable characters are a subset of YAML's; this refuses tabs, control
        # characters, a BOM and the line breaks PyYAML knows besides \n (NEL, U+2028/9).
        if not s.isprintable():
            raise Unsure
        body = s.lstrip(" ")
        if not body or body[0] == "#":
            continue
        if s.startswith(("---", "...", "%")):
            raise Unsure
        out.append((number, len(s) - len(body), s))
    return out


def compose(text: str) -> Node | None:
    """The root node of ``text`` as PyYAML's ``compose`` (SafeLoader) gives it; None if empty.

    Raises ``Unsure`` when the text uses YAML outside this reader's subset.
    """
    if "\r" in text:
        if text.count("\r") != text.count("\r\n"):
            raise Unsure
        text = text.replace("\r\n", "\n")
    raw = text.split("\n")
    return _Reader(_lines(raw), raw).document()
