"""Shared file access for readers: bytes in, text or a ReaderError out."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from pytest_envssot.model import Location, ReaderError

MAX_BYTES = 50 * 1024 * 1024  # a layer file larger than this is not a real config file


def outside_link(path: Path, rel: str) -> str | None:
    """Where ``path`` leads when a symlink takes it out of the repository, else None.

    The repository is ``path`` with ``rel`` taken off its end. A path that is outside
    without a symlink (a configured ``../shared/config.py``) was asked for and is read.
    A loop or a dangling link is left to the read, which reports it.
    """
    root = path
    for _ in Path(rel).parts:
        root = root.parent
    lexical = os.path.normpath(os.path.abspath(path))
    try:
        real = os.path.realpath(path, strict=True)
    except OSError:
        return None
    if real == lexical:
        return None
    top = os.path.realpath(root)
    if os.path.commonpath([real, top]) == top:
        return None
    return real


def read_text(path: Path, rel: str) -> str | ReaderError:
    """Read ``path`` as UTF-8 (BOM allowed); report problems with the line they sit on.

    Never follows a symlink out of the repository, never opens anything but a regular
    file (a FIFO would block the run, ``/dev/zero`` would fill memory).
    """
    target = outside_link(path, rel)
    if target is not None:
        return ReaderError(
            Location(rel, 0),
            f"is a symlink leading outside the repository ({target}); not followed",
        )
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            return ReaderError(Location(rel, 0), "is a directory, expected a file")
        if not stat.S_ISREG(info.st_mode):
            return ReaderError(Location(rel, 0), "is not a regular file (a FIFO, socket or device)")
        if info.st_size > MAX_BYTES:
            return ReaderError(
                Location(rel, 0), f"file is {info.st_size} bytes, larger than {MAX_BYTES}"
            )
        with open(path, "rb") as handle:  # at most MAX_BYTES + 1, should it grow meanwhile
            data = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        if any(ch in rel for ch in "*?["):
            return ReaderError(Location(rel, 0), "configured pattern matches no file")
        return ReaderError(Location(rel, 0), "file does not exist")
    except OSError as exc:
        return ReaderError(Location(rel, 0), f"cannot read file: {exc.strerror or exc}")
    if len(data) > MAX_BYTES:
        return ReaderError(Location(rel, 0), f"file is larger than {MAX_BYTES} bytes")
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
