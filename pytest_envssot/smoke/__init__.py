"""Connectivity smoke checks: does each service the settings describe answer?

The seed's ``env-check``: PostgreSQL (``SELECT 1``), S3 (``head_bucket``), Redis (``PING``)
and an AI API key (``GET /models``), each a :class:`~pytest_envssot.findings.Finding` whose
check runs when its item runs. Nothing here knows pytest; the clients are imported lazily.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, urlsplit

from pytest_envssot.findings import Finding, Outcome
from pytest_envssot.index import Index
from pytest_envssot.placeholders import is_local_default, is_placeholder
from pytest_envssot.redact import Redactor, connection_secrets, mask, mask_credentials, show
from pytest_envssot.smoke import checks
from pytest_envssot.smoke.config import SmokeConfig, parse
from pytest_envssot.smoke.services import Service, plan
from pytest_envssot.smoke.values import EnvFileError, Sources, Value, resolve

__all__ = [
    "EnvFileError",
    "Service",
    "SmokeConfig",
    "Sources",
    "checks_for",
    "findings",
    "parse",
    "plan",
]

_URL_ROLES = {"url", "endpoint", "base_url"}
_SECRET_ROLES = {"access_key", "secret_key", "key"}
_OPTIONAL_ROLES = {"region"}
_SECRET_QUERY = ("pass", "token", "key", "secret")


def findings(
    index: Index,
    config: SmokeConfig,
    sources: Sources,
    redactor: Redactor,
    critical_only: bool = False,
) -> tuple[Finding, ...]:
    """One pending finding per service; ``critical_only`` keeps the critical kinds only."""
    out = []
    for service in plan(index, config):
        if critical_only and service.kind not in config.critical:
            continue
        check = partial(run, service, index, config, sources, redactor)
        out.append(
            Finding(
                service.rule,
                service.variable,
                Outcome.SKIPPED,
                service.location,
                ("not run yet",),
                pending=check,
            )
        )
    return tuple(out)


class _Settings(Protocol):
    @property
    def smoke(self) -> object: ...


class CheckedRun(Protocol):
    """What both faces hold after a contract run (the engine's ``Report``)."""

    @property
    def index(self) -> Index: ...
    @property
    def redactor(self) -> Redactor: ...
    @property
    def config(self) -> _Settings: ...


def checks_for(
    run: CheckedRun,
    env_file: Path | None,
    env_file_label: str,
    timeout: object,
    critical_only: bool,
    environ: Mapping[str, str] | None = None,
) -> tuple[Finding, ...]:
    """The one entry point of both faces: the values (``environ``, by default the process
    environment, then ``env_file``), the ``[tool.envssot.smoke]`` table and one pending finding
    per service.

    Raises :class:`EnvFileError` (the faces word it) or ConfigError for a bad table.
    """
    sources = Sources.load(os.environ if environ is None else environ, env_file, env_file_label)
    table = parse(run.config.smoke, timeout)
    return findings(run.index, table, sources, run.redactor, critical_only)


def show_value(role: str, value: str, secret: bool) -> str:
    """A role's value as it may be printed: credentials masked, URLs keep everything else."""
    if role in _SECRET_ROLES:
        return mask(value)
    if role in _URL_ROLES:
        shown = checks.mask_url(value)
        if "?" in shown:  # redis://host?password=... and friends
            head, _, query = shown.partition("?")
            shown = f"{head}?{mask(query)}"
        # libpq `host=… password='…'`, ADO `Password=…;`: all but the password
        return mask_credentials(shown)
    return show(value, secret)


def _query_secrets(value: str) -> list[str]:
    try:
        pairs = parse_qsl(urlsplit(value).query)
    except ValueError:
        return []
    return [v for k, v in pairs if any(word in k.lower() for word in _SECRET_QUERY)]


def run(
    service: Service, index: Index, config: SmokeConfig, sources: Sources, redactor: Redactor
) -> Finding:
    """Resolve the values, call the service, and say what was tried and what answered."""
    values = {role: resolve(var, sources, index) for role, var in service.roles}
    secret = {r: _secret_variable(index, v.name) for r, v in values.items()}
    scrubber = redactor.with_values(_secrets(values, secret))
    timeout = config.timeout_for(service.kind)

    def done(outcome: Outcome, *lines: str) -> Finding:
        safe = tuple(scrubber.scrub(line) for line in lines)
        return Finding(service.rule, service.variable, outcome, service.location, safe)

    shown = [
        f"{v.name}={show_value(r, v.text, secret[r])} from {v.source}"
        for r, v in values.items()
        if v.text is not None and "://" not in v.name
    ]
    missing = [v for r, v in values.items() if v.text is None and r not in _OPTIONAL_ROLES]
    if missing:
        return _unset(service, missing, done)
    try:
        attempt = _attempt(service, values, config, timeout)
    except checks.NotChecked as exc:
        return done(Outcome.SKIPPED, f"{service.variable}: {exc}; nothing to check")
    # What the check itself found to be credentials (a conninfo's password='…') is scrubbed too.
    scrubber = scrubber.with_values(s for s in attempt.secrets if _worth_scrubbing(s))
    with_values = [f"  with {line}" for line in shown]
    start = time.monotonic()
    try:
        answer = checks.within(timeout, attempt.call)
    except TimeoutError:
        return done(
            Outcome.FAILED,
            f"tried: {attempt.tried} (timeout {timeout:g}s)",
            *with_values,
            f"answered: nothing within {timeout:g}s (gave up after {checks.elapsed_since(start)})",
        )
    except Exception as exc:  # the driver's own words are the answer; scrubbed by done()
        said = checks.s3_answer(exc) if service.kind == "s3" else checks.http_answer(exc)
        return done(
            Outcome.FAILED,
            f"tried: {attempt.tried} (timeout {timeout:g}s)",
            *with_values,
            f"answered: {said} (after {checks.elapsed_since(start)})",
        )
    return done(
        Outcome.PASSED,
        f"tried: {attempt.tried} (timeout {timeout:g}s)",
        *with_values,
        f"answered: {answer} (after {checks.elapsed_since(start)})",
    )


def _secret_variable(index: Index, name: str) -> bool:
    return "://" not in name and (index.is_secret(name) or index.is_strong_secret(name))


def _worth_scrubbing(value: str) -> bool:
    # Local defaults (postgres:postgres) protect nothing, and scrubbing them would mangle
    # "postgresql"; shown URLs and keys are masked structurally all the same.
    return bool(value) and not (is_local_default(value) or is_placeholder(value))


def _secrets(values: dict[str, Value], secret: dict[str, bool]) -> list[str]:
    """Everything a check's text must not show: credentials by role, the passwords of URLs
    and connection strings (libpq, ADO) however written, and the whole value of every
    secret-classified variable whatever its shape."""
    found: list[str] = []
    for role, value in values.items():
        text = value.text
        if not text:
            continue
        if role in _SECRET_ROLES or secret[role]:
            found.append(text)
        if role in _URL_ROLES or secret[role]:
            found += [*checks.url_secrets(text), *_query_secrets(text), *connection_secrets(text)]
    return [s for s in found if _worth_scrubbing(s)]


def _unset(service: Service, missing: list[Value], done: Callable[..., Finding]) -> Finding:
    required = [v for v in missing if v.required]
    what = "; ".join(f"{v.name} is {v.source}" for v in missing)
    if required:
        return done(
            Outcome.FAILED,
            f"{what}",
            f"the app cannot start without {', '.join(v.name for v in required)}, "
            f"so {service.kind} was not tried",
        )
    return done(Outcome.SKIPPED, f"{what}: {service.kind} is optional here, not checked")


def _attempt(
    service: Service, values: dict[str, Value], config: SmokeConfig, timeout: float
) -> checks.Attempt:
    def text(role: str) -> str:
        value = values.get(role)
        return value.text if value is not None and value.text is not None else ""

    if service.kind == "postgres":
        return checks.postgres(text("url"), timeout)
    if service.kind == "redis":
        return checks.redis(text("url"), timeout)
    if service.kind == "s3":
        own = config.kind("s3")
        return checks.s3(
            text("endpoint") or None,
            text("access_key"),
            text("secret_key"),
            text("bucket"),
            text("region") or None,
            timeout,
            own.addressing_style,
        )
    if not text("base_url"):
        raise checks.NotChecked("no base URL: set [tool.envssot.smoke.ai] base_url")
    path = config.kind("ai").models_path or config.models_path
    return checks.ai(text("key"), text("base_url"), path, timeout)
