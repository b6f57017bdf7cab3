"""The key masks are hashed with: per user, outside every repository, never printed.

``~/.cache/envssot/mask.key`` (``$XDG_CACHE_HOME`` honoured), 32 random bytes, 0600 in a 0700
folder, created on first use, so one user's masks stay comparable between runs while nobody
without the file can brute-force a mask back to its value. When that place is unusable (no
writable home), or lies inside the project being checked (pytester points ``HOME`` at the
test's repository), a random key for this process alone: masks are then comparable within
one run only, and nothing is written.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

KEY_BYTES = 32
KEY_NAME = "mask.key"
_fixed: list[bytes] = []  # innermost fixed_key() block last


def mask_key() -> bytes:
    return _fixed[-1] if _fixed else _user_key()


@contextlib.contextmanager
def fixed_key(key: bytes) -> Iterator[None]:
    """Masks under ``key`` inside the block: text that must read the same for every user
    (generated documentation of fabricated example values), never for real values."""
    _fixed.append(key)
    try:
        yield
    finally:
        _fixed.pop()


@functools.cache
def _user_key() -> bytes:
    folder = key_folder()
    key = _read_or_create(folder / KEY_NAME) if folder is not None else None
    return key if key is not None else secrets.token_bytes(KEY_BYTES)


def key_folder() -> Path | None:
    """Where the key lives, or None when that would be inside the project (or unknown)."""
    cache = os.environ.get("XDG_CACHE_HOME", "")
    try:
        base = Path(cache) if os.path.isabs(cache) else Path.home() / ".cache"
        folder = (base / "envssot").resolve()
        project = _project_root(Path.cwd().resolve())
    except (OSError, RuntimeError):  # no home, a vanished cwd
        return None
    return None if folder.is_relative_to(project) else folder


def _project_root(cwd: Path) -> Path:
    """The enclosing checkout (``.git`` or ``pyproject.toml``), else the working folder."""
    for folder in (cwd, *cwd.parents):
        if (folder / ".git").exists() or (folder / "pyproject.toml").exists():
            return folder
    return cwd


def _read_or_create(path: Path) -> bytes | None:
    key = _read(path)
    if key is not None:
        return key
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".mask.", suffix=".tmp")
    except OSError:
        return None
    try:
        with os.fdopen(fd, "wb") as handle:  # mkstemp creates it 0600
            handle.write(secrets.token_bytes(KEY_BYTES))
        # link, not rename: a key another process created first wins, and both use it
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    except OSError:
        return None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    return _read(path)


def _read(path: Path) -> bytes | None:
    """The key, if ``path`` is our own private regular file of the right size."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        private = stat.S_IMODE(info.st_mode) & 0o077 == 0
        if not stat.S_ISREG(info.st_mode) or not private or info.st_uid != os.geteuid():
            return None
        key = handle.read(KEY_BYTES + 1)
    return key if len(key) == KEY_BYTES else None
