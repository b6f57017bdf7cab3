"""``infra-var-not-in-app``: deployment credentials stay out of the app's layers.

Infra variables (``[tool.envssot] infra``; by default ``VAULT_ROOT_TOKEN``, ``VAULT_ADDR``,
``VAULT_APP_TOKEN``, ``DOKPLOY_*``, ``VPS_HOST``) belong to direnv / CI secrets / Dokploy, never
to a settings field, a template line or ``.env.example``. ``VAULT_ROOT_TOKEN`` is the strongest
form: write access to every path of every environment.

One item per variable per app layer that names it (passed ones too).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from pytest_envssot.findings import Finding
from pytest_envssot.index import Index
from pytest_envssot.model import Layer, Location
from pytest_envssot.redact import fnmatch_any
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo, tmpl_line

INFRA_VAR_NOT_IN_APP = Reporter("infra-var-not-in-app")

ROOT_TOKEN = "VAULT_ROOT_TOKEN"


def infra_pattern(name: str, patterns: tuple[str, ...]) -> str | None:
    """The infra pattern ``name`` matches (env names compare case-insensitively here)."""
    upper = name.upper()
    if not fnmatch_any(tuple(patterns), upper=True)(upper):  # most names, at once
        return None
    return next(p for p in patterns if fnmatch.fnmatchcase(upper, p.upper()))


def _appearances(index: Index) -> Iterator[tuple[str, Location, str]]:
    """(variable, where, what to remove) for every variable each app layer names, once per file."""
    seen: set[tuple[str, str]] = set()

    def first(name: str, path: str) -> bool:
        key = (name.upper(), path)
        if key in seen:
            return False
        seen.add(key)
        return True

    for ref in index.distinct_fields():
        for env_name in [n.name for n in ref.names] or [ref.primary]:
            if first(env_name, ref.field.location.path):
                field = f"the field {ref.owner.cls.name}.{ref.attribute}"
                yield env_name, ref.field.location, field
    for var in index.template_vars():
        if first(var.name, var.location.path):
            yield var.name, var.location, "the template line (and the key from the Vault path)"
    for entry in index.example_entries():
        if first(entry.key, entry.location.path):
            yield entry.key, entry.location, "the line (document it in .envrc / the ops runbook)"
    yield from _compose_environment(index)


def _compose_environment(index: Index) -> Iterator[tuple[str, Location, str]]:
    """Hook for compose files: each service's ``environment:`` / ``env_file`` keys.

    No compose reader exists yet. When one does, yield ``(name, location, "the key from
    service <s>'s environment")`` here and every compose service is checked like any app
    layer: ``VAULT_ROOT_TOKEN`` in a service's environment is the strongest failure.
    """
    del index
    return iter(())


def _tooling_templates(index: Index) -> set[str]:
    """Templates no settings field reads a var of: their consumer is not the app but
    deployment tooling (an IaC runner, an alerting probe) or a third-party container, which is
    where infra vars belong."""
    feeds_app: dict[str, bool] = {}
    for var in index.template_vars():
        path = var.location.path
        feeds_app[path] = feeds_app.get(path, False) or bool(index.fields_reading(var.name))
    return {path for path, app in feeds_app.items() if not app}


def infra_var_not_in_app(index: Index) -> Iterator[Finding]:
    patterns = index.config.infra
    tooling = _tooling_templates(index)
    for name, at, what in _appearances(index):
        pattern = infra_pattern(name, patterns)
        if pattern is None:
            yield INFRA_VAR_NOT_IN_APP.passed(name, at)
            continue
        if at.path in tooling and name.upper() != ROOT_TOKEN:
            line = (
                f"{at.path} feeds no settings field of the app: its consumer is deployment "
                "tooling (or a third-party container), where infra vars belong",
            )
            yield INFRA_VAR_NOT_IN_APP.passed(name, at, lines=line)
            continue
        why: tuple[str, ...]
        if name.upper() == ROOT_TOKEN:
            why = (
                f"{name} is Vault's root token: write access to every path of every environment. "
                "In an app container one compromised dependency owns every secret you have.",
                "Apps read their secrets through Vault Agent with a per-service, read-only token "
                "(VAULT_APP_TOKEN, set in Dokploy); the root token lives in 1Password for admin "
                "tasks only. Rotate it if it ever reached an app.",
            )
        else:
            why = (
                f"{name} is an infra variable ([tool.envssot] infra matches {pattern}): it belongs "
                "to deployment tooling (direnv .envrc, CI secrets, Dokploy), not to the app's "
                "configuration.",
            )
        yield INFRA_VAR_NOT_IN_APP.failed(
            name,
            at,
            lines=(
                f"{at} names {name}",
                *why,
                f"Remove {what}. If the app really needs it, take it out of [tool.envssot] infra.",
            ),
        )


_FIELD = 'class Settings(BaseSettings):\n    redis_url: str = Field(default="", validation_alias="REDIS_URL")\n'

RULES = (
    Rule(
        INFRA_VAR_NOT_IN_APP,
        Layer.SETTINGS,
        "an infra var (VAULT_ROOT_TOKEN, DOKPLOY_*...) appears in app config or a template",
        infra_var_not_in_app,
        hangs_under="`config.py` / template / `.env.example`",
        details="an `infra` var is a settings field, a template var or an example var (`VAULT_ROOT_TOKEN` says why it is the worst case); a template no settings field reads a var of feeds deployment tooling, where infra vars other than the root token belong",
        why="Infrastructure credentials (Vault root token, deploy keys) in app config widen what a compromised app can reach.",
        valid=(
            RuleExample(mini_repo(_FIELD, "REDIS_URL=\n"), "REDIS_URL"),
            # an IaC runner's template: no app field reads it, infra vars belong there
            RuleExample(
                mini_repo(
                    _FIELD,
                    "REDIS_URL=\n",
                    extra={
                        "deploy/iac_runner/secrets.ctmpl": '{{ with secret "secret/data/ops/iac" }}\n'
                        + tmpl_line("DOKPLOY_API_KEY")
                        + "{{ end }}\n"
                    },
                ),
                "DOKPLOY_API_KEY",
            ),
        ),
        invalid=(
            RuleExample(
                mini_repo(
                    _FIELD + "    vault_root_token: str = ''\n",
                    "REDIS_URL=\nVAULT_ROOT_TOKEN=\n",
                ),
                "VAULT_ROOT_TOKEN",
                message=(
                    "app/config.py:7 names VAULT_ROOT_TOKEN",
                    "VAULT_ROOT_TOKEN is Vault's root token: write access to every path of every environment. In an app container one compromised dependency owns every secret you have.",
                    "Apps read their secrets through Vault Agent with a per-service, read-only token (VAULT_APP_TOKEN, set in Dokploy); the root token lives in 1Password for admin tasks only. Rotate it if it ever reached an app.",
                    "Remove the field Settings.vault_root_token. If the app really needs it, take it out of [tool.envssot] infra.",
                ),
            ),
            RuleExample(
                mini_repo(
                    _FIELD, "REDIS_URL=\n", tmpl_line("REDIS_URL") + tmpl_line("DOKPLOY_URL")
                ),
                "DOKPLOY_URL",
                message=(
                    "deploy/app/secrets.ctmpl:3 names DOKPLOY_URL",
                    "DOKPLOY_URL is an infra variable ([tool.envssot] infra matches DOKPLOY_*): it belongs to deployment tooling (direnv .envrc, CI secrets, Dokploy), not to the app's configuration.",
                    "Remove the template line (and the key from the Vault path). If the app really needs it, take it out of [tool.envssot] infra.",
                ),
            ),
            RuleExample(
                mini_repo(_FIELD, "REDIS_URL=\nVPS_HOST=1.2.3.4\n"),
                "VPS_HOST",
                message=(
                    ".env.example:2 names VPS_HOST",
                    "VPS_HOST is an infra variable ([tool.envssot] infra matches VPS_HOST): it belongs to deployment tooling (direnv .envrc, CI secrets, Dokploy), not to the app's configuration.",
                    "Remove the line (document it in .envrc / the ops runbook). If the app really needs it, take it out of [tool.envssot] infra.",
                ),
            ),
        ),
    ),
)
