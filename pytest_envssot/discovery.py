"""``[tool.envssot]`` plus defaults -> which files are which layer.

One walk of the tree finds every candidate; explicit configuration replaces a
layer's default. A configured file or pattern that matches nothing is kept as a
missing file, so it becomes a failing ``layer-parses`` item, never an empty layer.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pytest_envssot.readers._io import outside_link
from pytest_envssot.redact import DEFAULT_SECRET_NAMES

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
# Folders no layer file lives in: VCS, virtualenvs, caches, builds, dependencies, tests.
PRUNED_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", "env", ".env", ".tox", ".nox", "node_modules",
        "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".hypothesis", "build",
        "dist", "site-packages", ".next", ".eggs", "tests", "test",
    }
)  # fmt: skip
MAX_SCAN_BYTES = 2 * 1024 * 1024  # settings discovery reads only this much of each .py file
_CLASS_RE = re.compile(r"^class\s+([A-Za-z_]\w*)", re.MULTILINE)
_KNOWN_KEYS = frozenset(
    {
        "project", "env_example", "settings", "templates", "dockerfiles", "external", "infra",
        "disable", "rules", "secret_names", "consumer", "components",
        "domains", "default_secret_domain", "deliberate_fallbacks", "examples", "seed", "import",
        "environments", "compose", "import_timeout", "smoke",
    }
)  # fmt: skip


class ConfigError(Exception):
    """The configuration itself is wrong: a usage error with ``path:line`` where known."""


@dataclass(frozen=True)
class Component:
    """A named slice of the repo: its templates are covered only by its own settings."""

    name: str
    settings: tuple[str, ...]
    templates: tuple[str, ...]


@dataclass(frozen=True)
class Config:
    root: Path
    project: str
    env_example: str = ".env.example"
    settings: tuple[str, ...] | None = None  # None = discover
    templates: tuple[str, ...] | None = None
    dockerfiles: tuple[str, ...] | None = None
    external: tuple[str, ...] = ()
    infra: tuple[str, ...] = DEFAULT_INFRA
    disable: tuple[str, ...] = ()
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
    consumer: tuple[tuple[str, str], ...] = (
        ("**", "pydantic-settings"),
    )  # template glob -> consumer
    domains: tuple[tuple[str, str], ...] = ()  # env name -> value domain
    default_secret_domain: str | None = None
    deliberate_fallbacks: tuple[
        str, ...
    ] = ()  # template fallbacks that differ from the default on purpose
    examples: int = 25  # hypothesis examples per template var
    seed: int | None = None  # fixed seed: reproducible draws (CI=true derandomizes without one)
    import_settings: bool = False  # import mode: a child process imports the settings (README)
    import_timeout: float = 30.0  # seconds per request to the import-mode child
    # [tool.envssot.smoke] as written; pytest_envssot.smoke.config validates it when asked for
    smoke: object = field(default=None, compare=False)

    def consumer_for(self, template_path: str) -> str:
        for pattern, consumer in self.consumer:
            if pattern == "**" or match_paths(pattern, [template_path]):
                return consumer
        return "pydantic-settings"

    def domain_for(self, name: str) -> str | None:
        return self._domain_map.get(name)

    @cached_property
    def _domain_map(self) -> dict[str, str]:
        """First declaration wins, as a scan would; a dict keeps 5,000 lookups linear."""
        found: dict[str, str] = {}
        for key, domain in self.domains:
            found.setdefault(key, domain)
        return found


@dataclass(frozen=True)
class LayerFiles:
    """Repository-relative POSIX paths per layer.

    A configured path or pattern that matches nothing stays in its list, so reading it
    fails with ``layer-parses`` instead of the layer silently being empty.
    """

    settings: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()
    dockerfiles: tuple[str, ...] = ()
    env_example: str = ".env.example"
    compose: tuple[str, ...] = ()


def load_config(root: Path, overrides: dict[str, object] | None = None) -> Config:
    """Read ``[tool.envssot]`` from ``root/pyproject.toml``; ``overrides`` win (CLI/ini)."""
    root = root.resolve()
    pyproject = root / "pyproject.toml"
    table: dict[str, object] = {}
    project_name: str | None = None
    source: str | None = None
    if pyproject.is_file():
        source = "pyproject.toml"
        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(_toml_message(exc)) from None
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
        settings=_opt_list(table, "settings"),
        templates=_opt_list(table, "templates"),
        dockerfiles=_opt_list(table, "dockerfiles"),
        external=_opt_list(table, "external") or (),
        infra=_opt_list(table, "infra") or DEFAULT_INFRA,
        disable=_opt_list(table, "disable") or (),
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


def _typing_options(table: dict[str, object]) -> dict[str, Any]:
    """The keys of the type checks and the round trip, validated."""
    from pytest_envssot.domains import domain_error
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
        out["consumer"] = (*pairs, ("**", "pydantic-settings"))
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
    imported = table.get("import")
    if imported is not None:
        if isinstance(imported, str):
            imported = imported.strip().lower() in ("1", "true", "yes", "on")
        if not isinstance(imported, bool):
            raise ConfigError("pyproject.toml: [tool.envssot] import must be true or false")
        out["import_settings"] = imported
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


# --------------------------------------------------------------------------- the walk


def walk_files(root: Path) -> Iterator[str]:
    """Every file under ``root`` outside pruned folders, as sorted relative POSIX paths."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in PRUNED_DIRS and not d.endswith(".egg-info")
        )
        rel_dir = os.path.relpath(dirpath, root)
        for name in sorted(filenames):
            rel = name if rel_dir == "." else f"{rel_dir}/{name}"
            yield rel.replace(os.sep, "/")


def _is_glob(pattern: str) -> bool:
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


def _select(
    configured: tuple[str, ...] | None,
    default: list[str],
    files: list[str],
) -> tuple[str, ...]:
    if configured is None:
        return tuple(default)
    chosen: list[str] = []
    for pattern in configured:
        pattern = pattern.strip("/").removeprefix("./")
        found = match_paths(pattern, files) if _is_glob(pattern) else []
        chosen.extend(found or [pattern])
    return tuple(dict.fromkeys(chosen))


def discover(config: Config) -> LayerFiles:
    """Which files are which layer, in one walk of the tree."""
    root = config.root
    needs_walk = config.settings is None or config.templates is None or config.dockerfiles is None
    needs_walk = needs_walk or config.compose is None
    needs_walk = needs_walk or any(_is_glob(p) for p in _configured_patterns(config))
    files = list(walk_files(root)) if needs_walk else []
    templates = _select(config.templates, [f for f in files if f.endswith(".ctmpl")], files)
    dockerfiles = _select(
        config.dockerfiles,
        [f for f in files if f.rsplit("/", 1)[-1].startswith("Dockerfile")],
        files,
    )
    settings_default = _discover_settings(root, files) if config.settings is None else []
    settings = _select(config.settings, settings_default, files)
    for component in config.components:
        for pattern in component.settings:
            settings += tuple(f for f in _select((pattern,), [], files) if f not in settings)
        for pattern in component.templates:
            templates += tuple(f for f in _select((pattern,), [], files) if f not in templates)
    compose = _select(config.compose, [f for f in files if is_compose_file(f)], files)
    return LayerFiles(
        settings=settings,
        templates=templates,
        dockerfiles=dockerfiles,
        env_example=config.env_example,
        compose=compose,
    )


_COMPOSE_NAME = re.compile(r"(?:docker-)?compose[^/]*\.ya?ml")


def is_compose_file(rel: str) -> bool:
    """``docker-compose*.yml`` / ``compose*.yaml``, as Docker Compose names them."""
    return bool(_COMPOSE_NAME.fullmatch(rel.rsplit("/", 1)[-1]))


def _configured_patterns(config: Config) -> Iterator[str]:
    for patterns in (config.settings, config.templates, config.dockerfiles, config.compose):
        yield from patterns or ()
    for component in config.components:
        yield from component.settings
        yield from component.templates


def _discover_settings(root: Path, files: list[str]) -> list[str]:
    """Python files that define a BaseSettings subclass, directly or via a local base class.

    A cheap text test picks candidates; the settings reader decides exactly. Files whose
    classes derive from a class defined in a first-round file are added in a second round,
    so inheritance across files is found without configuration.
    """
    texts: dict[str, str] = {}
    unreadable: list[str] = []
    for rel in files:
        if not rel.endswith(".py"):
            continue
        path = root / rel
        try:
            # Never a FIFO (would block), a device, or a symlink out of the repository.
            if not stat.S_ISREG(path.stat().st_mode) or outside_link(path, rel) is not None:
                continue
            # Only the head: imports and class lines come first, and a huge generated
            # module costs no more than this. A skipped big config.py looked like "no
            # settings class found".
            with open(path, "rb") as handle:
                head = handle.read(MAX_SCAN_BYTES)
        except PermissionError:  # may well be the settings: the reader says it cannot read it
            unreadable.append(rel)
            continue
        except OSError:
            continue
        # A UTF-16 config.py is found too, so the reader can say what is wrong with it.
        utf16 = head.startswith((b"\xff\xfe", b"\xfe\xff"))
        texts[rel] = head.decode("utf-16" if utf16 else "utf-8", errors="replace")
    first = [rel for rel, text in texts.items() if "BaseSettings" in text]
    names = {name for rel in first for name in _CLASS_RE.findall(texts[rel])}
    if not names:
        return sorted(first + unreadable)
    # The bases stop at the next `class` line: in valid Python they close before it, and an
    # unclosed `class A(` on every line no longer makes each one scan the rest of the file.
    base_re = re.compile(
        r"^class\s+\w+\s*\((?:[^)\n]|\n(?!class\s))*\b("
        + "|".join(map(re.escape, sorted(names)))
        + r")\b",
        re.MULTILINE,
    )
    second = [rel for rel, text in texts.items() if rel not in first and base_re.search(text)]
    return sorted(first + second + unreadable)
