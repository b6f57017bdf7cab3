"""Nothing lost, nothing written (README "Hardening").

Every face runs over a git work tree copy of each example repository, and the whole tree
(every entry with its type, mode, size, mtime and content hash, folders and ``.git``
included: a file created and deleted again still changes its folder's mtime) must be
exactly as before.

What the runs are told, and why:

* ``-p no:cacheprovider`` and ``PYTHONDONTWRITEBYTECODE=1``: pytest's cache and Python's
  bytecode are pytest's and Python's writes, which a user switches off the same way;
  ``-p no:benchmark``: pytest-benchmark, installed here, makes ``.benchmarks/``.
* the pytest face runs with and without ``CI=true``: template-roundtrip keeps hypothesis'
  storage in a temporary folder either way (``./.hypothesis`` would be the user's tree).

The branch-database fixture's own "nothing lost" cases (never dropping a database it did not
create, refusing a non-test admin database, pruning only its own idle clusters) run against
real PostgreSQL at the end of this module.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DRIFTED, SAMPLE, copy_repo

TreeState = dict[str, tuple[object, ...]]


def tree_state(root: Path) -> TreeState:
    """Every entry under ``root`` (itself included) -> what a write would change."""
    state: TreeState = {}
    for folder, dirs, files in os.walk(root):
        for name in ["", *dirs, *files]:
            path = Path(folder, name)
            info = path.lstat()
            kind = stat.S_IFMT(info.st_mode)
            if stat.S_ISREG(info.st_mode):
                body: object = hashlib.sha256(path.read_bytes()).hexdigest()
            elif stat.S_ISLNK(info.st_mode):
                body = os.readlink(path)
            else:
                body = None
            rel = path.relative_to(root).as_posix()
            state[rel] = (kind, stat.S_IMODE(info.st_mode), info.st_size, info.st_mtime_ns, body)
    return state


def _git_repo(source: Path, target: Path) -> Path:
    root = copy_repo(source, target)
    (root / ".env").write_text("SECRET_KEY=local-only\n")  # ignored: env-file-ignored asks git
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "x"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=root, check=True
        )
    return root


PYTEST = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:benchmark", "-q"]
CLI = [sys.executable, "-m", "pytest_envssot.cli"]
FACES = [
    pytest.param([*PYTEST, "--envssot"], {"CI": "true"}, id="pytest-envssot-all-rules"),
    pytest.param([*PYTEST, "--envssot"], {}, id="pytest-envssot-outside-ci"),
    pytest.param([*PYTEST, "--envssot-only"], {}, id="pytest-envssot-only"),
    pytest.param([*CLI, "check", ".", "--format", "github"], {}, id="check-github"),
    pytest.param([*PYTEST, "--envssot", "-vv", "-l", "--tb=long"], {"CI": "true"}, id="pytest-verbose"),
    pytest.param([*CLI, "check", "."], {}, id="check-text"),
    pytest.param([*CLI, "check", ".", "-v"], {}, id="check-verbose"),
    pytest.param([*CLI, "check", ".", "--format", "json"], {}, id="check-json"),
    pytest.param([*CLI, "check", ".", "--format", "sarif"], {}, id="check-sarif"),
    pytest.param([*CLI, "check", ".", "--diff"], {}, id="check-diff"),
    pytest.param([*CLI, "check", ".", "--diff"], {"CI": "true"}, id="check-diff-ci"),
    pytest.param([*CLI, "vars", "."], {}, id="vars"),
    pytest.param([*CLI, "fix", ".", "--dry-run"], {}, id="fix-dry-run"),
    pytest.param([*CLI, "fix", ".", "--diff", "--keep-orphans"], {}, id="fix-diff"),
    pytest.param([*CLI, "vars", ".", "--format", "json"], {}, id="vars-json"),
    pytest.param([*CLI, "check", ".", "--import"], {}, id="check-import"),
    pytest.param([*PYTEST, "--envssot", "--envssot-import"], {"CI": "true"}, id="pytest-import"),
]  # fmt: skip


@pytest.mark.parametrize("source", [SAMPLE, DRIFTED], ids=["sample", "drifted"])
@pytest.mark.parametrize(("command", "extra_env"), FACES)
def test_no_face_writes_to_the_repository(
    tmp_path: Path, source: Path, command: list[str], extra_env: dict[str, str]
) -> None:
    root = _git_repo(source, tmp_path / "repo")
    before = tree_state(root)
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_STORAGE_DIRECTORY")}
    env.update(PYTHONDONTWRITEBYTECODE="1", **extra_env)
    proc = subprocess.run(
        command, cwd=root, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    after = tree_state(root)
    assert sorted(set(after) - set(before)) == [], "created"
    assert sorted(set(before) - set(after)) == [], "deleted"
    assert {k: (before[k], after[k]) for k in before if before[k] != after[k]} == {}, "changed"


def test_the_tree_state_sees_a_write(tmp_path: Path) -> None:
    """Guard against a vacuous pass: touching, adding-and-removing and chmod are all seen."""
    root = _git_repo(SAMPLE, tmp_path / "repo")
    before = tree_state(root)
    (root / "apps/tmp").write_text("x")
    (root / "apps/tmp").unlink()  # leaves no entry, only the folder's mtime
    assert tree_state(root) != before
    before = tree_state(root)
    (root / ".env.example").chmod(0o600)
    assert tree_state(root) != before


# --------------------------------------------------------------------------- branch database
# Moved here from tests/test_branch_db.py (its fixtures and helpers are imported from there).

try:
    import psycopg
except ImportError:  # pragma: no cover - the postgres extra is part of CI's install
    psycopg = None

if psycopg is not None:
    from test_branch_db import (  # noqa: F401 - backend and pg_cache are fixtures
        ADMIN_URL,
        USE,
        _project,
        _run,
        backend,
        pg_cache,
    )

needs_psycopg = pytest.mark.skipif(psycopg is None, reason="psycopg is not installed")


@needs_psycopg
def test_never_drops_a_database_it_did_not_create(pytester: pytest.Pytester, backend: str) -> None:
    if backend != "admin":
        pytest.skip("needs the shared server")
    from pytest_envssot.isolation.naming import branch_database_name, workspace_id

    root = _project(pytester, USE)
    name = branch_database_name("finance_report", "fix-auth", workspace_id(root))
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        result = _run(pytester)
        result.assert_outcomes(errors=2)
        assert "already exists and was not created by pytest-envssot" in result.stdout.str()
        assert "Traceback" not in result.stdout.str()
        with psycopg.connect(ADMIN_URL) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            assert row is not None and row[0] == 1
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


@needs_psycopg
def test_refuses_an_admin_url_on_a_non_test_database(
    pytester: pytest.Pytester, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "admin":
        pytest.skip("about the admin URL")
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS finance_report_live")
        conn.execute("CREATE DATABASE finance_report_live")
    try:
        monkeypatch.setenv(
            "ENVSSOT_DB_ADMIN_URL", ADMIN_URL.rsplit("/", 1)[0] + "/finance_report_live"
        )
        _project(pytester, USE)
        refused = _run(pytester)
        refused.assert_outcomes(errors=2)
        out = refused.stdout.str()
        assert "neither a maintenance database" in out and "--envssot-db-allow-admin-db" in out
        assert ADMIN_URL.split(":")[2].split("@")[0] not in out  # the password never shows
        _run(pytester, "--envssot-db-allow-admin-db").assert_outcomes(passed=2)
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS finance_report_live")


def test_idle_clusters_of_other_branches_are_pruned_and_nothing_else(tmp_path: Path) -> None:
    import time

    from pytest_envssot.isolation.pgcluster import prune_idle

    def folder(name: str, cluster: bool, age_days: float) -> Path:
        path = tmp_path / name
        (path / "users").mkdir(parents=True) if cluster else path.mkdir()
        (path / "lock").touch()
        old = time.time() - age_days * 86400
        os.utime(path / "lock", (old, old))
        return path

    idle = folder("0123abcd-deadbeef", cluster=True, age_days=30)
    recent = folder("0123abcd-feedf00d", cluster=True, age_days=1)
    current = folder("0123abcd-00000000", cluster=True, age_days=30)
    stranger = folder("my-project", cluster=False, age_days=30)
    assert prune_idle(tmp_path, keep=current) == [idle]
    assert recent.exists() and current.exists() and stranger.exists()
