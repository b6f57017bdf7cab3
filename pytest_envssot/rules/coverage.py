"""The subset contract: template vars ⊆ settings fields ⊆ example vars, no orphans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pytest_envssot.findings import Finding
from pytest_envssot.index import FieldRef, Index, literal_text
from pytest_envssot.lazyregex import lazy_compile
from pytest_envssot.model import ExampleEntry, Layer, Location, TemplateVar
from pytest_envssot.placeholders import is_placeholder
from pytest_envssot.readers.mentions import find_mentions
from pytest_envssot.redact import fnmatch_any
from pytest_envssot.rules import _edits
from pytest_envssot.rules._text import (
    example_lines,
    field_line,
    field_stub,
    template_line,
    unreadable_skip,
)
from pytest_envssot.rules.base import Reporter, Rule, RuleExample, mini_repo, tmpl_line

REQUIRED_FIELD_IN_TEMPLATE = Reporter("required-field-in-template")

FIELD_DOCUMENTED = Reporter("field-documented")

EXAMPLE_VAR_HAS_FIELD = Reporter("example-var-has-field")

TEMPLATE_VAR_HAS_FIELD = Reporter("template-var-has-field")

_ONE_FIELD = 'class Settings(BaseSettings):\n    redis_url: str = Field(default="", validation_alias="REDIS_URL")\n'


class _Extras:
    """Per run: each settings class's ``extra`` (asked once per orphan: 100,000 of them)."""

    def __init__(self, index: Index) -> None:
        self.extras = {s.cls.name: dict(s.config).get("extra", "forbid") for s in index.settings}


def _extra_sentence(index: Index, var_name: str, carrier: str) -> str:
    """Why an unread key matters, in terms of the classes that would load ``carrier``."""
    extras = index.service(_Extras).extras
    forbidding = [name for name, extra in extras.items() if extra == "forbid"]
    if forbidding:
        return (
            f"{', '.join(forbidding)} uses extra='forbid' (pydantic-settings' default): "
            f"{carrier} carrying {var_name}, which no field reads, makes the app refuse to start."
        )
    return (
        f"{', '.join(extras) or 'The settings'} sets extra='ignore', so {var_name} in {carrier} is "
        "silently dropped; under pydantic-settings' default extra='forbid' the app would refuse to start."
    )


# --------------------------------------------------------------------------- template-var-has-field


def template_var_has_field(index: Index) -> Iterator[Finding]:
    rule = TEMPLATE_VAR_HAS_FIELD
    no_settings = not index.contract.settings
    pending: list[TemplateVar] = []
    for template in index.templates():
        scope = index.settings_paths_for_template(template.path)
        seen: set[str] = set()
        for var in template.vars:
            if var.name in seen:
                continue
            seen.add(var.name)
            readers = index.fields_reading(var.name, scope)
            if readers or index.is_external(var.name):
                yield rule.passed(var.name, var.location)
            elif no_settings:
                yield rule.skipped(
                    var.name, var.location,
                    lines=(
                        "this repository defines no settings class: the template's consumer "
                        "lives elsewhere (set [tool.envssot] settings if it is here)",
                    ),
                )  # fmt: skip
            elif broken := index.unreadable(Layer.SETTINGS):
                yield unreadable_skip(rule, var.name, var.location, broken)
            else:
                pending.append(var)
    mentioned = index.service(Mentions).find({v.name for v in pending})
    where = ", ".join(sorted({f.path for f in index.contract.settings})) or "no settings files"
    for var in pending:
        if var.name in mentioned:
            yield _read_elsewhere(rule, var.name, var.location, mentioned[var.name])
            continue
        yield rule.failed(
            var.name,
            var.location,
            lines=(
                template_line(var),
                f"no settings field reads {var.name} (searched {where}), and no code or "
                "configuration in the repository names it",
                _extra_sentence(index, var.name, "a rendered env file"),
                f"Add a field, or list {var.name} under [tool.envssot] external if a "
                "non-Python consumer reads it:",
            ),
            fix=(field_stub(var.name),),
            edit=_edits.field_stub(
                index, var.name, "", index.settings_paths_for_template(var.location.path)
            ),
        )


class Mentions:
    """Per run: where code and configuration outside the settings and env layers name a
    variable (``os.getenv``, ``process.env``, compose ``${X}``), asked once per batch."""

    def __init__(self, index: Index) -> None:
        self.root = Path(index.contract.root)
        contract = index.contract
        self.skip = {
            *(f.path for f in contract.settings),
            *(f.path for f in contract.templates),
            *(f.path for f in contract.examples),
        }
        self.found: dict[str, Location] = {}
        self.asked: set[str] = set()

    def find(self, names: set[str]) -> dict[str, Location]:
        new = names - self.asked
        if new:
            self.asked |= new
            self.found.update(find_mentions(self.root, new, self.skip))
        return {n: self.found[n] for n in names if n in self.found}


def _read_elsewhere(rule: Reporter, name: str, at: Location, mention: Location) -> Finding:
    return rule.passed(
        name, at,
        lines=(f"no settings field reads {name}, but {mention} names it: read outside the settings",),
    )  # fmt: skip


# --------------------------------------------------------------------------- field-documented


# An example that documents at least this share of the fields adopted "every field documented";
# below it the example is a curated, user-facing subset (most real repositories keep one).
ADOPTED_SHARE = 0.8
# In a curated example, fields without a working value still must be there: a deployer has to
# set them. These name parts mark credentials (and the identities they go with) and endpoints.
_MUST_SET = lazy_compile(
    r"(?:^|_)(?:KEY|SECRET|TOKEN|PASSWORD|PASSWD|PASS|PWD|DSN|URL|URI|HOST|ENDPOINT|USER|"
    r"USERNAME|(?:CLIENT|TENANT|PROJECT|ACCOUNT|CLOUD|TEAM)_ID)(?:_|$)"
)


def _coverage(index: Index) -> tuple[int, int]:
    """(documented, total) over distinct env names."""
    names: dict[str, bool] = {}
    for ref in index.distinct_fields():
        names[ref.primary] = (
            names.get(ref.primary, False) or index.example_entry_for(ref) is not None
        )
    return sum(names.values()), len(names)


def _needs_a_line(index: Index, ref: FieldRef) -> bool:
    """In a curated example: no default, or a credential/endpoint with no working default."""
    if ref.field.required:
        return True
    default = ref.field.default
    text = literal_text(default) if default is not None else None
    if ref.field.default_factory is not None or (default is not None and text is None):
        return False  # computed: there is a working value
    empty = not text or default is None or is_placeholder(text or "")
    return empty and bool(_MUST_SET.search(ref.primary.upper()))


def field_documented(index: Index) -> Iterator[Finding]:
    example_path = index.config.env_example
    # A missing line belongs after the entry of the nearest documented earlier field (one pass).
    end = max((e.location.line for e in index.example_entries()), default=0)
    after: int | None = None
    broken = index.unreadable(Layer.EXAMPLE)
    documented, total = _coverage(index)
    curated = index.example is not None and total >= 5 and documented < ADOPTED_SHARE * total
    seen: set[str] = set()
    for ref in index.distinct_fields():
        entry = index.example_entry_for(ref)
        if entry is not None:
            after = entry.location.line + 1
        if ref.primary in seen:
            continue
        seen.add(ref.primary)
        if entry is not None:
            yield FIELD_DOCUMENTED.passed(ref.primary, entry.location)
            continue
        line = after if after is not None else (end + 1 if index.example is not None else 0)
        where = Location(example_path, line)
        if broken:
            yield unreadable_skip(FIELD_DOCUMENTED, ref.primary, where, broken)
            continue
        if ref.field.required and any(c.custom_sources for c in ref.owner.mro or (ref.owner.cls,)):
            yield FIELD_DOCUMENTED.skipped(
                ref.primary, where,
                lines=(
                    f"{ref.owner.cls.name} customises its sources (settings_customise_sources): "
                    f"{ref.primary} has no default and may be filled by a source other than the "
                    "environment",
                ),
            )  # fmt: skip
            continue
        if curated and not _needs_a_line(index, ref):
            yield FIELD_DOCUMENTED.skipped(
                ref.primary, where,
                lines=(
                    f"{example_path} documents {documented} of {total} variables: a curated "
                    f"subset, and {ref.primary} has a working default. Document every field "
                    f"(at least {ADOPTED_SHARE:.0%}) to have each one checked.",
                ),
            )  # fmt: skip
            continue
        yield FIELD_DOCUMENTED.failed(
            ref.primary,
            where,
            lines=(field_line(index, ref), f"{example_path} has no line for it. Add:"),
            fix=example_lines(index, ref),
            edit=_edits.example_add(where, example_lines(index, ref)),
        )


# --------------------------------------------------------------------------- example-var-has-field


# Variables well-known client libraries read from the environment themselves: documented for
# them, not for a settings field. Only when the repository names the library somewhere.
_LIBRARY_ENV = {
    "openai": ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "OPENAI_ORGANIZATION",
               "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_API_VERSION"),
    "litellm": ("OPENAI_API_KEY", "OPENAI_API_BASE", "OPENAI_ORGANIZATION", "ANTHROPIC_API_KEY",
                "AZURE_API_KEY", "AZURE_API_BASE", "AZURE_API_VERSION", "GEMINI_API_KEY"),
    "anthropic": ("ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"),
    "boto3": ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
              "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL"),
    "google": ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT"),
    "huggingface_hub": ("HF_TOKEN", "HF_HOME", "HUGGING_FACE_HUB_TOKEN"),
    "langsmith": ("LANGCHAIN_API_KEY", "LANGCHAIN_TRACING_V2", "LANGSMITH_API_KEY"),
}  # fmt: skip
_LIBRARY_OF: dict[str, tuple[str, ...]] = {}
for _library, _names in _LIBRARY_ENV.items():
    for _name in _names:
        _LIBRARY_OF[_name] = (*_LIBRARY_OF.get(_name, ()), _library)


def example_var_has_field(index: Index) -> Iterator[Finding]:
    seen: set[str] = set()
    infra = index.config.infra
    rule = EXAMPLE_VAR_HAS_FIELD
    pending: list[ExampleEntry] = []
    broken = index.unreadable(Layer.SETTINGS) + index.unreadable(Layer.DOCKERFILE)
    for entry in index.example_entries():
        if entry.key in seen:
            continue
        seen.add(entry.key)
        name, at = entry.key, entry.location
        if index.fields_reading(name) or index.is_external(name) or index.docker_args(name):
            yield rule.passed(name, at)
        elif _is_infra(name, infra):
            yield rule.skipped(
                name, at,
                lines=(f"{name} is an infra variable: infra-var-not-in-app speaks for it",),
            )  # fmt: skip
        elif broken:
            yield unreadable_skip(rule, name, at, broken)
        else:
            pending.append(entry)
    mentions = index.service(Mentions)
    mentioned = mentions.find({e.key for e in pending})
    libraries = {lib for e in pending for lib in _LIBRARY_OF.get(e.key, ())}
    used = mentions.find(libraries)
    for entry in pending:
        name, at = entry.key, entry.location
        if name in mentioned:
            yield _read_elsewhere(rule, name, at, mentioned[name])
            continue
        reader = next((lib for lib in _LIBRARY_OF.get(name, ()) if lib in used), None)
        if reader is not None:
            yield rule.passed(
                name, at,
                lines=(f"no settings field reads {name}, but the {reader} library reads it from "
                       f"the environment, and {used[reader]} uses {reader}",),
            )  # fmt: skip
            continue
        yield rule.failed(
            name,
            at,
            lines=(
                f"{at} documents {name}",
                "no settings field reads it, no Dockerfile ARG declares it, no code or "
                "configuration in the repository names it, and it is not listed under "
                "[tool.envssot] external",
                _extra_sentence(index, name, "a .env copied from .env.example"),
                f"Remove the line, add a field, or list {name} under external. Field stub:",
            ),
            fix=(field_stub(name),),
            edit=_edits.field_stub(index, name, entry.comment),
        )


def _is_infra(name: str, patterns: tuple[str, ...]) -> bool:
    return fnmatch_any(tuple(patterns))(name)


# --------------------------------------------------------------------------- required-field-in-template


def required_field_in_template(index: Index) -> Iterator[Finding]:
    if not index.contract.templates:
        return
    seen: set[str] = set()
    for ref in index.distinct_fields():
        if not ref.field.required or ref.primary in seen:
            continue
        seen.add(ref.primary)
        rendered = index.rendered_for(ref)
        if rendered:
            yield REQUIRED_FIELD_IN_TEMPLATE.passed(ref.primary, ref.field.location)
            continue
        if broken := index.unreadable(Layer.TEMPLATE):
            yield unreadable_skip(
                REQUIRED_FIELD_IN_TEMPLATE, ref.primary, ref.field.location, broken
            )
            continue
        templates = ", ".join(t.path for t in index.contract.templates)
        yield REQUIRED_FIELD_IN_TEMPLATE.failed(
            ref.primary,
            ref.field.location,
            lines=(
                field_line(index, ref),
                f"it has no default, and no template renders it ({templates}): production "
                "would fail validation at startup",
                "Render it from Vault, or give the field a safe default:",
            ),
            edit=_edits.template_add(index, ref),
            fix=(
                f'{ref.primary}={{{{ with .Data.data.{ref.primary} }}}}{{{{ printf "%q" . }}}}'
                '{{ else }}""{{ end }}',
            ),
        )


# --------------------------------------------------------------------------- the catalogue entries

_TEMPLATE_OK = mini_repo(_ONE_FIELD, "# [VAULT] cache\nREDIS_URL=\n", tmpl_line("REDIS_URL"))
_TEMPLATE_ORPHAN = mini_repo(
    _ONE_FIELD, "# [VAULT] cache\nREDIS_URL=\n", tmpl_line("REDIS_URL") + tmpl_line("OLD_URL")
)

RULES = (
    Rule(
        TEMPLATE_VAR_HAS_FIELD,
        Layer.TEMPLATE,
        "a template var is read by no settings field",
        template_var_has_field,
        hangs_under="template",
        details="a template var is read by no settings field (and is not `external`)",
        why="Vault renders a value no code reads: either the field was renamed (production runs on a default) or the secret is dead weight that still has to be rotated.",
        valid=(RuleExample(_TEMPLATE_OK, "REDIS_URL"),),
        invalid=(
            RuleExample(
                _TEMPLATE_ORPHAN,
                "OLD_URL",
                message=(
                    "deploy/app/secrets.ctmpl:3 renders OLD_URL from Vault key OLD_URL of secret/data/demo/%s/app",
                    "no settings field reads OLD_URL (searched app/config.py), and no code or configuration in the repository names it",
                    "Settings uses extra='forbid' (pydantic-settings' default): a rendered env file carrying OLD_URL, which no field reads, makes the app refuse to start.",
                    "Add a field, or list OLD_URL under [tool.envssot] external if a non-Python consumer reads it:",
                ),
                fix=('old_url: str = Field(default="", validation_alias="OLD_URL")',),
            ),
        ),
    ),
    Rule(
        FIELD_DOCUMENTED,
        Layer.SETTINGS,
        "a field's env name is not in .env.example",
        field_documented,
        hangs_under="`.env.example`",
        details="a field's env name is not in `.env.example` (a commented-out `# KEY=` counts as documented)",
        why=".env.example is how a developer learns what to set; an undocumented field is set by nobody locally, and its default silently decides.",
        valid=(
            RuleExample(mini_repo(_ONE_FIELD, "REDIS_URL=\n"), "REDIS_URL"),
            RuleExample(
                mini_repo(_ONE_FIELD, "# documented, unset:\n# REDIS_URL=redis://x\n"), "REDIS_URL"
            ),
            RuleExample(
                mini_repo(
                    'class Settings(BaseSettings):\n    redis_url: str = ""\n', "REDIS_URL=\n"
                ),
                "REDIS_URL",
            ),
        ),
        invalid=(
            RuleExample(
                mini_repo(_ONE_FIELD, "OTHER=1\n"),
                "REDIS_URL",
                message=(
                    'app/config.py:6 Settings.redis_url reads REDIS_URL (str, default "")',
                    ".env.example has no line for it. Add:",
                ),
                fix=("# Settings.redis_url", "REDIS_URL="),
            ),
        ),
    ),
    Rule(
        EXAMPLE_VAR_HAS_FIELD,
        Layer.EXAMPLE,
        "an example var is read by no field, no Dockerfile ARG, and is not external",
        example_var_has_field,
        hangs_under="`.env.example`",
        details="an example var is read by no field, no Dockerfile `ARG`, and is not `external`",
        why="A documented variable that nothing reads misleads whoever sets it: the value they carefully chose has no effect.",
        valid=(
            RuleExample(mini_repo(_ONE_FIELD, "REDIS_URL=\n"), "REDIS_URL"),
            RuleExample(
                mini_repo(
                    _ONE_FIELD,
                    "REDIS_URL=\nNEXT_PUBLIC_API_URL=\n",
                    extra={"web/Dockerfile": "FROM node\nARG NEXT_PUBLIC_API_URL\nRUN build\n"},
                ),
                "NEXT_PUBLIC_API_URL",
            ),
        ),
        invalid=(
            RuleExample(
                mini_repo(_ONE_FIELD, "REDIS_URL=\nLEGACY_FLAG=1\n"),
                "LEGACY_FLAG",
                message=(
                    ".env.example:2 documents LEGACY_FLAG",
                    "no settings field reads it, no Dockerfile ARG declares it, no code or configuration in the repository names it, and it is not listed under [tool.envssot] external",
                    "Settings uses extra='forbid' (pydantic-settings' default): a .env copied from .env.example carrying LEGACY_FLAG, which no field reads, makes the app refuse to start.",
                    "Remove the line, add a field, or list LEGACY_FLAG under external. Field stub:",
                ),
                fix=('legacy_flag: str = Field(default="", validation_alias="LEGACY_FLAG")',),
            ),
        ),
    ),
    Rule(
        REQUIRED_FIELD_IN_TEMPLATE,
        Layer.SETTINGS,
        "a field with no default is not rendered by any template (when templates exist)",
        required_field_in_template,
        hangs_under="`config.py`",
        details="a field with no default is rendered by no template (only when templates exist)",
        why="A field without a default makes the app refuse to start where the template does not render it: in production, not in CI.",
        valid=(
            RuleExample(
                mini_repo(
                    'class Settings(BaseSettings):\n    secret_key: str = Field(validation_alias="SECRET_KEY")\n',
                    "# [VAULT]\nSECRET_KEY=\n",
                    tmpl_line("SECRET_KEY"),
                ),
                "SECRET_KEY",
            ),
        ),
        invalid=(
            RuleExample(
                mini_repo(
                    'class Settings(BaseSettings):\n    secret_key: str = Field(validation_alias="SECRET_KEY")\n'
                    '    redis_url: str = Field(default="", validation_alias="REDIS_URL")\n',
                    "SECRET_KEY=\n# [VAULT]\nREDIS_URL=\n",
                    tmpl_line("REDIS_URL"),
                ),
                "SECRET_KEY",
                message=(
                    "app/config.py:6 Settings.secret_key reads SECRET_KEY (str, required)",
                    "it has no default, and no template renders it (deploy/app/secrets.ctmpl): production would fail validation at startup",
                    "Render it from Vault, or give the field a safe default:",
                ),
                fix=(
                    'SECRET_KEY={{ with .Data.data.SECRET_KEY }}{{ printf "%q" . }}{{ else }}""{{ end }}',
                ),
            ),
        ),
    ),
)
