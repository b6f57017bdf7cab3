"""Shared file access for readers: bytes in, text or a ReaderError out."""

from __future__ import annotations

from pathlib import Path

from pytest_envssot.model import Location, ReaderError

MAX_BYTES = 50 * 1024 * 1024  # a layer file larger than this is not a real config file


def read_text(path: Path, rel: str) -> str | ReaderError:
    """Read ``path`` as UTF-8 (BOM allowed); report problems with the line they sit on."""
    try:
        if path.is_dir():
            return ReaderError(Location(rel, 0), "is a directory, expected a file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            return ReaderError(Location(rel, 0), f"file is {size} bytes, larger than {MAX_BYTES}")
        data = path.read_bytes()
    except FileNotFoundError:
        if any(ch in rel for ch in "*?["):
            return ReaderError(Location(rel, 0), "configured pattern matches no file")
        return ReaderError(Location(rel, 0), "file does not exist")
    except OSError as exc:
        return ReaderError(Location(rel, 0), f"cannot read file: {exc.strerror or exc}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return ReaderError(Location(rel, 1), "file is UTF-16; save it as UTF-8")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return ReaderError(Location(rel, line), f"invalid UTF-8 byte 0x{data[exc.start]:02x}")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return ReaderError(Location(rel, line), "NUL byte in a text file")
    return text
