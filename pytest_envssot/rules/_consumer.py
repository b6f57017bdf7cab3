"""Who reads a template's rendered file, inferred from the compose files next to it.

``[tool.envssot] consumer`` says it when configured. Otherwise a compose file in the
template's folder often shows it: a service whose entrypoint runs ``. /secrets/.env`` reads
it with a POSIX shell; one that lists the rendered file under ``env_file:`` with Docker's
env-file parser. Nothing found: the configured default (pydantic-settings, python-dotenv).
"""

from __future__ import annotations

import posixpath

from pytest_envssot.index import Index
from pytest_envssot.quoting import DEFAULT_CONSUMER

INFERRED = "inferred"


def _env_like(name: str, rendered: str) -> bool:
    """A sourced file that can be a rendered env file (``.env``, ``app.env``, ``secrets``),
    not ``venv/bin/activate``."""
    return name == rendered or ".env" in name or name.endswith("env") or "secret" in name


def consumer_of(index: Index, template: str) -> tuple[str, str]:
    """(consumer, where that was read) for the template at repo-relative ``template``; the
    second part starts with :data:`INFERRED` when a compose file said it."""
    config = index.config
    configured = config.consumer_for(template)
    if len(config.consumer) > 1 or configured != DEFAULT_CONSUMER:
        return configured, "[tool.envssot] consumer"
    folder = posixpath.dirname(template)
    rendered = posixpath.basename(template).removesuffix(".ctmpl").removesuffix(".tpl")
    for file in index.contract.compose:
        if posixpath.dirname(file.path) != folder:
            continue
        for service in file.services:
            sourced = [f for f in service.sourced if _env_like(posixpath.basename(f), rendered)]
            if sourced:
                return (
                    "posix-shell",
                    f"{INFERRED} from {file.path}: service {service.name} sources {sourced[0]}",
                )
        for service in file.services:
            hits = [f for f in service.env_files if posixpath.basename(f) == rendered]
            if hits:
                return (
                    "docker-env-file",
                    f"{INFERRED} from {file.path}: service {service.name} has env_file {hits[0]}",
                )
    return configured, "[tool.envssot] consumer"
