"""Where else a repository names a variable: code and configuration that read it outside the
settings classes (``os.getenv("X")``, ``process.env.X``, compose ``${X}``, a shell script).

The orphan rules ask this before calling a variable unread: a documented variable that a
frontend, a compose file or a script consumes is not dead. Only the names asked about are
searched, in one pass over the tree with one pattern, so a repository without orphans pays
nothing. Prose (Markdown, text), env files and templates are not readers and do not count.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Collection, Iterable
from pathlib import Path

from pytest_envssot.discovery import walk_files
from pytest_envssot.model import Location

MAX_FILE_BYTES = 1024 * 1024  # minified bundles and data files beyond this are not code
_CODE_SUFFIXES = frozenset(
    {
        ".py", ".pyi", ".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".vue", ".svelte", ".go",
        ".rs", ".rb", ".java", ".kt", ".php", ".sh", ".bash", ".zsh", ".ps1", ".yml", ".yaml",
        ".toml", ".ini", ".cfg", ".conf", ".json", ".tf", ".hcl", ".mk",
    }
)  # fmt: skip
_CODE_NAMES = frozenset({"Makefile", "Justfile", "Procfile", "Taskfile"})
# Folders that hold no reader of the app's environment (dependencies, builds, VCS data).
_PRUNED = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
        ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "build", "dist",
        "site-packages", ".next", ".eggs",
    }
)  # fmt: skip


def _is_code(name: str) -> bool:
    if name.startswith(".env") or name.endswith((".ctmpl", ".tpl", ".tmpl")):
        return False
    if name in _CODE_NAMES or name.startswith(("Dockerfile", "docker-compose", "compose.")):
        return True
    return os.path.splitext(name)[1].lower() in _CODE_SUFFIXES


def _pruned(name: str) -> bool:
    return name in _PRUNED or name.endswith(".egg-info")


def _candidates(root: Path, skip: Collection[str]) -> Iterable[tuple[str, Path]]:
    # The discovery's walk (a stack, not os.walk's recursion: folders 1,000+ deep), without
    # its pruning of tests: a test script can be what reads a variable.
    for rel in walk_files(root, pruned=_pruned):
        if rel not in skip and _is_code(rel.rpartition("/")[2]):
            yield rel, root / rel


def find_mentions(
    root: Path, names: Collection[str], skip: Collection[str] = ()
) -> dict[str, Location]:
    """The first ``path:line`` naming each of ``names`` as a whole word, outside ``skip``.

    Never raises: a file that cannot be read (a FIFO, a link, no permission) is passed over.
    """
    if not names:
        return {}
    pattern = re.compile(
        r"(?<![A-Za-z0-9_])("
        + "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
        + r")(?![A-Za-z0-9_])"
    )
    found: dict[str, Location] = {}
    for rel, path in _candidates(root, set(skip)):
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_FILE_BYTES:
                continue
            with open(path, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES)
        except OSError:
            continue
        if b"\0" in data:
            continue
        text = data.decode("utf-8", "replace")
        for match in pattern.finditer(text):
            name = match.group(1)
            if name not in found:
                found[name] = Location(rel, text.count("\n", 0, match.start()) + 1)
        if len(found) == len(names):
            break
    return found
