"""Names per environment, and the check that environments never collide.

Plain functions over a :class:`Naming` (project + configured extra environments); no pytest.
The seed's table fixes container names: ``local``, ``ci`` and ``production`` use the bare
``<project>-<service>``, ``staging`` and ``pr-<N>`` add a suffix. ``local`` and ``ci`` run
on developer machines and CI runners, never on the deployment host's shared network, so they
are the only environments that share names: with each other everywhere, and with
``production`` in container names only (the seed's table). Everything else is distinct.

Every name is checked against the rules of the system that uses it (DNS label, S3 bucket,
PostgreSQL identifier) and never silently truncated where truncation could collide.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import field
from pathlib import Path

from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.records import frozen

BUILTIN_ENVS = ("local", "ci", "staging", "production")
DEV_ENVS = frozenset({"local", "ci"})  # developer machine / CI runner: the shared "dev" names
DEV_LABEL = "dev"  # what local and ci put where the others put their own name
PR_ENV = lazy_compile(r"pr-([1-9][0-9]{0,8})")
_EXTRA_ENV = lazy_compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_SERVICE = lazy_compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_COMPONENT = lazy_compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_DNS_LABEL = lazy_compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_PG_IDENT = lazy_compile(r"[a-z_][a-z0-9_]*")
_CLEAN_BRANCH = lazy_compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_BUCKET = lazy_compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
MAX_PG_IDENT = 63  # NAMEDATALEN - 1, in bytes
MAX_PROJECT_PART = 24  # of a branch name: leaves the branch at least 18 readable characters

# Host ports. local/ci use the services' usual ports; deployed environments get a block of
# PORT_BLOCK ports each from PORT_BASE, so a shared host never binds one port twice.
DEFAULT_PORTS: Mapping[str, int] = {
    "db": 5432,
    "redis": 6379,
    "minio": 9000,
    "backend": 8000,
    "frontend": 3000,
}
PORT_BASE = 20000
PORT_BLOCK = 8
MAX_EXTRAS = 60  # blocks 2..61 are for configured extras; PR blocks start after them
PR_PORT_SLOTS = (65535 - PORT_BASE) // PORT_BLOCK - (2 + MAX_EXTRAS)  # 5629 PR blocks
BRANCH_PORTS = range(5400, 6000)  # the seed's range for per-branch databases


class NamingError(ValueError):
    """An environment, service or project name that cannot produce a valid name."""


class IsolationError(AssertionError):
    """Two environments would share a container, path, database, port, prefix or bucket."""


@frozen(slots=False)
class EnvNames:
    """Everything one environment is called, for the services and components asked about."""

    env: str
    containers: Mapping[str, str]
    vault_paths: Mapping[str, str]
    database: str
    redis_prefix: str
    s3_bucket: str
    ports: Mapping[str, int]

    def items(self) -> list[tuple[str, str]]:
        """(kind, name) pairs; ports as text so every kind compares the same way."""
        out = [("container", c) for c in self.containers.values()]
        out += [("vault path", p) for p in self.vault_paths.values()]
        out += [("database", self.database), ("redis prefix", self.redis_prefix)]
        out += [("s3 bucket", self.s3_bucket)]
        out += [("port", str(p)) for p in self.ports.values()]
        return out


@frozen(slots=False)
class Naming:
    """Names for one project. ``project`` as configured (``finance_report``)."""

    project: str
    extras: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]*", self.project):
            raise NamingError(
                f"project name {self.project!r}: use letters, digits, '_' and '-', starting "
                "with a letter ([tool.envssot] project)"
            )
        if len(self.extras) > MAX_EXTRAS:
            raise NamingError(f"at most {MAX_EXTRAS} extra environments are supported")
        for extra in self.extras:
            if extra in BUILTIN_ENVS or extra == DEV_LABEL or extra.startswith("pr-"):
                raise NamingError(
                    f"extra environment {extra!r} clashes with a built-in name "
                    f"({', '.join(BUILTIN_ENVS)}, {DEV_LABEL}, pr-<N>)"
                )
            if not _EXTRA_ENV.fullmatch(extra) or len(extra) > 20:
                raise NamingError(
                    f"extra environment {extra!r}: use lowercase letters, digits and single "
                    "'-', starting with a letter, at most 20 characters"
                )
        if len(set(self.extras)) != len(self.extras):
            raise NamingError(f"extra environments listed twice: {self.extras}")

    @classmethod
    def from_root(cls, root: Path) -> Naming:
        """Project and extras from ``[tool.envssot]`` of the repository at ``root``."""
        from pytest_envssot.config import load_config

        config = load_config(root)
        return cls(config.project, config.environments)

    # ------------------------------------------------------------------ the project

    @property
    def slug(self) -> str:
        """Container/DNS/S3 form: ``finance-report``."""
        return self.project.lower().replace("_", "-")

    @property
    def ident(self) -> str:
        """PostgreSQL form: ``finance_report``."""
        return self.project.lower().replace("-", "_")

    @property
    def environments(self) -> tuple[str, ...]:
        return (*BUILTIN_ENVS, *self.extras)

    def check_env(self, env: str) -> str:
        """``env`` itself when it is a known environment; a NamingError naming the choices."""
        if env in BUILTIN_ENVS or env in self.extras or PR_ENV.fullmatch(env):
            return env
        extras = f", or a configured extra: {', '.join(self.extras)}" if self.extras else ""
        raise NamingError(
            f"unknown environment {env!r}: expected {', '.join(BUILTIN_ENVS)}, pr-<N> "
            f"(N a pull-request number){extras}. Add new ones to [tool.envssot] environments."
        )

    def _label(self, env: str) -> str:
        env = self.check_env(env)
        return DEV_LABEL if env in DEV_ENVS else env

    # ------------------------------------------------------------------ names

    def container(self, service: str, env: str) -> str:
        """The seed's ``get_container_name``: a DNS label, since containers are hostnames."""
        env = self.check_env(env)
        if not _SERVICE.fullmatch(service):
            raise NamingError(
                f"service {service!r}: use lowercase letters, digits and '-' (a DNS label)"
            )
        base = f"{self.slug}-{service}"
        name = base if env in DEV_ENVS or env == "production" else f"{base}-{env}"
        return _dns_label(name, "container name")

    def vault_path(self, env: str, component: str) -> str:
        """``secret/data/<project>/<env>/<component>`` (the seed's Vault path convention)."""
        env = self.check_env(env)
        if not _COMPONENT.fullmatch(component):
            raise NamingError(f"component {component!r}: use letters, digits, '.', '_' and '-'")
        return f"secret/data/{self.project}/{env}/{component}"

    def database_name(self, env: str) -> str:
        return _pg_ident(f"{self.ident}_{self._label(env).replace('-', '_')}", "database name")

    def redis_prefix(self, env: str) -> str:
        return f"{self.slug}:{self._label(env)}:"

    def s3_bucket(self, env: str) -> str:
        return _s3_bucket(f"{self.slug}-{self._label(env)}")

    def ports(self, env: str) -> dict[str, int]:
        """Host ports per service: the usual ones for local/ci, a private block elsewhere.

        PR environments reuse blocks every PR_PORT_SLOTS pull requests; two live PRs that far
        apart are reported by :meth:`assert_isolated`.
        """
        env = self.check_env(env)
        if env in DEV_ENVS:
            return dict(DEFAULT_PORTS)
        if env == "production":
            slot = 0
        elif env == "staging":
            slot = 1
        elif env in self.extras:
            slot = 2 + self.extras.index(env)
        else:
            number = int(env.removeprefix("pr-"))
            slot = 2 + MAX_EXTRAS + (number - 1) % PR_PORT_SLOTS
        base = PORT_BASE + slot * PORT_BLOCK
        return {service: base + i for i, service in enumerate(DEFAULT_PORTS)}

    def port(self, service: str, env: str) -> int:
        ports = self.ports(env)
        if service not in ports:
            raise NamingError(f"no port plan for service {service!r} (known: {', '.join(ports)})")
        return ports[service]

    def names(
        self,
        env: str,
        services: Iterable[str] = ("backend", "frontend", "db", "redis", "minio"),
        components: Iterable[str] = ("app", "postgres"),
    ) -> EnvNames:
        return EnvNames(
            env=self.check_env(env),
            containers={s: self.container(s, env) for s in services},
            vault_paths={c: self.vault_path(env, c) for c in components},
            database=self.database_name(env),
            redis_prefix=self.redis_prefix(env),
            s3_bucket=self.s3_bucket(env),
            ports=self.ports(env),
        )

    # ------------------------------------------------------------------ isolation

    def collisions(
        self,
        envs: Iterable[str],
        services: Iterable[str] = ("backend", "frontend", "db", "redis", "minio"),
        components: Iterable[str] = ("app", "postgres"),
    ) -> list[tuple[str, str, str, str]]:
        """(kind, name, env, other env) for every name two environments share illegitimately."""
        services, components = tuple(services), tuple(components)
        owners: dict[tuple[str, str], list[str]] = {}
        for env in dict.fromkeys(envs):
            for kind, name in self.names(env, services, components).items():
                owners.setdefault((kind, name), [])
                if env not in owners[(kind, name)]:
                    owners[(kind, name)].append(env)
        found = []
        for (kind, name), envs_here in owners.items():
            for i, env in enumerate(envs_here):
                for other in envs_here[i + 1 :]:
                    if not may_share(kind, env, other):
                        found.append((kind, name, env, other))
        return found

    def assert_isolated(
        self,
        envs: Iterable[str],
        services: Iterable[str] = ("backend", "frontend", "db", "redis", "minio"),
        components: Iterable[str] = ("app", "postgres"),
    ) -> None:
        """Raise IsolationError listing every collision between the given environments."""
        found = self.collisions(envs, services, components)
        if found:
            lines = [f"  {kind} {name!r} is used by both {a} and {b}" for kind, name, a, b in found]
            raise IsolationError(
                f"{len(found)} name collision(s) between environments:\n" + "\n".join(lines)
            )


def may_share(kind: str, env: str, other: str) -> bool:
    """The seed's table: local and ci share everything; production shares their container names."""
    pair = {env, other}
    if pair <= DEV_ENVS:
        return True
    return kind == "container" and len(pair & DEV_ENVS) == 1 and "production" in pair


# --------------------------------------------------------------------------- system rules


def _dns_label(name: str, what: str) -> str:
    if len(name) > 63 or not _DNS_LABEL.fullmatch(name):
        raise NamingError(
            f"{what} {name!r} is not a DNS label (at most 63 of a-z, 0-9, '-'; "
            "no leading or trailing '-'): shorten the project or service name"
        )
    return name


def _pg_ident(name: str, what: str) -> str:
    if len(name.encode()) > MAX_PG_IDENT or not _PG_IDENT.fullmatch(name):
        raise NamingError(
            f"{what} {name!r} is not a plain PostgreSQL identifier of at most 63 bytes"
        )
    return name


def _s3_bucket(name: str) -> str:
    """AWS general-purpose bucket naming rules (which MinIO follows)."""
    problem = None
    if not _BUCKET.fullmatch(name):
        problem = (
            "3-63 characters of a-z, 0-9, '.', '-', starting and ending with a letter or digit"
        )
    elif ".." in name or ".-" in name or "-." in name:
        problem = "no adjacent periods or period next to a hyphen"
    elif name.startswith(("xn--", "sthree-", "amzn-s3-demo-")):
        problem = "reserved prefix"
    elif name.endswith(("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")):
        problem = "reserved suffix"
    else:
        try:
            ipaddress.ip_address(name)
            problem = "must not look like an IP address"
        except ValueError:
            pass
    if problem:
        raise NamingError(f"S3 bucket name {name!r} is invalid: {problem}")
    return name


# --------------------------------------------------------------------------- per-branch names


def workspace_id(path: Path | str) -> str:
    """The seed's ``echo $PWD | sha256sum | cut -c1-8`` (echo adds the newline)."""
    return hashlib.sha256(f"{path}\n".encode()).hexdigest()[:8]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def slugify(text: str, sep: str) -> str:
    """ASCII-fold (``Ä`` -> ``a``), lowercase, every other run of characters -> ``sep``."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", sep, folded).strip(sep)


def _branch_part(branch: str, sep: str, budget: int) -> str:
    """The branch as it reads, made injective: anything but a clean short name gets a hash.

    ``fix-auth`` stays readable (``-`` becomes ``sep``); anything else (``_``, ``/``,
    capitals, non-ASCII, too long) becomes ``<slug><sep><sep><hash>``. Readable parts never
    hold a doubled separator, so the two forms cannot meet.
    """
    if _CLEAN_BRANCH.fullmatch(branch) and len(branch) <= budget:
        return branch.replace("-", sep)
    tag = f"{sep}{sep}{_digest(branch)}"
    return slugify(branch, sep)[: max(0, budget - len(tag))].rstrip(sep) + tag


def branch_database_name(
    project: str, branch: str, workspace: str, worker: str | None = None, kind: str = "test"
) -> str:
    """``<project>_test_<branch>_<workspace8>[_<worker>]``: a plain identifier of <= 63 bytes.

    The workspace (8 hex) and the xdist worker (``gw3``) end the name, so it reads back
    unambiguously from the right. ``kind="tpl"`` names the template the tests' copies come from.
    """
    if kind not in ("test", "tpl"):
        raise NamingError(f"kind {kind!r}: expected 'test' or 'tpl'")
    _check_workspace(workspace)
    suffix = f"_{workspace}" + (f"_{slugify(worker, '_')}" if worker else "")
    project_part = slugify(project, "_")[:MAX_PROJECT_PART].rstrip("_") or "project"
    if not project_part[0].isalpha():
        project_part = f"p{project_part}"
    head = f"{project_part}_{kind}_"
    name = head + _branch_part(branch, "_", MAX_PG_IDENT - len(head) - len(suffix)) + suffix
    return _pg_ident(name, "branch database name")


def branch_container_name(project: str, branch: str, workspace: str) -> str:
    """The seed's ``finance-report-db-fix-auth-abc12345``."""
    _check_workspace(workspace)
    head = f"{slugify(project, '-')[:MAX_PROJECT_PART].rstrip('-') or 'project'}-db-"
    suffix = f"-{workspace}"
    name = head + _branch_part(branch, "-", 63 - len(head) - len(suffix)) + suffix
    return _dns_label(name, "container name")


def _check_workspace(workspace: str) -> None:
    if not re.fullmatch(r"[0-9a-f]{8}", workspace):
        raise NamingError(f"workspace id {workspace!r}: expected 8 hex digits")


def branch_port(branch: str, workspace: str = "") -> int:
    """A port in 5400-5999 derived from the branch (the seed); callers probe on collision."""
    number = int(
        hashlib.sha256(f"{workspace}:{branch}".encode("utf-8", "surrogatepass")).hexdigest()[:8], 16
    )
    return BRANCH_PORTS.start + number % len(BRANCH_PORTS)
