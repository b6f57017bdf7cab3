"""Where a smoke check's values come from: an env file, the process environment, the default.

An explicit env file (``--envssot-env-file``, e.g. one Vault Agent rendered) wins over the
process environment: it is what the user asked to prove. An empty value counts as unset, as
``env_ignore_empty`` and the templates' ``""`` fallbacks mean it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pytest_envssot.index import FieldRef, Index, literal_default


class EnvFileError(Exception):
    """The env file cannot be read."""


@dataclass(frozen=True)
class Sources:
    """The layered environment a check reads."""

    environ: Mapping[str, str]
    file: Mapping[str, str | None]
    file_label: str = ""

    @classmethod
    def load(cls, environ: Mapping[str, str], env_file: Path | None, shown_as: str = "") -> Sources:
        """``shown_as``: the path as the user wrote it, for messages."""
        if env_file is None:
            return cls(dict(environ), {})
        if not env_file.is_file():
            raise EnvFileError(f"{env_file}: no such file")
        from dotenv import dotenv_values  # what pydantic-settings itself parses env files with

        try:
            values = dotenv_values(env_file, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise EnvFileError(f"{env_file}: cannot be read ({type(exc).__name__})") from None
        return cls(dict(environ), values, f"env file {shown_as or env_file}")


@dataclass(frozen=True)
class Value:
    name: str  # the variable (or the literal's role)
    text: str | None  # None: unset everywhere, with no usable default
    source: str  # where ``text`` came from, in words
    required: bool = False  # a settings field with no default reads it


def _lookup(mapping: Mapping[str, str | None], name: str, folded: bool) -> str | None:
    if name in mapping:
        return mapping[name]
    if folded:
        lower = name.lower()
        for key, value in mapping.items():
            if key.lower() == lower:
                return value
    return None


def resolve(name: str, sources: Sources, index: Index) -> Value:
    """The value the app would read for ``name``, and where it came from."""
    if "://" in name:  # a literal URL from [tool.envssot.smoke]
        return Value(name, name, "[tool.envssot.smoke]")
    refs = index.fields_reading(name)
    folded = not any(n.case_sensitive for r in refs for n in r.names)
    for mapping, label in (
        (sources.file, sources.file_label),
        (sources.environ, "the process environment"),
    ):
        text = _lookup(mapping, name, folded)
        if text:
            return Value(name, text, label)
    return _default(name, refs)


def _default(name: str, refs: list[FieldRef]) -> Value:
    for ref in refs:
        fld = ref.field
        if fld.required:
            return Value(name, None, "unset, and the settings field has no default", True)
        where = f"{fld.location.path}:{fld.location.line}"
        text = literal_default(fld.default) if fld.default is not None else None
        if text:
            return Value(name, text, f"the settings default ({where}); {name} is unset")
        if text is None:
            return Value(name, None, f"unset, and its default ({where}) is no literal value")
        return Value(name, None, f"unset, and its default ({where}) is empty")
    return Value(name, None, "unset, and no settings field reads it")
