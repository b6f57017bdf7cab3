"""``url-host-is-service``: container names ARE hostnames, so a URL's host must be one.

The seed names containers so that apps reach each other by name on the shared network
(``postgresql://…@demo-postgres${ENV_SUFFIX}:5432/…``). A host in a template's or the
example's URL that no compose file defines (as a service key, ``container_name``,
``hostname`` or network alias) points at nothing, or at another environment's container.

Only single-label hosts are checked: a dotted name or an IP address is DNS, ``localhost`` is
the developer's machine. A template is checked only when a compose file sits beside it (its
deployment unit; without one it deploys from another repository), and a host named for a
project no compose file here uses (``platform-…``) is another project's: both are skipped. Dynamic parts (``%s``, ``{{ … }}``, ``${ENV_SUFFIX}``) match any
text, in the host and in the compose names alike, so ``demo-redis%s`` matches
``demo-redis${ENV_SUFFIX:-}`` for every environment. Without compose files the rule is
skipped. Hosts are names, never secrets; userinfo is never shown.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from pytest_envssot.findings import Finding
from pytest_envssot.index import Index
from pytest_envssot.model import Layer, Location
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo
from pytest_envssot.rules.compose import slug_spellings
from pytest_envssot.secretscan import is_loopback

RULE = Reporter("url-host-is-service")
# scheme://[userinfo@]host — the host up to a port, path, query, quote or space
# The scheme is bounded (real ones are short): unbounded, every word start in a megabyte of
# `sk-ant-a...` began a scan to the end of the run (quadratic: minutes).
_URL = re.compile(r"\b[a-z][a-z0-9+.-]{0,31}://(?:[^@/\s\"'?#]*@)?([^:/\s\"'?#@]+)")
# what a template or an env file fills in at render time
_DYNAMIC = re.compile(r"%[-+# 0-9.]*[a-zA-Z]|\{\{.*?\}\}|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")
_LABEL = re.compile(r"[a-z0-9_-]+")
# words examples use for "your host here"
_PLACEHOLDER_HOSTS = frozenset({"host", "hostname", "server", "domain", "example", "your-host"})


def _pattern(name: str) -> re.Pattern[str]:
    """A name whose dynamic parts match any host text."""
    return re.compile("[a-z0-9_.-]*".join(re.escape(p) for p in _DYNAMIC.split(name.lower())))


def _literal(name: str) -> str:
    return _DYNAMIC.sub("", name.lower())


def _candidate(host: str) -> bool:
    """A host that can only be a container on the compose network."""
    literal = _literal(host)
    return (
        bool(literal)
        and bool(_LABEL.fullmatch(literal))
        and not is_loopback(literal)
        and literal not in _PLACEHOLDER_HOSTS
        and not literal.isdigit()
    )


def _compose_names(index: Index) -> list[str]:
    names = []
    for file in index.contract.compose:
        for service in file.services:
            names += [service.name, *service.hostnames]
            names += [service.container_name] if service.container_name else []
    return names


def _matches(host: str, names: list[str]) -> bool:
    """One of ``names`` can be ``host`` for some environment (dynamic parts on either side)."""
    host_re, host_lit = _pattern(host), _literal(host)
    return any(
        host_re.fullmatch(_literal(name)) or _pattern(name).fullmatch(host_lit) for name in names
    )


def _urls(index: Index) -> Iterator[tuple[str, Location, str, bool]]:
    """(variable, where, host, from a template) for every candidate host."""
    seen: set[tuple[str, str, str]] = set()
    sources = [(e.key, e.location, e.value or "", False) for e in index.example_entries()]
    sources += [(v.name, v.location, v.value_source, True) for v in index.template_vars()]
    for name, at, text, templated in sources:
        for match in _URL.finditer(text):
            host = match[1]
            key = (name, at.path, host)
            if _candidate(host) and key not in seen:
                seen.add(key)
                yield name, at, host, templated


def _head(name: str) -> str:
    return re.split(r"[-_]", _literal(name), maxsplit=1)[0]


def _elsewhere(index: Index, host: str, templated: bool, at: Location) -> str | None:
    """Why ``host`` cannot be checked against this repository's compose files, or None.

    A template deploys with the compose file beside it (a Vault Agent sidecar and its app);
    one with none beside it deploys from another repository. A host named for a project no
    compose file here uses (``platform-signoz-…``) is another project's container."""
    if templated:
        folder = posixpath.dirname(at.path)
        if not any(posixpath.dirname(f.path) == folder for f in index.contract.compose):
            return f"no compose file beside {at.path} runs it: it deploys from elsewhere"
    literal = _literal(host)
    if not re.search(r"[-_]", literal):
        return None  # a bare service name (redis, db): this project's network
    heads = {_head(n) for n in _compose_names(index)}
    heads |= {_head(s) for s in slug_spellings(index.config.project)}
    if _head(host) not in heads:
        return f"it names another project's container ({_head(host)}-…), defined elsewhere"
    return None


def url_host_is_service(index: Index) -> Iterator[Finding]:
    readable = [f for f in index.contract.compose if f.error is None]
    names = _compose_names(index)
    for variable, at, host, templated in _urls(index):
        elsewhere = _elsewhere(index, host, templated, at) if readable else None
        if not readable or elsewhere:
            why = elsewhere or "the repository has no readable compose file to define hosts"
            yield RULE.skipped(variable, at, lines=(f"host {host!r}: {why}",))
        elif _matches(host, names):
            yield RULE.passed(variable, at)
        else:
            files = ", ".join(f.path for f in readable[:3]) + (" …" if len(readable) > 3 else "")
            yield RULE.failed(
                variable,
                at,
                lines=(
                    f"{at} gives {variable} a URL whose host is {host!r}",
                    f"but no compose file ({files}) defines a service, container_name, hostname "
                    "or alias of that name for any environment.",
                    "Container names are hostnames: on the shared network that URL reaches "
                    "nothing, or another environment's container. Use the container's name "
                    "(with its environment suffix), or add the service.",
                ),
            )


# --------------------------------------------------------------------------- examples

_FIELD = (
    "class Settings(BaseSettings):\n"
    '    redis_url: str = Field(default="", validation_alias="REDIS_URL")\n'
)
_COMPOSE = "services:\n  redis:\n    image: redis\n    container_name: demo-redis${ENV_SUFFIX:-}\n"
_TMPL = (
    '{{- $suffix := "" -}}\n'
    '{{ with secret "secret/data/demo/production/redis" }}\n'
    'REDIS_URL="{{ printf "redis://:%s@demo-redis%s:6379/0" .Data.data.PASSWORD $suffix }}"\n'
    "{{ end }}\n"
)


def _repo(example: str, compose: str = _COMPOSE, tmpl: str | None = None) -> dict[str, str]:
    files = mini_repo(_FIELD, example, extra={"docker-compose.yml": compose})
    if tmpl is not None:  # deployed with the compose file beside it
        files["deploy/app/secrets.ctmpl"] = tmpl
        files["deploy/app/compose.yaml"] = "services:\n  app:\n    image: demo\n"
    return files


RULES = (
    Rule(
        RULE,
        Layer.TEMPLATE,
        "a URL's host in a template or .env.example names no compose service or container",
        url_host_is_service,
        hangs_under="template / `.env.example`",
        details="a single-label host in a URL of a template line or an `.env.example` value (`demo-postgres%s`, `demo-redis${ENV_SUFFIX}`) is no compose service key, `container_name`, `hostname` or network alias; dynamic parts match any text on both sides, dotted names, IPs and `localhost` are not checked; skipped without compose files, for a template no compose file sits beside, and for a host named for another project",
        why="Container names are hostnames: a URL naming a container no compose file defines reaches nothing, or another environment's container.",
        valid=(
            RuleExample(_repo("REDIS_URL=redis://demo-redis${ENV_SUFFIX}:6379/0\n"), "REDIS_URL"),
            RuleExample(_repo("REDIS_URL=\n", tmpl=_TMPL), "REDIS_URL"),
            # the service key is a hostname too
            RuleExample(_repo("REDIS_URL=redis://redis:6379/0\n"), "REDIS_URL"),
        ),
        invalid=(
            # the compose file names it demo-redis…, the URL says demo-cache
            RuleExample(
                _repo("REDIS_URL=redis://demo-cache${ENV_SUFFIX}:6379/0\n"),
                "REDIS_URL",
                message=(
                    ".env.example:1 gives REDIS_URL a URL whose host is 'demo-cache${ENV_SUFFIX}'",
                    "but no compose file (docker-compose.yml) defines a service, container_name, hostname or alias of that name for any environment.",
                    "Container names are hostnames: on the shared network that URL reaches nothing, or another environment's container. Use the container's name (with its environment suffix), or add the service.",
                ),
            ),
            RuleExample(
                _repo("REDIS_URL=\n", tmpl=_TMPL.replace("demo-redis%s", "demo-valkey%s")),
                "REDIS_URL",
                message=(
                    "deploy/app/secrets.ctmpl:3 gives REDIS_URL a URL whose host is 'demo-valkey%s'",
                    "but no compose file (docker-compose.yml, deploy/app/compose.yaml) defines a service, container_name, hostname or alias of that name for any environment.",
                    "Container names are hostnames: on the shared network that URL reaches nothing, or another environment's container. Use the container's name (with its environment suffix), or add the service.",
                ),
            ),
        ),
    ),
)
