"""``env-file-ignored``: ``.env`` files stay out of git. Git itself is asked, never emulated.

* ``git check-ignore -v --no-index .env``, asked from the folder of the app's ``.env`` (beside
  ``.env.example``, so a nested ``backend/.gitignore`` counts), says whether, and by which
  pattern, it is ignored. A pattern only in ``.git/info/exclude`` or a global excludes file does not count:
  the next clone would commit the file.
* ``git ls-files`` lists ``.env`` / ``.env.local`` / ``.env.*.local`` files that are tracked
  (each one fails: its values are in the history) or present and not ignored (fail too). A
  tracked file whose every value is a placeholder (``changethis``) or a non-secret is a
  deliberate example and passes; only that verdict leaves the reader, never a value.

Outside a git work tree (or without git) there is nothing git could commit: the item is
skipped with that reason, so a copy of a repository (a CI artifact, a tarball) still runs
every other rule.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from pytest_envssot.findings import Finding
from pytest_envssot.index import Index
from pytest_envssot.model import Layer, Location
from pytest_envssot.rules._credentials import credential_named, dev_placeholder
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo
from pytest_envssot.safefile import is_regular
from pytest_envssot.secretscan import allowance, scan

RULE = Reporter("env-file-ignored")
ENV_FILE = ".env"
# Files that hold real local values by convention; .env.example & co. are meant to be committed.
PATHSPECS = (":(glob)**/.env", ":(glob)**/.env.local", ":(glob)**/.env.*.local")
GIT_TIMEOUT = 30


class GitError(Exception):
    """git is missing, or this is no work tree: the message says which."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise GitError("git is not installed")
    try:
        return subprocess.run(
            [git, *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {args[0]} failed: {type(exc).__name__}") from None


def _toplevel(root: Path) -> Path:
    done = _git(root, "rev-parse", "--show-toplevel")
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["not a git repository"])[0]
        raise GitError(f"not in a git work tree (git: {first.removeprefix('fatal: ')})")
    return Path(done.stdout.strip())


def _ls(root: Path) -> tuple[list[str], list[str]]:
    """(tracked, untracked and not ignored) env files, from one git process: ``-t`` tags each
    path, ``?`` for an untracked one (each git process costs a small repository's run ~2 ms)."""
    done = _git(root, "ls-files", "-z", "-t", "--cached", "--others", "--exclude-standard",
                "--", *PATHSPECS)  # fmt: skip
    tracked: list[str] = []
    others: list[str] = []
    if done.returncode == 0:
        for entry in done.stdout.split("\0"):
            if entry:
                (others if entry.startswith("? ") else tracked).append(entry[2:])
    return tracked, others


def _app_env(index: Index) -> str:
    """The ``.env`` the app reads: beside its ``.env.example`` (``backend/.env`` when the
    example is ``backend/.env.example``), else the root's."""
    folder = Path(index.config.env_example).parent.as_posix()
    return ENV_FILE if folder in ("", ".") else f"{folder}/{ENV_FILE}"


def _ignored_by(root: Path, top: Path, env: str) -> tuple[Location | None, str | None]:
    """(the .gitignore line ignoring .env, None) or (None, why it is not ignored for everyone).

    Asked from the file's own folder, so a nested ``backend/.gitignore`` counts."""
    folder = (root / env).parent
    if not folder.is_dir():
        folder, env = root, ENV_FILE
    done = _git(folder, "check-ignore", "-v", "--no-index", Path(env).name)
    if done.returncode != 0 or not done.stdout.strip():
        return None, f"no .gitignore pattern matches {ENV_FILE}"
    source, line, pattern = done.stdout.split("\t", 1)[0].rsplit(":", 2)
    if pattern.startswith("!"):
        return None, f"{source}:{line} re-includes it ({pattern})"
    source_path = Path(source) if Path(source).is_absolute() else top / source
    if source_path.name != ".gitignore":
        return None, (
            f"it is ignored only by {source} (line {line}), which is not committed: "
            "every other clone would add it"
        )
    try:
        rel = source_path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = ".gitignore"  # a parent folder's .gitignore (a monorepo): still committed
        return Location(rel, 0), None
    return Location(rel, int(line)), None


def _odd_gitignores(index: Index) -> list[str]:
    """``.gitignore`` files git would block on (a FIFO) or cannot use (a socket, a device)."""
    found = list(index.contract.odd_gitignores)
    top = index.config.root / ".gitignore"
    if ".gitignore" not in found and os.path.lexists(top) and not is_regular(top):
        found.insert(0, ".gitignore")  # checked even when discovery did not walk the tree
    return found


def _only_placeholders(path: Path) -> int:
    """How many values ``path`` sets when none could be a credential (placeholders such as
    ``changethis``, local defaults, non-secrets); 0 when one could, or it cannot be read.
    Only a verdict leaves this function, never a value."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 0
    count = 0
    for line in text.splitlines():
        key, eq, value = line.strip().removeprefix("export ").partition("=")
        if not eq or key.startswith("#"):
            continue
        value = value.strip().strip("'\"")
        if scan(value) is not None:
            return 0
        if credential_named(key) and not (allowance(value) or dev_placeholder(value)):
            return 0
        count += 1
    return count


def env_file_ignored(index: Index) -> Iterator[Finding]:
    root = index.config.root
    odd = _odd_gitignores(index)
    if odd:  # git would open it and wait (a FIFO) for ever: say so instead of asking git
        yield RULE.failed(
            ENV_FILE,
            Location(odd[0], 0),
            lines=(
                f"{', '.join(odd)}: not a regular file (a FIFO, socket or device): git cannot "
                f"read it, so nothing tells whether {ENV_FILE} is ignored.",
                "Replace it with a plain .gitignore file.",
            ),
        )
        return
    env = _app_env(index)
    try:
        top = _toplevel(root)
        location, problem = _ignored_by(root, top, env)
        tracked, others = _ls(root)
        loose = [p for p in others if p != env]
    except GitError as exc:
        yield RULE.skipped(
            ENV_FILE,
            Location(".gitignore", 0),
            lines=(f"{exc}; nothing here can be committed, so no .env can leak through git",),
        )
        return
    if env not in tracked:
        if problem is None and location is not None:
            yield RULE.passed(ENV_FILE, location)
        else:
            yield RULE.failed(
                ENV_FILE,
                Location(".gitignore", 0),
                lines=(
                    f"git does not ignore {ENV_FILE}: {problem}.",
                    "A developer's .env holds real credentials; one `git add .` commits them.",
                    "Add to .gitignore:",
                ),
                fix=(".env", ".env.local", ".env.*.local"),
            )
    for path in tracked:
        placeholders = _only_placeholders(root / path)
        if placeholders:
            yield RULE.passed(
                path,
                Location(path, 0),
                lines=(
                    f"{path} is tracked deliberately as an example: its {placeholders} values are "
                    "placeholders or non-secrets, meant to be overridden",
                ),
            )
            continue
        yield RULE.failed(
            path,
            Location(path, 0),
            lines=(
                f"{path} is tracked by git: every value in it is in the repository's history.",
                "Untrack it, ignore it, and rotate every credential it ever held:",
            ),
            fix=(f"git rm --cached {path}", f"echo '{Path(path).name}' >> .gitignore"),
        )
    for path in loose:
        yield RULE.failed(
            path,
            Location(path, 0),
            lines=(
                f"{path} exists and git does not ignore it: the next `git add .` commits it.",
                "Add to .gitignore:",
            ),
            fix=(f"{Path(path).name}",),
        )


_FIELD = "class Settings(BaseSettings):\n    x: int = 1\n"

RULES = (
    Rule(
        RULE,
        Layer.REPO,
        ".env is not git-ignored, or a .env is tracked (skipped outside a git work tree)",
        env_file_ignored,
        hangs_under="`.gitignore` / the file",
        details="git (`git check-ignore`) does not ignore `.env` through a committed `.gitignore`, or a `.env`/`.env.local`/`.env.*.local` is tracked or lying around unignored (a tracked one holding only placeholders such as `changethis` and non-secrets is a deliberate example and passes; `.env` is looked up beside `.env.example`, so a nested `.gitignore` counts). Outside a git work tree it is skipped with the reason",
        why="A .env that git does not ignore is one `git add .` away from publishing every local secret.",
        valid=(
            RuleExample(
                mini_repo(_FIELD, "X=1\n", extra={".gitignore": ".env\n", ".env": "X=2\n"}),
                ENV_FILE,
                git=True,
            ),
            # the app's .env sits beside backend/.env.example, ignored by backend/.gitignore
            RuleExample(
                {
                    **mini_repo(_FIELD, ""),
                    "pyproject.toml": '[project]\nname = "demo"\n[tool.envssot]\n'
                    'env_example = "backend/.env.example"\n',
                    "backend/.env.example": "X=1\n",
                    "backend/.gitignore": ".env\n",
                },
                ENV_FILE,
                git=True,
            ),
            # a tracked .env of placeholders only: a deliberate example, meant to be overridden
            RuleExample(
                mini_repo(_FIELD, "X=1\n", extra={".env": "X=2\nSECRET_KEY=changethis\n"}),
                ENV_FILE,
                git=True,
            ),
        ),
        invalid=(
            RuleExample(
                mini_repo(_FIELD, "X=1\n", extra={".env": "X=2\nSECRET_KEY=hunter2-but-longer\n"}),
                ENV_FILE,
                git=True,
                message=(
                    ".env is tracked by git: every value in it is in the repository's history.",
                    "Untrack it, ignore it, and rotate every credential it ever held:",
                ),
                fix=("git rm --cached .env", "echo '.env' >> .gitignore"),
            ),
            RuleExample(
                mini_repo(
                    _FIELD,
                    "X=1\n",
                    extra={"api/.env.local": "X=2\nDB_PASSWORD=hunter2-but-longer\n"},
                ),
                "api/.env.local",
                git=True,
                message=(
                    "api/.env.local is tracked by git: every value in it is in the repository's history.",
                    "Untrack it, ignore it, and rotate every credential it ever held:",
                ),
                fix=("git rm --cached api/.env.local", "echo '.env.local' >> .gitignore"),
            ),
        ),
    ),
)
