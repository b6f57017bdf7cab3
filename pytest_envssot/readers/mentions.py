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
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path

from pytest_envssot.discovery import walk_files
from pytest_envssot.lazyregex import lazy_compile
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
    matcher = _Matcher(names)
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
        for name, start in matcher.finditer(text):
            if name not in found:
                found[name] = Location(rel, text.count("\n", 0, start) + 1)
        if len(found) == len(names):
            break
    return found


_WORD_CHARS = "A-Za-z0-9_"
_WORD_START = lazy_compile(f"(?<![{_WORD_CHARS}])[{_WORD_CHARS}]+")


class _Matcher:
    """The matches of ``(?<!\\w)(name1|name2|...)(?!\\w)`` (ASCII ``\\w``, names longest first),
    found in time linear in the text whatever the number of names.

    That one regex tried every name at every character: compiling it for 100,000 orphans took
    seconds, and each character of a file cost a step per name. A match of a name starting
    with a word character starts a word, so each word of the text is looked up: whole (a plain
    name is a whole word) and, for names with other characters (``my.var``), among those that
    begin with that word, longest first, as the alternation tries them. A name starting with
    another character (no reader makes one) sends the batch through the regex.
    """

    def __init__(self, names: Collection[str]) -> None:
        word = re.compile(f"[{_WORD_CHARS}]+")
        self.plain = {n for n in names if word.fullmatch(n)}
        self.dotted: dict[str, list[str]] = {}
        self.regex: re.Pattern[str] | None = None
        for name in sorted(set(names) - self.plain, key=len, reverse=True):
            head = word.match(name)
            if head is None:
                self.regex = re.compile(
                    f"(?<![{_WORD_CHARS}])("
                    + "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
                    + f")(?![{_WORD_CHARS}])"
                )
                break
            self.dotted.setdefault(head.group(), []).append(name)
        self._tail = re.compile(f"[{_WORD_CHARS}]")

    def finditer(self, text: str) -> Iterator[tuple[str, int]]:
        """(name, start) of each match, left to right, none overlapping."""
        if self.regex is not None:
            yield from ((m.group(1), m.start()) for m in self.regex.finditer(text))
            return
        done = 0
        for word in _WORD_START.finditer(text):
            start = word.start()
            if start < done:
                continue
            name = next(
                (
                    n
                    for n in self.dotted.get(word.group(), ())
                    if text.startswith(n, start) and not self._tail.match(text, start + len(n))
                ),
                word.group() if word.group() in self.plain else None,
            )
            if name is not None:
                done = start + len(name)
                yield name, start
