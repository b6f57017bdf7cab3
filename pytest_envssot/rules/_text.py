"""Shared sentences for rule messages; every value shown goes through redaction."""

from __future__ import annotations

from pytest_envssot.findings import Finding
from pytest_envssot.index import FieldRef, Index, literal_text
from pytest_envssot.model import Location, TemplateVar
from pytest_envssot.redact import show
from pytest_envssot.rules.base import Reporter


def field_line(index: Index, ref: FieldRef) -> str:
    """``config.py:41 Settings.x reads X (int, default 1440)``."""
    fld = ref.field
    if fld.default is not None and fld.default.strip() == "None":
        default = "default None: unset"
    elif fld.default is not None:
        text = literal_text(fld.default)
        secret = index.is_secret(ref.primary)
        shown = show(fld.default if text is None else text, secret)
        default = (
            f"default computed: {shown}" if text is None and not secret else f"default {shown}"
        )
    elif fld.default_factory is not None:
        default = f"default_factory {fld.default_factory}"
    else:
        default = "required"
    names = ", ".join(n.name for n in ref.names) or ref.primary
    return f"{fld.location} {ref.owner.cls.name}.{ref.attribute} reads {names} ({fld.annotation}, {default})"


def template_line(var: TemplateVar) -> str:
    keys = ", ".join(var.vault_keys)
    source = (
        f"Vault key {keys}"
        if len(var.vault_keys) == 1
        else (f"Vault keys {keys}" if var.vault_keys else "a literal value")
    )
    path = f" of {var.block.path_format}" if var.block and var.block.path_format else ""
    return f"{var.location} renders {var.name} from {source}{path}"


def example_value(index: Index, ref: FieldRef) -> str | None:
    """The safe value to suggest for ``.env.example``: the default, unless it is a secret.

    None when no line may set a value: a default of ``None`` (an empty value is not unset: it
    fails an ``int | None``) or one that cannot be evaluated here (an empty line would replace
    it). The suggestion is then a commented-out line, which documents without changing.
    """
    default = ref.field.default
    if default is not None and default.strip() == "None":
        return None
    if default is None or index.is_secret(ref.primary):
        return ""
    return literal_text(default)


def example_lines(index: Index, ref: FieldRef) -> tuple[str, ...]:
    """The comment and binding to add to ``.env.example`` for a field."""
    vault = "[VAULT] " if index.rendered_for(ref) else ""
    description = ref.field.description or f"{ref.owner.cls.name}.{ref.attribute}"
    value = example_value(index, ref)
    if value is None:  # unset or computed: document the name without overriding the default
        return (f"# {vault}{description}", f"# {ref.primary}=")
    if (value and any(ch in value for ch in " #\"'$\\")) or "\n" in value:
        value = "'" + value.replace("'", "") + "'"
    return (f"# {vault}{description}", f"{ref.primary}={value}")


def field_stub(name: str) -> str:
    """The ``Field(...)`` line that would read ``name``."""
    return f'{name.lower()}: str = Field(default="", validation_alias="{name}")'


def unreadable_skip(rule: Reporter, variable: str, at: Location, paths: list[str]) -> Finding:
    """The evidence might sit in a file that did not parse: skip rather than blame the variable."""
    return rule.skipped(
        variable,
        at,
        lines=(f"{', '.join(paths)} could not be read (see its layer-parses item)",),
    )
