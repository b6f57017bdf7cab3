"""The per-user cache: what a run may keep for the next one, outside the repository.

Two things live here, and only these: template-roundtrip's verdicts per shape (pass, skip
reason, or which of our own constant hazards break it: never a drawn or repository value;
keys are hashes) and hypothesis' Unicode tables (a charmap and a codec's intervals: no user
data at all). A verdict depends on the shape only and on the code that judged it, so the
environment digest names the versions of pydantic, pydantic-core, pydantic-settings,
python-dotenv, hypothesis, Python's Unicode data, the Go escape tables and this package's own
source files (their sizes and modification times): a change to any of them starts a new file.

Where: ``ENVSSOT_CACHE_DIR``, else the platform's cache folder (``$XDG_CACHE_HOME`` or
``~/.cache`` on Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows) +
``envssot``. Off with ``ENVSSOT_NO_CACHE=1`` or ``[tool.envssot] cache = false``; off too when
the folder would lie inside the repository being checked (nothing is written there).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from functools import lru_cache
from pathlib import Path

_TRUE = ("1", "true", "yes", "on")
_PRUNE_AFTER = 14 * 24 * 3600  # verdict files of another environment, untouched this long


def cache_dir(root: Path | None = None, enabled: bool = True) -> Path | None:
    """The cache folder to use, or None when caching is off (or would write into ``root``)."""
    if not enabled or os.environ.get("ENVSSOT_NO_CACHE", "").strip().lower() in _TRUE:
        return None
    folder = _platform_dir()
    if folder is None:
        return None
    folder = folder.resolve()
    if root is not None and folder.is_relative_to(root.resolve()):
        return None  # a home folder that is itself the repository: keep nothing
    return folder


def _platform_dir() -> Path | None:
    explicit = os.environ.get("ENVSSOT_CACHE_DIR", "").strip()
    if explicit:
        return Path(explicit)
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA", "")
        return Path(local) / "envssot" / "Cache" if local else None
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "envssot"
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else home / ".cache"
    return base / "envssot"


def make_private(folder: Path) -> bool:
    """Create ``folder`` (owner-only) if missing; False when it cannot be used."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


@lru_cache(maxsize=1)
def environment_digest() -> str:
    """What a verdict was computed with: library versions and this package's source.

    Python's version stands for its Unicode data too, and the Go escape tables are a file of
    this package (``data/go_isprint.txt``, in the walk below): neither is loaded for this,
    since a repeated run needs neither otherwise."""
    import dotenv.version
    import pydantic.version
    import pydantic_core
    import pydantic_settings

    from pytest_envssot import __version__

    digest = hashlib.sha256()
    for part in (
        __version__,
        sys.version,
        pydantic.version.VERSION,
        pydantic_core.__version__,
        pydantic_settings.__version__,
        dotenv.version.__version__,
        _hypothesis_version(),
    ):
        digest.update(part.encode() + b"\0")
    # The source, not only the version: an editable install changes under one version. Each
    # file's size and modification time stand for its text (any edit or reinstall changes
    # them) at a fifth of the cost of reading ~100 files on every run.
    # Plain strings and os.stat, not Path objects: this runs on every check (a third faster).
    package = os.path.dirname(os.path.realpath(__file__))
    for folder, subfolders, files in os.walk(package):
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        prefix = os.path.relpath(folder, package).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        for name in sorted(f for f in files if f.endswith((".py", ".txt"))):
            stat = os.stat(os.path.join(folder, name))
            line = f"{prefix}{name}\0{stat.st_size}\0{stat.st_mtime_ns}\0"
            digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _hypothesis_version() -> str:
    """hypothesis' version text without importing it (its import costs a third of a second)."""
    import importlib.util

    spec = importlib.util.find_spec("hypothesis")
    for location in (spec.submodule_search_locations or []) if spec else []:
        try:
            return (Path(location) / "version.py").read_text(encoding="utf-8")
        except OSError:
            continue
    return "no hypothesis"


def entry_key(*parts: object) -> str:
    """A cache key: the hash of the parts' reprs (shapes can quote annotation text)."""
    text = "\0".join(repr(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:40]


class VerdictStore:
    """One JSON file of ``key -> entry`` per environment digest, merged and replaced
    atomically on every write (concurrent runs and xdist workers lose nothing but time)."""

    def __init__(self, folder: Path | None) -> None:
        self._path: Path | None = None
        self._entries: dict[str, object] = {}
        if folder is None:
            return
        verdicts = folder / "verdicts"
        if not make_private(verdicts):
            return
        self._path = verdicts / f"{environment_digest()[:32]}.json"
        self._entries = self._read()

    @property
    def enabled(self) -> bool:
        return self._path is not None

    def get(self, key: str) -> object:
        return self._entries.get(key)

    def put(self, key: str, entry: object) -> None:
        if self._path is None or self._entries.get(key) == entry:
            return
        self._entries = {**self._read(), **self._entries, key: entry}
        try:
            fd, tmp = tempfile.mkstemp(dir=self._path.parent, prefix=".tmp-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(self._entries, out, sort_keys=True)
            os.replace(tmp, self._path)
        except OSError:
            return
        self._prune()

    def _read(self) -> dict[str, object]:
        assert self._path is not None
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _prune(self) -> None:
        """Drop other environments' files nobody has written to for two weeks."""
        assert self._path is not None
        cutoff = time.time() - _PRUNE_AFTER
        for other in self._path.parent.glob("*.json"):
            try:
                if other != self._path and other.stat().st_mtime < cutoff:
                    other.unlink()
            except OSError:
                continue
