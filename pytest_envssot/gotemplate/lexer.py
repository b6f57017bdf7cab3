"""Go ``text/template`` lexer: a single forward scan with Go's tokens and trim-marker rules,
plus Go's literal syntax (quoted strings, runes, numbers).
"""

from __future__ import annotations

import bisect
import io
import re
import sys
from typing import NamedTuple

from pytest_envssot.gotemplate.tree import TemplateSyntaxError
from pytest_envssot.lazyregex import lazy_compile

_SPACE = " \t\r\n"
_KEYWORDS = frozenset(
    ("block", "break", "continue", "define", "else", "end", "if", "range", "template", "with")
)
# Token kinds that can start an operand (Go's term()).
_TERM_KINDS = frozenset(
    ("bool", "charconst", "complex", "dot", "field", "ident", "number", "nil", "string", "var")
)
_WORD = lazy_compile(r"\w*")
# One way to match each char (no backtracking), and runs of plain characters matched by a
# single-character repeat: `(?:a|b)*` kept a backtracking entry per character (1.2 GB for a
# 10 MB literal). Possessive repeats (3.11+) keep none even for a run of escapes.
_RUN = "*+" if sys.version_info >= (3, 11) else "*"
_QUOTED = lazy_compile(rf'"[^"\\\n]{_RUN}(?:\\[^\n][^"\\\n]{_RUN}){_RUN}"')
_CHARCONST = lazy_compile(rf"'[^'\\\n]{_RUN}(?:\\[^\n][^'\\\n]{_RUN}){_RUN}'")


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


# An action's tokens as (kind, start, end, value) relative to its start (after ``{{`` and
# any trim marker), ending in its rdelim; and whether that rdelim trims the text after it.
Shape = tuple[tuple[tuple[str, int, int, str], ...], bool]


def _lex(
    src: str, lines: _Lines, shapes: dict[str, Shape | None] | None = None
) -> tuple[list[_Tok], TemplateSyntaxError | None]:
    """Go's lexer: text, comments and actions, all at once into a list (a generator per
    token cost more than the parsing). The first lexical error ends the list and is returned
    beside it: the parser raises it on reaching that point, so errors keep source order.

    An action made of common tokens only (see :func:`_whole_action`) is one ``action``
    token: ``pos`` at its ``{{``, ``end`` after its ``}}``, ``val`` its text from after the
    ``{{`` and any trim marker, whose tokens are ``shapes[val]`` (lexed once per text)."""
    out: list[_Tok] = []
    try:
        _lex_into(src, lines, out, {} if shapes is None else shapes)
    except TemplateSyntaxError as exc:
        return out, exc
    return out, None


def _lex_into(src: str, lines: _Lines, out: list[_Tok], shapes: dict[str, Shape | None]) -> None:
    pos, n = 0, len(src)
    add = out.append
    while True:
        x = src.find("{{", pos)
        if x < 0:
            if pos < n:
                add(_Tok("text", pos, n, src[pos:]))
            add(_Tok("eof", n, n, ""))
            return
        inner = x + 2
        trim = inner + 1 < n and src[inner] == "-" and src[inner + 1] in _SPACE
        text_end = pos + len(src[pos:x].rstrip(_SPACE)) if trim else x
        if text_end > pos:
            add(_Tok("text", pos, text_end, src[pos:text_end]))
        if trim:
            inner += 2
        if src.startswith("/*", inner):
            pos = _lex_comment(src, x, inner, lines, out)
        else:
            pos = _lex_action(src, x, inner, lines, out, shapes)


def _lex_comment(src: str, opened: int, start: int, lines: _Lines, out: list[_Tok]) -> int:
    close = src.find("*/", start + 2)
    if close < 0:
        raise TemplateSyntaxError(lines.of(opened), "unclosed comment: missing */}}")
    after = close + 2
    length, trim = _right_delim(src, after)
    if not length:
        raise TemplateSyntaxError(lines.of(close), "comment ends before closing delimiter }}")
    end = after + length
    out.append(_Tok("comment", opened, end, src[start:after]))
    return _skip_space(src, end) if trim else end


# The tokens most actions consist of, in one match each: what _right_delim and _lex_token
# would return for them (an identifier, field or variable must be followed by a terminator,
# as _at_terminator demands; ASCII names only). Anything else, and every error, takes the
# general path. Profiling `envssot render` put two thirds of its time in this lexer.
_TERMINATOR = r"(?=[ \t\r\n.,|:)(]|\}\}|\Z)"
_FAST = lazy_compile(
    r"(?P<rdelim>\}\})|(?P<trim>[ \t\r\n]-\}\})"
    r"|(?P<space>[ \t\r\n]+?)(?=[ \t\r\n]-\}\}|[^ \t\r\n]|\Z)"
    rf'|(?P<string>"[^"\\\n]{_RUN}(?:\\[^\n][^"\\\n]{_RUN}){_RUN}")'  # as _QUOTED: no backtracking
    rf"|(?P<dot>\.){_TERMINATOR}|(?P<field>\.(?![0-9])[A-Za-z0-9_]+){_TERMINATOR}"
    rf"|(?P<var>\$[A-Za-z0-9_]*){_TERMINATOR}|(?P<word>[A-Za-z_][A-Za-z0-9_]*){_TERMINATOR}"
    r"|(?P<single>[=|()])"
)
_WORD_KINDS = {**{k: k for k in _KEYWORDS}, "nil": "nil", "true": "bool", "false": "bool"}
# The same tokens without names, for findall: a token's kind follows from its first character.
_FAST_ALL = re.compile(re.sub(r"\(\?P<\w+>", "(?:", _FAST.pattern))
_KIND_OF_FIRST = {
    " ": "space", "\t": "space", "\r": "space", "\n": "space", '"': "string", "$": "var",
    "=": "assign", "|": "pipe", "(": "(", ")": ")", "}": "rdelim",
}  # fmt: skip
_new_tok = tuple.__new__  # _Tok(...) without NamedTuple's Python-level __new__


def _lex_action(
    src: str, opened: int, i: int, lines: _Lines, out: list[_Tok], shapes: dict[str, Shape | None]
) -> int:
    """Tokens between ``{{`` and ``}}``; returns the offset where text resumes."""
    close = src.find("}}", i)
    if close >= 0:
        # Templates repeat their actions ({{ end }}, {{ printf "%q" . }}): the tokens of an
        # action text, relative to its start, are lexed once per file, and the parser
        # reads them from there (or, for most, builds its nodes from the text alone).
        text = src[i : close + 2]
        if text in shapes:
            shape = shapes[text]
        else:
            shape = shapes[text] = _whole_action(text)
        if shape is not None:
            out.append(_new_tok(_Tok, ("action", opened, close + 2, text)))
            return _skip_space(src, close + 2) if shape[1] else close + 2
    out.append(_Tok("ldelim", opened, i, "{{"))
    return _lex_action_by_token(src, opened, i, lines, out)


def _whole_action(text: str) -> Shape | None:
    """The common case in one C call: an action ``text`` (up to the first ``}}``) that is
    nothing but fast tokens, parentheses balanced, as (kind, start, end, value) relative to
    it and whether it ends in a trim marker; None leaves the action (a ``}}`` inside a
    string, a number, an error...) to :func:`_lex_action_by_token`."""
    words = _FAST_ALL.findall(text)
    if sum(map(len, words)) != len(text):  # findall skipped what no fast token matches
        return None
    toks: list[tuple[str, int, int, str]] = []
    depth, pos = 0, 0
    for word in words:
        first = word[0]
        kind = _KIND_OF_FIRST.get(first)
        if kind is None:
            if first == ".":
                kind = "dot" if len(word) == 1 else "field"
            else:
                kind = _WORD_KINDS.get(word, "ident")
        elif kind == "space" and word[-1] == "}":  # " -}}"
            kind = "rdelim"
        elif kind == "(":
            depth += 1
        elif kind == ")":
            depth -= 1
            if depth < 0:
                return None
        toks.append((kind, pos, pos + len(word), "}}" if kind == "rdelim" else word))
        pos += len(word)
    if depth or toks[-1][0] != "rdelim":
        return None
    return tuple(toks), words[-1][0] != "}"


def _lex_action_by_token(src: str, opened: int, i: int, lines: _Lines, out: list[_Tok]) -> int:
    depth = 0
    fast = _FAST.match
    add = out.append
    while True:
        m = fast(src, i)
        kind = m.lastgroup if m is not None else None
        if kind == "rdelim" or kind == "trim":
            if depth:
                raise TemplateSyntaxError(lines.of(i), "unclosed left paren")
            end = m.end()  # type: ignore[union-attr]
            add(_Tok("rdelim", i, end, "}}"))
            return _skip_space(src, end) if kind == "trim" else end
        if m is not None and kind != "single":
            val = m.group()
            if kind == "word":
                kind = _WORD_KINDS.get(val, "ident")
            end = m.end()
            add(_Tok(kind, i, end, val))  # type: ignore[arg-type]
            i = end
            continue
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
            add(tok)
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

_ESCAPE = lazy_compile(
    r"\\(?:([abfnrtv\\'\"])|([0-7]{3})|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))"
)
_SIMPLE_ESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11}
# An escape as _ESCAPE would take it, or a backslash and whatever follows (then refused).
_PIECES = lazy_compile(r"\\(?:[0-7]{3}|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.?)", re.S)


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
    """The bytes a Go literal's body stands for.

    Fast on the escapes literals are made of (a 10 MB literal of `\\n` took 15 s one escape
    at a time): no escape but ``\\\\`` can hold a second backslash, so splitting at ``\\\\``
    leaves parts in which every backslash starts an escape, and the simple ones are plain
    replacements there.
    """
    if "\\" not in body:
        return body.encode("utf-8", "surrogateescape")
    parts = body.split("\\\\")
    for k, part in enumerate(parts):
        if "\\" in part:
            parts[k] = _unescape_part(part, quote)
    return "\\".join(parts).encode("utf-8", "surrogateescape")


# \xHH and \ooo as the character surrogateescape gives their byte; not the backslash itself
# (a backslash produced here would start an escape for the loop below).
_BYTE_ESCAPE = lazy_compile(r"\\(?:x[0-9a-fA-F]{2}|[0-3][0-7]{2})")
_BYTES = {
    key: chr(b) if b < 0x80 else chr(0xDC00 + b)
    for b in range(256)
    if b != 0x5C
    for key in (f"\\x{b:02x}", f"\\{b:03o}")
}


def _byte_char(m: re.Match[str]) -> str:
    return _BYTES.get(m.group().lower(), m.group())


def _unescape_part(part: str, quote: str) -> str:
    for letter, code in _SIMPLE_ESCAPES.items():
        part = part.replace(f"\\{letter}", chr(code))
    part = part.replace(f"\\{quote}", quote)
    if "\\" in part:
        part = _BYTE_ESCAPE.sub(_byte_char, part)
    if "\\" not in part:
        return part
    out = io.StringIO()
    done = 0
    for m in _PIECES.finditer(part):
        escape = _ESCAPE.fullmatch(m.group())
        if not escape:
            raise ValueError(f"invalid escape {m.group()[:2]!r}")
        # bytes that are not UTF-8 (\xff) ride through as surrogates and come out as bytes
        out.write(part[done : m.start()])
        out.write(_decode_escape(escape, quote).decode("utf-8", "surrogateescape"))
        done = m.end()
    out.write(part[done:])
    return out.getvalue()


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


_OCTAL = lazy_compile(r"[+-]?0(?:_?[0-7])+")  # Go's legacy octal; the 0 counts as a prefix
_HEX_UNDERSCORE_BAD = lazy_compile(r"__|_$|_[.pP]|[.pP+-]_")
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
