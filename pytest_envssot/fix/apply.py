"""Reading a layer file for editing and writing it back safely.

A file is read once as bytes; edits work on its text. Writing goes to a temporary file in
the same folder, takes the original's mode, and replaces the original by rename, so a reader
never sees half a file. A file that changed on disk since it was read is not overwritten.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

_BOM = "\ufeff"


class ChangedOnDisk(Exception):
    """The file is not what ``fix`` read: someone edited it meanwhile."""


@dataclass(frozen=True)
class Original:
    """A layer file as read: its bytes, and the text edits work on (without a BOM)."""

    rel: str
    data: bytes
    text: str
    bom: bool

    @property
    def newline(self) -> str:
        """The file's line ending for new lines: CRLF stays CRLF."""
        return "\r\n" if "\r\n" in self.text else "\n"

    def encode(self, text: str) -> bytes:
        return ((_BOM if self.bom else "") + text).encode("utf-8")


def read_original(root: Path, rel: str) -> Original | None:
    """The file's bytes and text, or None when it is not a readable UTF-8 regular file."""
    path = root / rel
    try:
        if not stat.S_ISREG(path.lstat().st_mode):
            return None  # a symlink or anything else: the readers report it; fix leaves it
        data = path.read_bytes()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    bom = text.startswith(_BOM)
    return Original(rel, data, text.removeprefix(_BOM), bom)


def write_atomic(root: Path, original: Original, text: str) -> None:
    """Replace ``root/original.rel`` with ``text``; ChangedOnDisk if it changed since read."""
    path = root / original.rel
    if path.read_bytes() != original.data:
        raise ChangedOnDisk(original.rel)
    mode = stat.S_IMODE(path.stat().st_mode)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".envssot-fix", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(original.encode(text))
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if path.read_bytes() != original.data:  # re-check right before the swap
            raise ChangedOnDisk(original.rel)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def split_lines(text: str) -> list[str]:
    """Lines with their endings kept (only ``\\n`` ends a line; ``\\r`` stays with its line)."""
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def ending(line: str) -> str:
    """The line ending ``line`` carries ('' for a last line without one)."""
    if line.endswith("\r\n"):
        return "\r\n"
    return "\n" if line.endswith("\n") else ""


def body(line: str) -> str:
    """``line`` without its ending."""
    return line.rstrip("\n").removesuffix("\r")


class LinePlan:
    """Line edits to one text, made against its line numbers and applied together.

    Lines nobody edits come out byte for byte; new lines take the file's line ending. Two
    edits of one line conflict: the second is refused (the next ``fix`` round redoes it).
    """

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)
        self.newline = "\r\n" if "\r\n" in text else "\n"
        self._replace: dict[int, list[str]] = {}
        self._before: dict[int, list[str]] = {}

    def __len__(self) -> int:
        return len(self.lines)

    def text(self, n: int) -> str:
        """Line ``n`` (1-based) without its ending; '' past the end."""
        return body(self.lines[n - 1]) if 1 <= n <= len(self.lines) else ""

    def free(self, *numbers: int) -> bool:
        return not any(n in self._replace for n in numbers)

    def put(self, n: int, new: list[str]) -> bool:
        """Replace line ``n`` by ``new`` (no endings; [] deletes it). False on a conflict."""
        if not self.free(n):
            return False
        self._replace[n] = new
        return True

    def insert_before(self, n: int, new: list[str]) -> None:
        """Insert ``new`` before line ``n``; ``n`` past the end appends."""
        self._before.setdefault(min(n, len(self.lines) + 1), []).extend(new)

    def render(self) -> str:
        out: list[str] = []
        for n, line in enumerate([*self.lines, ""], start=1):
            if n in self._before:
                if out and not out[-1].endswith("\n"):
                    out[-1] += self.newline
                out.extend(new + self.newline for new in self._before[n])
            if n > len(self.lines):
                break
            if n in self._replace:
                end = ending(line)
                out.extend(new + (end or self.newline) for new in self._replace[n][:-1])
                out.extend(new + end for new in self._replace[n][-1:])
            else:
                out.append(line)
        return "".join(out)
