"""The immutable model every reader produces and every rule consumes.

Nothing here does I/O. Paths are repository-relative POSIX strings so that
node ids, messages and JSON are stable across machines.
"""

from __future__ import annotations

from dataclasses import field
from enum import Enum

from pytest_envssot.records import frozen


@frozen(order=True)
class Location:
    """A place in a layer file. ``line`` is 1-based; 0 means the file as a whole."""

    path: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@frozen
class ReaderError:
    """Why a layer file could not be read; becomes a failing ``layer-parses`` item."""

    location: Location
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class Layer(str, Enum):
    TEMPLATE = "template"
    SETTINGS = "settings"
    EXAMPLE = "example"
    DOCKERFILE = "dockerfile"
    REPO = "repo"


# --------------------------------------------------------------------------- layer 1


@frozen
class SecretBlock:
    """One ``{{ with secret (...) }}`` block of a template."""

    location: Location
    path_expr: str  # the argument of `secret` exactly as written, e.g. printf "secret/data/x/%s/app" (env "ENV")
    path_format: (
        str | None
    )  # the printf format string when the path is built by printf, else the literal path
    path_env: tuple[str, ...]  # names read with `env "X"` inside the path expression


@frozen
class TemplateVar:
    """One ``KEY=value`` line a template renders."""

    name: str
    location: Location
    block: SecretBlock | None  # the innermost enclosing secret block, None outside any
    vault_keys: tuple[str, ...]  # keys read as .Data.data.KEY or (index .Data.data "KEY"), in order
    quoted: bool  # every Vault value on the line goes through printf "%q"
    fallback: (
        str | None
    )  # the literal text of the `{{ else }}` branch, as written (e.g. '""'), None without else
    env_refs: tuple[str, ...] = ()  # names read with `env "X"` in the value
    exported: bool = False  # `export KEY=...`
    conditional: bool = False  # inside an `if` or `range` action
    value_source: str = ""  # the template source after `=`, for messages
    # the value is one Vault key's value as it is (perhaps through printf "%q", in quotes,
    # with an {{ else }} fallback); False when text or other values are built around it
    whole: bool = True

    @property
    def composed(self) -> bool:
        """The value is built from Vault keys, not one key as it is: several keys (a DSN from
        USER and PASSWORD), or one key inside other text (``printf "postgresql://app:%s@db" $pw``)."""
        return len(set(self.vault_keys)) > 1 or (bool(self.vault_keys) and not self.whole)


@frozen
class TemplateFile:
    """One Vault Agent template: its secret blocks and the lines it renders."""

    path: str
    blocks: tuple[SecretBlock, ...] = ()
    vars: tuple[TemplateVar, ...] = ()
    error: ReaderError | None = None
    # the text as read: composed values are rendered whole (their $variables live elsewhere)
    source: str = field(default="", repr=False, compare=False)


# --------------------------------------------------------------------------- layer 2


@frozen
class AliasSpec:
    """A validation alias: ``alias="X"`` / ``validation_alias="X"`` is one path of one element;
    ``AliasChoices`` is several choices; ``AliasPath("X", 0)`` is one path of several elements."""

    choices: tuple[tuple[str | int, ...], ...]


@frozen
class SettingsField:
    """One field of a settings class, as the static reader sees it."""

    name: str  # the Python attribute name
    location: Location
    annotation: str  # the annotation source exactly as written
    default: str | None = (
        None  # source of the default expression (positional, `= x`, or Field(default=...))
    )
    default_factory: str | None = None
    alias: str | None = None  # Field(alias=...)
    validation_alias: AliasSpec | None = (
        None  # Field(validation_alias=...) (or alias when only alias is set)
    )
    constraints: tuple[tuple[str, str], ...] = ()  # other Field(...) keyword arguments, source text
    description: str | None = None
    nested_model: str | None = (
        None  # qualified name of a BaseModel/BaseSettings the annotation names
    )
    # modes of the class's validators for this field that see the raw input
    # (field_validator mode="before"/"wrap"/"plain", validator(pre=True) as "before")
    validator_modes: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return self.default is None and self.default_factory is None


@frozen
class SettingsClass:
    """One pydantic-settings class of a settings file."""

    name: str
    qualname: str  # module-ish dotted name used for cross-file inheritance
    location: Location
    bases: tuple[str, ...]  # qualified names of the bases as resolved
    is_settings: bool  # a BaseSettings subclass (directly or through local classes)
    config: tuple[tuple[str, object], ...] = ()  # model_config entries evaluated to literals
    fields: tuple[SettingsField, ...] = ()  # own fields only; inheritance is resolved by the engine
    # defines settings_customise_sources: values may come from sources other than the env
    custom_sources: bool = False

    def config_value(self, key: str, default: object = None) -> object:
        for k, v in self.config:
            if k == key:
                return v
        return default


@frozen
class SettingsFile:
    """One Python file holding settings classes."""

    path: str
    classes: tuple[SettingsClass, ...] = ()
    error: ReaderError | None = None


# --------------------------------------------------------------------------- layer 3


@frozen
class ExampleEntry:
    """One ``KEY=value`` line (or commented-out one) of the example file."""

    key: str
    location: Location
    value: str | None  # parsed value; None for `KEY` without `=`, or for commented-out lines
    raw: str  # the line as written (never printed without redaction)
    comment: str = ""  # the comment block directly above plus the inline comment, without '#'
    vault: bool = False  # `[VAULT]` marker in the comment
    commented_out: bool = False  # `# KEY=value`: documented but unset
    exported: bool = False


@frozen
class ExampleFile:
    """The example file (``.env.example``) and its entries."""

    path: str
    entries: tuple[ExampleEntry, ...] = ()
    error: ReaderError | None = None


# --------------------------------------------------------------------------- Dockerfiles


@frozen
class DockerInstruction:
    """One instruction of a Dockerfile."""

    kind: str  # ARG | ENV | RUN | FROM | ...
    location: Location
    names: tuple[str, ...] = ()  # variables an ARG/ENV declares
    text: str = ""  # the instruction's arguments (RUN command), joined over continuation lines


@frozen
class DockerFile:
    """One Dockerfile and its instructions."""

    path: str
    instructions: tuple[DockerInstruction, ...] = ()
    error: ReaderError | None = None

    @property
    def args(self) -> frozenset[str]:
        return frozenset(n for i in self.instructions if i.kind == "ARG" for n in i.names)


# --------------------------------------------------------------------------- compose files


@frozen
class ComposeEnvVar:
    """One entry of a service's ``environment`` (mapping or list form)."""

    name: str
    location: Location
    value: str | None  # None for a bare ``- NAME`` / ``NAME:`` (passed through from the host)


@frozen
class ComposeService:
    """One service of a compose file."""

    name: str  # the key under ``services``
    location: Location
    container_name: str | None = None
    container_location: Location | None = None
    environment: tuple[ComposeEnvVar, ...] = ()
    # other names the service answers to on its networks: ``hostname`` and network ``aliases``
    hostnames: tuple[str, ...] = ()
    # how the service reads rendered env files: paths its entrypoint/command sources with
    # ``. file`` / ``source file`` (a POSIX shell), and its ``env_file:`` entries
    sourced: tuple[str, ...] = ()
    env_files: tuple[str, ...] = ()


@frozen
class ComposeFile:
    """One compose file and its services."""

    path: str
    services: tuple[ComposeService, ...] = ()
    error: ReaderError | None = None
    name: str | None = None  # the top-level ``name:`` (the compose project), if set


# --------------------------------------------------------------------------- the whole repo


@frozen
class Contract:
    """All layers of one repository, as read."""

    root: str
    project: str
    templates: tuple[TemplateFile, ...] = ()
    settings: tuple[SettingsFile, ...] = ()
    examples: tuple[ExampleFile, ...] = ()
    dockerfiles: tuple[DockerFile, ...] = ()
    external: frozenset[str] = field(default_factory=frozenset)
    infra: tuple[str, ...] = ()
    compose: tuple[ComposeFile, ...] = ()
    # folders discovery could not list: whatever layer files they hold are unknown
    unreadable: tuple[ReaderError, ...] = ()
    odd_gitignores: tuple[str, ...] = ()  # .gitignore paths that are no regular file
