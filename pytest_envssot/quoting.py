"""How a value is written by Vault Agent and read back by each consumer of the rendered file.

Writing: :func:`go_quote` is Go's ``strconv.Quote``, which ``{{ printf "%q" . }}`` calls for a
string. Which characters it writes raw and which it escapes (``\\u00a0``) depends on Go's
``strconv.IsPrint`` tables, i.e. on the Go release Vault Agent was built with. We follow the
tables shipped in ``data/go_isprint.txt``, generated from Go 1.19 (Unicode 13.0.0) by
``tests/go/goquote -table`` and differential-tested against that Go. A Vault built with a newer
Go (Unicode 15) writes the few characters assigned since Unicode 13 raw where we predict an
escape; for every consumer here that makes our prediction the more cautious one.

Reading: one function per consumer, each returning the text the application finally sees for
``NAME`` (None when the variable ends up unset), plus :func:`shell_hazards` explaining what a
POSIX shell would do besides assigning:

* ``pydantic-settings``: python-dotenv's own parser with interpolation on, exactly as
  pydantic-settings' ``DotEnvSettingsSource`` calls ``dotenv_values`` (``interpolate=True``).
  ``${NAME}`` resolves against the file's earlier bindings only, never this process's
  environment, so results are reproducible and no local value leaks into a report.
* ``docker-env-file``: ``docker run --env-file``: no quote or escape processing, the value is
  everything after the first ``=``, verbatim.
* ``posix-shell``: a model of how ``sh`` (dash, POSIX) reads the assignment word ``NAME=...``.
  A model, not a real shell: fuzzed values contain ``$(...)`` and `` `...` ``, and a real shell
  would run them. tests/test_quoting.py checks the model against /bin/sh on inputs that
  cannot execute anything.
"""

from __future__ import annotations

import bisect
import io
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from importlib import resources

from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.records import frozen

CONSUMERS = ("pydantic-settings", "docker-env-file", "posix-shell")
DEFAULT_CONSUMER = "pydantic-settings"

_HEX = "0123456789abcdef"
_SIMPLE_ESCAPES = {
    0x07: "\\a",
    0x08: "\\b",
    0x0C: "\\f",
    0x0A: "\\n",
    0x0D: "\\r",
    0x09: "\\t",
    0x0B: "\\v",
}


# --------------------------------------------------------------------------- Go's strconv.Quote


@frozen(slots=False)
class _PrintTable:
    """Go's strconv.IsPrint ranges, as read from data/go_isprint.txt."""

    header: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]


@lru_cache(maxsize=1)
def _table() -> _PrintTable:
    text = resources.files("pytest_envssot").joinpath("data/go_isprint.txt").read_text("ascii")
    header, starts, ends = "", [], []
    for line in text.splitlines():
        if line.startswith("#"):
            header = line.lstrip("# ")
            continue
        start, end = line.split()
        starts.append(int(start, 16))
        ends.append(int(end, 16))
    return _PrintTable(header, tuple(starts), tuple(ends))


def go_tables() -> str:
    """Which Go release and Unicode version :func:`go_quote` follows."""
    return _table().header


def go_is_print(code_point: int) -> bool:
    """Go's ``strconv.IsPrint`` for the tables we follow."""
    table = _table()
    i = bisect.bisect_right(table.starts, code_point) - 1
    return i >= 0 and code_point <= table.ends[i]


def go_quote(value: str | bytes) -> str:
    """``strconv.Quote(value)``: what ``printf "%q"`` writes for a string.

    A ``str`` is taken as the Go string holding its UTF-8 bytes (lone surrogates as the bytes
    Python's ``surrogatepass`` gives, which Go then sees as invalid UTF-8).
    """
    if isinstance(value, str):
        # Printable ASCII other than '"' and '\\' is written as is: only the runs between go
        # rune by rune (they start and end at ASCII, so no UTF-8 sequence is split).
        parts = _PLAIN_ASCII.split(value)  # [between, plain, between, ..., between]
        return '"' + "".join(
            part if k % 2 else _quote_text(part) for k, part in enumerate(parts)
        ) + '"'  # fmt: skip
    return '"' + _quote_bytes(value) + '"'


_PLAIN_ASCII = lazy_compile(r"([\x20\x21\x23-\x5b\x5d-\x7e]+)")


@lru_cache(maxsize=4096)
def _quote_text(part: str) -> str:
    """A run between plain ASCII runs: short and repeated (a quote, a NBSP, ``${``)."""
    return _quote_bytes(part.encode("utf-8", "surrogatepass"))


def _quote_bytes(data: bytes) -> str:
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        code, width = _decode_rune(data, i)
        if code < 0:  # invalid UTF-8: Go writes the single byte as \xNN
            out.append("\\x" + _HEX[data[i] >> 4] + _HEX[data[i] & 0xF])
        else:
            out.append(_escaped_rune(code))
        i += width
    return "".join(out)


@lru_cache(maxsize=4096)
def _escaped_rune(code: int) -> str:
    if code in (0x22, 0x5C):  # '"' and '\\'
        return "\\" + chr(code)
    if go_is_print(code):
        return chr(code)
    if code in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[code]
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _decode_rune(data: bytes, i: int) -> tuple[int, int]:
    """Go's ``utf8.DecodeRuneInString``: (code point, width), or (-1, 1) for an invalid byte."""
    first = data[i]
    if first < 0x80:
        return first, 1
    if 0xC2 <= first <= 0xDF:
        width, low = 2, 0x80
    elif 0xE0 <= first <= 0xEF:
        width, low = 3, 0x800
    elif 0xF0 <= first <= 0xF4:
        width, low = 4, 0x10000
    else:
        return -1, 1
    chunk = data[i : i + width]
    if len(chunk) < width or any(not 0x80 <= b <= 0xBF for b in chunk[1:]):
        return -1, 1
    code = first & (0x7F >> width)
    for b in chunk[1:]:
        code = (code << 6) | (b & 0x3F)
    if code < low or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        return -1, 1
    return code, width


# --------------------------------------------------------------------------- consumers


def read_dotenv(text: str, name: str) -> str | None:
    """What python-dotenv (as pydantic-settings calls it) gives ``name`` in env-file ``text``."""
    return dotenv_values(text).get(name)


def dotenv_values(text: str) -> dict[str, str | None]:
    """``dotenv_values(stream, interpolate=True)`` with an empty process environment."""
    from dotenv.parser import parse_stream

    return interpolate(
        (b.key, b.value) for b in parse_stream(io.StringIO(text)) if b.key is not None
    )


def interpolate(bindings: Iterable[tuple[str, str | None]]) -> dict[str, str | None]:
    """python-dotenv's ``${NAME}`` resolution over parsed (key, raw value) bindings, in order."""
    values: dict[str, str | None] = {}
    for key, value in bindings:
        if value is None:
            values[key] = None
            continue
        if "$" not in value:  # nothing to resolve: skip the copy of the bindings so far
            values[key] = value
            continue
        env: Mapping[str, str | None] = dict(values)
        values[key] = "".join(
            part if name is None else env.get(name, part) or ""
            for name, part in dotenv_variables(value)
        )
    return values


def dotenv_variables(value: str) -> Iterator[tuple[str | None, str]]:
    """python-dotenv's ``parse_variables`` in linear time: ``(None, text)`` for literal text,
    ``(name, default)`` for ``${name}`` / ``${name:-default}`` (default ``""`` when absent).

    Its regex ``\\$\\{([^}:]*)(?::-([^}]*))?\\}`` retries at every ``${`` and reads to the next
    ``}`` or ``:`` each time, so ``${${${…`` took time quadratic in the line. Here the next
    ``}`` and ``:`` are found once and reused while they are still ahead; the atoms are the
    same (``tests/test_adversarial.py`` compares them with python-dotenv's).
    """
    length = len(value)
    cursor = 0
    close = colon = -2  # next "}" / ":" at or after the current start; -1: none left
    start = value.find("${")
    while start >= 0:
        at = start + 2
        if -1 < close < at or close == -2:
            close = value.find("}", at)
        if -1 < colon < at or colon == -2:
            colon = value.find(":", at)
        stop = min(p for p in (close, colon, length) if p >= 0)
        end = -1
        if stop == close:  # ${name}
            name, default, end = value[at:stop], "", stop + 1
        elif stop == colon and value.startswith(":-", stop) and close > stop:  # ${name:-default}
            name, default, end = value[at:stop], value[stop + 2 : close], close + 1
        if end < 0:
            start = value.find("${", start + 1)
            continue
        if start > cursor:
            yield None, value[cursor:start]
        yield name, default
        cursor = end
        start = value.find("${", end)
    if cursor < length:
        yield None, value[cursor:]


def read_docker_env_file(text: str, name: str) -> str | None:
    """``docker run --env-file``: the last ``name=...`` line's text after the first ``=``."""
    found: str | None = None
    for raw in text.removeprefix("\ufeff").split("\n"):
        line = raw.removesuffix("\r").lstrip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if sep and key.lstrip() == name:
            found = value
    return found


_NAME = lazy_compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL_PARAMS = "@*#?-$!0123456789"
_OPERATORS = ";&|<>()"


@frozen(slots=False)
class ShellWord:
    """The value ``sh`` assigns (None: it refuses the line), and what else it would do."""

    value: str | None
    hazards: tuple[str, ...] = ()


def read_posix_shell(text: str, name: str) -> str | None:
    """The value ``. file`` leaves in ``$name`` for a one-assignment line ``name=word``."""
    line = text.split("\n", 1)[0] if "\n" not in text.rstrip("\n") else text
    prefix = f"{name}="
    stripped = line.removeprefix("export ")
    if not stripped.startswith(prefix):
        return None
    return shell_word(stripped[len(prefix) :]).value


def shell_hazards(text: str, name: str) -> tuple[str, ...]:
    stripped = text.removeprefix("export ")
    prefix = f"{name}="
    if not stripped.startswith(prefix):
        return ()
    return shell_word(stripped[len(prefix) :]).hazards


def shell_word(source: str) -> ShellWord:
    """Read one assignment value as dash does; expansions yield "" (a clean environment)."""
    out: list[str] = []
    hazards: list[str] = []
    i, n = 0, len(source)
    quoted = False
    while i < n:
        ch = source[i]
        if not quoted:
            if ch == "\n" and i == n - 1:
                break
            if ch in " \t\n":
                hazards.append("runs the rest of the line as a command (unquoted blank)")
                break
            if ch in _OPERATORS:
                hazards.append(f"treats {ch!r} as a shell operator (command, pipe or redirect)")
                break
            if ch == "~" and (i == 0 or source[i - 1] == ":"):
                hazards.append("expands a leading '~' to a home directory")
                i += 1
                continue
            if ch == "'":
                end = source.find("'", i + 1)
                if end < 0:
                    return ShellWord(
                        None, (*hazards, "unterminated single quote: sh refuses the file")
                    )
                out.append(source[i + 1 : end])
                i = end + 1
                continue
            if ch == '"':
                quoted = True
                i += 1
                continue
        elif ch == '"':
            quoted = False
            i += 1
            continue
        if ch == "\\":
            nxt = source[i + 1 : i + 2]
            if nxt == "\n":
                i += 2
                continue
            if not quoted or nxt in ("$", "`", '"', "\\"):
                out.append(nxt or "\\")
                i += 2 if nxt else 1
                continue
            out.append("\\")
            i += 1
            continue
        if ch == "`":
            end = source.find("`", i + 1)
            hazards.append("executes `...` (command substitution)")
            if end < 0:
                return ShellWord(None, (*hazards, "unterminated backquote: sh refuses the file"))
            i = end + 1
            continue
        if ch == "$":
            after = _dollar(source, i, hazards)
            if after is not None:
                i = after
                continue
        out.append(ch)
        i += 1
    if quoted:
        return ShellWord(None, (*hazards, "unterminated double quote: sh refuses the file"))
    return ShellWord("".join(out), tuple(hazards))


def _dollar(source: str, i: int, hazards: list[str]) -> int | None:
    """Skip one ``$`` expansion starting at ``i``; record it; return the index after it.

    None: this ``$`` starts no expansion and is kept as it is.
    """
    rest = source[i + 1 :]
    if rest.startswith("("):
        depth, j = 0, i + 1
        while j < len(source):
            depth += {"(": 1, ")": -1}.get(source[j], 0)
            if depth == 0:
                break
            j += 1
        arithmetic = rest.startswith("((")
        hazards.append(
            "evaluates $((...)) (arithmetic expansion)"
            if arithmetic
            else "executes $(...) (command substitution)"
        )
        return j + 1
    if rest.startswith("{"):
        end = source.find("}", i + 2)
        hazards.append("expands ${...} (parameter expansion)")
        return len(source) if end < 0 else end + 1
    found = _NAME.match(rest)
    if found:
        hazards.append(f"expands ${found.group(0)} (parameter expansion)")
        return i + 1 + found.end()
    if rest[:1] and rest[0] in _SPECIAL_PARAMS:
        hazards.append(f"expands ${rest[0]} (special parameter)")
        return i + 2
    return None


READERS = {
    "pydantic-settings": read_dotenv,
    "docker-env-file": read_docker_env_file,
    "posix-shell": read_posix_shell,
}


def read_back(consumer: str, line: str, name: str) -> str | None:
    """The text ``consumer`` gives ``name`` after reading the rendered ``line``."""
    return READERS[consumer](line, name)
