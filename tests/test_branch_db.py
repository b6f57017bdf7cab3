"""``envssot_branch_db`` against real PostgreSQL: a server .ci/run starts, and private clusters.

Every scenario runs a real pytest in a subprocess on a throwaway project, the way a user
runs it; this test then checks the server from outside with its own connection.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

from pytest_envssot.isolation.branchdb import REGISTRY  # noqa: E402
from pytest_envssot.isolation.naming import workspace_id  # noqa: E402
from pytest_envssot.isolation.pgcluster import default_cache_root, find_bindir  # noqa: E402

ADMIN_URL = os.environ.get("ENVSSOT_DB_ADMIN_URL", "")
PROJECT = '[project]\nname = "finance_report"\n'
INJECTION = "feature/ÄÖ; DROP DATABASE x"


@pytest.fixture(scope="module")
def pg_cache() -> Iterator[Path]:
    """A cache folder the unprivileged server user can reach (tmp_path, under /tmp/pytest-of-root, cannot)."""
    shm = Path("/dev/shm")
    parent = shm if default_cache_root().parent == shm else Path("/var/tmp")
    folder = Path(tempfile.mkdtemp(prefix="envssot-pg-", dir=parent))
    folder.chmod(0o755)
    yield folder
    bindir = find_bindir()
    for data in folder.glob("*/data"):  # every run stops its cluster; this is a safety net
        if (data / "postmaster.pid").exists() and bindir is not None:
            subprocess.run(
                [
                    "runuser",
                    "-u",
                    data.owner(),
                    "--",
                    str(bindir / "pg_ctl"),
                    "stop",
                    "-D",
                    str(data),
                    "-m",
                    "immediate",
                ],
                capture_output=True,
                check=False,
                cwd="/",
            )
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["cluster", "admin"])
def backend(request: pytest.FixtureRequest, pg_cache: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ENVSSOT_PG_CACHE", str(pg_cache))
    monkeypatch.setenv("ENVSSOT_DB_BACKEND", request.param)
    monkeypatch.setenv("BRANCH_NAME", "fix-auth")
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    monkeypatch.delenv("PYTEST_ADDOPTS", raising=False)
    if request.param == "admin":
        if not ADMIN_URL:
            pytest.skip("ENVSSOT_DB_ADMIN_URL is not set (.ci/run starts a server and sets it)")
    elif find_bindir() is None:
        pytest.skip("no PostgreSQL server binaries on this machine")
    return str(request.param)


def _project(pytester: pytest.Pytester, tests: str, **files: str) -> Path:
    pytester.makepyprojecttoml(PROJECT)
    pytester.makepyfile(test_db=tests, **files)
    return pytester.path


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:randomly", *args, timeout=300
    )


def _admin_databases(workspace: str) -> list[str]:
    """Every database of this workspace on the admin server, registered or not."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE strpos(datname, %s) > 0 ORDER BY 1",
            (f"_{workspace}",),
        ).fetchall()
    return [name for (name,) in rows]


def _cluster_dirs(cache: Path, root: Path) -> list[Path]:
    return sorted(cache.glob(f"{workspace_id(root)}-*"))


def _running(cluster: Path) -> bool:
    return (cluster / "data" / "postmaster.pid").exists()


USE = """
import psycopg

def test_use(envssot_branch_db, envssot_db_service):
    db = envssot_branch_db
    print("READY", envssot_db_service.ready_state, "NAME", db.name, "PORT", db.port)
    assert db.name.startswith("finance_report_test_fix_auth_") and len(db.name.encode()) <= 63
    assert db.container_name.startswith("finance-report-db-fix-auth-")
    with psycopg.connect(db.dsn) as conn:
        conn.execute("CREATE TABLE ledger (id int PRIMARY KEY, amount numeric)")
        conn.execute("INSERT INTO ledger VALUES (1, 9.5)")
        assert conn.execute("SELECT amount FROM ledger").fetchone()[0] == 9.5
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database")]
    print("DATABASES", " ".join(sorted(names)))
    assert "password" not in repr(db) and (db.password is None or db.password not in repr(db))

def test_fresh_each_time(envssot_branch_db):
    with psycopg.connect(envssot_branch_db.dsn) as conn:
        assert conn.execute("SELECT to_regclass('ledger')").fetchone()[0] is None
"""


def test_create_use_clean_up_and_reuse(
    pytester: pytest.Pytester, backend: str, pg_cache: Path
) -> None:
    root = _project(pytester, USE)
    first = _run(pytester, "-s")
    first.assert_outcomes(passed=2)
    if backend == "admin":
        assert "READY admin" in first.stdout.str()
        assert _admin_databases(workspace_id(root)) == []  # dropped at session end
        return
    assert "READY cold" in first.stdout.str()
    [cluster] = _cluster_dirs(pg_cache, root)
    assert not _running(cluster)  # stopped at session end, data kept
    port = int(first.stdout.str().split("PORT ")[1].split()[0])
    assert 5400 <= port <= 5999
    second = _run(pytester, "-s")
    second.assert_outcomes(passed=2)
    out = second.stdout.str()
    assert "READY warm" in out  # the same cluster, started again
    listed = out.split("DATABASES ")[1].splitlines()[0].split()
    # Only the test's own database and its template: the first run left nothing behind.
    maintenance = ("postgres", "template0", "template1", REGISTRY)
    assert [n for n in listed if n not in maintenance] == sorted(
        [
            out.split("NAME ")[1].split()[0],
            out.split("NAME ")[1].split()[0].replace("_test_", "_tpl_", 1),
        ]
    )
    assert not _running(cluster)


ISOLATE = """
import psycopg
import pytest

def test_four_databases(envssot_branch_db_factory):
    dbs = [envssot_branch_db_factory(branch=b, worker=w) for b in ("feature/a", "fix-b") for w in ("gw0", "gw1")]
    assert len({d.name for d in dbs}) == 4
    for i, db in enumerate(dbs):
        with psycopg.connect(db.dsn) as conn:
            conn.execute(f"CREATE TABLE only_in_{i} (x int)")
    for i, db in enumerate(dbs):
        with psycopg.connect(db.dsn) as conn:
            tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
            assert tables == {f"only_in_{i}"}
            other = dbs[(i + 1) % 4].name
            with pytest.raises(psycopg.errors.FeatureNotSupported):
                conn.execute(f'SELECT * FROM "{other}".public.only_in_{(i + 1) % 4}')
"""


def test_two_branches_two_workers_four_isolated_databases(
    pytester: pytest.Pytester, backend: str
) -> None:
    root = _project(pytester, ISOLATE)
    _run(pytester).assert_outcomes(passed=1)
    if backend == "admin":
        assert _admin_databases(workspace_id(root)) == []


XDIST = """
import pathlib, psycopg

def _record(db, tag):
    with psycopg.connect(db.dsn) as conn:
        conn.execute("CREATE TABLE mine (x int)")
    pathlib.Path(f"{tag}.name").write_text(db.name)

def test_a(envssot_branch_db): _record(envssot_branch_db, "a")
def test_b(envssot_branch_db): _record(envssot_branch_db, "b")
def test_c(envssot_branch_db): _record(envssot_branch_db, "c")
def test_d(envssot_branch_db): _record(envssot_branch_db, "d")
"""


def test_xdist_workers_get_their_own_databases(
    pytester: pytest.Pytester, backend: str, pg_cache: Path
) -> None:
    pytest.importorskip("xdist")
    root = _project(pytester, XDIST)
    _run(pytester, "-n", "2").assert_outcomes(passed=4)
    names = {(root / f"{t}.name").read_text() for t in "abcd"}
    assert {n.rsplit("_", 1)[1] for n in names} == {"gw0", "gw1"}
    if backend == "cluster":
        assert not any(_running(c) for c in _cluster_dirs(pg_cache, root))
    else:
        assert _admin_databases(workspace_id(root)) == []


HOSTILE = """
import json, psycopg

def test_hostile(envssot_branch_db):
    db = envssot_branch_db
    assert len(db.name.encode()) <= 63
    with psycopg.connect(db.dsn) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == db.name
        comment = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (db.name,)
        ).fetchone()[0]
    assert json.loads(comment.split(" ", 1)[1])["branch"] == db.branch
    print("NAME", db.name)
"""


@pytest.mark.parametrize("branch", [INJECTION, "b" * 200, "emoji-🚀-🎉", "x'; DROP TABLE t; --"])
def test_injection_shaped_branch_names(
    pytester: pytest.Pytester, backend: str, branch: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend == "cluster" and branch != INJECTION:
        pytest.skip("one private cluster per branch: the admin server covers the other names")
    monkeypatch.setenv("BRANCH_NAME", branch)
    _project(pytester, HOSTILE)
    result = _run(pytester, "-s")
    result.assert_outcomes(passed=1)
    if ADMIN_URL:
        with psycopg.connect(ADMIN_URL) as conn:  # the server and its databases are all still there
            assert (
                conn.execute("SELECT count(*) FROM pg_database WHERE datname = 'x'").fetchone()[0]
                == 0
            )
            assert conn.execute("SELECT 1").fetchone() == (1,)


HANG = """
import pathlib, time, psycopg

def test_hang(envssot_branch_db):
    with psycopg.connect(envssot_branch_db.dsn) as conn:
        conn.execute("CREATE TABLE half_done (x int)")
    pathlib.Path("killed.name").write_text(envssot_branch_db.name)
    time.sleep(120)
"""

AFTER = """
import pathlib, psycopg

def test_after(envssot_branch_db):
    killed = pathlib.Path("killed.name").read_text()
    assert envssot_branch_db.name == killed  # the same name, a fresh database
    with psycopg.connect(envssot_branch_db.dsn) as conn:
        assert conn.execute("SELECT to_regclass('half_done')").fetchone()[0] is None
        left = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE strpos(datname, '_test_') > 0")]
    assert left == [killed]
"""


def test_kill_9_mid_session_then_a_clean_second_run(
    pytester: pytest.Pytester, backend: str, pg_cache: Path
) -> None:
    root = _project(pytester, HANG)
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_db.py"],
        cwd=root,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not (root / "killed.name").exists():
            assert proc.poll() is None and time.monotonic() < deadline, (
                "the run never got its database"
            )
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    killed = (root / "killed.name").read_text()
    if backend == "admin":
        assert killed in _admin_databases(workspace_id(root))  # left behind by the killed run
    (root / "test_db.py").write_text(AFTER)
    _run(pytester).assert_outcomes(passed=1)
    if backend == "admin":
        assert _admin_databases(workspace_id(root)) == []
    else:
        assert not any(_running(c) for c in _cluster_dirs(pg_cache, root))
        assert not list((_cluster_dirs(pg_cache, root)[0] / "users").iterdir())


SETUP = """
import pathlib, psycopg

def upgrade(dsn):
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, name text)")
    calls = pathlib.Path("setup.calls")
    calls.write_text(str(int(calls.read_text() or 0) + 1) if calls.exists() else "1")
"""

USES_SCHEMA = """
import psycopg

def _insert(db):
    with psycopg.connect(db.dsn) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone()[0] == 0
        conn.execute("INSERT INTO accounts VALUES (1, 'cash')")

def test_one(envssot_branch_db): _insert(envssot_branch_db)
def test_two(envssot_branch_db): _insert(envssot_branch_db)
def test_three(envssot_branch_db): _insert(envssot_branch_db)
"""


def test_setup_runs_once_and_every_test_gets_a_fresh_copy(
    pytester: pytest.Pytester, backend: str
) -> None:
    root = _project(pytester, USES_SCHEMA, migrations=SETUP)
    pytester.makeini("[pytest]\nenvssot_db_setup = migrations:upgrade\n")
    _run(pytester).assert_outcomes(passed=3)
    assert (root / "setup.calls").read_text() == "1"


def test_no_binaries_is_a_skip_that_says_how_to_install(
    pytester: pytest.Pytester, pg_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ENVSSOT_PG_BINDIR", "/nonexistent")
    monkeypatch.setenv("ENVSSOT_DB_BACKEND", "cluster")
    monkeypatch.setenv("ENVSSOT_PG_CACHE", str(pg_cache))
    _project(pytester, USE)
    result = _run(pytester, "-rs")
    result.assert_outcomes(skipped=2)
    assert "apt-get install postgresql" in result.stdout.str()


def test_naming_fixture_reads_the_project(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(PROJECT + '[tool.envssot]\nenvironments = ["qa"]\n')
    pytester.makepyfile(
        """
        def test_names(envssot_naming):
            assert envssot_naming.container("backend", "pr-47") == "finance-report-backend-pr-47"
            assert envssot_naming.container("backend", "qa") == "finance-report-backend-qa"
            envssot_naming.assert_isolated(["local", "ci", "staging", "production", "qa", "pr-47"])
        """
    )
    _run(pytester).assert_outcomes(passed=1)


def test_fixtures_import_nothing_heavy_until_asked(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import sys

        def test_plain():
            assert not {"psycopg", "yaml", "libcst", "hypothesis"} & set(sys.modules)
        """
    )
    _run(pytester).assert_outcomes(passed=1)


# The safety cases (never dropping what it did not create, refusing a non-test admin
# database, pruning only its own idle clusters) live in tests/test_read_only.py.
