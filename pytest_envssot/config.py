"""``[tool.envssot]`` plus defaults: :class:`Config`, :class:`ConfigError`, :func:`load_config`,
:func:`find_repo_root`.

Kept apart from the file walk (:mod:`pytest_envssot.discovery`) so that a module needing a
config error does not import a file walker.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Iterable
from dataclasses import field
from functools import cached_property
from pathlib import Path
from typing import Any

from pytest_envssot.quoting import DEFAULT_CONSUMER
from pytest_envssot.records import frozen
from pytest_envssot.redact import DEFAULT_SECRET_NAMES
from pytest_envssot.safefile import DEFAULT_MAX_FILE_BYTES, Refused, escapes, read_bytes

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

DEFAULT_INFRA = (
    "VAULT_ROOT_TOKEN",
    "VAULT_ADDR",
    "VAULT_APP_TOKEN",
    "DOKPLOY_*",
    "VPS_HOST",
)


_KNOWN_KEYS = frozenset(
    {
        "project", "env_example", "settings", "templates", "dockerfiles", "external", "infra",
        "disable", "rules", "secret_names", "consumer", "components",
        "domains", "default_secret_domain", "deliberate_fallbacks", "examples", "seed", "import",
        "environments", "compose", "import_timeout", "smoke", "max_file_bytes", "warn", "cache",
    }
)  # fmt: skip


class ConfigError(Exception):
    """The configuration itself is wrong: a usage error with ``path:line`` where known."""


@frozen(slots=False)
class Component:
    """A named slice of the repo: its templates are covered only by its own settings."""

    name: str
    settings: tuple[str, ...]
    templates: tuple[str, ...]


@frozen(slots=False)
class Config:
    """The merged configuration of one run: pyproject, ini options and command line."""

    root: Path
    project: str
    env_example: str = ".env.example"
    env_example_set: bool = False  # configured; else discovery looks for the usual names
    settings: tuple[str, ...] | None = None  # None = discover
    templates: tuple[str, ...] | None = None
    dockerfiles: tuple[str, ...] | None = None
    external: tuple[str, ...] = ()
    infra: tuple[str, ...] = DEFAULT_INFRA
    disable: tuple[str, ...] = ()
    warn: tuple[str, ...] = ()  # rules that report without failing
    rules: tuple[str, ...] = ()  # when non-empty, only these rules run
    components: tuple[Component, ...] = ()
    # Configured patterns add to the defaults: a wider net can only mask more.
    secret_names: tuple[str, ...] = DEFAULT_SECRET_NAMES
    source: str | None = None  # the pyproject.toml the settings came from
    environments: tuple[
        str, ...
    ] = ()  # extra environments besides local/ci/pr-N/staging/production
    compose: tuple[str, ...] | None = None  # compose files; None = discover
    # types and the round trip (see README "Value domains")
    consumer: tuple[tuple[str, str], ...] = (("**", DEFAULT_CONSUMER),)  # template glob -> consumer
    domains: tuple[tuple[str, str], ...] = ()  # env name -> value domain
    default_secret_domain: str | None = None
    deliberate_fallbacks: tuple[
        str, ...
    ] = ()  # template fallbacks that differ from the default on purpose
    examples: int = 25  # hypothesis examples per template var
    seed: int | None = None  # fixed seed: reproducible draws (CI=true derandomizes without one)
    import_settings: bool = False  # import mode: a child process imports the settings (README)
    import_timeout: float = 30.0  # seconds per request to the import-mode child
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # a layer file larger than this is not read
    cache: bool = True  # keep round-trip verdicts in the per-user cache (README "Performance")
    # [tool.envssot.smoke] as written; pytest_envssot.smoke.config validates it when asked for
    smoke: object = field(default=None, compare=False)

    def consumer_for(self, template_path: str) -> str:
        for pattern, consumer in self.consumer:
            if pattern == "**" or match_paths(pattern, [template_path]):
                return consumer
        return DEFAULT_CONSUMER

    def domain_for(self, name: str) -> str | None:
        return self._domain_map.get(name)

    @cached_property
    def _domain_map(self) -> dict[str, str]:
        """First declaration wins, as a scan would; a dict keeps 5,000 lookups linear."""
        found: dict[str, str] = {}
        for key, domain in self.domains:
            found.setdefault(key, domain)
        return found


def load_config(root: Path, overrides: dict[str, object] | None = None) -> Config:
    """Read ``[tool.envssot]`` from ``root/pyproject.toml``; ``overrides`` win (CLI/ini)."""
    root = root.resolve()
    table: dict[str, object] = {}
    project_name: str | None = None
    source: str | None = None
    data = _read_pyproject(root)
    if data is not None:
        source = "pyproject.toml"
        tool = data.get("tool", {})
        raw = tool.get("envssot", {}) if isinstance(tool, dict) else {}
        if not isinstance(raw, dict):
            raise ConfigError("pyproject.toml: [tool.envssot] must be a table")
        table = dict(raw)
        proj = data.get("project", {})
        if isinstance(proj, dict) and isinstance(proj.get("name"), str):
            project_name = proj["name"]
    table.update(overrides or {})
    unknown = sorted(set(table) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"pyproject.toml: unknown key(s) in [tool.envssot]: {', '.join(unknown)}")
    return Config(
        root=root,
        project=_str(table, "project") or project_name or root.name,
        env_example=_str(table, "env_example") or ".env.example",
        env_example_set=_str(table, "env_example") is not None,
        settings=_opt_list(table, "settings"),
        templates=_opt_list(table, "templates"),
        dockerfiles=_opt_list(table, "dockerfiles"),
        external=_opt_list(table, "external") or (),
        infra=_opt_list(table, "infra") or DEFAULT_INFRA,
        disable=_opt_list(table, "disable") or (),
        warn=_opt_list(table, "warn") or (),
        rules=_opt_list(table, "rules") or (),
        components=_components(table.get("components")),
        secret_names=tuple(
            dict.fromkeys((*DEFAULT_SECRET_NAMES, *(_opt_list(table, "secret_names") or ())))
        ),
        source=source,
        **_typing_options(table),
        environments=_opt_list(table, "environments") or (),
        compose=_opt_list(table, "compose"),
        smoke=table.get("smoke"),
    )


# pyproject.toml is configuration, not a layer: a generous fixed limit, not max_file_bytes.
PYPROJECT_MAX_BYTES = 4 * 1024 * 1024


def _read_pyproject(folder: Path) -> dict[str, Any] | None:
    """``folder/pyproject.toml`` parsed, None when there is none; ConfigError (one line, with the
    path) for anything else: unreadable, not a regular file, a symlink out of ``folder``, too
    big, invalid, or nested past what the parser can take."""
    raw = _pyproject_bytes(folder)
    if raw is None:
        return None
    try:
        data: dict[str, Any] = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"pyproject.toml:{line}: invalid UTF-8 byte 0x{raw[exc.start]:02x}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_message(exc)) from None
    except RecursionError:  # arrays or inline tables nested hundreds deep
        line = raw.count(b"\n", 0, _deepest(raw)) + 1
        raise ConfigError(f"pyproject.toml:{line}: invalid TOML: nested too deeply") from None
    return data


def _pyproject_bytes(folder: Path) -> bytes | None:
    """The bytes of ``folder/pyproject.toml``, None when there is none."""
    pyproject = folder / "pyproject.toml"
    if not os.path.lexists(pyproject):
        return None
    target = escapes(folder, pyproject)
    if target is not None:
        raise ConfigError(
            f"{pyproject}: is a symlink leading outside the repository ({target}); not followed"
        )
    try:
        raw = read_bytes(pyproject, PYPROJECT_MAX_BYTES)
    except Refused as exc:
        raise ConfigError(f"{pyproject}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{pyproject}: cannot read file: {exc.strerror or exc}") from None
    return raw


def _deepest(raw: bytes, limit: int = 100) -> int:
    """Offset where bracket nesting first passes ``limit`` (0 when it never does); strings are
    not told apart: this only points at the line for the message."""
    depth = 0
    for offset, byte in enumerate(raw):
        depth += (byte in b"[{") - (byte in b"]}")
        if depth > limit:
            return offset
    return 0


def _typing_options(table: dict[str, object]) -> dict[str, Any]:
    """The keys of the type checks and the round trip, validated."""
    from pytest_envssot.pysettings.domains import domain_error
    from pytest_envssot.quoting import CONSUMERS

    out: dict[str, Any] = {}
    consumer = table.get("consumer")
    pairs: list[tuple[str, str]] = []
    if isinstance(consumer, str):
        pairs = [("**", consumer)]
    elif isinstance(consumer, dict):
        pairs = [(str(k), v) for k, v in consumer.items() if isinstance(v, str)]
        if len(pairs) != len(consumer):
            raise ConfigError("pyproject.toml: [tool.envssot.consumer] values must be strings")
    elif consumer is not None:
        raise ConfigError(
            "pyproject.toml: [tool.envssot] consumer must be a string or a table of template globs"
        )
    for _, name in pairs:
        if name not in CONSUMERS:
            raise ConfigError(
                f"pyproject.toml: [tool.envssot] consumer {name!r} is not one of {', '.join(CONSUMERS)}"
            )
    if pairs:
        out["consumer"] = (*pairs, ("**", DEFAULT_CONSUMER))
    domains = table.get("domains")
    if domains is not None:
        if not isinstance(domains, dict) or not all(isinstance(v, str) for v in domains.values()):
            raise ConfigError("pyproject.toml: [tool.envssot.domains] must map names to strings")
        out["domains"] = tuple((str(k), str(v)) for k, v in domains.items())
    default_domain = _str(table, "default_secret_domain")
    if default_domain is not None:
        out["default_secret_domain"] = default_domain
    declared = [(f"domains.{k}", v) for k, v in (domains or {}).items()]
    for key, domain in [*declared, ("default_secret_domain", default_domain or "any")]:
        problem = domain_error(str(domain))
        if problem:
            raise ConfigError(f"pyproject.toml: [tool.envssot] {key}: {problem}")
    out["deliberate_fallbacks"] = _opt_list(table, "deliberate_fallbacks") or ()
    for key in ("examples", "seed"):
        value = table.get(key)
        if value is None:
            continue
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if (
            not isinstance(value, int)
            or isinstance(value, bool)
            or (key == "examples" and value < 1)
        ):
            raise ConfigError(f"pyproject.toml: [tool.envssot] {key} must be a positive integer")
        out[key] = value
    for key, name in (("import", "import_settings"), ("cache", "cache")):
        flag = table.get(key)
        if flag is None:
            continue
        if isinstance(flag, str):
            flag = flag.strip().lower() in ("1", "true", "yes", "on")
        if not isinstance(flag, bool):
            raise ConfigError(f"pyproject.toml: [tool.envssot] {key} must be true or false")
        out[name] = flag
    timeout = table.get("import_timeout")
    if timeout is not None:
        try:
            seconds = float(timeout) if not isinstance(timeout, bool) else -1.0  # type: ignore[arg-type]
        except (TypeError, ValueError):
            seconds = -1.0
        if not seconds > 0:
            raise ConfigError(
                "pyproject.toml: [tool.envssot] import_timeout must be a positive number of seconds"
            )
        out["import_timeout"] = seconds
    limit = table.get("max_file_bytes")
    if limit is not None:
        if isinstance(limit, str) and limit.strip().isdigit():
            limit = int(limit)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            raise ConfigError(
                "pyproject.toml: [tool.envssot] max_file_bytes must be a positive integer"
            )
        out["max_file_bytes"] = limit
    return out


def _toml_message(exc: Exception) -> str:
    """``pyproject.toml:LINE: invalid TOML: ...`` from tomllib's ``(at line L, column C)``."""
    text = str(exc)
    found = re.search(r"\s*\(at line (\d+), column \d+\)", text)
    if found:
        return f"pyproject.toml:{found[1]}: invalid TOML: {text[: found.start()]}"
    return f"pyproject.toml: invalid TOML: {text}"


def _str(table: dict[str, object], key: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise ConfigError(f"pyproject.toml: [tool.envssot] {key} must be a non-empty string")
    return value


def _opt_list(table: dict[str, object], key: str) -> tuple[str, ...] | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"pyproject.toml: [tool.envssot] {key} must be a list of strings")
    return tuple(value)


def _components(value: object) -> tuple[Component, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise ConfigError("pyproject.toml: [tool.envssot.components] must be a table of tables")
    out = []
    for name, spec in value.items():
        if not isinstance(spec, dict):
            raise ConfigError(f"pyproject.toml: [tool.envssot.components.{name}] must be a table")
        settings = _opt_list(spec, "settings") or ()
        templates = _opt_list(spec, "templates") or ()
        out.append(Component(str(name), settings, templates))
    return tuple(out)


def is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def match_paths(pattern: str, files: Iterable[str]) -> list[str]:
    """``**`` matches any number of folders (including none), ``*`` stays inside one."""
    regex = _glob_regex(pattern)
    return [f for f in files if regex.fullmatch(f)]


def _glob_regex(pattern: str) -> re.Pattern[str]:
    parts = []
    for i, chunk in enumerate(pattern.split("/")):
        if chunk == "**":
            parts.append("(?:.*/)?")
            continue
        translated = fnmatch.translate(chunk)[4:-3]  # strip (?s: ... )\Z
        translated = translated.replace(".*", "[^/]*")
        parts.append(translated + ("" if i == len(pattern.split("/")) - 1 else "/"))
    return re.compile("".join(parts))


def find_repo_root(explicit: str | None, start: Path, stop: Path) -> Path:
    """The repository the contract is about: ``explicit`` (must be a folder), else the nearest
    folder from ``start`` up to ``stop`` whose pyproject.toml has ``[tool.envssot]``, else ``stop``.
    """
    if explicit:
        root = Path(explicit)
        if not root.is_dir():
            raise ConfigError(f"envssot: --envssot-root {explicit}: not a directory")
        return root.resolve()
    start = start.resolve()
    stop = stop.resolve()
    for folder in (start, *start.parents):
        raw = _pyproject_bytes(folder)  # never a FIFO or /proc file: those would block the search
        if raw is not None and b"[tool.envssot" in raw:
            return folder
        if folder == stop:
            break
    return stop
