"""``[tool.envssot.smoke]``: timeouts, which kinds are critical, explicit service variables.

```toml
[tool.envssot.smoke]
timeout = 5                       # seconds per check
critical = ["postgres", "s3"]     # what --envssot-critical-only runs
[tool.envssot.smoke.postgres]
url = ["DATABASE_URL", "REPLICA_DATABASE_URL"]   # one check per variable
[tool.envssot.smoke.s3]
endpoint = "S3_ENDPOINT"          # a role names a variable, or holds a literal URL
[tool.envssot.smoke.ai]
key = "OPENROUTER_API_KEY"
base_url = "https://openrouter.ai/api/v1"
models_path = "/models"
[tool.envssot.smoke.redis]
enabled = false                   # no Redis check at all
```

A kind's table replaces discovery for the roles it names; the rest are still discovered.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

from pytest_envssot.config import ConfigError

KINDS = ("postgres", "redis", "s3", "ai")
# The seed's `env-check --critical-only`: the app cannot start without these.
DEFAULT_CRITICAL = ("postgres", "s3")
DEFAULT_TIMEOUT = 5.0
DEFAULT_MODELS_PATH = "/models"
# role names per kind; the first is the variable an item is named after
ROLES: dict[str, tuple[str, ...]] = {
    "postgres": ("url",),
    "redis": ("url",),
    "s3": ("endpoint", "access_key", "secret_key", "bucket", "region"),
    "ai": ("key", "base_url"),
}
_KIND_OPTIONS = {"enabled", "timeout", "models_path", "addressing_style"}


@dataclass(frozen=True)
class KindConfig:
    enabled: bool = True
    roles: tuple[tuple[str, tuple[str, ...]], ...] = ()  # role -> variable names / literals
    timeout: float | None = None
    models_path: str | None = None
    addressing_style: str | None = None

    def role(self, name: str) -> tuple[str, ...] | None:
        return next((v for k, v in self.roles if k == name), None)


@dataclass(frozen=True)
class SmokeConfig:
    timeout: float = DEFAULT_TIMEOUT
    critical: tuple[str, ...] = DEFAULT_CRITICAL
    models_path: str = DEFAULT_MODELS_PATH
    kinds: dict[str, KindConfig] = field(default_factory=dict)

    def kind(self, name: str) -> KindConfig:
        return self.kinds.get(name, KindConfig())

    def timeout_for(self, kind: str) -> float:
        own = self.kind(kind).timeout
        return own if own is not None else self.timeout


def _where(key: str) -> str:
    return f"pyproject.toml: [tool.envssot.smoke] {key}"


def _timeout(value: object, key: str) -> float:
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 600:
        raise ConfigError(f"{_where(key)} must be a number of seconds in (0, 600]")
    return float(value)


def _names(value: object, key: str) -> tuple[str, ...]:
    if isinstance(value, str) and value:
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
        return tuple(value)
    raise ConfigError(f"{_where(key)} must be a variable name (or a list of them)")


def parse(raw: object, timeout_override: object = None) -> SmokeConfig:
    """Validate the raw table; unknown keys are errors, as in [tool.envssot]."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("pyproject.toml: [tool.envssot.smoke] must be a table")
    unknown = sorted(set(raw) - {"timeout", "critical", "models_path", *KINDS})
    if unknown:
        raise ConfigError(
            f"{_where('')}has unknown key(s): {', '.join(unknown)} "
            f"(known: timeout, critical, models_path, {', '.join(KINDS)})"
        )
    timeout = _timeout(raw["timeout"], "timeout") if "timeout" in raw else DEFAULT_TIMEOUT
    if timeout_override is not None:
        timeout = _timeout(timeout_override, "timeout (--envssot-smoke-timeout)")
    critical: tuple[str, ...] = DEFAULT_CRITICAL
    if "critical" in raw:
        critical = _names(raw["critical"], "critical")
        bad = sorted(set(critical) - set(KINDS))
        if bad:
            raise ConfigError(f"{_where('critical')}: unknown kind(s) {', '.join(bad)}")
    models_path = raw.get("models_path", DEFAULT_MODELS_PATH)
    if not isinstance(models_path, str) or not models_path.startswith("/"):
        raise ConfigError(f"{_where('models_path')} must be a path starting with /")
    kinds = {kind: _kind(kind, raw[kind]) for kind in KINDS if kind in raw}
    return SmokeConfig(timeout, critical, models_path, kinds)


def _kind(kind: str, table: object) -> KindConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"pyproject.toml: [tool.envssot.smoke.{kind}] must be a table")
    allowed = set(ROLES[kind]) | _KIND_OPTIONS
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(
            f"pyproject.toml: [tool.envssot.smoke.{kind}] unknown key(s): {', '.join(unknown)} "
            f"(known: {', '.join(sorted(allowed))})"
        )
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"pyproject.toml: [tool.envssot.smoke.{kind}] enabled must be true/false")
    roles = tuple(
        (role, _names(table[role], f"{kind}.{role}")) for role in ROLES[kind] if role in table
    )
    multi = {"url"}  # only single-variable kinds can fan out into several checks
    for role, names in roles:
        if len(names) > 1 and role not in multi:
            raise ConfigError(f"{_where(f'{kind}.{role}')} takes one variable name")
    timeout = _timeout(table["timeout"], f"{kind}.timeout") if "timeout" in table else None
    models_path = table.get("models_path")
    if models_path is not None and (
        not isinstance(models_path, str) or not models_path.startswith("/")
    ):
        raise ConfigError(f"{_where(f'{kind}.models_path')} must be a path starting with /")
    style = table.get("addressing_style")
    if style is not None and style not in ("path", "virtual", "auto"):
        raise ConfigError(f"{_where(f'{kind}.addressing_style')} must be path, virtual or auto")
    return KindConfig(enabled, roles, timeout, models_path, style)
