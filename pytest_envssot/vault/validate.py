"""``envssot render --validate``: does the settings class accept what Vault Agent would write?

The rendered text is read as pydantic-settings reads an env file (python-dotenv, interpolation
on); the real settings class is then built from exactly those variables in import mode's child
(:func:`pytest_envssot.pysettings.importmode.load_with_env`): no env file, nothing of this process's
environment. Which class: ``--settings FILE:CLASS``, else the one class (the most derived)
whose fields read the template's variables. Messages carry field, env name and pydantic's error
type, never a value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_envssot.pysettings.importmode import DEFAULT_TIMEOUT, LoadResult, load_with_env


class ValidateUsageError(Exception):
    """Exit 2: which class to build is unclear, or the repository cannot be read."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    lines: tuple[str, ...]


def rendered_env(text: str) -> dict[str, str]:
    """The variables a pydantic-settings env file of ``text`` sets (unset ones left out)."""
    from pytest_envssot.quoting import dotenv_values

    return {k: v for k, v in dotenv_values(text).items() if v is not None}


def settings_target(
    repo: Path, template: Path, names: list[str], spec: str | None
) -> tuple[str, str]:
    """(settings file relative to ``repo``, class name) to build."""
    if spec:
        path, sep, cls = spec.rpartition(":")
        if not sep or not path or not cls:
            raise ValidateUsageError(f"--settings {spec}: expected FILE:CLASS")
        file = Path(path)
        if file.is_absolute():
            file = file.resolve().relative_to(repo.resolve())
        return file.as_posix(), cls
    from pytest_envssot.config import ConfigError
    from pytest_envssot.engine import check

    try:
        index = check(repo, only=["layer-parses"]).index
    except ConfigError as exc:
        raise ValidateUsageError(str(exc)) from None
    try:
        template_rel = template.resolve().relative_to(repo.resolve()).as_posix()
        scope = index.settings_paths_for_template(template_rel)
    except ValueError:
        scope = None
    owners = {id(r.owner): r.owner for n in names for r in index.fields_reading(n, scope)}
    # A base class and its subclass both read the names: build the most derived one.
    leaves = [
        o
        for o in owners.values()
        if not any(o.cls in other.mro[1:] for other in owners.values() if other is not o)
    ]
    where = sorted({f"{o.cls.location.path}:{o.cls.name}" for o in leaves})
    if len(where) != 1:
        found = ", ".join(where) if where else "none"
        raise ValidateUsageError(
            f"--validate: {len(where)} settings classes read this template's variables "
            f"({found}); name one with --settings FILE:CLASS"
        )
    path, _, cls = where[0].rpartition(":")
    return path, cls


def validate(
    repo: Path,
    template: Path,
    text: str,
    spec: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    extra: Mapping[str, str] | None = None,
) -> Verdict:
    env = {**rendered_env(text), **(extra or {})}
    rel, cls = settings_target(repo, template, sorted(env), spec)
    result: LoadResult = load_with_env(repo, rel, cls, env, timeout)
    name = f"{cls} ({rel})"
    if result.failure is not None:
        return Verdict(
            False, (f"--validate: import mode could not build {name}: {result.failure}",)
        )
    if result.ok:
        return Verdict(True, (f"--validate: {name} accepts the rendered file",))
    lines = [f"--validate: {name} rejects the rendered file ({len(result.errors)} error(s)):"]
    for error in result.errors:
        label = error.env or error.field or "(model)"
        field = f" ({error.field})" if error.field and error.env else ""
        lines.append(f"  {label}{field}: {error.type}: {error.message}")
    lines.append("  not written: the application would not start with it")
    return Verdict(False, tuple(lines))
