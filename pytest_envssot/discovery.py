"""``[tool.envssot]`` plus defaults -> which files are which layer.

One walk of the tree finds every candidate; explicit configuration replaces a
layer's default. A configured file or pattern that matches nothing is kept as a
missing file, so it becomes a failing ``layer-parses`` item, never an empty layer.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import field
from pathlib import Path

from pytest_envssot.config import (
    Config,
    ConfigError,
    is_glob,
    match_paths,
)
from pytest_envssot.records import frozen
from pytest_envssot.safefile import escapes

# Folders no layer file lives in: VCS, virtualenvs, caches, builds, dependencies, tests.
PRUNED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", ".tox", ".nox", "node_modules",
        "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "build",
        "dist", "site-packages", ".next", ".eggs", "tests", "test",
    }
)  # fmt: skip
MAX_SCAN_BYTES = 2 * 1024 * 1024  # settings discovery reads only this much of each .py file
_CLASS_RE = re.compile(r"^class\s+([A-Za-z_]\w*)", re.MULTILINE)


@frozen(slots=False)
class LayerFiles:
    """Repository-relative POSIX paths per layer.

    A configured path or pattern that matches nothing stays in its list, so reading it
    fails with ``layer-parses`` instead of the layer silently being empty.
    """

    settings: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()
    dockerfiles: tuple[str, ...] = ()
    env_example: str = ".env.example"
    compose: tuple[str, ...] = ()
    # (folder, why) for folders the walk could not list: layer files in them would be missed
    unreadable: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    # .gitignore entries that are no regular file (a FIFO blocks git for good)
    odd_gitignores: tuple[str, ...] = field(default=(), compare=False)
    # Where the example file was looked for, when it was not configured and none was found.
    example_searched: tuple[str, ...] = ()


# --------------------------------------------------------------------------- the walk


def walk_files(
    root: Path,
    unreadable: list[tuple[str, str]] | None = None,
    odd_gitignores: list[str] | None = None,
    pruned: Callable[[str], bool] | None = None,
) -> Iterator[str]:
    """Every file under ``root`` outside pruned folders, as sorted relative POSIX paths.

    Top-down in os.walk's order, but with a stack instead of recursion: folders nested
    thousands deep end no run (os.walk recursed on Python < 3.12). A folder that cannot be
    listed goes to ``unreadable`` with the OS's reason; symlinked folders are not entered.
    A ``.gitignore`` that is not a regular file goes to ``odd_gitignores`` (the listing's file
    type: no extra stat). ``pruned`` says which folder names are not entered (by default the
    dependencies, builds, caches and tests settings discovery skips).
    """
    skip = pruned or _pruned
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(root / rel_dir if rel_dir else root) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as exc:
            if unreadable is not None:
                unreadable.append((rel_dir or ".", exc.strerror or type(exc).__name__))
            continue
        folders = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if _is_folder(entry):
                if not (skip(entry.name) or entry.is_symlink()):
                    folders.append(rel)
                continue
            if entry.name == ".gitignore" and odd_gitignores is not None and not _is_file(entry):
                odd_gitignores.append(rel)
            yield rel
        stack.extend(reversed(folders))


def _pruned(name: str) -> bool:
    return name in PRUNED_DIRS or name.endswith(".egg-info")


def _is_file(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file()
    except OSError:
        return False


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop: a file as far as the walk goes; its reader reports it
        return False


def _select(
    configured: tuple[str, ...] | None,
    default: list[str],
    files: list[str],
) -> tuple[str, ...]:
    if configured is None:
        return tuple(default)
    chosen: list[str] = []
    for pattern in configured:
        pattern = pattern.strip("/").removeprefix("./")
        found = match_paths(pattern, files) if is_glob(pattern) else []
        chosen.extend(found or [pattern])
    return tuple(dict.fromkeys(chosen))


def discover(config: Config) -> LayerFiles:
    """Which files are which layer, in one walk of the tree."""
    root = config.root
    needs_walk = config.settings is None or config.templates is None or config.dockerfiles is None
    needs_walk = needs_walk or config.compose is None
    needs_walk = needs_walk or any(is_glob(p) for p in _configured_patterns(config))
    unreadable: list[tuple[str, str]] = []
    odd_gitignores: list[str] = []
    files = list(walk_files(root, unreadable, odd_gitignores)) if needs_walk else []
    templates = _select(config.templates, [f for f in files if f.endswith(".ctmpl")], files)
    dockerfiles = _select(
        config.dockerfiles,
        [f for f in files if is_dockerfile_name(f.rsplit("/", 1)[-1])],
        files,
    )
    settings_default = _discover_settings(root, files) if config.settings is None else []
    settings = _select(config.settings, settings_default, files)
    for component in config.components:
        for pattern in component.settings:
            settings += tuple(f for f in _select((pattern,), [], files) if f not in settings)
        for pattern in component.templates:
            templates += tuple(f for f in _select((pattern,), [], files) if f not in templates)
    compose = _select(config.compose, [f for f in files if is_compose_file(f)], files)
    env_example = config.env_example
    searched: tuple[str, ...] = ()
    if not config.env_example_set:
        env_example, searched = find_example(root, settings)
    layers = LayerFiles(
        settings=settings,
        templates=templates,
        dockerfiles=dockerfiles,
        env_example=env_example,
        compose=compose,
        unreadable=tuple(unreadable),
        odd_gitignores=tuple(odd_gitignores),
        example_searched=searched,
    )
    confine(root, layers)
    return layers


def confine(root: Path, layers: LayerFiles) -> None:
    """ConfigError unless every layer path resolves (symlinks followed) inside ``root``.

    Checked before any file is opened: ``env_example = "/elsewhere/creds.env"``,
    ``../shared/.env`` or a ``secrets.ctmpl`` symlinked to ``/proc/self/environ`` are refused
    whole, not read and reported.
    """
    paths = (*layers.settings, *layers.templates, *layers.dockerfiles, *layers.compose)
    for rel in (layers.env_example, *paths):
        if os.path.isabs(rel) or ".." in Path(rel).parts:
            where = os.path.normpath(os.path.join(root, rel))
            if os.path.commonpath([where, str(root)]) != str(root):
                raise ConfigError(
                    f"{rel}: outside the repository {root}; layer files must be inside it"
                )
        target = escapes(root, root / rel)
        if target is not None:
            raise ConfigError(
                f"{rel}: is a symlink leading outside the repository ({target}); "
                "layer files must be inside it"
            )


# The names projects give their example env file, most common first.
EXAMPLE_NAMES = (
    ".env.example", ".env.sample", ".env.template", ".env-template", "example.env",
    "env.example", ".env.dist",
)  # fmt: skip


def find_example(root: Path, settings: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The example file at the root, else next to a settings file: ``(path, ())``; when
    there is none, ``(".env.example", folders searched)``."""
    folders = dict.fromkeys(["", *(f.rpartition("/")[0] for f in settings)])
    for folder in folders:
        for name in EXAMPLE_NAMES:
            rel = f"{folder}/{name}" if folder else name
            if os.path.lexists(root / rel):  # a FIFO or a bad link: the reader says what it is
                return rel, ()
    return ".env.example", tuple(f"{folder}/" if folder else "./" for folder in folders)


_COMPOSE_NAME = re.compile(r"(?:docker-)?compose[^/]*\.ya?ml")


def is_compose_file(rel: str) -> bool:
    """``docker-compose*.yml`` / ``compose*.yaml``, as Docker Compose names them."""
    return bool(_COMPOSE_NAME.fullmatch(rel.rsplit("/", 1)[-1]))


def _configured_patterns(config: Config) -> Iterator[str]:
    for patterns in (config.settings, config.templates, config.dockerfiles, config.compose):
        yield from patterns or ()
    for component in config.components:
        yield from component.settings
        yield from component.templates


def _discover_settings(root: Path, files: list[str]) -> list[str]:
    """Python files that define a BaseSettings subclass, directly or via a local base class.

    A cheap text test picks candidates; the settings reader decides exactly. Files whose
    classes derive from a class defined in a first-round file are added in a second round,
    so inheritance across files is found without configuration.
    """
    texts: dict[str, str] = {}
    unreadable: list[str] = []
    for rel in files:
        if not rel.endswith(".py"):
            continue
        path = root / rel
        try:
            # Never a symlink out of the repository (not even a peek: it is no layer of ours).
            if escapes(root, path) is not None:
                continue
            # Never opened: a FIFO would block, a device could be anything. It could be the
            # settings, so the settings reader says what it is ("no settings class found"
            # would be a silent drop).
            if not stat.S_ISREG(path.stat().st_mode):
                unreadable.append(rel)
                continue
            # Only the head: imports and class lines come first, and a huge generated
            # module costs no more than this. A skipped big config.py looked like "no
            # settings class found".
            with open(path, "rb") as handle:
                head = handle.read(MAX_SCAN_BYTES)
        except PermissionError:  # may well be the settings: the reader says it cannot read it
            unreadable.append(rel)
            continue
        except OSError:
            continue
        # A UTF-16 config.py is found too, so the reader can say what is wrong with it.
        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
        texts[rel] = head.decode("utf-16" if utf16 else "utf-8", errors="replace")
    first = [rel for rel, text in texts.items() if "BaseSettings" in text]
    names = {name for rel in first for name in _CLASS_RE.findall(texts[rel])}
    if not names:
        return sorted(first + unreadable)
    # The bases stop at the next `class` line: in valid Python they close before it, and an
    # unclosed `class A(` on every line no longer makes each one scan the rest of the file.
    base_re = re.compile(
        r"^class\s+\w+\s*\((?:[^)\n]|\n(?!class\s))*\b("
        + "|".join(map(re.escape, sorted(names)))
        + r")\b",
        re.MULTILINE,
    )
    second = [rel for rel, text in texts.items() if rel not in first and base_re.search(text)]
    return sorted(first + second + unreadable)


# Files that sit next to a Dockerfile and share its name, but are not one.
_NOT_DOCKERFILE = (".dockerignore", ".md", ".txt", ".rst", ".orig", ".bak", ".swp", "~")


def is_dockerfile_name(name: str) -> bool:
    """Discovery's notion of a Dockerfile: ``Dockerfile``, ``Dockerfile.prod``,
    ``Dockerfile-api``, but not ``Dockerfile.ui.dockerignore`` or ``Dockerfile.md``. A file
    configured under ``dockerfiles`` is read whatever its name."""
    return name.startswith("Dockerfile") and not name.lower().endswith(_NOT_DOCKERFILE)
