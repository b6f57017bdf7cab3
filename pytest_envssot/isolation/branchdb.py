"""Branch databases on a PostgreSQL server: create from a template, tag, drop, reclaim.

Every database made here carries a ``COMMENT ON DATABASE`` tag naming its workspace, host
and owning process. Only tagged databases of our own workspace are ever dropped; a name
that exists without our tag is an error, never a drop. Databases whose owning process is
gone (a run killed with SIGKILL) are reclaimed by the next run of the same workspace.
Identifiers go through ``psycopg.sql.Identifier``; psycopg is imported only when used.
No pytest here.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pytest_envssot.isolation.pgcluster import is_alive, process_token

if TYPE_CHECKING:
    import psycopg

TAG_PREFIX = "pytest-envssot "
MAINTENANCE_DATABASES = frozenset({"postgres", "template1"})


class BranchDBError(Exception):
    """A safety refusal or a server problem, said plainly."""


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
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
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


def _tag_of(comment: str | None) -> dict[str, Any] | None:
    if not comment or not comment.startswith(TAG_PREFIX):
        return None
    try:
        data = json.loads(comment[len(TAG_PREFIX) :])
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


class Janitor:
    """Creates and drops this workspace's databases over one autocommit admin connection."""

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
        try:
            self.conn: psycopg.Connection[Any] = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise BranchDBError(f"cannot connect to the admin server: {_first_line(exc)}") from None
        self.created: list[str] = []

    def close(self) -> None:
        self.conn.close()

    # ------------------------------------------------------------------ reading

    def params(self) -> dict[str, Any]:
        info = self.conn.info
        return {
            "host": info.host,
            "port": int(info.port),
            "user": info.user,
            "password": info.password or None,
        }

    def tags(self) -> Iterator[tuple[str, dict[str, Any] | None]]:
        rows = self.conn.execute(
            "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database"
        ).fetchall()
        for name, comment in rows:
            yield name, _tag_of(comment)

    def tag(self, name: str) -> tuple[bool, dict[str, Any] | None]:
        """(exists, our tag or None)."""
        row = self.conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
        if row is None:
            return False, None
        return True, _tag_of(row[0])

    def is_ours(self, tag: dict[str, Any] | None) -> bool:
        return tag is not None and tag.get("workspace") == self.workspace

    def is_orphan(self, tag: dict[str, Any] | None) -> bool:
        """Ours, made on this host by a process that no longer runs."""
        return (
            self.is_ours(tag)
            and tag is not None
            and tag.get("host") == self.host
            and not is_alive(str(tag.get("owner", "")))
        )

    # ------------------------------------------------------------------ writing

    def create(self, name: str, template: str | None = None) -> None:
        """Create ``name`` (optionally as a copy of ``template``), tagged; replace our own."""
        from psycopg import sql

        exists, tag = self.tag(name)
        if exists:
            if not self.is_ours(tag):
                raise BranchDBError(
                    f"database {name!r} already exists and was not created by pytest-envssot "
                    "for this workspace; refusing to touch it. Drop or rename it yourself."
                )
            if tag is not None and tag.get("owner") != self.owner and not self.is_orphan(tag):
                raise BranchDBError(
                    f"database {name!r} belongs to a live test session (process "
                    f"{str(tag.get('owner')).split(':')[0]} on {tag.get('host')}); run one "
                    "session per branch and workspace, or set BRANCH_NAME differently."
                )
            self._drop(name)
        statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template:
            statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            if self.file_copy and self.conn.info.server_version >= 150000:
                statement += sql.SQL(" STRATEGY FILE_COPY")
        self._execute(statement, name)
        self.created.append(name)
        comment = TAG_PREFIX + json.dumps(
            {
                "workspace": self.workspace,
                "host": self.host,
                "owner": self.owner,
                "branch": self.branch,
            },
            ensure_ascii=True,
        )
        self._execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(comment)
            ),
            name,
        )

    def drop(self, name: str) -> bool:
        """Drop ``name`` if it is ours; a database we did not create is left alone."""
        exists, tag = self.tag(name)
        if not exists or not self.is_ours(tag):
            return False
        self._drop(name)
        return True

    def release_template(self, name: str) -> None:
        """End sessions a setup callable left open, so the template can be copied."""
        self.conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )

    def reclaim(self) -> list[str]:
        """Drop databases of this workspace left by runs that were killed."""
        dropped = []
        for name, tag in list(self.tags()):
            if self.is_orphan(tag):
                self._drop(name)
                dropped.append(name)
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


def _pid() -> int:
    import os

    return os.getpid()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
