"""``env-file-ignored``: ``.env`` files stay out of git. Git itself is asked, never emulated.

* ``git check-ignore -v --no-index .env`` says whether, and by which pattern, ``.env`` is
  ignored. A pattern only in ``.git/info/exclude`` or a global excludes file does not count:
  the next clone would commit the file.
* ``git ls-files`` lists ``.env`` / ``.env.local`` / ``.env.*.local`` files that are tracked
  (each one fails: its values are in the history) or present and not ignored (fail too).

Outside a git work tree (or without git) there is nothing git could commit: the item is
skipped with that reason, so a copy of a repository (a CI artifact, a tarball) still runs
every other rule. File contents are never read.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from pytest_envssot.findings import Finding, Outcome
from pytest_envssot.index import Index
from pytest_envssot.model import Layer, Location
from pytest_envssot.rules.base import Rule, RuleExample, mini_repo
from pytest_envssot.safefile import is_regular

RULE = "env-file-ignored"
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


def _ls(root: Path, *flags: str) -> list[str]:
    done = _git(root, "ls-files", "-z", *flags, "--", *PATHSPECS)
    return [p for p in done.stdout.split("\0") if p] if done.returncode == 0 else []


def _ignored_by(root: Path, top: Path) -> tuple[Location | None, str | None]:
    """(the .gitignore line ignoring .env, None) or (None, why it is not ignored for everyone)."""
    done = _git(root, "check-ignore", "-v", "--no-index", ENV_FILE)
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


def env_file_ignored(index: Index) -> Iterator[Finding]:
    root = index.config.root
    odd = _odd_gitignores(index)
    if odd:  # git would open it and wait (a FIFO) for ever: say so instead of asking git
        yield Finding(
            RULE,
            ENV_FILE,
            Outcome.FAILED,
            Location(odd[0], 0),
            lines=(
                f"{', '.join(odd)}: not a regular file (a FIFO, socket or device): git cannot "
                f"read it, so nothing tells whether {ENV_FILE} is ignored.",
                "Replace it with a plain .gitignore file.",
            ),
        )
        return
    try:
        top = _toplevel(root)
        location, problem = _ignored_by(root, top)
        tracked = _ls(root, "--cached")
        loose = [p for p in _ls(root, "--others", "--exclude-standard") if p != ENV_FILE]
    except GitError as exc:
        yield Finding(
            RULE,
            ENV_FILE,
            Outcome.SKIPPED,
            Location(".gitignore", 0),
            lines=(f"{exc}; nothing here can be committed, so no .env can leak through git",),
        )
        return
    if ENV_FILE not in tracked:
        if problem is None and location is not None:
            yield Finding(RULE, ENV_FILE, Outcome.PASSED, location)
        else:
            yield Finding(
                RULE,
                ENV_FILE,
                Outcome.FAILED,
                Location(".gitignore", 0),
                lines=(
                    f"git does not ignore {ENV_FILE}: {problem}.",
                    "A developer's .env holds real credentials; one `git add .` commits them.",
                    "Add to .gitignore:",
                ),
                fix=(".env", ".env.local", ".env.*.local"),
            )
    for path in tracked:
        yield Finding(
            RULE,
            path,
            Outcome.FAILED,
            Location(path, 0),
            lines=(
                f"{path} is tracked by git: every value in it is in the repository's history.",
                "Untrack it, ignore it, and rotate every credential it ever held:",
            ),
            fix=(f"git rm --cached {path}", f"echo '{Path(path).name}' >> .gitignore"),
        )
    for path in loose:
        yield Finding(
            RULE,
            path,
            Outcome.FAILED,
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
        details="git (`git check-ignore`) does not ignore `.env` through a committed `.gitignore`, or a `.env`/`.env.local`/`.env.*.local` is tracked or lying around unignored. Outside a git work tree it is skipped with the reason",
        why="A .env that git does not ignore is one `git add .` away from publishing every local secret.",
        valid=(
            RuleExample(
                mini_repo(_FIELD, "X=1\n", extra={".gitignore": ".env\n", ".env": "X=2\n"}),
                ENV_FILE,
                git=True,
            ),
        ),
        invalid=(
            RuleExample(mini_repo(_FIELD, "X=1\n", extra={".env": "X=2\n"}), ENV_FILE, git=True),
            RuleExample(
                mini_repo(_FIELD, "X=1\n", extra={"api/.env.local": "X=2\n"}),
                "api/.env.local",
                git=True,
            ),
        ),
    ),
)
