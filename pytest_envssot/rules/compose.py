"""Compose files: container names per environment, and no Vault root token in a service.

``compose-container-naming``: in Dokploy's shared network container names are hostnames,
so every ``container_name`` must be the one :mod:`pytest_envssot.isolation.naming` gives for its
service and environment. A file's environment comes from a service's literal ``ENV``
(``ENV: staging``), else from the file name (``docker-compose.staging.yml``,
``compose.pr.yml``); a file that names none may be any environment. Names built with
``${...}`` are checked on their literal parts.

``compose-no-root-token``: the seed's security rule, "never use VAULT_ROOT_TOKEN in
application containers". Values are never shown, only names and lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from pytest_envssot.findings import Finding, Outcome
from pytest_envssot.index import Index
from pytest_envssot.isolation.naming import PR_ENV, Naming, NamingError
from pytest_envssot.model import ComposeFile, ComposeService, Layer, Location
from pytest_envssot.rules.base import Rule, RuleExample

ROOT_TOKEN = "VAULT_ROOT_TOKEN"
_INTERPOLATION = re.compile(r"\$(?:\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)")
_FILE_ENV = re.compile(r"(?:docker-)?compose[.-]([a-z0-9-]+)(?:\.[a-z0-9-]+)*\.ya?ml")
PR_FAMILY = "pr-<N>"


def _naming(index: Index) -> Naming | str:
    try:
        return Naming(index.config.project, index.config.environments)
    except NamingError as exc:
        return str(exc)


def _unreadable(rule: str, file: ComposeFile) -> Finding:
    assert file.error is not None
    return Finding(
        rule,
        "",
        Outcome.FAILED,
        file.error.location,
        lines=(str(file.error), "Fix the file so its services can be checked."),
    )


def file_environment(file: ComposeFile, naming: Naming) -> tuple[str | None, str]:
    """The environment a compose file deploys, and where that was read; None = any."""
    for service in file.services:
        for var in service.environment:
            if var.name != "ENV" or not var.value:
                continue
            if var.value.startswith("pr-") and _INTERPOLATION.search(var.value):
                return PR_FAMILY, f"{var.location} sets ENV={var.value}"
            if _INTERPOLATION.search(var.value):
                continue
            try:
                return naming.check_env(var.value), f"{var.location} sets ENV={var.value}"
            except NamingError:
                continue
    found = _FILE_ENV.fullmatch(file.path.rsplit("/", 1)[-1])
    if found:
        candidate = found[1]
        if candidate == "pr":
            return PR_FAMILY, f"the file name {file.path} says pr"
        if candidate in naming.environments or PR_ENV.fullmatch(candidate):
            return candidate, f"the file name {file.path} says {candidate}"
    return None, ""


def _expected(naming: Naming, service: str, env: str | None) -> list[str]:
    """The names a service may carry: one for a known env, one per env family otherwise."""
    if env == PR_FAMILY:
        return [naming.container(service, "pr-1").removesuffix("1") + "<N>"]
    if env is not None:
        return [naming.container(service, env)]
    envs = ["production", "staging", *naming.extras]
    return [naming.container(service, e) for e in envs] + _expected(naming, service, PR_FAMILY)


def _matches(name: str, expected: str) -> bool:
    """``name`` (maybe with ``${...}``) can be ``expected`` (maybe ending in ``<N>``)."""
    pattern = ""
    for index, piece in enumerate(_INTERPOLATION.split(name)):
        pattern += ("[a-z0-9-]*" if index else "") + re.escape(piece)
    target = expected.replace("<N>", "1")
    if re.fullmatch(pattern, target):
        return True
    if expected.endswith("<N>"):  # a literal PR number, or an interpolated one
        prefix = expected.removesuffix("<N>")
        return bool(re.fullmatch(re.escape(prefix) + r"[1-9][0-9]*", name)) or (
            bool(_INTERPOLATION.search(name)) and re.fullmatch(pattern, prefix + "47") is not None
        )
    return False


def compose_container_naming(index: Index) -> Iterator[Finding]:
    naming = _naming(index)
    for file in index.contract.compose:
        if file.error is not None:
            yield _unreadable("compose-container-naming", file)
            continue
        for service in file.services:
            if service.container_name is None:
                continue  # compose names it <project>-<service>-1; nothing to check here
            if isinstance(naming, str):
                yield _finding(service, Outcome.FAILED, (naming,))
                continue
            yield _check_service(naming, file, service)


def _check_service(naming: Naming, file: ComposeFile, service: ComposeService) -> Finding:
    assert service.container_name is not None
    env, why = file_environment(file, naming)
    try:
        expected = _expected(naming, service.name, env)
    except NamingError as exc:
        return _finding(service, Outcome.FAILED, (f"service {service.name!r}: {exc}",))
    if any(_matches(service.container_name, e) for e in expected):
        return _finding(service, Outcome.PASSED, ())
    at = service.container_location or service.location
    where = f"{why}, so" if env else "the file names no environment (ENV or file name), so any of"
    lines = (
        f"{at} names service {service.name} container {service.container_name!r}",
        f"{where} the seed's naming pattern expects: {', '.join(expected)}",
        "In a shared network container names are hostnames; a name outside the pattern "
        "can collide with another environment's. Use:",
    )
    return _finding(service, Outcome.FAILED, lines, (f"container_name: {expected[0]}",))


def _finding(
    service: ComposeService,
    outcome: Outcome,
    lines: tuple[str, ...],
    fix: tuple[str, ...] = (),
) -> Finding:
    at = service.container_location or service.location
    return Finding("compose-container-naming", service.name, outcome, at, lines, fix)


def compose_no_root_token(index: Index) -> Iterator[Finding]:
    for file in index.contract.compose:
        if file.error is not None:
            yield _unreadable("compose-no-root-token", file)
            continue
        for service in file.services:
            hits: list[Location] = []
            for var in service.environment:
                if var.name == ROOT_TOKEN or (var.value and _references_root(var.value)):
                    hits.append(var.location)
            if not hits:
                yield Finding(
                    "compose-no-root-token", service.name, Outcome.PASSED, service.location
                )
                continue
            yield Finding(
                "compose-no-root-token",
                service.name,
                Outcome.FAILED,
                hits[0],
                lines=(
                    *(f"{at} passes {ROOT_TOKEN} into service {service.name}" for at in hits),
                    "The root token is for admin operations only (invoke vault.setup-tokens); "
                    "an application container reads Vault with its own read-only VAULT_APP_TOKEN.",
                    "Remove it from the service's environment.",
                ),
            )


def _references_root(value: str) -> bool:
    return any(
        re.fullmatch(r"\$\{?" + ROOT_TOKEN + r"(?:[:?\-+}].*)?", m[0])
        for m in _INTERPOLATION.finditer(value)
    )


# --------------------------------------------------------------------------- examples

_PROJECT = '[project]\nname = "finance_report"\n'
_SETTINGS = (
    "from pydantic_settings import BaseSettings\n\n\n"
    "class Settings(BaseSettings):\n    debug: bool = False\n"
)


def _repo(compose: dict[str, str]) -> dict[str, str]:
    return {
        "pyproject.toml": _PROJECT,
        "app/config.py": _SETTINGS,
        ".env.example": "DEBUG=false\n",
        **compose,
    }


_LOCAL = "services:\n  backend:\n    image: app\n    container_name: finance-report-backend\n"
_STAGING = (
    "services:\n  backend:\n    image: app\n    container_name: finance-report-backend-staging\n"
    "    environment:\n      ENV: staging\n      VAULT_APP_TOKEN: ${VAULT_APP_TOKEN}\n"
)
_PR = (
    "services:\n  backend:\n    image: app\n    container_name: finance-report-backend-pr-${PR_NUMBER}\n"
    "    environment:\n      - ENV=pr-${PR_NUMBER}\n"
)

RULES = (
    Rule(
        "compose-container-naming",
        Layer.REPO,
        "a compose container_name does not follow <project>-<service>[-staging|-pr-N|-<extra>] for its environment",
        compose_container_naming,
        hangs_under="compose file",
        details="a service's `container_name` is not `<project>-<service>` (local/ci/production), `…-staging`, `…-pr-<N>` or `…-<extra>` for the file's environment (a literal `ENV:` in a service, else the file name: `docker-compose.staging.yml`, `compose.pr.yml`; `${…}` parts are checked on their literal text)",
        why="Container names are hostnames: two environments with one name collide, and a URL can reach the wrong environment's service.",
        valid=(
            RuleExample(_repo({"docker-compose.yml": _LOCAL}), "backend"),
            RuleExample(_repo({"deploy/docker-compose.staging.yml": _STAGING}), "backend"),
            RuleExample(_repo({"compose.pr.yaml": _PR}), "backend"),
        ),
        invalid=(
            # generic name: a hostname any environment could claim
            RuleExample(
                _repo({"docker-compose.yml": _LOCAL.replace("finance-report-backend", "backend")}),
                "backend",
            ),
            # the staging file names its container like production's
            RuleExample(
                _repo(
                    {"docker-compose.staging.yml": _STAGING.replace("-backend-staging", "-backend")}
                ),
                "backend",
            ),
            RuleExample(_repo({"docker-compose.yml": "services:\n  backend: [\n"}), ""),
        ),
    ),
    Rule(
        "compose-no-root-token",
        Layer.REPO,
        "a compose service's environment carries VAULT_ROOT_TOKEN",
        compose_no_root_token,
        hangs_under="compose file",
        details="a service's `environment` sets `VAULT_ROOT_TOKEN` or passes `${VAULT_ROOT_TOKEN}` on (values are never shown)",
        why="A Vault root token in a service's environment gives every process in it the keys to every secret.",
        valid=(RuleExample(_repo({"docker-compose.staging.yml": _STAGING}), "backend"),),
        invalid=(
            RuleExample(
                _repo(
                    {"docker-compose.yml": _LOCAL + "    environment:\n      - VAULT_ROOT_TOKEN\n"}
                ),
                "backend",
            ),
            RuleExample(
                _repo(
                    {
                        "docker-compose.staging.yml": _STAGING.replace(
                            "${VAULT_APP_TOKEN}", "${VAULT_ROOT_TOKEN:-}"
                        )
                    }
                ),
                "backend",
            ),
        ),
    ),
)
