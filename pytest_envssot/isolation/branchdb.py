"""Branch databases on a PostgreSQL server: create from a template, register, drop, reclaim.

What is ours is what the registry says: a table in the database ``pytest_envssot_registry``,
owned by the admin role and closed to everyone else (``REVOKE ALL ... FROM PUBLIC``), lists
each database made here with its oid. A ``COMMENT ON DATABASE`` tag is still written for
people listing databases, but anyone owning a database can write one, so it proves nothing: a
database the registry does not list (or lists with another oid) is never dropped.

A database is registered before ``CREATE DATABASE`` and gets its oid right after, so a run
killed in between leaves a registered name the next run recognises (owned by our role) and
drops, instead of an unknown database that blocks the name for good.

Whether the run that made a database still lives is asked of the server, never of a pid
(pids mean nothing across PID namespaces): the making session holds a session-level advisory
lock, keyed by the name, on its registry connection for as long as it uses the database.
The server drops the lock when that session ends, killed or not; a database whose lock
someone else can take is abandoned and reclaimed by the next run of the same workspace.
Identifiers go through ``psycopg.sql.Identifier``; psycopg is imported only when used.
No pytest here.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pytest_envssot.isolation.pgcluster import process_token

if TYPE_CHECKING:
    import psycopg

TAG_PREFIX = "pytest-envssot "  # the informational COMMENT; ownership is the registry's
REGISTRY = "pytest_envssot_registry"
REGISTRY_TABLE = """CREATE TABLE IF NOT EXISTS branch_databases (
    name text PRIMARY KEY,
    oid oid,                -- NULL between registration and CREATE DATABASE's end
    workspace text NOT NULL,
    branch text NOT NULL,
    host text NOT NULL,
    owner text NOT NULL,    -- pid:start of the making process, for messages only
    created timestamptz NOT NULL DEFAULT now()
)"""
# Tests kill a run at this point (after CREATE DATABASE, before its oid is registered).
PAUSE_AFTER_CREATE = "ENVSSOT_TEST_PAUSE_AFTER_CREATE"
MAINTENANCE_DATABASES = frozenset({"postgres", "template1"})


class BranchDBError(Exception):
    """A safety refusal or a server problem, said plainly."""


class SecretDSN(str):
    """A connection string that works as one (``psycopg.connect``, f-strings) but whose
    ``repr``, which pytest prints for assertion operands and ``--showlocals``, hides the
    password."""

    shown: str

    def __new__(cls, value: str, shown: str) -> SecretDSN:
        obj = super().__new__(cls, value)
        obj.shown = shown
        return obj

    def __repr__(self) -> str:
        return repr(self.shown)

    def __reduce__(self) -> tuple[type[SecretDSN], tuple[str, str]]:  # copy, pickle
        return SecretDSN, (str(self), self.shown)


@dataclass(frozen=True)
class BranchDB:
    """One database for this branch, workspace and worker. ``dsn`` is a libpq URL."""

    name: str
    host: str
    port: int
    user: str
    container_name: str
    branch: str
    worker: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def dsn(self) -> str:
        """The URL with its password; shown (``repr``, pytest's assertion messages) without."""
        return SecretDSN(self._url(), self._url(masked=True))

    def _url(self, masked: bool = False) -> str:
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + ("***" if masked else quote(self.password, safe=""))
        return f"postgresql://{auth}@{quote(self.host, safe='')}:{self.port}/{quote(self.name, safe='')}"

    def __repr__(self) -> str:  # the DSN may carry a password: never show it
        return f"BranchDB(name={self.name!r}, host={self.host!r}, port={self.port})"

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        import psycopg

        return psycopg.connect(self.dsn, **kwargs)


def admin_database(conninfo: str) -> str:
    """The database an admin DSN names (libpq's default: the user name)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.Error:  # the message would quote the URL, password included
        raise BranchDBError("the admin URL is not a valid PostgreSQL connection string") from None
    return str(params.get("dbname") or params.get("user") or "postgres")


def check_admin_database(conninfo: str, allow_any: bool) -> None:
    """Refuse an admin DSN on a database that does not look like a test or maintenance one."""
    name = admin_database(conninfo)
    if allow_any or name in MAINTENANCE_DATABASES or "test" in name.lower():
        return
    raise BranchDBError(
        f"the admin URL connects to database {name!r}, which is neither a maintenance database "
        "(postgres, template1) nor a test database (name containing 'test'). Point it at "
        "/postgres, or pass --envssot-db-allow-admin-db (ini envssot_db_allow_admin_db = true) "
        "if this server is meant for tests."
    )


def lock_key(name: str) -> int:
    """The advisory lock key of a database name: 64 bits of its SHA-256, signed."""
    digest = hashlib.sha256(b"pytest-envssot:" + name.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Janitor:
    """Creates and drops this workspace's databases: DDL over one autocommit admin
    connection, ownership and liveness over a second one to the registry."""

    def __init__(self, conninfo: str, workspace: str, branch: str, file_copy: bool = False) -> None:
        import psycopg

        self.conninfo = conninfo
        # FILE_COPY clones by copying files plus two checkpoints: cheapest on a cluster with
        # fsync off (ours). On a shared server the default (WAL_LOG, 15+) spares its checkpoints.
        self.file_copy = file_copy
        self.workspace = workspace
        self.branch = branch
        self.host = socket.gethostname()
        self.owner = process_token(_pid())
        self.created: list[str] = []
        self.held: set[str] = set()  # names whose advisory lock this session holds
        try:
            self.conn: psycopg.Connection[Any] = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise BranchDBError(f"cannot connect to the admin server: {_first_line(exc)}") from None
        try:
            self.role = str(_one(self.conn, "SELECT current_user"))
            self.registry = self._open_registry()
        except BaseException:
            self.conn.close()
            raise

    def close(self) -> None:
        self.conn.close()
        self.registry.close()  # ends the session: the server frees every lock it held

    def params(self) -> dict[str, Any]:
        info = self.conn.info
        return {
            "host": info.host,
            "port": int(info.port),
            "user": info.user,
            "password": info.password or None,
        }

    # ------------------------------------------------------------------ registry

    def _open_registry(self) -> psycopg.Connection[Any]:
        """Connect to the registry, creating it (ours only) on first use; refuse one that
        another role owns, since that role could list databases it wants us to drop."""
        import psycopg
        from psycopg import sql
        from psycopg.conninfo import make_conninfo

        owner = self._registry_owner()
        if owner is None:
            try:
                self.conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(REGISTRY)))
                self.conn.execute(
                    sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(
                        sql.Identifier(REGISTRY)
                    )
                )
            except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
                pass  # another run made it meanwhile
            except psycopg.Error as exc:
                raise BranchDBError(f"database {REGISTRY!r}: {_first_line(exc)}") from None
            owner = self._registry_owner()
        if owner != self.role:
            raise BranchDBError(
                f"database {REGISTRY!r}, where pytest-envssot records the databases it made, "
                f"belongs to role {owner!r}, not to {self.role!r}: it may be forged, so nothing "
                "is created or dropped. Drop it, or connect as the role that owns it."
            )
        try:
            registry = psycopg.connect(
                make_conninfo(self.conninfo, dbname=REGISTRY), autocommit=True
            )
            with registry.transaction():  # concurrent first runs: one creates the table
                registry.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key(""),))
                registry.execute(REGISTRY_TABLE)
        except psycopg.Error as exc:
            raise BranchDBError(f"database {REGISTRY!r}: {_first_line(exc)}") from None
        return registry

    def _registry_owner(self) -> str | None:
        owner = _one(
            self.conn,
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s",
            (REGISTRY,),
        )
        return None if owner is None else str(owner)

    def registered(self, name: str) -> tuple[bool, int | None]:
        """(listed in the registry, its oid: None while being created)."""
        row = self.registry.execute(
            "SELECT oid FROM branch_databases WHERE name = %s", (name,)
        ).fetchone()
        return (False, None) if row is None else (True, row[0])

    def is_ours(self, name: str) -> bool:
        """The database ``name`` exists and is the one the registry lists: the same oid, or,
        for one whose making run died before registering its oid, made by our role."""
        listed, oid = self.registered(name)
        row = self.conn.execute(
            "SELECT oid, pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not listed or row is None:
            return False
        return bool(row[0] == oid if oid is not None else row[1] == self.role)

    def _claim(self, name: str) -> bool:
        """Take the advisory lock of ``name``; False when a live session holds it."""
        if name in self.held:
            return True
        if not _one(self.registry, "SELECT pg_try_advisory_lock(%s)", (lock_key(name),)):
            return False
        self.held.add(name)
        return True

    def _unclaim(self, name: str) -> None:
        if name in self.held:
            self.held.discard(name)
            self.registry.execute("SELECT pg_advisory_unlock(%s)", (lock_key(name),))

    # ------------------------------------------------------------------ writing

    def create(self, name: str, template: str | None = None) -> None:
        """Create ``name`` (optionally as a copy of ``template``), registered; replace our own."""
        from psycopg import sql

        if not self._claim(name):
            row = self.registry.execute(
                "SELECT owner, host FROM branch_databases WHERE name = %s", (name,)
            ).fetchone()
            who = f" (made by process {row[0].split(':')[0]} on {row[1]})" if row else ""
            raise BranchDBError(
                f"database {name!r} belongs to a live test session{who}; run one session per "
                "branch and workspace, or set BRANCH_NAME differently."
            )
        try:
            self._clear(name)
            self.registry.execute(
                "INSERT INTO branch_databases (name, workspace, branch, host, owner) "
                "VALUES (%s, %s, %s, %s, %s)",
                (name, self.workspace, self.branch, self.host, self.owner),
            )
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
                if self.file_copy and self.conn.info.server_version >= 150000:
                    statement += sql.SQL(" STRATEGY FILE_COPY")
            try:
                self._execute(statement, name)
            except BranchDBError:
                self.registry.execute("DELETE FROM branch_databases WHERE name = %s", (name,))
                raise
            _pause_for_tests()
            self.registry.execute(
                "UPDATE branch_databases SET oid = d.oid FROM pg_database d "
                "WHERE d.datname = %s AND branch_databases.name = %s",
                (name, name),
            )
        except BranchDBError:
            self._unclaim(name)
            raise
        self.created.append(name)
        tag = {"workspace": self.workspace, "host": self.host, "branch": self.branch}
        self._execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(TAG_PREFIX + json.dumps(tag, ensure_ascii=True))
            ),
            name,
        )

    def _clear(self, name: str) -> None:
        """Make way for ``name`` (its lock is ours): drop our own leftover, forget a
        registration whose database is gone, refuse a database that is not ours."""
        exists = _one(self.conn, "SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if exists and not self.is_ours(name):
            raise BranchDBError(
                f"database {name!r} already exists and was not created by pytest-envssot "
                "for this workspace; refusing to touch it. Drop or rename it yourself."
            )
        if exists:
            self._drop(name)
        self.registry.execute("DELETE FROM branch_databases WHERE name = %s", (name,))

    def drop(self, name: str) -> bool:
        """Drop ``name`` if the registry says it is ours and no live session of another run
        uses it; anything else is left alone."""
        if not self._claim(name):
            return False
        try:
            if not self.is_ours(name):
                return False
            self._drop(name)
            self.registry.execute("DELETE FROM branch_databases WHERE name = %s", (name,))
            return True
        finally:
            self._unclaim(name)

    def release_template(self, name: str) -> None:
        """End sessions a setup callable left open, so the template can be copied."""
        self.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )

    def reclaim(self) -> list[str]:
        """Drop this workspace's databases whose making session has ended (a killed run,
        in any PID namespace or on any host): their advisory lock is free."""
        dropped = []
        rows = self.registry.execute(
            "SELECT name FROM branch_databases WHERE workspace = %s", (self.workspace,)
        ).fetchall()
        for (name,) in rows:
            if name in self.held or not self._claim(name):
                continue  # ours, or a live session's
            try:
                if self.is_ours(name):
                    self._drop(name)
                    dropped.append(name)
                # Its database is gone, or is another one now: forget the entry, keep the database.
                self.registry.execute("DELETE FROM branch_databases WHERE name = %s", (name,))
            finally:
                self._unclaim(name)
        return dropped

    def drop_created(self) -> None:
        for name in reversed(self.created):
            self.drop(name)
        self.created.clear()

    def _drop(self, name: str) -> None:
        from psycopg import sql

        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)), name
        )
        if name in self.created:
            self.created.remove(name)

    def _execute(self, statement: Any, name: str) -> None:
        import psycopg

        try:
            self.conn.execute(statement)
        except psycopg.Error as exc:
            raise BranchDBError(f"database {name!r}: {_first_line(exc)}") from None


def _one(conn: psycopg.Connection[Any], query: str, params: tuple[Any, ...] = ()) -> Any:
    """The first column of the first row, or None."""
    row = conn.execute(query, params).fetchone()
    return None if row is None else row[0]


def _pause_for_tests() -> None:
    """With ``ENVSSOT_TEST_PAUSE_AFTER_CREATE=<file>``, write the file and wait to be killed:
    how the tests reproduce a SIGKILL between CREATE DATABASE and its registration."""
    marker = os.environ.get(PAUSE_AFTER_CREATE)
    if marker:
        Path(marker).write_text("created\n", encoding="utf-8")
        time.sleep(600)


def _pid() -> int:
    return os.getpid()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
