"""Shared file access for readers: bytes in, text or a ReaderError out."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pytest_envssot.model import Location, ReaderError
from pytest_envssot.safefile import Refused, escapes, max_file_bytes, read_bytes

F = TypeVar("F")


def outside_link(path: Path, rel: str) -> str | None:
    """Where ``path`` leads when a symlink takes it out of the repository, else None.

    The repository is ``path`` with ``rel`` taken off its end. Layer paths outside it are a
    configuration error before any reader runs (discovery's ``confine``); a path the user
    named on the command line (``envssot render /anywhere/t.ctmpl``) was asked for and is
    read, unless a symlink leads it elsewhere.
    """
    root = path
    for _ in Path(rel).parts:
        root = root.parent
    lexical = os.path.normpath(os.path.abspath(path))
    target = escapes(root, path)
    return None if target is None or target == lexical else target


def read_text(path: Path, rel: str, share: int = 1) -> str | ReaderError:
    """Read ``path`` as UTF-8 (BOM allowed); report problems with the line they sit on.

    Never follows a symlink out of the repository, never opens anything but a regular
    file (a FIFO would block the run, ``/dev/zero`` would fill memory), never reads more
    than ``max_file_bytes`` (``1/share`` of it, for files whose parse costs more per byte).
    """
    target = outside_link(path, rel)
    if target is not None:
        return ReaderError(
            Location(rel, 0),
            f"is a symlink leading outside the repository ({target}); not followed",
        )
    try:
        name = "max_file_bytes" if share == 1 else f"max_file_bytes / {share} for this kind of file"
        data = read_bytes(path, max_file_bytes() // share, name)
    except Refused as exc:
        return ReaderError(Location(rel, 0), str(exc))
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
    del data  # the text is the copy we keep: one less file-sized buffer at the peak
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return ReaderError(Location(rel, line), "NUL byte in a text file")
    return text


def read_file(
    path: Path,
    rel: str,
    parse: Callable[[str, str], F],
    failed: Callable[[ReaderError], F],
    share: int = 1,
) -> F:
    """``parse(text, rel)`` of ``path``'s text; a file that cannot be read is ``failed(error)``."""
    text = read_text(path, rel, share)
    return failed(text) if isinstance(text, ReaderError) else parse(text, rel)


def parse_guarded(
    parse: Callable[[str, str], F],
    text: str,
    rel: str,
    reader: str,
    failed: Callable[[ReaderError], F],
) -> F:
    """``parse`` of ``text`` without its BOM; a reader bug fails this file, not the whole run.

    Only the exception's type is reported: its text could quote a value.
    """
    try:
        return parse(text.removeprefix("\ufeff"), rel)
    except Exception as exc:
        message = f"internal error in the {reader} reader ({type(exc).__name__})"
        return failed(ReaderError(Location(rel, 0), message))
