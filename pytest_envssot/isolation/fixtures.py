"""The pytest face of naming and branch databases: options and fixtures only.

Registered by ``plugin.py`` (``pytest_plugins``), so the fixtures exist in every run, but
nothing happens until a test asks for one: psycopg is imported, and a server is reached or
started, only then. The work itself lives in :mod:`naming`, :mod:`pgcluster` and
:mod:`branchdb`.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from pytest_envssot.isolation.branchdb import BranchDB, Janitor
    from pytest_envssot.isolation.naming import Naming
    from pytest_envssot.isolation.pgcluster import PrivateCluster

Setup = Callable[[str], object]
PSYCOPG_HINT = "psycopg 3 is not installed: pip install 'pytest-envssot[postgres]'"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("envssot")
    group.addoption(
        "--envssot-db-admin-url",
        default=None,
        metavar="URL",
        help="PostgreSQL admin DSN for envssot_branch_db (default: $ENVSSOT_DB_ADMIN_URL, else "
        "a private cluster started with the machine's initdb/pg_ctl)",
    )
    group.addoption(
        "--envssot-db-backend",
        choices=("auto", "admin", "cluster"),
        default=None,
        help="where branch databases live: auto (admin URL if given, else private cluster)",
    )
    group.addoption(
        "--envssot-db-allow-admin-db",
        action="store_true",
        default=False,
        help="accept an admin URL whose database is not postgres/template1 or a *test* one",
    )
    parser.addini("envssot_db_admin_url", default="", help="PostgreSQL admin DSN")
    parser.addini(
        "envssot_db_allow_admin_db",
        type="bool",
        default=False,
        help="see --envssot-db-allow-admin-db",
    )
    parser.addini(
        "envssot_db_setup",
        default="",
        help="module:callable run once per session on the template database, given its DSN "
        "(your migrations); every envssot_branch_db is a copy of the result",
    )


# --------------------------------------------------------------------------- naming


def repo_root(config: pytest.Config) -> Path:
    """The repository the contract is about (both faces ask this): ``--envssot-root``, else the
    nearest ``[tool.envssot]`` up to pytest's rootdir; a bad option is a usage error."""
    from pytest_envssot.config import ConfigError, find_repo_root

    try:
        return find_repo_root(
            config.getoption("envssot_root"), config.invocation_params.dir, config.rootpath
        )
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.fixture(scope="session")
def envssot_naming(request: pytest.FixtureRequest) -> Naming:
    """Names per environment for this project: ``envssot_naming.container("backend", "pr-47")``."""
    from pytest_envssot.config import ConfigError
    from pytest_envssot.isolation.naming import Naming, NamingError

    try:
        return Naming.from_root(repo_root(request.config))
    except (ConfigError, NamingError) as exc:
        pytest.fail(f"envssot_naming: {exc}", pytrace=False)


# --------------------------------------------------------------------------- branch database


def current_branch(root: Path) -> str:
    """``BRANCH_NAME`` (as the seed exports it), else git's current branch, else ``HEAD``."""
    if os.environ.get("BRANCH_NAME"):
        return os.environ["BRANCH_NAME"]
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "branch", "--show-current"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return "HEAD"
    return out.stdout.strip() or "HEAD"


@dataclass
class DatabaseService:
    """One pytest process's view of the server: started on first use, cleaned at the end."""

    config: pytest.Config
    setup: Setup | None
    project: str
    branch: str
    workspace: str
    worker: str | None
    janitor: Janitor | None = None
    cluster: PrivateCluster | None = None
    ready_state: str = ""  # running | warm | cold | admin
    templates: dict[tuple[str, str | None], str] = field(default_factory=dict)
    _failure: tuple[str, str] | None = None  # ("skip"|"fail", message), remembered

    def start(self) -> Janitor:
        if self._failure:
            _raise(*self._failure)
        if self.janitor is not None:
            return self.janitor
        try:
            self.janitor = self._connect()
            self.janitor.reclaim()
        except _Refusal as refusal:
            self._failure = (refusal.kind, refusal.message)
            _raise(refusal.kind, refusal.message)
        assert self.janitor is not None
        return self.janitor

    def _connect(self) -> Janitor:
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise _Refusal("skip", PSYCOPG_HINT) from None
        from pytest_envssot.isolation.branchdb import BranchDBError, Janitor, check_admin_database
        from pytest_envssot.isolation.pgcluster import ClusterError

        admin_url = self._admin_url()
        backend = self.config.getoption("envssot_db_backend") or os.environ.get(
            "ENVSSOT_DB_BACKEND", "auto"
        )
        if backend == "admin" and not admin_url:
            raise _Refusal(
                "fail",
                "--envssot-db-backend=admin needs --envssot-db-admin-url or ENVSSOT_DB_ADMIN_URL",
            )
        try:
            if admin_url and backend != "cluster":
                allow = bool(
                    self.config.getoption("envssot_db_allow_admin_db")
                    or self.config.getini("envssot_db_allow_admin_db")
                )
                check_admin_database(admin_url, allow)
                self.ready_state = "admin"
                return Janitor(admin_url, self.workspace, self.branch)
            conninfo = self._start_cluster()
            return Janitor(conninfo, self.workspace, self.branch, file_copy=True)
        except (BranchDBError, ClusterError) as exc:
            raise _Refusal("fail", f"envssot_branch_db: {exc}") from None

    def _admin_url(self) -> str:
        return str(
            self.config.getoption("envssot_db_admin_url")
            or os.environ.get("ENVSSOT_DB_ADMIN_URL")
            or self.config.getini("envssot_db_admin_url")
            or ""
        )

    def _start_cluster(self) -> str:
        from pytest_envssot.isolation.naming import branch_port
        from pytest_envssot.isolation.pgcluster import (
            INSTALL_HINT,
            PrivateCluster,
            default_cache_root,
            find_bindir,
            server_user,
        )

        bindir = find_bindir()
        if bindir is None:
            raise _Refusal("skip", INSTALL_HINT)
        digest = hashlib.sha256(self.branch.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        self.cluster = PrivateCluster(
            root=default_cache_root() / f"{self.workspace}-{digest}",
            bindir=bindir,
            preferred_port=branch_port(self.branch, self.workspace),
            run_as=server_user(),
        )
        port, self.ready_state = self.cluster.acquire(label=self.branch)
        return self.cluster.admin_conninfo(port)

    # ------------------------------------------------------------------ databases

    def database(self, branch: str | None = None, worker: str | bool | None = True) -> BranchDB:
        """A fresh copy of the template for ``branch`` (default: ours) and ``worker``
        (True: ours; None: no worker part)."""
        from pytest_envssot.isolation.branchdb import BranchDB, BranchDBError
        from pytest_envssot.isolation.naming import (
            NamingError,
            branch_container_name,
            branch_database_name,
        )

        janitor = self.start()
        branch = self.branch if branch is None else branch
        who = self.worker if worker is True else (worker or None)
        try:
            name = branch_database_name(self.project, branch, self.workspace, who)
            template = self._template(janitor)
            janitor.create(name, template=template)
            params = janitor.params()
            return BranchDB(
                name=name,
                container_name=branch_container_name(self.project, branch, self.workspace),
                branch=branch,
                worker=who,
                **params,
            )
        except (BranchDBError, NamingError) as exc:
            pytest.fail(f"envssot_branch_db: {exc}", pytrace=False)

    def _template(self, janitor: Janitor) -> str:
        """The migrated template for this worker, made once per session."""
        from pytest_envssot.isolation.branchdb import BranchDB
        from pytest_envssot.isolation.naming import branch_database_name

        key = (self.branch, self.worker)  # one template per process serves every branch
        if key in self.templates:
            return self.templates[key]
        name = branch_database_name(self.project, self.branch, self.workspace, self.worker, "tpl")
        janitor.create(name)
        db = BranchDB(name=name, container_name="", branch=self.branch, **janitor.params())
        if self.setup is not None:
            failure = ""
            try:
                self.setup(db.dsn)
            except Exception as exc:
                janitor.drop(name)
                failure = scrub(f"{type(exc).__name__}: {exc}", db.password)
            if failure:  # raised outside the except: pytest would show the original as context
                pytest.fail(
                    f"envssot_db_setup failed on the template database {name}: {failure}",
                    pytrace=False,
                )
        janitor.release_template(name)
        self.templates[key] = name
        return name

    def drop(self, db: BranchDB) -> None:
        if self.janitor is not None:
            self.janitor.drop(db.name)

    def close(self) -> None:
        if self.janitor is not None:
            try:
                self.janitor.drop_created()
            finally:
                self.janitor.close()
                self.janitor = None
        if self.cluster is not None:
            self.cluster.release()
            self.cluster = None


def scrub(text: str, password: str | None) -> str:
    """An error from the setup callable may quote the DSN it was given: never its password."""
    from urllib.parse import quote

    if password:
        for form in {password, quote(password, safe="")}:
            text = text.replace(form, "***")
    return text


class _Refusal(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind, self.message = kind, message


def _raise(kind: str, message: str) -> NoReturn:
    if kind == "skip":
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


def load_setup(spec: str) -> Setup:
    """``package.module:callable`` -> the callable."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise pytest.UsageError(f"envssot_db_setup = {spec!r}: expected 'module:callable'")
    try:
        target: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise pytest.UsageError(f"envssot_db_setup = {spec!r}: {exc}") from None
    if not callable(target):
        raise pytest.UsageError(f"envssot_db_setup = {spec!r} is not callable")
    return target  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def envssot_db_setup(request: pytest.FixtureRequest) -> Setup | None:
    """The migration callable (ini ``envssot_db_setup``); override this fixture to supply one."""
    spec = str(request.config.getini("envssot_db_setup") or "").strip()
    return load_setup(spec) if spec else None


@pytest.fixture(scope="session")
def envssot_db_service(
    request: pytest.FixtureRequest, envssot_db_setup: Setup | None
) -> Iterator[DatabaseService]:
    """The server behind the branch databases; stopped (or cleaned) at session end."""
    from pytest_envssot.config import ConfigError, load_config
    from pytest_envssot.isolation.naming import workspace_id

    config = request.config
    root = repo_root(config)
    try:
        project = load_config(root).project
    except ConfigError as exc:
        pytest.fail(f"envssot_branch_db: {exc}", pytrace=False)
    service = DatabaseService(
        config=config,
        setup=envssot_db_setup,
        project=project,
        branch=current_branch(root),
        workspace=workspace_id(root),
        worker=os.environ.get("PYTEST_XDIST_WORKER") or None,
    )
    yield service
    service.close()


@pytest.fixture(scope="session")
def envssot_branch_db_factory(
    envssot_db_service: DatabaseService,
) -> Callable[..., BranchDB]:
    """``factory(branch=None, worker=True)``: a fresh database for any branch/worker name,
    dropped at session end (or earlier by the next call for the same name)."""
    return envssot_db_service.database


@pytest.fixture
def envssot_branch_db(envssot_db_service: DatabaseService) -> Iterator[BranchDB]:
    """A fresh database for this branch, workspace and worker: a copy of the template."""
    db = envssot_db_service.database()
    yield db
    envssot_db_service.drop(db)
