"""Compose files: container names per environment, and no Vault root token in a service.

``compose-container-naming``: in Dokploy's shared network container names are hostnames,
so every ``container_name`` of the project starts with its slug (spelled as the repository
spells it, ``demo-app-`` or ``demo_app-``; the service part is free) and carries an environment
discriminator where one is needed. A file's environment comes from a service's literal ``ENV``
(``ENV: staging``), else from the file name (``docker-compose.staging.yml``,
``compose.pr.yml``); a file that names none may be any environment. Any ``${...}`` in a name
(``demo-backend${ENV_SUFFIX:-}``) is the discriminator. Only the project's own files are
checked (compose ``name:``, container prefix, or ``[tool.envssot] compose``), and only once
the project names containers per environment at all; otherwise the items are skipped.

``compose-no-root-token``: the seed's security rule, "never use VAULT_ROOT_TOKEN in
application containers". Values are never shown, only names and lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pytest_envssot.findings import Finding, Outcome
from pytest_envssot.index import Index
from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.model import ComposeFile, ComposeService, Layer, Location
from pytest_envssot.rules.base import Reporter, Rule, RuleExample

if TYPE_CHECKING:
    from pytest_envssot.isolation.naming import Naming

COMPOSE_NO_ROOT_TOKEN = Reporter("compose-no-root-token")

COMPOSE_CONTAINER_NAMING = Reporter("compose-container-naming")

ROOT_TOKEN = "VAULT_ROOT_TOKEN"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_FILE_ENV = lazy_compile(r"(?:docker-)?compose[.-]([a-z0-9-]+)(?:\.[a-z0-9-]+)*\.ya?ml")
PR_FAMILY = "pr-<N>"


def _naming(index: Index) -> Naming | str:
    # isolation.naming is imported only for a repository whose compose files name containers
    from pytest_envssot.isolation.naming import Naming, NamingError

    try:
        return Naming(index.config.project, index.config.environments)
    except NamingError as exc:
        return str(exc)


def _unreadable(rule: Reporter, file: ComposeFile) -> Finding:
    assert file.error is not None
    return rule.failed(
        "",
        file.error.location,
        lines=(str(file.error), "Fix the file so its services can be checked."),
    )


def file_environment(file: ComposeFile, naming: Naming) -> tuple[str | None, str]:
    """The environment a compose file deploys, and where that was read; None = any."""
    from pytest_envssot.isolation.naming import PR_ENV, NamingError

    for service in file.services:
        for var in service.environment:
            if var.name != "ENV" or not var.value:
                continue
            if var.value.startswith("pr-") and _interpolation_at(var.value) != -1:
                return PR_FAMILY, f"{var.location} sets ENV={var.value}"
            if _interpolation_at(var.value) != -1:
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


def slug_spellings(project: str) -> tuple[str, ...]:
    """The project's slug as a repository may spell it: ``demo-app`` and ``demo_app``."""
    lower = project.lower()
    return tuple(dict.fromkeys((lower.replace("_", "-"), lower.replace("-", "_"), lower)))


def _interpolations(text: str) -> Iterator[tuple[int, int]]:
    r"""Where each ``${...}`` and ``$NAME`` in ``text`` starts and ends, left to right.

    What ``re.finditer(r"\$(?:\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*)", text)`` finds, in linear
    time: that regex scans to the end of the text from every ``${`` with no ``}`` after it (a
    value of ``${]`` repeated a million times took minutes). The first ``}`` after a ``${`` is
    looked for once and reused for every ``${`` before it.
    """
    close = -1  # the first "}" at or after the last place looked from; len(text): none
    start = text.find("$")
    while start != -1:
        end = start + 1
        name = _NAME.match(text, start + 1)
        if name:
            end = name.end()
            yield start, end
        elif text.startswith("{", start + 1):
            if close < start + 2:
                found = text.find("}", start + 2)
                close = len(text) if found == -1 else found
            if close < len(text):
                end = close + 1
                yield start, end
        start = text.find("$", end)


def _interpolation_at(text: str) -> int:
    """Where the first interpolation starts in ``text``, else -1."""
    return next((start for start, _ in _interpolations(text)), -1)


def _literal_prefix(name: str) -> str:
    at = _interpolation_at(name)
    return name if at == -1 else name[:at]


def _slug_of(name: str, slugs: tuple[str, ...]) -> str | None:
    """The spelling of the project's slug ``name`` starts with (``<slug>-`` or ``<slug>_``)."""
    head = _literal_prefix(name).lower()
    return next((s for s in slugs if head.startswith((f"{s}-", f"{s}_"))), None)


def _suffixed(name: str) -> bool:
    """An environment discriminator in the name: ``${ENV_SUFFIX}``, ``${ENV_SUFFIX:-}``, …"""
    return _interpolation_at(name) != -1


_LITERAL_ENV = lazy_compile(r".+-(staging|pr-[1-9][0-9]*)")


# folders that hold other people's code checked out next to the project's own
_VENDORED = frozenset(
    {"vendor", "vendored", "third_party", "third-party", "external", "node_modules"}
)


def _owner(file: ComposeFile, index: Index, slugs: tuple[str, ...]) -> str | None:
    """Why ``file`` belongs to another project, or None when it is this project's own.

    Ownership, strongest first: ``[tool.envssot] compose`` lists the files; a vendored folder
    (``vendor/``, ``third_party/``); the compose ``name:``; the container names' prefix. A file whose containers carry another prefix
    *with* an environment discriminator follows some other project's scheme (a monorepo or
    an infrastructure checkout holding several projects).
    """
    if index.config.compose is not None:
        return None
    vendored = _VENDORED.intersection(file.path.split("/")[:-1])
    if vendored:
        return f"it sits in a vendored checkout ({sorted(vendored)[0]}/)"
    if file.name is not None:
        # the project itself, or one of its components (`demo-app`, `demo-worker`: one compose
        # project per deployed component, as Dokploy names them)
        spelled = file.name.lower().replace("_", "-")
        if spelled == slugs[0] or spelled.startswith(slugs[0] + "-"):
            return None
        return f"its compose project is {file.name!r}, not {index.config.project!r}"
    names = [s.container_name for s in file.services if s.container_name]
    if any(_slug_of(n, slugs) for n in names):
        return None
    foreign = sorted({re.split(r"[-_]", _literal_prefix(n))[0] for n in names if _suffixed(n)})
    if foreign:
        return f"its containers are named for another project ({', '.join(foreign)}-…)"
    return None


def _adopted(files: list[ComposeFile], naming: Naming, slugs: tuple[str, ...]) -> bool:
    """The project names containers per environment somewhere: a container name carrying a
    discriminator (``${…}``, ``-staging``), a compose file for a deployed environment, or a
    file for one environment whose containers mostly follow ``<project>-<service>``."""
    from pytest_envssot.isolation.naming import DEV_ENVS

    for file in files:
        names = [s.container_name for s in file.services if s.container_name]
        if any(_suffixed(n) or _LITERAL_ENV.fullmatch(n) for n in names):
            return True
        env = file_environment(file, naming)[0]
        if env is None:
            continue
        prefixed = sum(1 for n in names if _slug_of(n, slugs))
        if env not in DEV_ENVS or 2 * prefixed > len(names):
            return True
    return False


_NEVER_ADOPTED = (
    "this project never adopted environment-suffixed container names (no compose file "
    "names an environment and no container_name carries ${ENV_SUFFIX}, -staging or -pr-<N>), "
    "so names cannot collide across environments here; to adopt it, name containers "
    "<project>-<service>${ENV_SUFFIX:-}"
)


def compose_container_naming(index: Index) -> Iterator[Finding]:
    slugs = slug_spellings(index.config.project)
    own: list[ComposeFile] = []
    for file in index.contract.compose:
        if file.error is not None:
            yield _unreadable(COMPOSE_CONTAINER_NAMING, file)
            continue
        why = _owner(file, index, slugs)
        if why is None:
            own.append(file)
            continue
        for service in file.services:
            if service.container_name is not None:
                text = f"{file.path} is not this project's: {why}; set [tool.envssot] compose to check it"
                yield _finding(service, Outcome.SKIPPED, (text,))
    if not any(service.container_name is not None for file in own for service in file.services):
        return  # no name to check (compose names them <project>-<service>-1)
    naming = _naming(index)
    adopted = isinstance(naming, str) or _adopted(own, naming, slugs)
    for file in own:
        for service in file.services:
            if service.container_name is None:
                continue  # compose names it <project>-<service>-1; nothing to check here
            if isinstance(naming, str):
                yield _finding(service, Outcome.FAILED, (naming,))
            elif not adopted:
                yield _finding(service, Outcome.SKIPPED, (_NEVER_ADOPTED,))
            else:
                yield _check_service(naming, slugs, file, service)


def _env_suffix(env: str | None) -> str:
    if env is None:
        return "${ENV_SUFFIX:-}"
    if env == PR_FAMILY:
        return "-pr-${PR_NUMBER}"
    return "" if env in ("local", "ci", "production") else f"-{env}"


def _problem(name: str, slug: str | None, env: str | None, siblings_suffixed: bool) -> str:
    """What is wrong with container ``name`` for ``env``; "" when nothing is."""
    if slug is None:
        return "does not start with the project's name"
    rest = name[len(slug) + 1 :]
    if not rest or rest.startswith(("$", "-", "_")):
        return "names no service after the project's name"
    if _suffixed(name):
        return ""  # the variable is the environment discriminator
    if env is None:
        if siblings_suffixed:
            return (
                "carries no environment discriminator while the file's other containers do, "
                "so every environment deploying this file claims the same hostname"
            )
        return ""
    suffix = _env_suffix(env)
    if env == PR_FAMILY:
        return "" if re.fullmatch(r".+-pr-[1-9][0-9]*", rest) else "lacks the -pr-<N> suffix"
    if suffix and not rest.endswith(suffix):
        return f"lacks the {suffix} suffix of its environment"
    return ""


def _check_service(
    naming: Naming, slugs: tuple[str, ...], file: ComposeFile, service: ComposeService
) -> Finding:
    assert service.container_name is not None
    name = service.container_name
    env, why = file_environment(file, naming)
    slug = _slug_of(name, slugs)
    siblings = any(_suffixed(s.container_name or "") for s in file.services if s is not service)
    problem = _problem(name, slug, env, siblings)
    if not problem:
        return _finding(service, Outcome.PASSED, ())
    at = service.container_location or service.location
    where = f"{why}, so" if env else "the file names no environment (ENV or file name), so"
    expected = (
        f"{slug or slugs[0]}-{service.name}{_env_suffix(env if env or siblings else 'local')}"
    )
    lines = (
        f"{at} names service {service.name} container {name!r}, which {problem}",
        f"{where} the seed's naming pattern expects <project>-<service>{_env_suffix(env)}",
        "In a shared network container names are hostnames; a name outside the pattern "
        "can collide with another environment's. Use:",
    )
    return _finding(service, Outcome.FAILED, lines, (f"container_name: {expected}",))


def _finding(
    service: ComposeService,
    outcome: Outcome,
    lines: tuple[str, ...],
    fix: tuple[str, ...] = (),
) -> Finding:
    at = service.container_location or service.location
    return COMPOSE_CONTAINER_NAMING.finding(service.name, outcome, at, lines, fix)


def compose_no_root_token(index: Index) -> Iterator[Finding]:
    for file in index.contract.compose:
        if file.error is not None:
            yield _unreadable(COMPOSE_NO_ROOT_TOKEN, file)
            continue
        for service in file.services:
            hits: list[Location] = []
            for var in service.environment:
                if var.name == ROOT_TOKEN or (var.value and _references_root(var.value)):
                    hits.append(var.location)
            if not hits:
                yield COMPOSE_NO_ROOT_TOKEN.passed(service.name, service.location)
                continue
            yield COMPOSE_NO_ROOT_TOKEN.failed(
                service.name,
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
        re.fullmatch(r"\$\{?" + ROOT_TOKEN + r"(?:[:?\-+}].*)?", value[start:end])
        for start, end in _interpolations(value)
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
_SUFFIXED = "services:\n  backend:\n    image: app\n    container_name: finance-report-backend${ENV_SUFFIX:-}\n"
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
        COMPOSE_CONTAINER_NAMING,
        Layer.REPO,
        "a compose container_name of the project does not follow <project>-<service>[${ENV_SUFFIX}|-staging|-pr-N|-<extra>] for its environment",
        compose_container_naming,
        hangs_under="compose file",
        details="a service's `container_name` does not start with the project's slug (`demo-app-` or `demo_app-`), or carries no environment discriminator where one is needed: `…-staging`, `…-pr-<N>` or `…-<extra>` for a file of one environment (a literal `ENV:` in a service, else the file name: `docker-compose.staging.yml`, `compose.pr.yml`), and any `${…}` (such as `${ENV_SUFFIX:-}`) counts as the discriminator; a name without one fails where the file's other containers carry one. Compose files of other projects (another compose `name:` or container prefix; `[tool.envssot] compose` overrides) and projects that never adopted environment-suffixed names are skipped with the reason",
        why="Container names are hostnames: two environments with one name collide, and a URL can reach the wrong environment's service.",
        valid=(
            # ${ENV_SUFFIX:-} is the environment discriminator
            RuleExample(_repo({"docker-compose.yml": _SUFFIXED}), "backend"),
            RuleExample(_repo({"deploy/docker-compose.staging.yml": _STAGING}), "backend"),
            RuleExample(_repo({"compose.pr.yaml": _PR}), "backend"),
            # the slug spelled with '_', and a service part other than the service key
            RuleExample(
                _repo(
                    {
                        "docker-compose.yml": _SUFFIXED.replace(
                            "finance-report-backend", "finance_report-api"
                        )
                    }
                ),
                "backend",
            ),
        ),
        invalid=(
            # generic name in a repo that names containers per environment
            RuleExample(
                _repo(
                    {
                        "docker-compose.staging.yml": _STAGING.replace(
                            "finance-report-backend-staging", "backend"
                        )
                    }
                ),
                "backend",
                message=(
                    "docker-compose.staging.yml:4 names service backend container 'backend', which does not start with the project's name",
                    "docker-compose.staging.yml:6 sets ENV=staging, so the seed's naming pattern expects <project>-<service>-staging",
                    "In a shared network container names are hostnames; a name outside the pattern can collide with another environment's. Use:",
                ),
                fix=("container_name: finance-report-backend-staging",),
            ),
            # the staging file names its container like production's
            RuleExample(
                _repo(
                    {"docker-compose.staging.yml": _STAGING.replace("-backend-staging", "-backend")}
                ),
                "backend",
                message=(
                    "docker-compose.staging.yml:4 names service backend container 'finance-report-backend', which lacks the -staging suffix of its environment",
                    "docker-compose.staging.yml:6 sets ENV=staging, so the seed's naming pattern expects <project>-<service>-staging",
                    "In a shared network container names are hostnames; a name outside the pattern can collide with another environment's. Use:",
                ),
                fix=("container_name: finance-report-backend-staging",),
            ),
            # its siblings carry the discriminator, this one would be the same in every environment
            RuleExample(
                _repo(
                    {
                        "docker-compose.yml": _SUFFIXED
                        + "  worker:\n    image: app\n    container_name: finance-report-worker\n"
                    }
                ),
                "worker",
                message=(
                    "docker-compose.yml:7 names service worker container 'finance-report-worker', which carries no environment discriminator while the file's other containers do, so every environment deploying this file claims the same hostname",
                    "the file names no environment (ENV or file name), so the seed's naming pattern expects <project>-<service>${ENV_SUFFIX:-}",
                    "In a shared network container names are hostnames; a name outside the pattern can collide with another environment's. Use:",
                ),
                fix=("container_name: finance-report-worker${ENV_SUFFIX:-}",),
            ),
            RuleExample(
                _repo({"docker-compose.yml": "services:\n  backend: [\n"}),
                "",
                message=(
                    "docker-compose.yml:3: invalid YAML: expected the node content, but found '<stream end>'",
                    "Fix the file so its services can be checked.",
                ),
            ),
        ),
    ),
    Rule(
        COMPOSE_NO_ROOT_TOKEN,
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
                message=(
                    "docker-compose.yml:6 passes VAULT_ROOT_TOKEN into service backend",
                    "The root token is for admin operations only (invoke vault.setup-tokens); an application container reads Vault with its own read-only VAULT_APP_TOKEN.",
                    "Remove it from the service's environment.",
                ),
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
                message=(
                    "docker-compose.staging.yml:7 passes VAULT_ROOT_TOKEN into service backend",
                    "The root token is for admin operations only (invoke vault.setup-tokens); an application container reads Vault with its own read-only VAULT_APP_TOKEN.",
                    "Remove it from the service's environment.",
                ),
            ),
        ),
    ),
)
