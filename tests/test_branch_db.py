"""``envssot_branch_db`` against real PostgreSQL: a server .ci/run starts, and private clusters.

Every scenario runs a real pytest in a subprocess on a throwaway project, the way a user
runs it; this test then checks the server from outside with its own connection.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

psycopg = pytest.importorskip("psycopg")

from psycopg import sql  # noqa: E402

from pytest_envssot.isolation.branchdb import PAUSE_AFTER_CREATE, REGISTRY, TAG_PREFIX  # noqa: E402
from pytest_envssot.isolation.naming import (  # noqa: E402
    branch_database_name,
    branch_port,
    workspace_id,
)
from pytest_envssot.isolation.pgcluster import (  # noqa: E402
    SUPERUSER,
    PrivateCluster,
    default_cache_root,
    find_bindir,
    prune_idle,
    server_user,
)

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
    # This workspace's only: a shared server may hold other workspaces' databases.
    assert [n for n in left if n.endswith(killed[killed.rindex("_"):])] == [killed]
"""


def test_kill_9_mid_session_then_a_clean_second_run(
    pytester: pytest.Pytester, backend: str, pg_cache: Path
) -> None:
    root = _project(pytester, HANG)
    _kill(_start_until(root, root / "killed.name"))
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


def _start_until(
    root: Path, marker: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """A pytest run in the background (its own process group), once ``marker`` has content.

    Waiting for content, not existence: ``write_text`` creates the file before it writes, and
    a kill in between left an empty name behind (a CI flake)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 240
    while not (marker.exists() and marker.stat().st_size):
        if proc.poll() is not None or time.monotonic() > deadline:
            _kill(proc)
            pytest.fail(f"the background run never wrote {marker.name}")
        time.sleep(0.1)
    return proc


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


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


# --------------------------------------------------------------------------- security (issue 14)


def _as_user(user: str, *cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["runuser", "-u", user, "--", *cmd],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd="/",
        env={"PATH": os.environ.get("PATH", ""), "PGCONNECT_TIMEOUT": "5"},
    )


def _outsider(run_as: str | None) -> str:
    import pwd

    for name in ("nobody", "daemon"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        if name != run_as:
            return name
    pytest.skip("no unprivileged user other than the server's")


SHOWN = """
def test_compares(envssot_branch_db):
    dsn = envssot_branch_db.dsn
    assert "PASSWORD" in dsn
"""

FAILING_SETUP = """
def upgrade(dsn):
    raise RuntimeError(f"cannot migrate {dsn}")
"""


def test_the_password_never_shows_in_failures(
    pytester: pytest.Pytester, backend: str, pg_cache: Path
) -> None:
    """pytest prints assertion operands, locals (``-l``) and setup errors: the DSN's
    password appears in none of them."""
    root = _project(pytester, SHOWN, migrations=FAILING_SETUP)
    failed = _run(pytester, "-l")
    failed.assert_outcomes(failed=1)
    pytester.makeini("[pytest]\nenvssot_db_setup = migrations:upgrade\n")
    errored = _run(pytester)
    errored.assert_outcomes(errors=1)
    if backend == "admin":
        password = str(psycopg.conninfo.conninfo_to_dict(ADMIN_URL).get("password") or "")
    else:
        password = (_cluster_dirs(pg_cache, root)[0] / "password").read_text().strip()
    assert password
    for result in (failed, errored):
        out = result.stdout.str() + result.stderr.str()
        assert "postgresql://" in out and "***" in out  # the DSN is shown, masked
        assert password not in out
    assert "cannot migrate" in errored.stdout.str()


def test_another_local_user_cannot_reach_the_private_cluster(pg_cache: Path) -> None:
    """The audit connected as the cluster's superuser from any account (trust on 127.0.0.1)
    and ran COPY ... TO PROGRAM. Now: no TCP, a socket only its owner reaches, a password."""
    if os.geteuid() != 0:
        pytest.skip("acting as another local user needs root (runuser)")
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries on this machine")
    run_as = server_user()
    outsider = _outsider(run_as)
    psql = str(bindir / "psql") if (bindir / "psql").exists() else shutil.which("psql")
    if psql is None:
        pytest.skip("no psql")
    assert _as_user(outsider, psql, "--version").returncode == 0  # the probe itself works
    cluster = PrivateCluster(
        pg_cache / "0000a11a-5ec0a11a", bindir, branch_port("sec-a", "0000a11a"), run_as
    )
    port, _ = cluster.acquire()
    try:
        conninfo = cluster.admin_conninfo(port)
        password = cluster.password_file.read_text().strip()
        with psycopg.connect(conninfo) as conn:  # its owner, with the password: in
            assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
            assert conn.execute("SELECT count(*) FROM pg_hba_file_rules WHERE auth_method "
                                "NOT IN ('scram-sha-256', 'reject')").fetchone() == (0,)  # fmt: skip
        assert stat.S_IMODE(cluster.password_file.stat().st_mode) == 0o600
        assert stat.S_IMODE(cluster.sock.stat().st_mode) == 0o700
        assert stat.S_IMODE(cluster.root.stat().st_mode) == 0o700
        socket_file = cluster.sock / f".s.PGSQL.{port}"
        assert stat.S_IMODE(socket_file.stat().st_mode) == 0o700
        no_password = conninfo.replace(f"password='{password}'", "")
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(no_password)  # even root's own session needs it

        def outsider_connects(target: str) -> subprocess.CompletedProcess[str]:
            return _as_user(outsider, psql, "-X", "-w", "-At", "-c", "SELECT 'in'", target)

        # TCP, as the audit did: nothing listens, not even with the password.
        tcp = f"host=127.0.0.1 port={port} user={SUPERUSER} dbname=postgres password={password}"
        refused = outsider_connects(tcp)
        assert refused.returncode != 0 and "in" not in refused.stdout.split()
        assert "refused" in refused.stderr
        # The socket's folder, even knowing the password: not reachable.
        denied = outsider_connects(conninfo)
        assert denied.returncode != 0 and "Permission denied" in denied.stderr
        # The socket linked into a folder the outsider can enter: still refused.
        public = pg_cache / "public"
        public.mkdir(mode=0o777, exist_ok=True)
        public.chmod(0o777)
        os.link(socket_file, public / socket_file.name)
        try:
            copied = outsider_connects(
                f"host={public} port={port} user={SUPERUSER} dbname=postgres"
            )
            assert copied.returncode != 0 and "in" not in copied.stdout.split()
            assert "Permission denied" in copied.stderr or "password" in copied.stderr
        finally:
            shutil.rmtree(public)
    finally:
        cluster.release()
    assert not _running(cluster.root)


def test_a_forged_tag_is_never_dropped(pytester: pytest.Pytester, backend: str) -> None:
    """Anyone owning a database can write our COMMENT tag (our workspace, host, a dead owner):
    the audit had two such databases dropped. Only the registry says what is ours."""
    if backend != "admin":
        pytest.skip("forging needs a second account on the shared server")
    root = _project(pytester, USE)
    ws = workspace_id(root)
    wanted = branch_database_name("finance_report", "fix-auth", ws)  # the run's own name
    other = branch_database_name("finance_report", "someone-else", ws)
    tag = TAG_PREFIX + json.dumps(
        {"workspace": ws, "host": socket.gethostname(), "owner": "999999:1", "branch": "x"}
    )
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        for name in (wanted, other):
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            conn.execute(
                sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                    sql.Identifier(name), sql.Literal(tag)
                )
            )
    try:
        refused = _run(pytester)
        refused.assert_outcomes(errors=2)
        assert "already exists and was not created by pytest-envssot" in refused.stdout.str()
        assert set(_admin_databases(ws)) >= {wanted, other}
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(wanted)))
        _run(pytester).assert_outcomes(passed=2)
        assert _admin_databases(ws) == [other]  # kept through a whole run and its cleanup
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
            for name in (wanted, other):
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def test_a_registry_owned_by_another_role_is_not_trusted(pg_cache: Path) -> None:
    """Whoever owns the registry decides what is dropped: one that another role made first
    (it could list our neighbours' databases) stops the janitor before it touches anything."""
    from pytest_envssot.isolation.branchdb import BranchDBError, Janitor

    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries on this machine")
    cluster = PrivateCluster(
        pg_cache / "0000d1d1-0e0e0e0e", bindir, branch_port("sec-d1", "0000d1d1"), server_user()
    )
    port, _ = cluster.acquire()
    try:
        with psycopg.connect(cluster.admin_conninfo(port), autocommit=True) as conn:
            conn.execute("CREATE ROLE mallory")
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER mallory").format(sql.Identifier(REGISTRY))
            )
            conn.execute("CREATE DATABASE finance_report_test_x_0000d1d1")
        with pytest.raises(BranchDBError, match="belongs to role 'mallory'"):
            Janitor(cluster.admin_conninfo(port), "0000d1d1", "x")
        with psycopg.connect(cluster.admin_conninfo(port)) as conn:
            names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
        assert {REGISTRY, "finance_report_test_x_0000d1d1"} <= names
    finally:
        cluster.release()
    assert not _running(cluster.root)


def test_a_kill_between_create_and_register_recovers_by_itself(
    pytester: pytest.Pytester, backend: str, pg_cache: Path
) -> None:
    """SIGKILL right after CREATE DATABASE, before its registration is complete: the next
    run of the branch cleans up and passes, nobody drops anything by hand."""
    root = _project(pytester, USE)
    marker = root / "paused"
    env = {**os.environ, PAUSE_AFTER_CREATE: str(marker)}
    _kill(_start_until(root, marker, "test_db.py", env=env))
    if backend == "admin":
        [left] = _admin_databases(workspace_id(root))  # the template, made, oid not recorded
        assert "_tpl_" in left
    _run(pytester).assert_outcomes(passed=2)
    if backend == "admin":
        assert _admin_databases(workspace_id(root)) == []
    else:
        assert not any(_running(c) for c in _cluster_dirs(pg_cache, root))


HOLD = """
import os, pathlib, time, psycopg
from psycopg.conninfo import make_conninfo

def test_hold(envssot_branch_db):
    db = envssot_branch_db
    with psycopg.connect(db.dsn) as conn:
        conn.execute("CREATE TABLE kept (x int)")
    # What a run in another PID namespace sees: an owner pid that does not run here.
    with psycopg.connect(make_conninfo(db.dsn, dbname="pytest_envssot_registry")) as reg:
        reg.execute(
            "UPDATE branch_databases SET owner = '999999999:1' WHERE workspace = %s",
            (db.name.split("_")[-1],),
        )
    pathlib.Path("held.name").write_text(db.name)
    deadline = time.monotonic() + 240
    while not pathlib.Path("go").exists():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    with psycopg.connect(db.dsn) as conn:
        assert conn.execute("SELECT to_regclass('kept')").fetchone()[0] == "kept"
"""

SECOND = """
import os

def test_reclaim(envssot_db_service):
    print("PIDNS", os.readlink("/proc/self/ns/pid"))
    envssot_db_service.start()  # connects, and reclaims what dead runs of this workspace left

def test_same_name(envssot_branch_db):
    pass
"""


def _second_run_keeps_live_databases(
    pytester: pytest.Pytester, backend: str, prefix: list[str]
) -> str:
    """Run 1 holds a database whose recorded owner pid is dead from where run 2 looks; run
    2 (behind ``prefix``) reclaims, and is refused the same name. Run 2's output."""
    root = _project(pytester, HOLD, test_second=SECOND)
    holder = _start_until(root, root / "held.name", "test_db.py")
    try:
        second = subprocess.run(
            [*prefix, sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p",
             "no:randomly", "-s", "-rE", "test_second.py"],
            cwd=root, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        out = second.stdout
        assert "1 passed, 1 error" in out, out[-3000:]
        assert "belongs to a live test session" in out
        held = (root / "held.name").read_text()
        if backend == "admin":
            assert held in _admin_databases(workspace_id(root))
        (root / "go").touch()
        assert holder.wait(timeout=120) == 0  # its database and table were still there
    finally:
        _kill(holder)
    if backend == "admin":
        assert _admin_databases(workspace_id(root)) == []
    return out


def test_a_run_that_sees_the_owner_pid_dead_cannot_drop_live_databases(
    pytester: pytest.Pytester, backend: str
) -> None:
    _second_run_keeps_live_databases(pytester, backend, [])


def test_a_second_pid_namespace_cannot_drop_live_databases(
    pytester: pytest.Pytester, backend: str
) -> None:
    """The real thing: run 2 in its own PID namespace (``unshare``), as in a container."""
    if backend != "admin":
        pytest.skip("a private cluster lives in one PID namespace; the shared server is the case")
    prefix = ["unshare", "--pid", "--fork", "--mount-proc"]
    probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30, check=False)
    if shutil.which("unshare") is None or probe.returncode != 0:
        pytest.skip("cannot make a PID namespace here (needs root and unshare)")
    out = _second_run_keeps_live_databases(pytester, backend, prefix)
    assert f"PIDNS {os.readlink('/proc/self/ns/pid')}" not in out and "PIDNS pid:[" in out


CHILD = """
import sys, time
from pathlib import Path
from pytest_envssot.isolation.pgcluster import PrivateCluster, find_bindir, server_user

cluster = PrivateCluster(Path(sys.argv[1]), find_bindir(), int(sys.argv[2]), server_user())
cluster.acquire()
Path(sys.argv[1], "child.ready").touch()
time.sleep(600)
"""


def test_a_killed_runs_cluster_is_stopped_by_the_next_prune(pg_cache: Path) -> None:
    bindir = find_bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries on this machine")
    dead, live = pg_cache / "0000dead-d4d4d4d4", pg_cache / "0000a11e-d4d4d4d4"
    children = []
    try:
        for folder in (dead, live):
            child = subprocess.Popen(
                [sys.executable, "-c", CHILD, str(folder), str(branch_port(folder.name, "d4"))],
                start_new_session=True,
            )
            children.append(child)
            deadline = time.monotonic() + 240
            while not (folder / "child.ready").exists():
                assert child.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        _kill(children[0])
        assert _running(dead)  # a SIGKILL leaves the server running
        prune_idle(pg_cache, keep=pg_cache / "none", bindir=bindir)
        assert not _running(dead)  # every user gone: stopped
        assert _running(live)  # its user still runs: untouched
    finally:
        for child in children:
            _kill(child)
        for folder in (dead, live):
            if _running(folder):
                run_as = folder.joinpath("data").owner() if os.geteuid() == 0 else None
                PrivateCluster(folder, bindir, 5400, run_as).stop()


# The safety cases (never dropping what it did not create, refusing a non-test admin
# database, pruning only its own idle clusters) live in tests/test_read_only.py.
