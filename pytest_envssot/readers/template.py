"""Layer 1 reader: Vault Agent / consul-template templates (Go ``text/template``).

Two stages, both pure:

* :func:`parse_tree` is a port of Go's ``text/template/parse`` lexer and parser (same
  tokens, same trim-marker rules, same acceptance, checked differentially against Go
  in ``tests/test_template_vs_go.py``). It builds a small frozen tree meant for both
  this reader and a later evaluator. Function names are not checked: consul-template
  has many and Go's ``SkipFuncCheck`` mode does the same.
* :func:`parse_template` walks that tree in source order and records every rendered
  ``NAME=`` line as a :class:`~pytest_envssot.model.TemplateVar`.

Everything is linear in the input: the lexer is a single forward scan, the parser keeps
open blocks and parentheses on explicit stacks, and nesting is capped at
:data:`MAX_NESTING` so that walking the tree recursively is always safe.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, TypeAlias

from pytest_envssot.model import Location, ReaderError, SecretBlock, TemplateFile, TemplateVar
from pytest_envssot.readers._io import read_text

__all__ = [
    "MAX_NESTING",
    "Action",
    "Block",
    "Bool",
    "Break",
    "Chain",
    "Command",
    "Comment",
    "Continue",
    "Define",
    "Dot",
    "Field",
    "Identifier",
    "If",
    "Nil",
    "Node",
    "Number",
    "Operand",
    "Pipeline",
    "Range",
    "Span",
    "String",
    "TemplateCall",
    "TemplateSyntaxError",
    "Text",
    "Variable",
    "With",
    "parse_template",
    "parse_tree",
    "read_template",
    "vault_references",
]

# Blocks plus parentheses open at once. Real templates stay under 10; the cap keeps the
# tree shallow enough for recursive walkers (ours, the evaluator's, dataclass repr/eq).
MAX_NESTING = 100


class TemplateSyntaxError(Exception):
    """The template is not valid Go template syntax; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


# =========================================================================== tree


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node sits: ``pos``/``end`` are offsets into the source, ``line`` is pos's line."""

    pos: int
    line: int
    end: int


@dataclass(frozen=True, slots=True)
class Dot(Span):
    """``.``"""


@dataclass(frozen=True, slots=True)
class Nil(Span):
    """``nil``"""


@dataclass(frozen=True, slots=True)
class Bool(Span):
    value: bool


@dataclass(frozen=True, slots=True)
class Number(Span):
    """An integer, float, imaginary, complex or character constant (``'a'`` is 97)."""

    source: str
    value: int | float | complex


@dataclass(frozen=True, slots=True)
class String(Span):
    """A quoted or raw string; ``value`` has escapes decoded as Go's strconv.Unquote does."""

    source: str
    value: str


@dataclass(frozen=True, slots=True)
class Identifier(Span):
    """A function name such as ``printf``, ``env`` or ``secret``."""

    name: str


@dataclass(frozen=True, slots=True)
class Field(Span):
    """``.Data.data.KEY`` -> names ``("Data", "data", "KEY")``."""

    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Variable(Span):
    """``$x`` or ``$x.A.B`` (name ``"$x"``, fields ``("A", "B")``); ``$`` is the root."""

    name: str
    fields: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Chain(Span):
    """Fields read off another term: ``(secret "p").Data.data.KEY``."""

    node: Operand
    fields: tuple[str, ...]
    fields_line: int  # line of the first ``.field`` (Go reports the chain there)


@dataclass(frozen=True, slots=True)
class Command(Span):
    """One stage of a pipeline: a function or value followed by its arguments."""

    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Pipeline(Span):
    """``$x := a b | c d``; when ``parenthesized``, pos/end include the parentheses."""

    decl: tuple[Variable, ...]
    is_assign: bool  # ``$x = ...`` rather than ``$x := ...``
    commands: tuple[Command, ...]
    parenthesized: bool = False


Operand: TypeAlias = (
    Dot | Nil | Bool | Number | String | Identifier | Field | Variable | Chain | Pipeline
)


@dataclass(frozen=True, slots=True)
class Text(Span):
    """Literal output, already trimmed by any adjacent ``{{-`` / ``-}}``."""

    text: str


@dataclass(frozen=True, slots=True)
class Comment(Span):
    text: str  # ``/* ... */`` as written


@dataclass(frozen=True, slots=True)
class Action(Span):
    """``{{ pipeline }}``: prints its value unless the pipeline declares variables."""

    pipe: Pipeline


@dataclass(frozen=True, slots=True)
class _Branch(Span):
    pipe: Pipeline
    body: tuple[Node, ...]
    else_body: tuple[Node, ...] | None  # ``{{ else if }}`` is an else_body of one If


@dataclass(frozen=True, slots=True)
class If(_Branch):
    """``{{ if p }}body{{ else }}else_body{{ end }}``"""


@dataclass(frozen=True, slots=True)
class With(_Branch):
    """``{{ with p }}``: body runs with dot set to p when p is non-empty."""


@dataclass(frozen=True, slots=True)
class Range(_Branch):
    """``{{ range p }}``: body once per element; else_body when p is empty."""


@dataclass(frozen=True, slots=True)
class Break(Span):
    pass


@dataclass(frozen=True, slots=True)
class Continue(Span):
    pass


@dataclass(frozen=True, slots=True)
class TemplateCall(Span):
    """``{{ template "name" p }}``"""

    name: str
    pipe: Pipeline | None


@dataclass(frozen=True, slots=True)
class Define(Span):
    """``{{ define "name" }}body{{ end }}``: renders nothing where it stands."""

    name: str
    body: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Block(Span):
    """``{{ block "name" p }}body{{ end }}``: a define plus ``{{ template "name" p }}``."""

    name: str
    pipe: Pipeline
    body: tuple[Node, ...]


Node: TypeAlias = (
    Text | Comment | Action | If | With | Range | Break | Continue | TemplateCall | Define | Block
)


# =========================================================================== lexer

_SPACE = " \t\r\n"
_KEYWORDS = frozenset(
    ("block", "break", "continue", "define", "else", "end", "if", "range", "template", "with")
)
# Token kinds that can start an operand (Go's term()).
_TERM_KINDS = frozenset(
    ("bool", "charconst", "complex", "dot", "field", "ident", "number", "nil", "string", "var")
)
_WORD = re.compile(r"\w*")
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\[^\n])*"')  # one way to match each char: no backtracking
_CHARCONST = re.compile(r"'(?:[^'\\\n]|\\[^\n])*'")


class _Tok(NamedTuple):
    kind: str  # see _lex_action; keywords use their own word as kind
    pos: int
    end: int
    val: str


class _Lines:
    """Offset -> 1-based line, by binary search over the newline offsets."""

    def __init__(self, src: str) -> None:
        self._newlines = [m.start() for m in re.finditer("\n", src)]

    def of(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1


def _is_alnum(ch: str) -> bool:
    return ch == "_" or ch.isalpha() or ch.isdecimal()


def _alnum_end(src: str, i: int) -> int:
    """End of the run of Go identifier characters starting at i."""
    m = _WORD.match(src, i)
    j = m.end() if m else i
    if not src[i:j].isascii():  # \w is wider than Go's letters+digits
        for k in range(i, j):
            if not _is_alnum(src[k]):
                return k
    return j


def _at_terminator(src: str, i: int) -> bool:
    return i >= len(src) or src[i] in " \t\r\n.,|:)(" or src.startswith("}}", i)


def _right_delim(src: str, i: int) -> tuple[int, bool]:
    """Length of a right delimiter at i (0 if none) and whether it carries a trim marker."""
    if i + 1 < len(src) and src[i] in _SPACE and src.startswith("-}}", i + 1):
        return 4, True
    return (2, False) if src.startswith("}}", i) else (0, False)


def _skip_space(src: str, i: int) -> int:
    n = len(src)
    while i < n and src[i] in _SPACE:
        i += 1
    return i


def _lex(src: str, lines: _Lines) -> Iterator[_Tok]:
    """Go's lexer: text, comments and actions; lazily, so errors surface in source order."""
    pos, n = 0, len(src)
    while True:
        x = src.find("{{", pos)
        if x < 0:
            if pos < n:
                yield _Tok("text", pos, n, src[pos:])
            yield _Tok("eof", n, n, "")
            return
        inner = x + 2
        trim = inner + 1 < n and src[inner] == "-" and src[inner + 1] in _SPACE
        text_end = pos + len(src[pos:x].rstrip(_SPACE)) if trim else x
        if text_end > pos:
            yield _Tok("text", pos, text_end, src[pos:text_end])
        if trim:
            inner += 2
        if src.startswith("/*", inner):
            pos = yield from _lex_comment(src, x, inner, lines)
        else:
            yield _Tok("ldelim", x, inner, "{{")
            pos = yield from _lex_action(src, x, inner, lines)


def _lex_comment(src: str, opened: int, start: int, lines: _Lines) -> Generator[_Tok, None, int]:
    close = src.find("*/", start + 2)
    if close < 0:
        raise TemplateSyntaxError(lines.of(opened), "unclosed comment: missing */}}")
    after = close + 2
    length, trim = _right_delim(src, after)
    if not length:
        raise TemplateSyntaxError(lines.of(close), "comment ends before closing delimiter }}")
    end = after + length
    yield _Tok("comment", opened, end, src[start:after])
    return _skip_space(src, end) if trim else end


def _lex_action(src: str, opened: int, i: int, lines: _Lines) -> Generator[_Tok, None, int]:
    """Tokens between ``{{`` and ``}}``; returns the offset where text resumes."""
    depth = 0
    while True:
        length, trim = _right_delim(src, i)
        if length:
            if depth:
                raise TemplateSyntaxError(lines.of(i), "unclosed left paren")
            yield _Tok("rdelim", i, i + length, "}}")
            return _skip_space(src, i + length) if trim else i + length
        if i >= len(src):
            raise TemplateSyntaxError(lines.of(opened), "unclosed action: missing }}")
        tok = _lex_token(src, i, lines)
        if tok.kind == "(":
            depth += 1
        elif tok.kind == ")":
            depth -= 1
            if depth < 0:
                raise TemplateSyntaxError(lines.of(i), "unexpected right paren")
        if tok.end > tok.pos:  # a space run before " -}}" can be empty
            yield tok
        i = tok.end


_SINGLE = {"=": "assign", "|": "pipe", "(": "(", ")": ")"}


def _lex_token(src: str, i: int, lines: _Lines) -> _Tok:
    ch = src[i]
    if ch in _SPACE:
        j = _skip_space(src, i)
        if src.startswith("-}}", j):
            j -= 1  # leave " -}}" whole for the delimiter check
        return _Tok("space", i, j, src[i:j])
    if ch in _SINGLE:
        return _Tok(_SINGLE[ch], i, i + 1, ch)
    if ch == ":":
        if not src.startswith("=", i + 1):
            raise TemplateSyntaxError(lines.of(i), "expected :=")
        return _Tok("declare", i, i + 2, ":=")
    if ch == '"':
        return _lex_quoted(src, i, _QUOTED, "string", "unterminated quoted string", lines)
    if ch == "'":
        return _lex_quoted(
            src, i, _CHARCONST, "charconst", "unterminated character constant", lines
        )
    if ch == "`":
        close = src.find("`", i + 1)
        if close < 0:
            raise TemplateSyntaxError(lines.of(i), "unterminated raw quoted string")
        return _Tok("string", i, close + 1, src[i : close + 1])
    if ch == "$":
        return _lex_word(src, i, "var", lines)
    if ch == "." and not (i + 1 < len(src) and "0" <= src[i + 1] <= "9"):
        return _lex_word(src, i, "field", lines)
    if ch in "+-." or "0" <= ch <= "9":
        return _lex_number(src, i, lines)
    if _is_alnum(ch):
        return _lex_identifier(src, i, lines)
    if " " < ch <= "~":
        return _Tok("char", i, i + 1, ch)  # other ASCII punctuation; the parser rejects it
    raise TemplateSyntaxError(lines.of(i), f"unrecognized character in action: {ch!r}")


def _lex_quoted(
    src: str, i: int, pattern: re.Pattern[str], kind: str, message: str, lines: _Lines
) -> _Tok:
    m = pattern.match(src, i)
    if not m:
        raise TemplateSyntaxError(lines.of(i), message)
    return _Tok(kind, i, m.end(), m.group())


def _lex_word(src: str, i: int, kind: str, lines: _Lines) -> _Tok:
    """``$name`` / ``.name``; a lone ``$`` or ``.`` when a terminator follows."""
    if _at_terminator(src, i + 1):
        return _Tok(kind if kind == "var" else "dot", i, i + 1, src[i])
    j = _alnum_end(src, i + 1)
    if not _at_terminator(src, j):
        raise TemplateSyntaxError(lines.of(i), f"bad character {src[j]!r} after {src[i:j]!r}")
    return _Tok(kind, i, j, src[i:j])


def _lex_identifier(src: str, i: int, lines: _Lines) -> _Tok:
    j = _alnum_end(src, i)
    if not _at_terminator(src, j):
        raise TemplateSyntaxError(lines.of(i), f"bad character {src[j]!r} after {src[i:j]!r}")
    word = src[i:j]
    if word in _KEYWORDS or word == "nil":
        kind = word
    elif word in ("true", "false"):
        kind = "bool"
    else:
        kind = "ident"
    return _Tok(kind, i, j, word)


def _scan_number(src: str, i: int) -> tuple[int, bool]:
    """Go's scanNumber: the end of a number-looking run and whether it is well formed."""
    n = len(src)

    def accept(i: int, chars: str) -> int:
        return i + 1 if i < n and src[i] in chars else i

    def run(i: int, chars: str) -> int:
        while i < n and src[i] in chars:
            i += 1
        return i

    i = accept(i, "+-")
    digits = "0123456789_"
    if i < n and src[i] == "0":
        i += 1
        prefixes = {"x": "0123456789abcdefABCDEF_", "o": "01234567_", "b": "01_"}
        if i < n and src[i].lower() in prefixes:
            digits = prefixes[src[i].lower()]
            i += 1
    i = run(i, digits)
    if i < n and src[i] == ".":
        i = run(i + 1, digits)
    exponent = {"0123456789_": "eE", "0123456789abcdefABCDEF_": "pP"}.get(digits)
    if exponent and i < n and src[i] in exponent:
        i = run(accept(i + 1, "+-"), "0123456789_")
    i = accept(i, "i")
    if i < n and _is_alnum(src[i]):
        return i + 1, False
    return i, True


def _lex_number(src: str, i: int, lines: _Lines) -> _Tok:
    end, ok = _scan_number(src, i)
    kind = "number"
    if ok and end < len(src) and src[end] in "+-":  # complex: 1+2i, no spaces
        end, ok = _scan_number(src, end)
        ok = ok and src[end - 1] == "i"
        kind = "complex"
    if not ok:
        raise TemplateSyntaxError(lines.of(i), f"bad number syntax: {src[i:end]!r}")
    return _Tok(kind, i, end, src[i:end])


# =========================================================================== literals

_ESCAPE = re.compile(
    r"\\(?:([abfnrtv\\'\"])|([0-7]{3})|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))"
)
_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}


def _decode_escape(m: re.Match[str], quote: str) -> bytes:
    """One Go escape as the bytes it stands for; ValueError when Go rejects it."""
    simple, octal, hex2, u4, u8 = m.groups()
    if simple is not None:
        if simple in "'\"" and simple != quote:
            raise ValueError(f"\\{simple} is not allowed inside {quote}...{quote}")
        return bytes([_SIMPLE_ESCAPES.get(simple, ord(simple))])
    if octal is not None or hex2 is not None:
        value = int(octal, 8) if octal is not None else int(hex2, 16)
        if value > 255:
            raise ValueError("octal escape value > 255")
        return bytes([value])
    code = int(u4 if u4 is not None else u8, 16)
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise ValueError(f"invalid Unicode code point U+{code:X}")
    return chr(code).encode()


def _unquote_parts(body: str, quote: str) -> bytes:
    out = bytearray()
    i = 0
    while True:
        j = body.find("\\", i)
        if j < 0:
            out += body[i:].encode("utf-8", "surrogateescape")
            return bytes(out)
        out += body[i:j].encode("utf-8", "surrogateescape")
        m = _ESCAPE.match(body, j)
        if not m:
            raise ValueError(f"invalid escape {body[j : j + 2]!r}")
        out += _decode_escape(m, quote)
        i = m.end()


def _unquote(source: str) -> str:
    """strconv.Unquote for "..." and `...` literals."""
    if source.startswith("`"):
        return source[1:-1].replace("\r", "")  # Go drops CRs from raw strings
    return _unquote_parts(source[1:-1], '"').decode("utf-8", "surrogateescape")


def _char_value(source: str) -> int:
    """strconv.UnquoteChar for 'x' constants: exactly one character or escape."""
    body = source[1:-1]
    if body.startswith("\\"):
        m = _ESCAPE.match(body)
        if not m or m.end() != len(body):
            raise ValueError(f"malformed character constant: {source}")
        raw = _decode_escape(m, "'")
        return raw[0] if m.group(2) or m.group(3) else ord(raw.decode())
    if len(body) != 1:
        raise ValueError(f"malformed character constant: {source}")
    return ord(body)


_OCTAL = re.compile(r"[+-]?0(?:_?[0-7])+")  # Go's legacy octal; the 0 counts as a prefix
_HEX_UNDERSCORE_BAD = re.compile(r"__|_$|_[.pP]|[.pP+-]_")
_INT64 = range(-(2**63), 2**64)  # Go accepts anything int64 or uint64 holds


def _go_float(source: str) -> float:
    """strconv.ParseFloat: decimal, or hexadecimal with a p exponent."""
    body = source.lstrip("+-")
    if body[:2].lower() in ("0b", "0o"):
        raise ValueError(f"illegal number syntax: {source!r}")
    if body[:2].lower() == "0x":
        if "p" not in body.lower() or _HEX_UNDERSCORE_BAD.search(body):
            raise ValueError(f"illegal number syntax: {source!r}")
        value = float.fromhex(body.replace("_", ""))
    else:
        value = float(body)  # Python's underscore rules match Go's for decimals
    if value == float("inf"):
        raise ValueError(f"number out of range: {source!r}")
    return -value if source.startswith("-") else value


def _go_complex(source: str) -> complex:
    """``1+2i``: a real and an imaginary part, both well formed."""
    splits = [k for k in range(1, len(source)) if source[k] in "+-" and source[k - 1] not in "eEpP"]
    k = splits[-1] if splits else 0  # no split: the empty real part fails below
    return complex(_go_float(source[:k]), _go_float(source[k:-1]))


def _go_int(source: str) -> int | None:
    if _OCTAL.fullmatch(source):
        return int(source.replace("_", ""), 8)
    try:
        return int(source, 0)
    except ValueError:
        return None


def _number_value(source: str, kind: str) -> int | float | complex:
    """Go's newNumber, closely enough for every literal a template would contain."""
    if kind == "charconst":
        return _char_value(source)
    if kind == "complex":
        return _go_complex(source)
    if source.endswith("i"):
        return complex(0, _go_float(source[:-1]))
    value = _go_int(source)
    if value is not None:
        if value not in _INT64:
            raise ValueError(f"integer overflow: {source!r}")
        return value
    if not any(c in source for c in ".eEpP"):
        raise ValueError(f"illegal number syntax: {source!r}")
    return _go_float(source)


# =========================================================================== parser


class _Stream:
    """Tokens with Go's peek/backup, over the lazy lexer."""

    def __init__(self, tokens: Iterator[_Tok]) -> None:
        self._tokens = tokens
        self._back: list[_Tok] = []  # pushed-back tokens, next one last
        self._eof: _Tok | None = None

    def next(self) -> _Tok:
        if self._back:
            return self._back.pop()
        if self._eof is None:
            tok = next(self._tokens)
            if tok.kind == "eof":
                self._eof = tok
            return tok
        return self._eof

    def backup(self, tok: _Tok) -> None:
        self._back.append(tok)

    def peek(self) -> _Tok:
        tok = self.next()
        self.backup(tok)
        return tok

    def next_non_space(self) -> _Tok:
        tok = self.next()
        while tok.kind == "space":
            tok = self.next()
        return tok

    def peek_non_space(self) -> _Tok:
        tok = self.next_non_space()
        self.backup(tok)
        return tok


@dataclass
class _Open:
    """A block whose ``{{ end }}`` has not been seen yet."""

    kind: str  # root | if | with | range | define | block
    ldelim: _Tok
    pipe: Pipeline | None = None
    name: str = ""
    body: list[Node] = field(default_factory=list)
    else_body: list[Node] | None = None
    implicit: bool = False  # opened by {{ else if }}: closed by its parent's {{ end }}
    vars_mark: int = 0
    saved: tuple[list[str], dict[str, int], int] | None = None  # define/block: outer scope

    @property
    def items(self) -> list[Node]:
        return self.body if self.else_body is None else self.else_body


@dataclass
class _PipeBuild:
    """A pipeline being parsed; one per open parenthesis."""

    context: str
    start: _Tok  # first token, or the "(" of a parenthesized pipeline
    decl: list[Variable] = field(default_factory=list)
    is_assign: bool = False
    commands: list[Command] = field(default_factory=list)
    args: list[Operand] = field(default_factory=list)  # the command being parsed


_DESCRIBE = {"rdelim": "}}", "eof": "end of file", "(": "(", ")": ")"}


class _Parser:
    def __init__(self, src: str) -> None:
        self._src = src
        self._lines = _Lines(src)
        self._ts = _Stream(_lex(src, self._lines))
        self._vars: list[str] = ["$"]  # declared variables in scope, in order (Go's t.vars)
        self._var_count: dict[str, int] = {"$": 1}  # the same as a multiset, for O(1) lookup
        self._range_depth = 0  # open range bodies: {{ break }} and {{ continue }} need one
        self._stack = [_Open("root", _Tok("ldelim", 0, 0, ""))]
        self._defined: dict[str, bool] = {}  # define/block name -> has a non-empty body

    # ------------------------------------------------------------------ helpers

    def _err(self, pos: int, message: str) -> TemplateSyntaxError:
        return TemplateSyntaxError(self._lines.of(pos), message)

    def _unexpected(self, tok: _Tok, context: str) -> TemplateSyntaxError:
        shown = _DESCRIBE.get(tok.kind, tok.val)
        return self._err(tok.pos, f"unexpected {shown!r} in {context}")

    def _expect_rdelim(self, context: str) -> _Tok:
        tok = self._ts.next_non_space()
        if tok.kind != "rdelim":
            raise self._unexpected(tok, context)
        return tok

    def _declare(self, name: str) -> None:
        self._vars.append(name)
        self._var_count[name] = self._var_count.get(name, 0) + 1

    def _pop_vars(self, mark: int) -> None:
        while len(self._vars) > mark:
            name = self._vars.pop()
            self._var_count[name] -= 1

    def _nesting_check(self, pos: int, parens: int = 0) -> None:
        if len(self._stack) + parens > MAX_NESTING:
            raise self._err(pos, f"nesting deeper than {MAX_NESTING}")

    # ------------------------------------------------------------------ top level

    def parse(self) -> list[Node]:
        while True:
            tok = self._ts.next()
            if tok.kind == "eof":
                return self._finish()
            if tok.kind == "text":
                self._append(Text(tok.pos, self._lines.of(tok.pos), tok.end, tok.val))
            elif tok.kind == "comment":
                self._append(Comment(tok.pos, self._lines.of(tok.pos), tok.end, tok.val))
            else:  # ldelim: the lexer emits nothing else outside actions
                self._action(tok)

    def _finish(self) -> list[Node]:
        if len(self._stack) > 1:
            open_ = next(o for o in reversed(self._stack) if not o.implicit)
            raise self._err(
                open_.ldelim.pos, f"{{{{ {open_.kind} }}}} has no matching {{{{ end }}}}"
            )
        return self._stack[0].body

    def _append(self, node: Node) -> None:
        self._stack[-1].items.append(node)

    def _action(self, ldelim: _Tok) -> None:
        tok = self._ts.next_non_space()
        kind = tok.kind
        if kind == "define" and len(self._stack) == 1:
            self._open_named(ldelim, "define", "define clause")
        elif kind in ("if", "with", "range"):
            self._open_control(ldelim, kind)
        elif kind == "else":
            self._else(ldelim)
        elif kind == "end":
            self._close(ldelim, self._expect_rdelim("end"))
        elif kind in ("break", "continue"):
            self._loop_control(ldelim, kind)
        elif kind == "template":
            self._template(ldelim)
        elif kind == "block":
            self._open_named(ldelim, "block", "block clause")
        else:
            self._ts.backup(tok)
            pipe, rdelim = self._pipeline("command")
            self._append(Action(ldelim.pos, self._lines.of(ldelim.pos), rdelim.end, pipe))

    def _loop_control(self, ldelim: _Tok, kind: str) -> None:
        rdelim = self._expect_rdelim(f"{{{{ {kind} }}}}")
        if not self._range_depth:
            raise self._err(ldelim.pos, f"{{{{ {kind} }}}} outside {{{{ range }}}}")
        node_type = Break if kind == "break" else Continue
        self._append(node_type(ldelim.pos, self._lines.of(ldelim.pos), rdelim.end))

    def _template_name(self, context: str) -> str:
        tok = self._ts.next_non_space()
        if tok.kind != "string":
            raise self._unexpected(tok, context)
        return self._string(tok).value

    def _template(self, ldelim: _Tok) -> None:
        name = self._template_name("template clause")
        pipe: Pipeline | None = None
        rdelim = self._ts.next_non_space()
        if rdelim.kind != "rdelim":
            self._ts.backup(rdelim)
            pipe, rdelim = self._pipeline("template clause")
        line = self._lines.of(ldelim.pos)
        self._append(TemplateCall(ldelim.pos, line, rdelim.end, name, pipe))

    # ------------------------------------------------------------------ blocks

    def _open_control(self, ldelim: _Tok, kind: str, implicit: bool = False) -> None:
        self._nesting_check(ldelim.pos)
        mark = len(self._vars)  # the pipeline's own variables end with the block
        pipe, _ = self._pipeline(kind)
        if kind == "range":
            self._range_depth += 1
        self._stack.append(_Open(kind, ldelim, pipe, implicit=implicit, vars_mark=mark))

    def _open_named(self, ldelim: _Tok, kind: str, context: str) -> None:
        """define/block: a separate Go tree, so variables and range depth start afresh."""
        self._nesting_check(ldelim.pos)
        name = self._template_name(context)
        pipe = None
        if kind == "block":
            pipe, _ = self._pipeline(context)
        else:
            self._expect_rdelim(context)
        saved = (self._vars, self._var_count, self._range_depth)
        self._vars, self._var_count, self._range_depth = ["$"], {"$": 1}, 0
        self._stack.append(_Open(kind, ldelim, pipe, name=name, saved=saved))

    def _else(self, ldelim: _Tok) -> None:
        open_ = self._stack[-1]
        chained = self._ts.peek_non_space()
        # {{ else if }} (Go) and {{ else with }} (Go 1.23+) continue the same chain
        chain = chained.kind in ("if", "with") and chained.kind == open_.kind
        if chain:
            self._ts.next_non_space()
        else:
            self._expect_rdelim("else")
        if open_.kind not in ("if", "with", "range") or open_.else_body is not None:
            raise self._err(ldelim.pos, "unexpected {{ else }}")
        open_.else_body = []
        if open_.kind == "range":
            self._range_depth -= 1
        if chain:
            self._open_control(ldelim, chained.kind, implicit=True)

    def _close(self, ldelim: _Tok, rdelim: _Tok) -> None:
        if len(self._stack) == 1:
            raise self._err(ldelim.pos, "unexpected {{ end }}: no block is open")
        while True:
            open_ = self._stack.pop()
            self._append(self._build(open_, rdelim.end))
            if not open_.implicit:
                return

    def _build(self, open_: _Open, end: int) -> Node:
        pos, line = open_.ldelim.pos, self._lines.of(open_.ldelim.pos)
        body = tuple(open_.body)
        if open_.saved is not None:  # define / block
            self._vars, self._var_count, self._range_depth = open_.saved
            self._register(open_, body)
            if open_.kind == "define":
                return Define(pos, line, end, open_.name, body)
            assert open_.pipe is not None
            return Block(pos, line, end, open_.name, open_.pipe, body)
        if open_.kind == "range" and open_.else_body is None:
            self._range_depth -= 1
        self._pop_vars(open_.vars_mark)
        else_body = None if open_.else_body is None else tuple(open_.else_body)
        assert open_.pipe is not None
        if open_.kind == "if":
            return If(pos, line, end, open_.pipe, body, else_body)
        if open_.kind == "with":
            return With(pos, line, end, open_.pipe, body, else_body)
        return Range(pos, line, end, open_.pipe, body, else_body)

    def _register(self, open_: _Open, body: tuple[Node, ...]) -> None:
        """Go's Tree.add: a name may be defined twice only if one definition is empty."""
        empty = all(
            isinstance(n, Comment) or (isinstance(n, Text) and not n.text.strip()) for n in body
        )
        if not empty and self._defined.get(open_.name):
            raise self._err(open_.ldelim.pos, f"template {open_.name!r} is defined twice")
        self._defined[open_.name] = self._defined.get(open_.name, False) or not empty

    # ------------------------------------------------------------------ pipelines

    def _pipeline(self, context: str) -> tuple[Pipeline, _Tok]:
        """Parse up to and including ``}}``; parentheses use an explicit stack, not recursion."""
        stack = [self._start_pipe(context, self._ts.peek_non_space())]
        while True:
            top = stack[-1]
            tok = self._ts.next_non_space()
            if tok.kind == "(":
                self._nesting_check(tok.pos, len(stack))
                stack.append(self._start_pipe("parenthesized pipeline", tok))
            elif tok.kind in _TERM_KINDS:
                self._operand(top, self._term(tok))
            elif tok.kind == ("rdelim" if len(stack) == 1 else ")"):
                pipe = self._end_pipe(stack.pop(), tok)
                if not stack:
                    return pipe, tok
                self._operand(stack[-1], pipe)
            elif tok.kind == "pipe" and top.args:
                self._end_command(top)
            else:
                raise self._unexpected(tok, top.context)

    def _start_pipe(self, context: str, start: _Tok) -> _PipeBuild:
        build = _PipeBuild(context, start)
        self._declarations(build)
        return build

    def _declarations(self, build: _PipeBuild) -> None:
        """``$x :=``, ``$x =`` or, in range, ``$i, $v :=`` (Go needs 3-token look-ahead here)."""
        ts = self._ts
        while ts.peek_non_space().kind == "var":
            var = ts.next_non_space()
            after = ts.peek()
            nxt = ts.peek_non_space()
            if nxt.kind in ("assign", "declare"):
                ts.next_non_space()
                build.is_assign = nxt.kind == "assign"
                self._add_decl(build, var)
                return
            if nxt.kind == "char" and nxt.val == ",":
                ts.next_non_space()
                self._add_decl(build, var)
                if build.context == "range" and len(build.decl) < 2:
                    if ts.peek_non_space().kind in ("var", "rdelim", ")"):
                        continue
                    raise self._err(nxt.pos, "range can only initialize variables")
                raise self._err(nxt.pos, f"too many declarations in {build.context}")
            if after.kind == "space":
                ts.backup(after)
            ts.backup(var)
            return

    def _add_decl(self, build: _PipeBuild, var: _Tok) -> None:
        build.decl.append(Variable(var.pos, self._lines.of(var.pos), var.end, var.val, ()))
        self._declare(var.val)

    def _operand(self, build: _PipeBuild, term: Operand) -> None:
        """Attach ``.field`` chains, then require a separator (Go's command loop)."""
        build.args.append(self._chain(term))
        tok = self._ts.next()
        if tok.kind in ("rdelim", ")"):
            self._ts.backup(tok)
        elif tok.kind == "pipe":
            self._end_command(build)
        elif tok.kind != "space":
            raise self._unexpected(tok, "operand")

    def _chain(self, term: Operand) -> Operand:
        if self._ts.peek().kind != "field":
            return term
        fields: list[_Tok] = []
        while self._ts.peek().kind == "field":
            fields.append(self._ts.next())
        names = tuple(f.val[1:] for f in fields)
        end = fields[-1].end
        if isinstance(term, Field):
            return Field(term.pos, term.line, end, term.names + names)
        if isinstance(term, Variable):
            return Variable(term.pos, term.line, end, term.name, term.fields + names)
        if isinstance(term, (Bool, String, Number, Nil, Dot)):
            raise self._err(
                fields[0].pos, f"unexpected . after term {self._src[term.pos : term.end]!r}"
            )
        return Chain(term.pos, term.line, end, term, names, self._lines.of(fields[0].pos))

    def _end_command(self, build: _PipeBuild) -> None:
        args = tuple(build.args)
        line = self._lines.of(args[0].pos)
        build.commands.append(Command(args[0].pos, line, args[-1].end, args))
        build.args = []

    def _end_pipe(self, build: _PipeBuild, end_tok: _Tok) -> Pipeline:
        if build.args:
            self._end_command(build)
        if not build.commands:
            raise self._err(end_tok.pos, f"missing value for {build.context}")
        for stage, cmd in enumerate(build.commands[1:], start=2):
            if isinstance(cmd.args[0], (Bool, Dot, Nil, Number, String)):
                raise self._err(cmd.pos, f"non executable command in pipeline stage {stage}")
        paren = build.context == "parenthesized pipeline"
        pos = build.start.pos if paren else build.commands[0].pos
        if build.decl and not paren:
            pos = build.decl[0].pos
        end = end_tok.end if paren else build.commands[-1].end
        line = self._lines.of(pos)
        decl = tuple(build.decl)
        return Pipeline(pos, line, end, decl, build.is_assign, tuple(build.commands), paren)

    def _term(self, tok: _Tok) -> Operand:
        pos, line, end = tok.pos, self._lines.of(tok.pos), tok.end
        kind = tok.kind
        if kind == "ident":
            return Identifier(pos, line, end, tok.val)
        if kind == "dot":
            return Dot(pos, line, end)
        if kind == "nil":
            return Nil(pos, line, end)
        if kind == "bool":
            return Bool(pos, line, end, tok.val == "true")
        if kind == "field":
            return Field(pos, line, end, (tok.val[1:],))
        if kind == "var":
            if not self._var_count.get(tok.val):
                raise self._err(pos, f"undefined variable {tok.val!r}")
            return Variable(pos, line, end, tok.val, ())
        if kind == "string":
            return self._string(tok)
        try:
            return Number(pos, line, end, tok.val, _number_value(tok.val, kind))
        except (ValueError, OverflowError) as exc:
            raise self._err(pos, str(exc) or f"illegal number syntax: {tok.val!r}") from None

    def _string(self, tok: _Tok) -> String:
        try:
            value = _unquote(tok.val)
        except ValueError as exc:
            raise self._err(tok.pos, f"invalid string {tok.val!r}: {exc}") from None
        return String(tok.pos, self._lines.of(tok.pos), tok.end, tok.val, value)


def parse_tree(text: str, rel: str = "") -> list[Node]:
    """Parse a Go template into nodes; raises :class:`TemplateSyntaxError`.

    ``Define`` nodes stay where they were written (Go files them away; render nothing for
    them). ``rel`` is accepted for symmetry with the readers and for future messages.
    """
    del rel  # errors carry only the line; the reader adds the path
    return _Parser(text).parse()


# =========================================================================== queries


def _vault_key(names: tuple[str, ...]) -> str | None:
    """``Data.data.KEY...`` -> KEY (KV v2 layout)."""
    return names[2] if len(names) >= 3 and names[0] == "Data" and names[1] == "data" else None


def _fields_of(arg: Operand) -> tuple[str, ...] | None:
    if isinstance(arg, Field):
        return arg.names
    if isinstance(arg, (Variable, Chain)):
        return arg.fields
    return None


def _index_key(cmd: Command) -> String | None:
    """``index .Data.data "KEY"`` -> the "KEY" literal."""
    args = cmd.args
    if len(args) < 3 or not isinstance(args[0], Identifier) or args[0].name != "index":
        return None
    if _fields_of(args[1]) == ("Data", "data") and isinstance(args[2], String):
        return args[2]
    return None


def _operand_refs(arg: Operand, out: list[tuple[str, int]]) -> None:
    key = None
    fields = _fields_of(arg)
    if fields is not None:
        key = _vault_key(fields)
    if key is not None:
        out.append((key, arg.fields_line if isinstance(arg, Chain) else arg.line))
    if isinstance(arg, Chain):
        _operand_refs(arg.node, out)
    elif isinstance(arg, Pipeline):
        _pipeline_refs(arg, out)


def _pipeline_refs(pipe: Pipeline, out: list[tuple[str, int]]) -> None:
    for cmd in pipe.commands:
        literal = _index_key(cmd)
        if literal is not None:
            out.append((literal.value, literal.line))
        for arg in cmd.args:
            _operand_refs(arg, out)


def _collect_refs(nodes: Sequence[Node], out: list[tuple[str, int]]) -> None:
    for node in nodes:
        pipe = (
            node.pipe if isinstance(node, (Action, If, With, Range, Block, TemplateCall)) else None
        )
        if pipe is not None:
            _pipeline_refs(pipe, out)
        if isinstance(node, (If, With, Range, Define, Block)):
            _collect_refs(node.body, out)
        if isinstance(node, (If, With, Range)) and node.else_body:
            _collect_refs(node.else_body, out)


def vault_references(nodes: Sequence[Node]) -> list[tuple[str, int]]:
    """Every Vault key the template reads, syntactically, with the line of the reference.

    ``.Data.data.KEY`` (also on ``$var`` and ``(...)``) and ``index .Data.data "KEY"``,
    in source order. The differential test compares this with Go's own parse tree.
    """
    out: list[tuple[str, int]] = []
    _collect_refs(nodes, out)
    return out


# =========================================================================== reader

_KEY_LINE = re.compile(r"[ \t]*(?:(export)[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=")
_NOT_KEY_CHAR = re.compile(r"[^A-Za-z0-9_ \t]")
_MAX_PREFIX = 256  # longer than any `export NAME=`; bounds the work on one line


@dataclass
class _Draft:
    """A TemplateVar under construction; its line may continue through several nodes."""

    name: str
    line: int
    exported: bool
    block: SecretBlock | None
    conditional: bool
    value_start: int
    value_end: int
    keys: list[str] = field(default_factory=list)
    env: list[str] = field(default_factory=list)
    outputs: list[tuple[bool, bool]] = field(default_factory=list)  # (reads Vault, via %q)
    fallback: str | None = None


class _LineState(NamedTuple):
    """The output line being rendered: a var once ``NAME=`` is seen, else undecided text."""

    draft: _Draft | None = None
    decided: bool = False  # NAME= found (draft) or ruled out
    prefix: str = ""  # literal text since the line began, while undecided
    pieces: tuple[tuple[int, int], ...] = ()  # (offset in prefix, source offset) per chunk


class _Ctx(NamedTuple):
    dot: tuple[str, ...]  # Vault keys the current dot derives from
    block: SecretBlock | None
    conditional: bool


class _Reads(NamedTuple):
    keys: list[str]
    env: list[str]


class _Walker:
    """Finds rendered ``NAME=`` lines by walking the tree in source order.

    Each branch of an if/with/range renders from the same point of the line, so the line
    state is restored at ``{{ else }}``. Dot and ``$variables`` are tracked as the Vault
    keys they derive from, so ``{{ with .Data.data.K }}{{ . }}`` reads K.
    """

    def __init__(self, src: str, rel: str) -> None:
        self._src = src
        self._rel = rel
        self._lines = _Lines(src)
        self._state = _LineState()
        self._drafts: list[_Draft] = []
        self._blocks: list[SecretBlock] = []
        self._bindings: dict[str, list[tuple[str, ...]]] = {}
        self._bound: list[str] = []

    def run(self, nodes: Sequence[Node]) -> TemplateFile:
        self._walk(nodes, _Ctx((), None, False))
        self._line_end(len(self._src))
        return TemplateFile(
            path=self._rel,
            blocks=tuple(self._blocks),
            vars=tuple(self._finish(d) for d in self._drafts),
        )

    # ------------------------------------------------------------------ nodes

    def _walk(self, nodes: Sequence[Node], ctx: _Ctx) -> None:
        for node in nodes:
            if isinstance(node, Text):
                self._text(node, ctx)
            elif isinstance(node, Action):
                self._action(node, ctx)
            elif isinstance(node, (If, With, Range)):
                self._branch(node, ctx)
            elif isinstance(node, TemplateCall):
                reads = self._read(node.pipe, ctx) if node.pipe else _Reads([], [])
                self._output(bool(reads.keys), quoted=False, end=node.end)
            elif isinstance(node, Define):
                self._define(node)
            elif isinstance(node, Block):
                self._block(node, ctx)
            # Comment, Break, Continue render nothing

    def _action(self, node: Action, ctx: _Ctx) -> None:
        reads = self._read(node.pipe, ctx)
        if node.pipe.decl:  # {{ $x := ... }} prints nothing
            self._bind(node.pipe.decl, tuple(reads.keys))
            self._touch(node.end)
        else:
            self._output(bool(reads.keys), _is_quoted(node.pipe), node.end)

    def _branch(self, node: If | With | Range, ctx: _Ctx) -> None:
        reads = self._read(node.pipe, ctx)
        draft = self._state.draft
        if draft is not None and node.else_body is not None and draft.fallback is None:
            draft.fallback = self._source_of(node.else_body)
        mark = len(self._bound)
        keys = tuple(reads.keys)
        self._bind(node.pipe.decl, keys)
        body_ctx, else_ctx = self._branch_contexts(node, ctx, keys)
        snapshot = self._state
        self._walk(node.body, body_ctx)
        if node.else_body is not None:
            self._state = snapshot
            self._walk(node.else_body, else_ctx)
        self._unbind(mark)
        if self._state.draft is not None and self._state.draft is snapshot.draft:
            self._touch(node.end)  # the {{ end }} closes a block inside this var's value

    def _branch_contexts(
        self, node: If | With | Range, ctx: _Ctx, keys: tuple[str, ...]
    ) -> tuple[_Ctx, _Ctx]:
        """Contexts of the body and the else branch; only a secret's body is unconditional."""
        else_ctx = ctx._replace(conditional=True)
        if isinstance(node, If):
            return else_ctx, else_ctx
        if isinstance(node, With):
            block = self._secret_block(node)
            if block is not None:
                self._blocks.append(block)
                return _Ctx((), block, ctx.conditional), else_ctx
        return _Ctx(keys, ctx.block, True), else_ctx

    def _define(self, node: Define) -> None:
        """A define renders only where it is invoked: its own lines, all conditional."""
        saved, mark = self._state, len(self._bound)
        self._state = _LineState()
        self._walk(node.body, _Ctx((), None, True))
        self._line_end(node.body[-1].end if node.body else node.end)
        self._state = saved
        self._unbind(mark)

    def _block(self, node: Block, ctx: _Ctx) -> None:
        reads = self._read(node.pipe, ctx)
        mark, draft = len(self._bound), self._state.draft
        self._walk(node.body, ctx._replace(dot=tuple(reads.keys)))
        self._unbind(mark)
        if draft is not None and self._state.draft is draft:
            self._touch(node.end)

    # ------------------------------------------------------------------ text and lines

    def _text(self, node: Text, ctx: _Ctx) -> None:
        text, start = node.text, 0
        while True:
            nl = text.find("\n", start)
            stop = len(text) if nl < 0 else nl
            if stop > start:
                self._chunk(text[start:stop], node.pos + start, ctx)
            if nl < 0:
                return
            self._line_end(node.pos + nl)
            start = nl + 1

    def _chunk(self, chunk: str, pos: int, ctx: _Ctx) -> None:
        """Literal text on the current line (no newline inside)."""
        state = self._state
        if state.draft is not None:
            state.draft.value_end = pos + len(chunk)
            return
        if state.decided:
            return
        eq = chunk.find("=")
        head = chunk if eq < 0 else chunk[:eq]
        if _NOT_KEY_CHAR.search(head) or len(state.prefix) + len(head) > _MAX_PREFIX:
            self._state = _LineState(decided=True)
            return
        prefix = state.prefix + head + ("=" if eq >= 0 else "")
        pieces = (*state.pieces, (len(state.prefix), pos))
        if eq < 0:
            self._state = _LineState(prefix=prefix, pieces=pieces)
            return
        m = _KEY_LINE.fullmatch(prefix)
        if m is None:
            self._state = _LineState(decided=True)
            return
        name_at = max(p for p in pieces if p[0] <= m.start(2))
        line = self._lines.of(name_at[1] + m.start(2) - name_at[0])
        draft = _Draft(
            name=m.group(2),
            line=line,
            exported=m.group(1) is not None,
            block=ctx.block,
            conditional=ctx.conditional,
            value_start=pos + eq + 1,
            value_end=pos + len(chunk),
        )
        self._drafts.append(draft)
        self._state = _LineState(draft=draft, decided=True)

    def _line_end(self, pos: int) -> None:
        if self._state.draft is not None:
            self._state.draft.value_end = pos
        self._state = _LineState()

    def _touch(self, end: int) -> None:
        if self._state.draft is not None:
            self._state.draft.value_end = end

    def _output(self, reads_vault: bool, quoted: bool, end: int) -> None:
        """An action printed something: part of a var's value, or a line that is no var."""
        draft = self._state.draft
        if draft is not None:
            draft.outputs.append((reads_vault, quoted))
            draft.value_end = end
        elif not self._state.decided:
            self._state = _LineState(decided=True)

    # ------------------------------------------------------------------ expressions

    def _read(self, pipe: Pipeline, ctx: _Ctx) -> _Reads:
        """Vault keys and env names a pipeline reads; credited to the current var."""
        reads = _Reads([], [])
        self._pipe_reads(pipe, ctx.dot, reads)
        draft = self._state.draft
        if draft is not None:
            draft.keys.extend(reads.keys)
            draft.env.extend(reads.env)
        return reads

    def _pipe_reads(self, pipe: Pipeline, dot: tuple[str, ...], reads: _Reads) -> None:
        for cmd in pipe.commands:
            literal = _index_key(cmd)
            if literal is not None:
                reads.keys.append(literal.value)
            env = _env_name(cmd)
            if env is not None:
                reads.env.append(env)
            for arg in cmd.args:
                self._operand_reads(arg, dot, reads)

    def _operand_reads(self, arg: Operand, dot: tuple[str, ...], reads: _Reads) -> None:
        if isinstance(arg, Pipeline):
            self._pipe_reads(arg, dot, reads)
            return
        if isinstance(arg, Chain):
            self._operand_reads(arg.node, dot, reads)
        fields = _fields_of(arg)
        key = None if fields is None else _vault_key(fields)
        if key is not None:
            reads.keys.append(key)
        elif isinstance(arg, Variable):
            reads.keys.extend(self._lookup(arg.name))
        elif isinstance(arg, (Dot, Field)):
            reads.keys.extend(dot)  # .X under {{ with .Data.data.K }} derives from K

    def _bind(self, decl: tuple[Variable, ...], keys: tuple[str, ...]) -> None:
        for var in decl:
            self._bindings.setdefault(var.name, []).append(keys)
            self._bound.append(var.name)

    def _unbind(self, mark: int) -> None:
        while len(self._bound) > mark:
            self._bindings[self._bound.pop()].pop()

    def _lookup(self, name: str) -> tuple[str, ...]:
        stack = self._bindings.get(name)
        return stack[-1] if stack else ()

    # ------------------------------------------------------------------ results

    def _source_of(self, nodes: tuple[Node, ...]) -> str:
        return self._src[nodes[0].pos : nodes[-1].end] if nodes else ""

    def _secret_block(self, node: With) -> SecretBlock | None:
        arg = _secret_arg(node.pipe)
        if arg is None:
            return None
        if isinstance(arg, Pipeline) and arg.parenthesized:
            expr = self._src[arg.pos + 1 : arg.end - 1].strip()
        else:
            expr = self._src[arg.pos : arg.end]
        env: list[str] = []
        if isinstance(arg, Pipeline):
            reads = _Reads([], env)
            self._pipe_reads(arg, (), reads)
        return SecretBlock(
            location=Location(self._rel, node.line),
            path_expr=expr,
            path_format=_path_format(arg),
            path_env=tuple(dict.fromkeys(env)),
        )

    def _finish(self, d: _Draft) -> TemplateVar:
        vault_outputs = [quoted for reads_vault, quoted in d.outputs if reads_vault]
        return TemplateVar(
            name=d.name,
            location=Location(self._rel, d.line),
            block=d.block,
            vault_keys=tuple(dict.fromkeys(d.keys)),
            quoted=bool(vault_outputs) and all(vault_outputs),
            fallback=d.fallback,
            env_refs=tuple(dict.fromkeys(d.env)),
            exported=d.exported,
            conditional=d.conditional,
            value_source=self._src[d.value_start : d.value_end].rstrip("\r"),
        )


def _env_name(cmd: Command) -> str | None:
    args = cmd.args
    if len(args) >= 2 and isinstance(args[0], Identifier) and args[0].name == "env":
        return args[1].value if isinstance(args[1], String) else None
    return None


def _single(pipe: Pipeline) -> Pipeline | None:
    """``(p)`` used as a whole command -> p."""
    if len(pipe.commands) == 1 and len(pipe.commands[0].args) == 1:
        inner = pipe.commands[0].args[0]
        if isinstance(inner, Pipeline) and not inner.decl:
            return inner
    return None


def _is_quoted(pipe: Pipeline) -> bool:
    """The pipeline's value goes through ``printf "%q"`` last."""
    inner = _single(pipe)
    if inner is not None:
        return _is_quoted(inner)
    args = pipe.commands[-1].args
    return (
        len(args) >= 2
        and isinstance(args[0], Identifier)
        and args[0].name == "printf"
        and isinstance(args[1], String)
        and args[1].value == "%q"
    )


def _secret_arg(pipe: Pipeline) -> Operand | None:
    """The path operand of ``secret PATH`` / ``PATH | secret`` / ``(secret PATH)``."""
    inner = _single(pipe)
    if inner is not None:
        return _secret_arg(inner)
    first = pipe.commands[0].args
    if isinstance(first[0], Identifier) and first[0].name == "secret":
        return first[1] if len(first) >= 2 else None
    if len(pipe.commands) >= 2 and len(first) == 1:
        second = pipe.commands[1].args
        if len(second) == 1 and isinstance(second[0], Identifier) and second[0].name == "secret":
            return first[0]
    return None


def _path_format(arg: Operand) -> str | None:
    if isinstance(arg, String):
        return arg.value
    if isinstance(arg, Pipeline):
        inner = _single(arg) or arg
        args = inner.commands[0].args
        if len(args) >= 2 and isinstance(args[0], Identifier) and args[0].name == "printf":
            return args[1].value if isinstance(args[1], String) else None
    return None


# =========================================================================== entry points


def parse_template(text: str, rel: str) -> TemplateFile:
    """Read a template's secret blocks and rendered vars; never raises."""
    try:
        return _Walker(text, rel).run(parse_tree(text, rel))
    except TemplateSyntaxError as exc:
        return TemplateFile(path=rel, error=ReaderError(Location(rel, exc.line), exc.message))
    except Exception as exc:  # a reader bug must fail one item, not the whole collection
        message = f"internal error reading template: {type(exc).__name__}: {exc}"
        return TemplateFile(path=rel, error=ReaderError(Location(rel, 0), message))


def read_template(path: Path, rel: str) -> TemplateFile:
    text = read_text(path, rel)
    if isinstance(text, ReaderError):
        return TemplateFile(path=rel, error=text)
    return parse_template(text, rel)
