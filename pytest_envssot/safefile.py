"""Opening files a hostile repository put in our way: confined, regular, bounded.

Every file a run reads (``pyproject.toml``, each layer file, ``.gitignore`` before git reads it)
goes through here. A symlink may lead anywhere (``/proc/self/mem``, ``/proc/kmsg``,
``/dev/zero``, another user's checkout) and a FIFO blocks whoever opens it, so: the path must
resolve inside the repository, must be a regular file when stat'ed (stat never opens), is
opened non-blocking all the same, and is read up to a size limit only.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

DEFAULT_MAX_FILE_BYTES = 20 * 1024 * 1024  # [tool.envssot] max_file_bytes
NOT_REGULAR = "not a regular file (a FIFO, socket or device)"


# The run's limit: set by the engine from the config, so readers keep their (path, rel) shape.
_LIMIT: ContextVar[int] = ContextVar("envssot_max_file_bytes", default=DEFAULT_MAX_FILE_BYTES)


def max_file_bytes() -> int:
    return _LIMIT.get()


@contextmanager
def file_limit(limit: int) -> Iterator[None]:
    """Every read inside the block stops at ``limit`` bytes."""
    token = _LIMIT.set(limit)
    try:
        yield
    finally:
        _LIMIT.reset(token)


class Refused(Exception):
    """The file is not read; the message says why, without quoting any content."""


def escapes(root: Path | str, path: Path | str) -> str | None:
    """Where ``path`` really leads when that is outside ``root`` (symlinks followed), else None.

    A dangling link or a loop is left to whoever opens it: the OS error names it.
    """
    try:
        real = os.path.realpath(path, strict=True)
    except (OSError, RuntimeError):  # RuntimeError: a loop, on Python < 3.13 with strict
        return None
    top = os.path.realpath(root)
    return None if os.path.commonpath([real, top]) == top else real


def read_bytes(path: Path | str, limit: int, name: str = "max_file_bytes") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    Raises :class:`Refused` for a non-regular file or one over the limit, ``OSError`` when
    the OS refuses (permission, a loop, a missing file).
    """
    info = os.stat(path)
    _check(info, limit, name)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        _check(os.fstat(fd), limit, name)  # what was opened, should it have been swapped meanwhile
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise Refused(f"file is larger than {limit} bytes ({name})")
    return data


def _check(info: os.stat_result, limit: int, name: str = "max_file_bytes") -> None:
    if stat.S_ISDIR(info.st_mode):
        raise Refused("is a directory, expected a file")
    if not stat.S_ISREG(info.st_mode):
        raise Refused(f"is {NOT_REGULAR}")
    if info.st_size > limit:
        raise Refused(f"file is {info.st_size} bytes, larger than {limit} ({name})")


def is_regular(path: Path | str) -> bool:
    """A regular file (symlinks followed); False for anything that cannot be stat'ed."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False
